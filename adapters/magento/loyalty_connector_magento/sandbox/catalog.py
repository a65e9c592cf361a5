"""The sandbox shop's fixed reference data: products, customer groups, stores, countries.

A B2B office-supplies wholesaler with base currency EUR: simple products (paper, toner, pens ...)
and configurable parents whose orders carry a parent line with the price and a child line at 0,
as Magento records them. Everything here is constant; seeded randomness lives in ``data``.
"""

from __future__ import annotations

__all__ = [
    "ALL_GROUPS_ID",
    "BASE_CURRENCY",
    "COUNTRIES",
    "DEFAULT_GROUPS",
    "ORDER_CURRENCIES",
    "STORE_NAME",
    "WEBSITE_ID",
    "Country",
    "Product",
    "build_catalogue",
]

from dataclasses import dataclass, field
from decimal import Decimal

BASE_CURRENCY = "EUR"
ORDER_CURRENCIES: dict[str, tuple[Decimal, Decimal]] = {
    "USD": (Decimal("1.0400"), Decimal("1.1600")),
    "GBP": (Decimal("0.8300"), Decimal("0.8900")),
}
"""Order currencies other than the base one, with the range their ``base_to_order_rate`` is drawn from."""

WEBSITE_ID = 1
STORE_NAME = "Main Website\nMain Website Store\n"
ALL_GROUPS_ID = 32000
"""The customer group id Magento stores for tier prices that apply to ALL GROUPS."""

DEFAULT_GROUPS: tuple[tuple[int, str], ...] = (
    (0, "NOT LOGGED IN"),
    (1, "General"),
    (2, "Wholesale"),
    (3, "Retailer"),
)


@dataclass(frozen=True)
class Product:
    """One catalogue product. A configurable ``parent`` has ``children``; a child names its parent."""

    product_id: int
    sku: str
    name: str
    price: Decimal
    weight: Decimal
    type_id: str = "simple"
    parent_sku: str | None = None
    options: tuple[tuple[str, int], ...] = ()
    """For a configurable child: (attribute id, option value id) pairs chosen on the parent."""
    children: tuple[str, ...] = field(default=())


_SIMPLES: tuple[tuple[str, str, str, str], ...] = (
    ("PAPER-A4", "Copy paper A4 80 g, box of 5 reams", "24.90", "12.5"),
    ("PAPER-A3", "Copy paper A3 80 g, box of 5 reams", "39.50", "25"),
    ("PAPER-A4-REC", "Recycled copy paper A4, box of 5 reams", "22.40", "12.5"),
    ("TONER-BLK", "Laser toner cartridge black", "89.00", "0.9"),
    ("TONER-CYN", "Laser toner cartridge cyan", "104.00", "0.9"),
    ("TONER-MAG", "Laser toner cartridge magenta", "104.00", "0.9"),
    ("TONER-YEL", "Laser toner cartridge yellow", "104.00", "0.9"),
    ("STAPLER-HD", "Heavy-duty stapler, 200 sheets", "34.90", "1.4"),
    ("STAPLES-24-6", "Staples 24/6, box of 5000", "3.20", "0.3"),
    ("PEN-BLUE-50", "Ballpoint pens blue, box of 50", "12.90", "0.6"),
    ("PEN-BLACK-50", "Ballpoint pens black, box of 50", "12.90", "0.6"),
    ("MARKER-SET-8", "Whiteboard markers, set of 8", "9.80", "0.2"),
    ("BINDER-A4-80", "Lever arch file A4, 80 mm", "2.95", "0.6"),
    ("FOLDER-PP-10", "Document folders, pack of 10", "6.50", "0.4"),
    ("NOTEPAD-A5-10", "Notepads A5 squared, pack of 10", "11.20", "1.1"),
    ("ENVELOPE-DL-500", "Envelopes DL with window, box of 500", "18.60", "2.4"),
    ("LABEL-A4-100", "Address labels A4, 100 sheets", "15.40", "0.8"),
    ("SHREDDER-P4", "Cross-cut shredder P-4", "219.00", "9.8"),
    ("CALC-DESK", "Desktop calculator, 12 digits", "24.50", "0.3"),
    ("TAPE-19-8", "Adhesive tape 19 mm, pack of 8", "5.90", "0.3"),
    ("CLIPS-28-100", "Paper clips 28 mm, box of 100", "1.40", "0.1"),
    ("PUNCH-2H", "Two-hole punch, 30 sheets", "18.90", "0.7"),
    ("WHITEBOARD-90X60", "Magnetic whiteboard 90 x 60 cm", "79.00", "6.0"),
    ("COFFEE-1KG", "Office coffee beans, 1 kg", "16.90", "1.0"),
    ("CUPS-200", "Paper cups, pack of 200", "7.40", "0.9"),
    ("GIFT-TOTE", "Canvas tote bag (loyalty gift)", "9.90", "0.2"),
)

