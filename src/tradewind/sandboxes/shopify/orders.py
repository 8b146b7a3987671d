"""Orders as Shopify's REST Order resource holds them, completed from a seed, and dumped back.

A seeded or generated order names only what matters to a test; Shopify's order always carries
ids, a number and name (``#1001``), timestamps, line details, shipping lines, transactions and
totals (https://shopify.dev/docs/api/admin-rest/latest/resources/order), so they are filled in.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from tradewind.sandboxes.shopify.common import Record, jsonable, tag_list, variant_title
from tradewind.sandboxes.shopify.store import Store

if TYPE_CHECKING:
    from tradewind.sandboxes.shopify.sandbox import ShopifySandbox


def dump_order(order: Record) -> Record:
    out = jsonable(order)
    out["tags"] = ", ".join(order["tags"])
    customer_id = out.pop("customer_id", None)
    out["customer"] = {"id": customer_id} if customer_id else None
    return out


def dump_customer(customer: Record) -> Record:
    out = jsonable(customer)
    out["tags"] = ", ".join(customer["tags"])
    out["default_address"] = next((a for a in out["addresses"] if a["default"]), None)
    return out


def complete_order(sandbox: ShopifySandbox, order: Record) -> Record:
    """Fill what a REST order always has: ids, number and name, timestamps, line details, totals."""
    store, now = sandbox.store, sandbox.now()
    order["id"] = store.next_id(order.get("id"))
    number = order.get("order_number") or 1000 + len(store.orders) + 1
    order["order_number"] = int(number)
    order.setdefault("name", f"#{number}")
    order.setdefault("created_at", now)
    order.setdefault("processed_at", order["created_at"])
    order.setdefault("updated_at", order["created_at"])
    for key, default in (
        ("cancelled_at", None),
        ("closed_at", None),
        ("fulfillment_status", None),
        ("note", None),
        ("phone", None),
        ("email", None),
        ("financial_status", "paid"),
        ("taxes_included", True),
        ("currency", store.shop.get("currency", "EUR")),
    ):
        order.setdefault(key, default)
    _complete_presentment(store, order)
    order["tags"] = tag_list(order.get("tags"))
    for key in ("billing_address", "shipping_address"):
        order[key] = sandbox.address(order[key]) if order.get(key) else None
    customer = order.pop("customer", None) or {}
    order["customer_id"] = order.get("customer_id") or customer.get("id")
    order.setdefault("discount_codes", [])
    order.setdefault("payment_gateway_names", [])
    order["note_attributes"] = [{"name": str(a["name"]), "value": a.get("value")}
                                for a in order.get("note_attributes") or []]
    order["company"] = _complete_company(store, order.get("company"))
    order["payment_terms"] = _complete_terms(store, order.get("payment_terms"))
    order["line_items"] = [_complete_line(sandbox, line) for line in order.get("line_items") or []]
    order["shipping_lines"] = [_complete_shipping(store, line) for line in order.get("shipping_lines") or []]
    order["transactions"] = [_complete_transaction(store, t, order) for t in order.get("transactions") or []]
    _complete_totals(order)
    return order


def _complete_presentment(store: Store, order: Record) -> None:
    """REST ``presentment_currency``, "the presentment currency that was used to display prices to the customer"
    (https://shopify.dev/docs/api/admin-rest/latest/resources/order), beside ``currency``, the shop's. An order
    in another currency than the shop's keeps its amounts as the customer was charged them, and ``shop_rate`` —
    sandbox bookkeeping, not a REST field — the shop's rate for that currency at checkout (the seed's
    ``shop.rates``, or given on the order), with which every MoneyBag shows the shop's side."""
    order.setdefault("presentment_currency", order["currency"])
    if order["presentment_currency"] == order["currency"]:
        return
    rate = order.get("shop_rate") or (store.shop.get("rates") or {}).get(order["presentment_currency"])
    if rate is None:
        raise ValueError(f"the shop has no rate for {order['presentment_currency']} (seed shop.rates)")
    order["shop_rate"] = str(rate)


