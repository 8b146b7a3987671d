"""Reading by id (``get``): a webhook's or a replay's records, read again from Exact Online.

Sales orders by ``OrderID`` and accounts by ``ID``, ``or``-filtered in as many Guids as one URL
holds: one call per batch, answers in the order asked, None for an id Exact does not hold."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tradewind.connectors.base import NativeRecord
from tradewind.connectors.exact_online import ExactOnline
from tradewind.connectors.exact_online.client import chunks_by_length, guid
from tradewind.connectors.pacing import forget_budgets
from tradewind.connectors.testing import FAST_RETRY
from tradewind.model import OrderStage
from tradewind.sandboxes._serve import Served
from tradewind.sandboxes.exact_online import create_app

from .test_exact_online import ACCOUNT, DOC, ENVIRON, options

ORDERS = [{"OrderID": str(uuid.UUID(int=1000 + n)), "OrderedBy": ACCOUNT["ID"], "YourRef": f"#7{n:03d}",
           "Currency": "EUR", "Modified": "2024-03-01T10:00:00.000Z",
           "SalesOrderLines": [{"Item": DOC["items"][n % 5]["ID"], "Quantity": 1, "UnitPrice": 10.0}]}
          for n in range(70)]


@pytest.fixture
def served() -> Iterator[Served]:
    forget_budgets()
    with Served(create_app(seed={**DOC, "sales_orders": ORDERS}, minutely_limit=10_000,
                           daily_limit=1_000_000)) as served:
        yield served


@pytest.fixture
def connection(served: Served) -> Iterator[ExactOnline]:
    instance = ExactOnline(options(served.url), environ=ENVIRON, retry=FAST_RETRY)
    yield instance
    instance.close()


def test_orders_are_read_by_id_in_one_call_per_batch(connection: ExactOnline, served: Served) -> None:
    orders = connection.resource("orders")
    gone = str(uuid.UUID(int=999_999))
    ids = [o["OrderID"] for o in reversed(ORDERS)] + [gone, "not-a-guid"]
    served.sandbox.set_order_status(ORDERS[5]["OrderID"], status=21)  # changed since it was announced
    orders.find(connection.client, {"number": "#7000"})  # the token is fetched before counting
    before = served.calls()
    found = orders.get(connection.client, ids)
    batches = len(list(chunks_by_length([i for i in ids if i != "not-a-guid"],
                                        lambda i: f"OrderID eq {guid(i)}")))
    assert batches > 1 and batches == served.calls() - before
    assert [o["OrderID"] for o in reversed(ORDERS)] == [r.id for r in found[:-2] if r is not None]
    assert [None, None] == found[-2:]
    current = found[len(ORDERS) - 1 - 5]
    assert isinstance(current, NativeRecord) and OrderStage.DELIVERED == orders.decode(current.data).stage
    assert current.version is not None and current.version.endswith("+00:00")  # compares as a time


def test_customers_are_read_by_id_with_their_contacts(connection: ExactOnline) -> None:
    customers = connection.resource("customers")
    ids: list[Any] = [a["ID"] for a in DOC["accounts"]][::-1]
    found = customers.get(connection.client, [*ids, str(uuid.UUID(int=424242))])
    assert [*ids, None] == [r.id if r else None for r in found]
    assert all("Contacts" in r.data for r in found if r)


def test_products_are_read_again_by_key_not_by_id(connection: ExactOnline) -> None:
    from tradewind.errors import ConfigError

    with pytest.raises(ConfigError):
        connection.resource("products").get(connection.client, ["TSH"])