_CONFIGURABLES: tuple[tuple[str, str, str, tuple[tuple[str, str, str, int], ...]], ...] = (
    (
        "CHAIR-ERGO",
        "Ergonomic office chair",
        "14.0",
        (
            ("CHAIR-ERGO-BLK", "Black", "249.00", 49),
            ("CHAIR-ERGO-GRY", "Grey", "249.00", 52),
            ("CHAIR-ERGO-BLU", "Blue", "259.00", 50),
        ),
    ),
    (
        "DESK-SIT-STAND",
        "Sit-stand desk",
        "38.0",
        (
            ("DESK-SIT-STAND-120", "120 cm", "499.00", 171),
            ("DESK-SIT-STAND-160", "160 cm", "579.00", 173),
        ),
    ),
    (
        "NOTEBOOK-A5",
        "Hardcover notebook A5",
        "0.4",
        (
            ("NOTEBOOK-A5-BLK", "Black", "8.90", 49),
            ("NOTEBOOK-A5-RED", "Red", "8.90", 58),
            ("NOTEBOOK-A5-BLU", "Blue", "8.90", 50),
        ),
    ),
    (
        "BACKPACK-LAPTOP",
        "Laptop backpack 15.6 inch",
        "1.2",
        (
            ("BACKPACK-LAPTOP-BLK", "Black", "69.00", 49),
            ("BACKPACK-LAPTOP-GRY", "Grey", "69.00", 52),
        ),
    ),
)

_COLOR_ATTRIBUTE = "93"
_SIZE_ATTRIBUTE = "141"


def build_catalogue() -> dict[str, Product]:
    """Every product by SKU, ids assigned in a fixed order (parents after their children, as imported)."""
    products: dict[str, Product] = {}
    next_id = 1
    for sku, name, price, weight in _SIMPLES:
        products[sku] = Product(next_id, sku, name, Decimal(price), Decimal(weight))
        next_id += 1
    for parent_sku, parent_name, weight, variants in _CONFIGURABLES:
        child_skus = []
        attribute = _SIZE_ATTRIBUTE if parent_sku.startswith("DESK") else _COLOR_ATTRIBUTE
        for sku, label, price, option_value in variants:
            products[sku] = Product(
                next_id,
                sku,
                f"{parent_name}-{label}",
                Decimal(price),
                Decimal(weight),
                parent_sku=parent_sku,
                options=((attribute, option_value),),
            )
            child_skus.append(sku)
            next_id += 1
        cheapest = min(products[sku].price for sku in child_skus)
        products[parent_sku] = Product(
            next_id,
            parent_sku,
            parent_name,
            cheapest,
            Decimal(weight),
            type_id="configurable",
            children=tuple(child_skus),
        )
        next_id += 1
    return products


@dataclass(frozen=True)
class Country:
    """Where a customer sits: address formats, names, VAT id pattern and the tax the shop charges."""

    code: str
    legal_forms: tuple[str, ...]
    cities: tuple[tuple[str, str, str | None, int], ...]
    """(city, postcode prefix, region name or None, Magento region id or 0)."""
    vat_prefix: str
    vat_digits: int
    tax_percent: Decimal
    """VAT charged on orders (0 for intra-EU reverse charge and exports)."""
    phone_prefix: str
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    streets: tuple[str, ...]


