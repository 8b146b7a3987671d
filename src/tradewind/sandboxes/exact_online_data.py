"""Seed documents for the Exact Online sandbox: a fashion and homeware wholesaler's division.

:func:`catalogue` builds items (variants of one model share ``FreeTextField_01``), sales prices, stock per
warehouse and customer accounts with contacts, in the seed shape of
:meth:`tradewind.sandboxes.exact_online.ExactOnlineSandbox.seed`. Everything comes from one
``random.Random(seed)``, so a seed number always gives the same document (IDs included) — tests can name
records, and benchmarks compare like with like. EAN-13 check digits come from ``stdnum.ean``; the VAT
numbers handed to some customers pass ``stdnum.eu.vat`` (NL mod-11, BE mod-97, DE ISO 7064 mod 11,10).
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from stdnum import ean
from stdnum.iso7064 import mod_11_10

Doc = dict[str, Any]

#: (code prefix, description, item group, VAT code, price range, sizes) per product line.
_LINES: tuple[tuple[str, str, str, str, tuple[int, int], tuple[str, ...]], ...] = (
    ("TSH", "T-shirt", "APPAREL", "2", (15, 40), ("XS", "S", "M", "L", "XL")),
    ("HOD", "Hoodie", "APPAREL", "2", (45, 90), ("S", "M", "L", "XL")),
    ("JNS", "Jeans", "APPAREL", "2", (60, 130), ("28", "30", "32", "34", "36")),
    ("DRS", "Dress", "APPAREL", "2", (50, 150), ("XS", "S", "M", "L")),
    ("SCK", "Socks", "APPAREL", "2", (5, 15), ("36-40", "41-46")),
    ("JKT", "Jacket", "APPAREL", "2", (90, 250), ("S", "M", "L", "XL")),
    ("MUG", "Mug", "HOME", "2", (8, 20), ()),
    ("CND", "Scented candle", "HOME", "2", (12, 35), ("S", "L")),
    ("PIL", "Cushion", "HOME", "2", (20, 55), ("40X40", "50X50")),
    ("THR", "Throw blanket", "HOME", "2", (40, 120), ()),
    ("VAS", "Vase", "HOME", "2", (18, 80), ("S", "M", "L")),
    ("BKS", "Cookbook", "BOOKS", "1", (15, 45), ()),
)
_COLOURS = ("RED", "BLUE", "BLACK", "WHITE", "GREEN", "GREY", "NAVY", "SAND", "OCHRE", "PINK")
_COLOUR_NAMES = {"RED": "Red", "BLUE": "Blue", "BLACK": "Black", "WHITE": "White", "GREEN": "Green", "GREY": "Grey",
                 "NAVY": "Navy", "SAND": "Sand", "OCHRE": "Ochre", "PINK": "Pink"}
_STYLES = ("Organic", "Classic", "Nordic", "Linen", "Urban", "Vintage", "Essential", "Studio", "Coastal", "Alpine")

_FIRST = ("Anna", "Bram", "Clara", "Daan", "Eva", "Finn", "Greta", "Hugo", "Ilse", "Jonas", "Lotte", "Milan",
          "Noor", "Olivier", "Pien", "Ruben", "Sanne", "Thijs", "Lena", "Lukas", "Marie", "Elias", "Julie", "Lars")
_LAST = ("de Vries", "Jansen", "Peeters", "Maes", "Müller", "Schmidt", "Bakker", "Visser", "Janssens", "Wouters",
         "Schneider", "Fischer", "Smit", "Mertens", "Weber", "Meyer", "van Dijk", "Claes", "Becker", "Hoffmann")
_SHOP_WORDS = ("Mode", "Wonen", "Boutique", "Concept Store", "Atelier", "Home & Living", "Lifestyle", "Warenhuis")
_PLACES = {
    "NL": (("Amsterdam", "1012"), ("Utrecht", "3511"), ("Rotterdam", "3011"), ("Groningen", "9711"),
           ("Eindhoven", "5611"), ("Haarlem", "2011")),
    "BE": (("Antwerpen", "2000"), ("Gent", "9000"), ("Brussel", "1000"), ("Leuven", "3000"), ("Brugge", "8000")),
    "DE": (("Berlin", "10115"), ("Köln", "50667"), ("Hamburg", "20095"), ("München", "80331"),
           ("Düsseldorf", "40213")),
}
_STREETS = {"NL": ("Kerkstraat", "Dorpsstraat", "Molenweg", "Stationsplein"),
            "BE": ("Meir", "Veldstraat", "Nieuwstraat", "Grote Markt"),
            "DE": ("Hauptstraße", "Bahnhofstraße", "Schillerstraße", "Gartenweg")}
_LANGUAGE = {"NL": "NL", "BE": "NL", "DE": "DE"}
_EPOCH = datetime(2024, 1, 1, 8, 0, tzinfo=UTC)


def _guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _ean13(sequence: int) -> str:
    """A GS1-style EAN-13 in the Dutch 87 prefix range, with its check digit."""
    body = f"8712345{sequence:05d}" if sequence < 100_000 else f"871{sequence:09d}"
    return body + ean.calc_check_digit(body)


def _price(rng: random.Random, low: int, high: int) -> float:
    return rng.randint(low, high) + 0.95


def catalogue(products: int = 300, *, seed: int = 42, max_variants: int = 4, warehouses: tuple[str, ...] = ("1", "2"),
              customers: int = 50) -> Doc:
    """A deterministic seed document: ``products`` models with 1–``max_variants`` items each, plus customers."""
    rng = random.Random(seed)
    doc: Doc = {"warehouses": list(warehouses), "items": [], "prices": [], "stock": [], "accounts": [],
                "contacts": [], "sales_orders": []}
    sequence = 0
    for number in range(1, products + 1):
        for item in _model_items(rng, number, max_variants, sequence):
            sequence += 1
            doc["items"].append(item)
            doc["prices"].append(_sales_price(rng, item))
            doc["stock"].extend(_stock_rows(rng, item, warehouses))
    for number in range(1, customers + 1):
        account, contacts = _customer(rng, number)
        doc["accounts"].append(account)
        doc["contacts"].extend(contacts)
    return doc


def service_items() -> list[Doc]:
    """The non-stock items a division books shipping costs and order discounts on (SHIP, DISC);
    add them to a catalogue whose orders carry shipping or discounts."""
    rng = random.Random(0)
    return [{"ID": _guid(rng), "Code": code, "Description": label, "IsSalesItem": True, "IsStockItem": False,
             "IsWebshopItem": 0, "Unit": "pc", "SalesVatCode": "2", "StandardSalesPrice": 0.0,
             "Created": _iso(_EPOCH), "Modified": _iso(_EPOCH)}
            for code, label in (("SHIP", "Shipping costs"), ("DISC", "Order discount"))]


def _model_items(rng: random.Random, number: int, max_variants: int, sequence: int) -> list[Doc]:
    prefix, noun, group, vat, (low, high), sizes = rng.choice(_LINES)
    model = f"{prefix}-{number:04d}"
    style = rng.choice(_STYLES)
    price = _price(rng, low, high)
    combos = [(c, s) for c in rng.sample(_COLOURS, 3) for s in (sizes or ("",))]
    chosen = sorted(rng.sample(combos, min(len(combos), rng.randint(1, max(1, max_variants)))))
    modified = _EPOCH + timedelta(minutes=rng.randrange(0, 60 * 24 * 180))
    items = []
    for offset, (colour, size) in enumerate(chosen):
        code = "-".join(p for p in (model, colour, size) if p)
        label = " ".join(p for p in (noun, style, _COLOUR_NAMES[colour], size) if p)
        items.append({
            "ID": _guid(rng), "Code": code, "Description": label[:60],
            "ExtraDescription": f"{style} {noun.lower()} from the {group.title()} collection", "Barcode":
            _ean13(sequence + offset), "IsSalesItem": True, "IsStockItem": True, "IsPurchaseItem": True,
            "IsWebshopItem": 1 if rng.random() < 0.85 else 0, "ItemGroupCode": group, "Unit": "pc",
            "SalesVatCode": vat, "StandardSalesPrice": price, "CostPriceStandard": round(price * 0.42, 2),
            "Notes": None, "PictureUrl": f"https://images.example.com/{model.lower()}-{colour.lower()}.jpg",
            "FreeTextField_01": model, "FreeTextField_02": _COLOUR_NAMES[colour], "FreeTextField_03": size or None,
            "FreeTextField_04": style, "Created": _iso(modified - timedelta(days=30)), "Modified": _iso(modified),
        })
    return items


def _sales_price(rng: random.Random, item: Doc) -> Doc:
    return {"ID": _guid(rng), "Item": item["ID"], "ItemCode": item["Code"], "Price": item["StandardSalesPrice"],
            "Currency": "EUR", "Quantity": 0.0, "Unit": "pc", "StartDate": "2024-01-01T00:00:00.000Z",
            "Modified": item["Modified"]}


def _stock_rows(rng: random.Random, item: Doc, warehouses: tuple[str, ...]) -> list[Doc]:
    return [{"ID": _guid(rng), "Item": item["ID"], "ItemCode": item["Code"], "WarehouseCode": code,
             "CurrentStock": float(0 if rng.random() < 0.1 else rng.randint(1, 60)), "Modified": item["Modified"]}
            for code in warehouses]


def _customer(rng: random.Random, number: int) -> tuple[Doc, list[Doc]]:
    country = rng.choice(("NL", "NL", "NL", "BE", "DE"))
    city, postcode = rng.choice(_PLACES[country])
    last = rng.choice(_LAST)
    name = f"{last[0].upper()}{last[1:]} {rng.choice(_SHOP_WORDS)}"
    domain = "".join(ch for ch in name.lower() if ch.isalnum())[:20] + f"{number}.example"
    if country == "NL":
        postcode = f"{postcode} {rng.choice('ABCDEFGHJKLMNPRSTVWXZ')}{rng.choice('ABCDEFGHJKLMNPRSTVWXZ')}"
    account = {
        "ID": _guid(rng), "Code": str(1000 + number), "Name": name, "Email": f"orders@{domain}",
        "Phone": _phone(rng, country), "Website": f"https://www.{domain}",
        "VATNumber": _vat_number(rng, country) if rng.random() < 0.7 else None,
        "ChamberOfCommerce": f"{rng.randrange(10**7, 10**8)}" if country == "NL" else None,
        "AddressLine1": f"{rng.choice(_STREETS[country])} {rng.randint(1, 180)}", "AddressLine2": None,
        "Postcode": postcode, "City": city, "Country": country, "IsSales": True, "Status": "C",
        "Language": _LANGUAGE[country], "Modified": _iso(_EPOCH + timedelta(hours=number)),
    }
    contacts = [{"ID": _guid(rng), "Account": account["ID"], "FirstName": (first := rng.choice(_FIRST)),
                 "LastName": last if n == 0 else rng.choice(_LAST), "Email": f"{first.lower()}@{domain}",
                 "Phone": account["Phone"], "IsMainContact": n == 0, "Modified": account["Modified"]}
                for n in range(rng.randint(1, 2))]
    return account, contacts


def _phone(rng: random.Random, country: str) -> str:
    prefix = {"NL": "+31 20", "BE": "+32 3", "DE": "+49 30"}[country]
    return f"{prefix} {rng.randrange(1_000_000, 9_999_999)}"


def _vat_number(rng: random.Random, country: str) -> str:
    """A VAT number that passes the country's check-digit rule."""
    if country == "NL":
        while True:
            digits = [rng.randint(0, 9) for _ in range(8)]
            check = sum((9 - i) * d for i, d in enumerate(digits)) % 11
            if check < 10 and any(digits):
                return "NL" + "".join(map(str, digits)) + f"{check}B01"
    if country == "BE":
        base = rng.randrange(2_000_000, 9_999_999)
        return f"BE0{base:07d}{97 - (base % 97):02d}"
    body = f"{rng.randrange(10**7, 10**8)}"
    return f"DE{body}{mod_11_10.calc_check_digit(body)}"


__all__ = ["catalogue"]
