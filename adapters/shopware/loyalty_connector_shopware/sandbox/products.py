"""The product catalogue of the sandbox: what a B2B office-supplies wholesaler sells.

Quantities follow B2B magnitudes (paper by the hundred reams, toner by the box). ``SW10004`` keeps
the product number and id Shopware's own examples use, so their payloads work against the sandbox.
"""

from __future__ import annotations

__all__ = ["PRODUCTS", "CatalogueProduct", "install_products"]

from dataclasses import dataclass

from .catalogue import stable_id
from .clock import format_ms
from .schema import DEFAULT_CURRENCY_ID, blank_record
from .store import ShopStore

SW10004_ID = "4aa38f2ec4554d01a3e109f52923dbeb"


@dataclass(frozen=True)
class CatalogueProduct:
    number: str
    name: str
    net: float
    """Net unit price in EUR."""
    tax_rate: float
    min_qty: int
    max_qty: int

    @property
    def id(self) -> str:
        return SW10004_ID if self.number == "SW10004" else stable_id("product", self.number)

    @property
    def gross(self) -> float:
        return round(self.net * (1 + self.tax_rate / 100), 2)


PRODUCTS: tuple[CatalogueProduct, ...] = (
    CatalogueProduct("PAPER-A4", "Copy paper A4 80 g, ream of 500", 4.20, 19.0, 50, 2500),
    CatalogueProduct("PAPER-A3", "Copy paper A3 80 g, ream of 500", 8.90, 19.0, 10, 600),
    CatalogueProduct("TONER-BLK", "Laser toner black, 10k pages", 64.00, 19.0, 1, 30),
    CatalogueProduct("TONER-CLR", "Laser toner colour set", 189.00, 19.0, 1, 8),
    CatalogueProduct("STAPLER-HD", "Heavy-duty stapler, 200 sheets", 39.50, 19.0, 1, 10),
    CatalogueProduct("PEN-BLUE-50", "Ballpoint pens blue, box of 50", 12.90, 19.0, 1, 40),
    CatalogueProduct("FOLDER-LVR", "Lever arch folder A4", 2.35, 19.0, 10, 400),
    CatalogueProduct("NOTE-PAD-12", "Sticky notes, 12 pads", 6.80, 19.0, 5, 200),
    CatalogueProduct("ENVELOPE-C4-250", "Envelopes C4, box of 250", 18.40, 19.0, 1, 50),
    CatalogueProduct("LABEL-A4-100", "Address labels A4, 100 sheets", 14.90, 19.0, 1, 30),
    CatalogueProduct("MARKER-SET-8", "Whiteboard marker set, 8 colours", 9.60, 19.0, 1, 25),
    CatalogueProduct("DESK-LAMP-LED", "LED desk lamp", 59.00, 19.0, 1, 10),
    CatalogueProduct("CHAIR-ERGO", "Ergonomic office chair", 349.00, 19.0, 1, 12),
    CatalogueProduct("COFFEE-1KG", "Coffee beans, 1 kg", 16.50, 7.0, 1, 20),
    CatalogueProduct("GIFT-CARD-50", "Gift card 50 EUR", 50.00, 0.0, 1, 4),
    CatalogueProduct("SW10004", "Notebook A5 dotted", 4.09243697478992, 19.0, 1, 100),
)
"""The office-supplies catalogue (``SW10004`` is the product number Shopware's own examples use)."""


def install_products(store: ShopStore, install_ms: int) -> None:
    """Insert the catalogue with its EUR list prices (gross, net derived as Shopware links them)."""
    at = format_ms(install_ms)
    for auto_increment, product in enumerate(PRODUCTS, start=1):
        net = product.net if product.number == "SW10004" else product.gross / (1 + product.tax_rate / 100)
        price = [
            {
                "currencyId": DEFAULT_CURRENCY_ID,
                "net": net,
                "gross": product.gross,
                "linked": True,
                "listPrice": None,
                "extensions": [],
            }
        ]
        store.insert(
            "product",
            blank_record(
                "product",
                product.id,
                createdAt=at,
                taxId=stable_id("tax", str(product.tax_rate)),
                price=price,
                productNumber=product.number,
                stock=5000,
                autoIncrement=auto_increment,
                active=True,
                availableStock=5000,
                available=True,
                isCloseout=False,
                variation=[],
                displayGroup=stable_id("display", product.number),
                purchaseSteps=1,
                minPurchase=1,
                shippingFree=False,
                childCount=0,
                sales=0,
                name=product.name,
            ),
        )
        store.auto_increment["product"] = auto_increment