COUNTRIES: tuple[tuple[Country, float], ...] = (
    (
        Country(
            "DE",
            ("GmbH", "GmbH & Co. KG", "AG", "e.K."),
            (
                ("Berlin", "10", "Berlin", 82),
                ("Hamburg", "20", "Hamburg", 84),
                ("München", "80", "Bayern", 81),
                ("Köln", "50", "Nordrhein-Westfalen", 88),
                ("Stuttgart", "70", "Baden-Württemberg", 80),
                ("Leipzig", "04", "Sachsen", 91),
            ),
            "DE",
            9,
            Decimal("19"),
            "+49 ",
            ("Anna", "Lukas", "Julia", "Jonas", "Sabine", "Thomas", "Katrin", "Michael", "Petra", "Stefan"),
            ("Schmidt", "Müller", "Schneider", "Fischer", "Weber", "Wagner", "Becker", "Hoffmann", "Koch"),
            ("Hauptstraße", "Industriestraße", "Gewerbering", "Bahnhofstraße", "Am Markt"),
        ),
        0.46,
    ),
    (
        Country(
            "AT",
            ("GmbH", "KG", "OG"),
            (("Wien", "1", None, 0), ("Graz", "80", None, 0), ("Linz", "40", None, 0)),
            "ATU",
            8,
            Decimal("0"),
            "+43 ",
            ("Lena", "Florian", "Elisabeth", "Markus", "Johanna", "Andreas"),
            ("Gruber", "Huber", "Bauer", "Wagner", "Pichler", "Steiner"),
            ("Mariahilfer Straße", "Landstraße", "Gewerbepark"),
        ),
        0.12,
    ),
    (
        Country(
            "NL",
            ("B.V.", "V.O.F."),
            (("Amsterdam", "10", None, 0), ("Rotterdam", "30", None, 0), ("Utrecht", "35", None, 0)),
            "NL",
            9,
            Decimal("0"),
            "+31 ",
            ("Sanne", "Daan", "Femke", "Joris", "Anouk", "Bram"),
            ("de Jong", "Jansen", "de Vries", "Bakker", "Visser", "Smit"),
            ("Keizersgracht", "Stationsweg", "Industrieweg"),
        ),
        0.12,
    ),
    (
        Country(
            "FR",
            ("SARL", "SAS", "SA"),
            (("Paris", "75", None, 0), ("Lyon", "69", None, 0), ("Lille", "59", None, 0)),
            "FR",
            11,
            Decimal("0"),
            "+33 ",
            ("Camille", "Hugo", "Chloé", "Louis", "Manon", "Julien"),
            ("Martin", "Bernard", "Dubois", "Durand", "Lefebvre", "Moreau"),
            ("Rue de la République", "Avenue Jean Jaurès", "Boulevard Voltaire"),
        ),
        0.1,
    ),
    (
        Country(
            "GB",
            ("Ltd", "LLP", "PLC"),
            (
                ("London", "EC1", "London", 0),
                ("Manchester", "M1", "Greater Manchester", 0),
                ("Leeds", "LS1", "West Yorkshire", 0),
            ),
            "GB",
            9,
            Decimal("0"),
            "+44 ",
            ("Oliver", "Amelia", "Harry", "Isla", "George", "Emily"),
            ("Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans"),
            ("High Street", "Station Road", "Church Lane"),
        ),
        0.12,
    ),
    (
        Country(
            "US",
            ("Inc.", "LLC"),
            (
                ("Calder", "49628", "Michigan", 33),
                ("Las Vegas", "89102", "Nevada", 39),
                ("Austin", "73301", "Texas", 57),
                ("Chicago", "60601", "Illinois", 23),
            ),
            "",
            0,
            Decimal("0"),
            "+1 ",
            ("Emma", "James", "Olivia", "William", "Sophia", "Benjamin"),
            ("Johnson", "Williams", "Miller", "Davis", "Garcia", "Clark"),
            ("Main Street", "Commerce Drive", "Industrial Parkway"),
        ),
        0.08,
    ),
)

REGION_CODES: dict[int, str] = {
    80: "BAW",
    81: "BAY",
    82: "BER",
    84: "HAM",
    88: "NRW",
    91: "SAS",
    33: "MI",
    39: "NV",
    57: "TX",
    23: "IL",
}
"""Codes of the directory regions used above (Magento's ``directory_country_region``)."""
