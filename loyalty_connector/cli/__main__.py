"""``python -m loyalty_connector.cli``: the same command as ``loyalty-connector``."""

from . import main

main()
