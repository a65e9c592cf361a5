"""loyalty-connector: run a B2B loyalty programme on top of a Magento 2 or Shopware 6 shop."""

__version__ = "0.1.0"
