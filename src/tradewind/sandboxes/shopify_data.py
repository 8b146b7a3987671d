"""Realistic generated data for the Shopify sandbox: orders for the demo's trickle, a small catalogue.

Orders are REST-shaped (as in Shopify's ``orders/create`` webhook and ``orders.json``): EUR, prices
including VAT (``taxes_included``), Dutch VAT tax lines (21 % standard, 9 % reduced) on every line and
on shipping, an optional percentage discount code, one shipping line, NL/BE/DE addresses; 80 % paid,
the rest pending. :meth:`ShopifySandbox.add_order` fills ids, names and totals.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

CENT = Decimal("0.01")
STANDARD_VAT = Decimal("0.21")
REDUCED_VAT = Decimal("0.09")
FREE_SHIPPING_FROM = Decimal("50.00")
SHIPPING = Decimal("4.95")

_PLACES = [
    ("NL", "Amsterdam", "1012 JS", "Damrak", None),
    ("NL", "Utrecht", "3511 LX", "Oudegracht", None),
    ("NL", "Rotterdam", "3011 AD", "Coolsingel", None),
    ("BE", "Antwerpen", "2000", "Meir", "VAN"),
    ("BE", "Gent", "9000", "Veldstraat", "VOV"),
    ("DE", "Köln", "50667", "Hohe Straße", "NW"),
    ("DE", "Berlin", "10117", "Friedrichstraße", "BE"),
]
_FIRST = ["Anna", "Bram", "Chloé", "Daan", "Emma", "Finn", "Lotte", "Lukas", "Noor", "Sven"]
_LAST = ["de Vries", "Jansen", "Peeters", "Müller", "Bakker", "Maes", "Visser", "Schmidt"]
_GATEWAYS = ["ideal", "bancontact", "shopify_payments", "paypal"]


class _HasStore(Protocol):
    @property
    def store(self) -> Any: ...


Catalogue = _HasStore | Mapping[str, Any] | Iterable[str]


def random_order(
    catalogue: Catalogue, *, rng: random.Random, customers: Sequence[Mapping[str, Any]] = ()
) -> dict[str, Any]:
    """One order over ``catalogue`` (a sandbox, ``{sku: price}`` or SKUs) for a known or guest customer."""
    prices = _prices(catalogue, rng)
    if not prices:
        raise ValueError("random_order needs at least one SKU")
    customer = dict(rng.choice(customers)) if customers and rng.random() < 0.7 else _guest(rng)
    address = _address(customer, rng)
    discount = Decimal("0.10") if rng.random() < 0.3 else Decimal(0)
    lines = [
        _line(sku, prices[sku], rng, discount)
        for sku in rng.sample(sorted(prices), k=min(len(prices), rng.randint(1, 4)))
    ]
    net = sum((Decimal(li["price"]) * li["quantity"] - Decimal(li["total_discount"]) for li in lines), Decimal(0))
    paid = rng.random() < 0.8
    gateway = rng.choice(_GATEWAYS)
    order: dict[str, Any] = {
        "email": customer.get("email"),
        "financial_status": "paid" if paid else "pending",
        "currency": "EUR",
        "taxes_included": True,
        "customer": {"id": customer["id"]} if customer.get("id") else None,
        "billing_address": address,
        "shipping_address": address,
        "line_items": lines,
        "shipping_lines": [_shipping(net)],
        "discount_codes": _discount_codes(lines, discount),
        "payment_gateway_names": [gateway],
    }
    total = net + Decimal(order["shipping_lines"][0]["price"])
    status = "success" if paid else "pending"
    order["transactions"] = [{"kind": "sale", "status": status, "gateway": gateway, "amount": str(total)}]
    return order


def _prices(catalogue: Catalogue, rng: random.Random) -> dict[str, Decimal]:
    store = getattr(catalogue, "store", None)
    if store is not None:
        return {v["sku"]: Decimal(str(v["price"])) for v in store.variants.values()
                if v.get("sku") and v.get("price") is not None}
    if isinstance(catalogue, Mapping):
        return {str(sku): Decimal(str(price)) for sku, price in catalogue.items()}
    return {str(sku): Decimal(rng.randrange(495, 12995, 100)) / 100 for sku in catalogue}  # type: ignore[union-attr]


def vat_rate(sku: str) -> Decimal:
    """A stable rate per SKU: roughly one SKU in five is reduced-rate (books, food)."""
    return REDUCED_VAT if sum(map(ord, sku)) % 5 == 0 else STANDARD_VAT


def _tax(gross: Decimal, rate: Decimal) -> dict[str, Any]:
    amount = (gross * rate / (1 + rate)).quantize(CENT, ROUND_HALF_UP)
    return {"title": f"BTW {int(rate * 100)}%", "rate": float(rate), "price": str(amount)}


def _line(sku: str, price: Decimal, rng: random.Random, discount: Decimal) -> dict[str, Any]:
    quantity = rng.choices([1, 2, 3], weights=[6, 3, 1])[0]
    line_discount = (price * quantity * discount).quantize(CENT, ROUND_HALF_UP)
    gross = price * quantity - line_discount
    return {
        "sku": sku,
        "quantity": quantity,
        "price": str(price.quantize(CENT)),
        "total_discount": str(line_discount),
        "tax_lines": [_tax(gross, vat_rate(sku))],
    }


def _shipping(net: Decimal) -> dict[str, Any]:
    price = Decimal(0) if net >= FREE_SHIPPING_FROM else SHIPPING
    tax_lines = [_tax(price, STANDARD_VAT)] if price else []
    return {
        "title": "Standard",
        "code": "STANDARD",
        "price": str(price),
        "discounted_price": str(price),
        "tax_lines": tax_lines,
    }


def _discount_codes(lines: list[dict[str, Any]], discount: Decimal) -> list[dict[str, Any]]:
    if not discount:
        return []
    amount = sum((Decimal(li["total_discount"]) for li in lines), Decimal(0))
    return [{"code": "WELCOME10", "amount": str(amount), "type": "percentage"}]


def _guest(rng: random.Random) -> dict[str, Any]:
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    handle = f"{first}.{last}".lower().replace(" ", "").replace("é", "e").replace("ü", "u")
    return {"first_name": first, "last_name": last, "email": f"{handle}{rng.randint(1, 999)}@example.com"}


def _address(customer: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    country, city, zip_code, street, province = rng.choice(_PLACES)
    return {
        "first_name": customer.get("first_name"),
        "last_name": customer.get("last_name"),
        "address1": f"{street} {rng.randint(1, 250)}",
        "city": city,
        "zip": zip_code,
        "province_code": province,
        "country_code": country,
    }


def demo_seed() -> dict[str, Any]:
    """A small catalogue (simple and variant products), two locations and three customers."""
    products = [
        {
            "title": "Canvas Tote Bag",
            "vendor": "Tradewind Goods",
            "product_type": "Bags",
            "variants": [{"sku": "TOTE-NAT", "price": "19.95", "barcode": "8712345000011", "inventory_quantity": 40}],
        },
        {
            "title": "Merino Beanie",
            "vendor": "Tradewind Goods",
            "product_type": "Hats",
            "options": [{"name": "Color", "values": ["Grey", "Navy"]}],
            "variants": [
                {"sku": "BEANIE-GRY", "option1": "Grey", "price": "29.00", "inventory_quantity": 12},
                {"sku": "BEANIE-NVY", "option1": "Navy", "price": "29.00", "inventory_quantity": 8},
            ],
        },
        {
            "title": "Organic T-Shirt",
            "vendor": "Tradewind Goods",
            "product_type": "Shirts",
            "options": [{"name": "Size", "values": ["S", "M", "L"]}],
            "variants": [
                {"sku": f"TEE-{size}", "option1": size, "price": "24.50", "inventory_quantity": 20}
                for size in ("S", "M", "L")
            ],
        },
        {
            "title": "Field Notes Booklet",
            "vendor": "Paper & Co",
            "product_type": "Books",
            "variants": [{"sku": "BOOK-FN", "price": "12.00", "inventory_quantity": 100}],
        },
    ]
    customers = [
        {
            "email": "anna.devries@example.com",
            "first_name": "Anna",
            "last_name": "de Vries",
            "addresses": [{"address1": "Damrak 1", "city": "Amsterdam", "zip": "1012 JS", "country_code": "NL"}],
        },
        {
            "email": "lukas.peeters@example.com",
            "first_name": "Lukas",
            "last_name": "Peeters",
            "addresses": [{"address1": "Meir 10", "city": "Antwerpen", "zip": "2000", "country_code": "BE"}],
        },
        {
            "email": "emma.schmidt@example.com",
            "first_name": "Emma",
            "last_name": "Schmidt",
            "addresses": [{"address1": "Hohe Straße 5", "city": "Köln", "zip": "50667", "country_code": "DE"}],
        },
    ]
    return {
        "shop": {"name": "Tradewind Demo", "currency": "EUR"},
        "locations": [{"name": "Warehouse Utrecht"}, {"name": "Store Amsterdam"}],
        "products": products,
        "customers": customers,
    }
