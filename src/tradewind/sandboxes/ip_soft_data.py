"""A fashion wholesaler's IP-Soft data for the sandbox: customers with buyers, models in colours
with sizes (valid EAN13s), wholesale and retail price lists, stock in two warehouses.

Deterministic for a given ``seed``; rows use the element names of the service's WSDL.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from stdnum import ean
from stdnum.eu import vat

T0 = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
SIZES = ("XS", "S", "M", "L", "XL")
COLOURS = ("Navy", "Black", "Ecru", "Olive", "Rust")
CATEGORIES = ("Knitwear", "Shirts", "Trousers", "Outerwear")
COMPOSITIONS = ("100% cotton", "80% wool, 20% polyamide", "55% linen, 45% cotton", "100% merino wool")
TOWNS = (("Amsterdam", "1012 AB", "NL"), ("Antwerpen", "2000", "BE"), ("Utrecht", "3511 AA", "NL"),
         ("Lyon", "69001", "FR"))
PRICE_LISTS = (("WHOLESALE-EUR", "WHOLESALE", "EUR", False), ("RETAIL-EUR", "RETAIL", "EUR", True))


def ean13(rng: random.Random) -> str:
    body = "87" + "".join(str(rng.randrange(10)) for _ in range(10))
    return body + ean.calc_check_digit(body)


def dutch_vat(rng: random.Random) -> str:
    """A valid Dutch VAT number (eleven-test), found by trying random ones."""
    while True:
        candidate = f"NL{rng.randrange(10**8, 10**9):09d}B01"
        if vat.is_valid(candidate):
            return candidate


def customer(n: int, rng: random.Random) -> dict[str, Any]:
    town, postcode, country = TOWNS[n % len(TOWNS)]
    name = f"Boutique {chr(65 + n % 26)}{n:03d}"
    domain = f"boutique{n:03d}.example"
    return {
        "CustomerNumber": f"C{10000 + n}", "Name": name, "CustomerGroup": "WHOLESALE", "Currency": "EUR",
        "Email": f"orders@{domain}", "Phone": f"+31 20 {rng.randrange(1000000, 9999999)}",
        "VatNumber": dutch_vat(rng) if country == "NL" else None, "Language": "NL" if country == "NL" else "EN",
        "Blocked": False,
        "BillingAddress": {"Name": name, "Street": "Hoofdstraat", "HouseNumber": str(n + 1), "PostalCode": postcode,
                           "City": town, "CountryCode": country},
        "Buyers": [{"FirstName": "Sam", "LastName": f"Buyer{n}", "Email": f"buyer@{domain}", "Role": "Buyer"}],
        "ModifiedAt": T0 + timedelta(minutes=n),
    }


def product(n: int, rng: random.Random) -> dict[str, Any]:
    colour = COLOURS[n % len(COLOURS)]
    code = f"M{n:04d}-{colour[:3].upper()}"
    category = CATEGORIES[n % len(CATEGORIES)]
    return {
        "ProductCode": code, "Description": f"{category[:-1] if category.endswith('s') else category} {n} {colour}",
        "Brand": "Tradewind Atelier", "Category": category, "Collection": "SS24", "Colour": colour,
        "Composition": COMPOSITIONS[n % len(COMPOSITIONS)], "VatRate": "21", "Active": True,
        "Variants": [{"Sku": f"{code}-{size}", "Ean13": ean13(rng), "Size": size, "Active": True}
                     for size in SIZES[: 3 + n % 3]],
        "ModifiedAt": T0 + timedelta(minutes=n, seconds=30),
    }


def catalogue(*, products: int = 8, customers: int = 4, seed: int = 1) -> dict[str, Any]:
    """A seed document: customers, products, a price per SKU on each list, stock in MAIN and OUTLET."""
    rng = random.Random(seed)
    items = [product(n, rng) for n in range(products)]
    prices, stock = [], []
    for item in items:
        base = rng.randrange(2000, 12000) / 100
        for variant in item["Variants"]:
            for code, group, currency, gross in PRICE_LISTS:
                amount = base * 2.42 if gross else base  # retail incl. 21% VAT at twice the wholesale price
                prices.append({"EntryId": f"{code}/{variant['Sku']}", "PriceList": code, "CustomerGroup": group,
                               "Currency": currency, "Sku": variant["Sku"], "UnitPrice": f"{amount:.2f}",
                               "IncludesVat": gross, "MinQuantity": "1", "ModifiedAt": item["ModifiedAt"]})
            for warehouse in ("MAIN", "OUTLET"):
                on_hand = rng.randrange(0, 60)
                reserved = min(on_hand, rng.randrange(0, 5))
                stock.append({"Sku": variant["Sku"], "Warehouse": warehouse, "OnHand": str(on_hand),
                              "Reserved": str(reserved), "Incoming": "0", "AvailableToSell": str(on_hand - reserved),
                              "ModifiedAt": item["ModifiedAt"]})
    return {"customers": [customer(n, rng) for n in range(customers)], "products": items, "prices": prices,
            "stock": stock, "orders": []}