def _complete_line(sandbox: ShopifySandbox, line: Record) -> Record:
    store = sandbox.store
    line = dict(line)
    variant = store.variants.get(int(line["variant_id"])) if line.get("variant_id") else None
    if variant is None and line.get("sku"):
        variant = store.variant_by_sku(line["sku"])
    product = store.products.get(variant["product_id"]) if variant else None
    line["id"] = store.next_id(line.get("id"))
    line.setdefault("variant_id", variant and variant["id"])
    line.setdefault("product_id", product and product["id"])
    line.setdefault("sku", variant and variant["sku"])
    line.setdefault("title", product["title"] if product else line.get("name", ""))
    title = variant_title(variant) if variant else None
    line.setdefault("variant_title", None if title == "Default Title" else title)
    line.setdefault(
        "name", f"{line['title']} - {line['variant_title']}" if line.get("variant_title") else line["title"]
    )
    line.setdefault("vendor", product and product["vendor"])
    line.setdefault("price", variant["price"] if variant else "0.00")
    line.setdefault("quantity", 1)
    line.setdefault("total_discount", "0.00")
    line.setdefault("taxable", True)
    line.setdefault("requires_shipping", True)
    line.setdefault("tax_lines", [])
    return line


def _complete_company(store: Store, company: Record | None) -> Record | None:
    """A B2B order's ``company`` (REST: ``{id, location_id}``), with what the GraphQL ``PurchasingCompany``
    shows of it inlined, since the sandbox keeps no Company resource: ``name``, ``location_name`` and the
    location's ``tax_registration_id`` (https://shopify.dev/docs/api/admin-graphql/2026-07/objects/
    CompanyLocationTaxSettings)."""
    if not company:
        return None
    company = dict(company)
    company["id"] = store.next_id(company.get("id"))
    company["location_id"] = store.next_id(company.get("location_id"))
    company.setdefault("name", f"Company {company['id']}")
    company.setdefault("location_name", company["name"])
    company.setdefault("tax_registration_id", None)
    company.setdefault("tax_exempt", False)
    return company


def _complete_terms(store: Store, terms: Record | None) -> Record | None:
    """REST ``payment_terms`` (https://shopify.dev/docs/api/admin-rest/latest/resources/order): a B2B order's
    ``{id, payment_terms_name, payment_terms_type, due_in_days}``, e.g. Net 30."""
    if not terms:
        return None
    terms = dict(terms)
    terms["id"] = store.next_id(terms.get("id"))
    terms.setdefault("payment_terms_type", "net")
    terms.setdefault("due_in_days", None)
    terms.setdefault("payment_terms_name", f"Net {terms['due_in_days']}" if terms["due_in_days"] else "Due on receipt")
    return terms


def _complete_shipping(store: Store, line: Record) -> Record:
    line = dict(line)
    line["id"] = store.next_id(line.get("id"))
    line.setdefault("title", "Standard")
    line.setdefault("code", line["title"])
    line.setdefault("source", "shopify")
    line.setdefault("price", "0.00")
    line.setdefault("discounted_price", line["price"])
    line.setdefault("tax_lines", [])
    return line


def _complete_transaction(store: Store, transaction: Record, order: Record) -> Record:
    transaction = dict(transaction)
    transaction["id"] = store.next_id(transaction.get("id"))
    transaction.setdefault("kind", "sale")
    transaction.setdefault("status", "success")
    transaction.setdefault("gateway", (order["payment_gateway_names"] or ["manual"])[0])
    transaction.setdefault("created_at", order["processed_at"])
    transaction.setdefault("test", False)
    return transaction


def _complete_totals(order: Record) -> None:
    lines, shipping = order["line_items"], order["shipping_lines"]
    gross = sum((Decimal(str(li["price"])) * int(li["quantity"]) for li in lines), Decimal(0))
    line_discounts = sum((Decimal(str(li["total_discount"])) for li in lines), Decimal(0))
    ship = sum((Decimal(str(s["discounted_price"])) for s in shipping), Decimal(0))
    tax = sum((Decimal(str(t["price"])) for li in [*lines, *shipping] for t in li["tax_lines"]), Decimal(0))
    order.setdefault("total_discounts", str(line_discounts))
    order.setdefault("subtotal_price", str(gross - line_discounts))
    order.setdefault("total_shipping_price", str(ship))
    order.setdefault("total_tax", str(tax))
    total = Decimal(str(order["subtotal_price"])) + ship + (Decimal(0) if order["taxes_included"] else tax)
    order.setdefault("total_price", str(total))
    order["tax_lines"] = order.get("tax_lines") or _sum_tax_lines([*lines, *shipping])


def _sum_tax_lines(lines: Iterable[Record]) -> list[Record]:
    totals: dict[tuple[str, str], Decimal] = {}
    for line in lines:
        for tax in line["tax_lines"]:
            key = (tax["title"], str(tax["rate"]))
            totals[key] = totals.get(key, Decimal(0)) + Decimal(str(tax["price"]))
    return [{"title": title, "rate": float(rate), "price": str(amount)} for (title, rate), amount in totals.items()]

