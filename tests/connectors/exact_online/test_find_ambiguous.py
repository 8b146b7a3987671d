"""A natural key that matches several Exact Online records is :class:`Ambiguous`, naming them; the
one record is found as before. Exact holds such divisions: two accounts with one e-mail address,
two sales orders with one YourRef (a webshop order booked twice), one barcode on two items, a
model code that is also another item's code. Against the sandbox on loopback.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tradewind.connectors.base import Ambiguous, NativeRecord
from tradewind.connectors.exact_online import ExactOnline, ExactOnlineOptions
from tradewind.connectors.pacing import forget_budgets
from tradewind.connectors.testing import FAST_RETRY
from tradewind.sandboxes._serve import Served
from tradewind.sandboxes.exact_online import create_app

ENVIRON = {"EXACT_SECRET": "demo-secret", "EXACT_REFRESH": "demo-refresh"}


def uid(n: int) -> str:
    return str(uuid.UUID(int=n))


def item(n: int, code: str, *, model: str | None = None, barcode: str | None = None) -> dict[str, Any]:
    return {"ID": uid(n), "Code": code, "Description": code, "Barcode": barcode, "FreeTextField_01": model,
            "IsSalesItem": True, "SalesVatCode": "2", "StandardSalesPrice": 10.0}


def account(n: int, email: str) -> dict[str, Any]:
    return {"ID": uid(n), "Code": str(n), "Name": f"Account {n}", "Email": email, "IsSales": True, "Status": "C"}


def order(n: int, ref: str) -> dict[str, Any]:
    return {"OrderID": uid(n), "OrderedBy": uid(200), "YourRef": ref, "Currency": "EUR",
            "SalesOrderLines": [{"Item": uid(1), "Quantity": 1, "UnitPrice": 10.0}]}


SEED = {
    "items": [
        item(1, "M1-S", model="MODEL-1"), item(2, "M1-M", model="MODEL-1"),
        item(3, "MODEL-1"),  # a standalone item whose code is the model code of items 1 and 2
        item(4, "BAG-RED", barcode="8712345000004"), item(5, "BAG-BLUE", barcode="8712345000004"),
        item(6, "CAP", barcode="8712345000011"),
    ],
    "accounts": [account(200, "shared@example.com"), account(201, "shared@example.com"),
                 account(202, "alone@example.com")],
    "sales_orders": [order(300, "#900"), order(301, "#900"), order(302, "#901")],
}


@pytest.fixture
def served() -> Iterator[Served]:
    forget_budgets()
    with Served(create_app(seed=SEED, minutely_limit=None, daily_limit=None)) as served:
        yield served


def connect(url: str) -> ExactOnline:
    options = ExactOnlineOptions(base_url=url, division=123456, client_id="demo-client",
                                 client_secret="${EXACT_SECRET}", refresh_token="${EXACT_REFRESH}",
                                 calls_per_minute=10_000, calls_per_day=1_000_000)
    return ExactOnline(options, environ=ENVIRON, retry=FAST_RETRY)


@pytest.fixture
def erp(served: Served) -> Iterator[ExactOnline]:
    connection = connect(served.url)
    yield connection
    connection.close()


def routes(served: Served) -> dict[str, int]:
    return dict(httpx.get(f"{served.url}/_sandbox/calls").json()["by_route"])


def test_two_accounts_with_one_email_are_ambiguous(erp: ExactOnline, served: Served) -> None:
    customers = erp.resource("customers")
    shared = customers.find(erp.client, {"email": "shared@example.com"})
    assert Ambiguous((uid(200), uid(201))) == shared
    assert not any("Contacts" in route for route in routes(served))  # told apart before contacts are read
    alone = customers.find(erp.client, {"email": "alone@example.com"})
    assert isinstance(alone, NativeRecord) and uid(202) == alone.id
    assert customers.find(erp.client, {"email": "nobody@example.com"}) is None


def test_two_sales_orders_with_one_your_ref_are_ambiguous(erp: ExactOnline) -> None:
    orders = erp.resource("orders")
    assert Ambiguous((uid(300), uid(301))) == orders.find(erp.client, {"number": "#900"})
    found = orders.find_many(erp.client, [{"number": "#901"}, {"number": "#902"}])
    assert isinstance(found[0], NativeRecord) and uid(302) == found[0].id
    assert found[1] is None


def test_items_by_code_barcode_and_model_code(erp: ExactOnline) -> None:
    products = erp.resource("products")
    found = products.find_many(erp.client, [
        {"sku": "M1-S"}, {"ean": "8712345000004"}, {"ean": "8712345000011"}, {"key": "MODEL-1"}, {"sku": "NONE"}])
    by_sku, shared_ean, one_ean, model, missing = found
    assert isinstance(by_sku, NativeRecord) and uid(1) == by_sku.id
    assert Ambiguous((uid(4), uid(5))) == shared_ean
    assert isinstance(one_ean, NativeRecord) and uid(6) == one_ean.id
    assert Ambiguous(tuple(sorted(("MODEL-1", uid(3))))) == model
    assert missing is None
    assert [by_sku] == [products.find(erp.client, {"sku": "M1-S"})]


def test_a_model_code_alone_finds_its_group() -> None:
    forget_budgets()
    seed = {"items": [item(1, "M1-S", model="MODEL-1"), item(2, "M1-M", model="MODEL-1")]}
    with Served(create_app(seed=seed, minutely_limit=None, daily_limit=None)) as alone:
        connection = connect(alone.url)
        found = connection.resource("products").find(connection.client, {"key": "MODEL-1"})
        connection.close()
    assert isinstance(found, NativeRecord) and "MODEL-1" == found.id and 2 == len(found.data["Items"])
