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
