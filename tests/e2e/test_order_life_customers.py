"""Exact contacts → Shopify customers, one per contact, matched by e-mail; an address two contacts share
is reported on both transfers, naming both, and never merged (docs/order-life.md, "Customers")."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.e2e.order_life import order_life_world
from tradewind.store.db import Store
from tradewind.store.runs import list_transfers

CUSTOMERS = """\
  shop_customers:
    from: erp.contacts
    to: shop.customers
    filter: "customer.email"
"""


def _id(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"order-life:{name}"))


ACCOUNTS = [{"ID": _id("jansen"), "Code": "9001", "Name": "Jansen Tuinen BV", "AddressLine1": "Dorpsstraat 1",
             "Postcode": "1234 AB", "City": "Utrecht", "Country": "NL", "Email": "info@jansen-tuinen.example"},
            {"ID": _id("devries"), "Code": "9002", "Name": "De Vries Hoveniers", "City": "Delft", "Country": "NL"}]
CONTACTS = [{"ID": _id("piet"), "Account": _id("jansen"), "FirstName": "Piet", "LastName": "Jansen",
             "Email": "piet@jansen-tuinen.example"},
            {"ID": _id("marie"), "Account": _id("jansen"), "FirstName": "Marie", "LastName": "Jansen",
             "Email": "tuin@example.com"},
            {"ID": _id("kees"), "Account": _id("devries"), "FirstName": "Kees", "LastName": "de Vries",
             "Email": "tuin@example.com"}]


def test_one_customer_per_contact_and_a_shared_email_is_reported_naming_both(
        tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    world = order_life_world(tmp_path, store, monkeypatch, flows=CUSTOMERS,
                             extra={"accounts": ACCOUNTS, "contacts": CONTACTS})
    try:
        result = world.run("shop_customers")
        with store.begin() as conn:
            transfers = {t.source_id: t for t in list_transfers(conn, result.run_id)}
        shop = {c["email"]: c for c in world.shop.sandbox.store.customers.values()}
        piet = shop["piet@jansen-tuinen.example"]
        assert ("Piet", "Jansen", "Jansen Tuinen BV", "Utrecht") == (
            piet["first_name"], piet["last_name"], piet["addresses"][0]["company"], piet["addresses"][0]["city"])
        assert "tuin@example.com" not in shop  # never merged into one login
        for name in ("marie", "kees"):
            t = transfers[_id(name)]
            assert ("failed", "email") == (t.outcome, t.field), t
            assert ("e-mail tuin@example.com is shared by contacts Marie Jansen (Jansen Tuinen BV) and Kees de "
                    "Vries (De Vries Hoveniers)" if name == "marie" else
                    "e-mail tuin@example.com is shared by contacts Kees de Vries (De Vries Hoveniers) and Marie "
                    "Jansen (Jansen Tuinen BV)") in (t.reason or "")
        again = world.run("shop_customers")  # nothing changed: nothing written, the two still reported
        assert 0 == again.counts.get("created", 0) + again.counts.get("updated", 0), again
    finally:
        world.exact.stop()
        world.shop.stop()


def test_an_order_by_a_shop_customer_from_an_erp_contact_is_booked_on_an_account(
        tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """The customers flow binds Piet's Exact *contact* to his shop customer under his e-mail address; the
    orders flow resolves an order's customer in Exact by that same address and must find an *account*
    (SalesOrder.OrderedBy), never the contact's id (``Invalid reference: Ordered by``)."""
    world = order_life_world(tmp_path, store, monkeypatch, flows=CUSTOMERS,
                             extra={"accounts": ACCOUNTS[:1], "contacts": CONTACTS[:1]})
    try:
        world.run("shop_customers")
        piet = next(c for c in world.shop.sandbox.store.customers.values()
                    if c["email"] == "piet@jansen-tuinen.example")
        address = {"first_name": "Piet", "last_name": "Jansen", "company": "Jansen Tuinen BV",
                   "address1": "Dorpsstraat 1", "zip": "1234 AB", "city": "Utrecht", "country_code": "NL"}
        world.shop.sandbox.add_order({
            "email": piet["email"], "customer": {"id": piet["id"]}, "financial_status": "paid", "currency": "EUR",
            "taxes_included": True, "billing_address": address, "shipping_address": address,
            "line_items": [{"sku": "BAG-01", "title": "Canvas bag", "quantity": 1, "price": "24.50",
                            "tax_lines": [{"title": "BTW 21%", "rate": 0.21, "price": "4.25"}]}]})
        booked = world.run("orders")
        with store.begin() as conn:
            failed = [t for t in list_transfers(conn, booked.run_id) if t.outcome == "failed"]
        assert [] == failed and 1 == booked.counts.get("created", 0), (booked, failed)
        (order,) = world.exact_orders()
        accounts = world.exact.sandbox.tables["Accounts"]
        assert order["OrderedBy"] in accounts, order["OrderedBy"]
        assert order["OrderedBy"] != _id("piet")
        assert "piet@jansen-tuinen.example" == accounts[order["OrderedBy"]]["Email"]
    finally:
        world.exact.stop()
        world.shop.stop()
