"""IP-Soft end to end through the engine, over real HTTP: customers and products from the IP-Soft
sandbox into a B2B portal, and the portal's orders into IP-Soft — booked once, even when the
answer to CreateOrder is lost, and blocked with the reason when the customer has no valid IP-Soft
customer reference.

The portal is an in-memory system (the Le New Black side of the brief), so what is tested is
the IP-Soft connector and the engine; the flows are built as the project file would build them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import pytest
from pydantic import Field

from tradewind.connectors.base import (
    ConnectionOptions,
    Connector,
    Found,
    NativeRecord,
    Page,
    Refs,
    Resource,
    UpdatedSince,
)
from tradewind.connectors.ip_soft import IPSoft, IPSoftOptions
from tradewind.connectors.pacing import forget_budgets
from tradewind.engine.flow import Connection, Flow, RetrySpec
from tradewind.engine.runner import Runner
from tradewind.model import Customer, Entity, Money, Order, OrderLine, Product
from tradewind.sandboxes._kit import Fault
from tradewind.sandboxes._serve import Served
from tradewind.sandboxes.ip_soft import SERVICE_PATH, create_app
from tradewind.sandboxes.ip_soft_data import catalogue
from tradewind.store.db import Store
from tradewind.store.runs import list_transfers

E = TypeVar("E", bound=Entity)
ENVIRON = {"E2E_IPSOFT_KEY": "demo-key"}
DOC = catalogue(products=5, customers=4, seed=9)


@dataclass
class Portal:
    """The portal's records per table, by id; ``calls`` counts writes."""

    tables: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: {"products": {}, "customers": {},
                                                                                  "orders": {}})
    calls: Counter[str] = field(default_factory=Counter)
    next_id: int = 1

    def add(self, table: str, data: dict[str, Any]) -> str:
        record_id = f"{table[0]}{self.next_id}"
        self.next_id += 1
        self.tables[table][record_id] = {**data, "_modified": datetime.now(UTC).isoformat()}
        return record_id


class PortalResource(Resource[E]):
    """Canonical entities stored as their JSON; found by the natural keys' values."""

    def __init__(self, entity: type[E], table: str, natural_keys: Sequence[str]) -> None:
        super().__init__(entity, native_key="id", natural_keys=natural_keys, cursor=UpdatedSince("_modified"),
                         can=["read", "create", "update"], decode=self._decode, encode=self._encode)
        self.table = table

    def _decode(self, native: dict[str, Any]) -> E:
        return self.entity.model_validate({k: v for k, v in native.items() if not k.startswith("_")})

    @staticmethod
    def _encode(entity: E, refs: Refs) -> dict[str, Any]:
        return entity.model_dump(mode="json", exclude={"source_id"} if "source_id" in type(entity).model_fields
                                 else None)

    def pages(self, client: Portal, since: str | None) -> Iterator[Page]:
        rows = sorted(((i, r) for i, r in client.tables[self.table].items() if not since or r["_modified"] >= since),
                      key=lambda item: item[1]["_modified"])
        if rows:
            yield Page(records=[NativeRecord(id=i, data=dict(r)) for i, r in rows], cursor=rows[-1][1]["_modified"])

    def find(self, client: Portal, keys: Mapping[str, str]) -> Found:
        for record_id, row in client.tables[self.table].items():
            if all(str(row.get(k)) == v for k, v in keys.items()):
                return NativeRecord(id=record_id, data=dict(row))
        return None

    def create(self, client: Portal, native: dict[str, Any]) -> NativeRecord:
        client.calls[f"create {self.table}"] += 1
        record_id = client.add(self.table, native)
        return NativeRecord(id=record_id, data=client.tables[self.table][record_id])

    def update(self, client: Portal, native_id: str, native: dict[str, Any]) -> NativeRecord:
        client.calls[f"update {self.table}"] += 1
        client.tables[self.table][native_id].update(native, _modified=datetime.now(UTC).isoformat())
        return NativeRecord(id=native_id, data=client.tables[self.table][native_id])


class PortalOptions(ConnectionOptions):
    name: str = Field("portal", description="Which portal")


class PortalConnector(Connector):
    name = "portal"
    label = "B2B portal (in memory)"
    Options = PortalOptions
    products = PortalResource(Product, "products", ["key"])
    customers = PortalResource(Customer, "customers", ["reference"])
    orders = PortalResource(Order, "orders", ["number"])

    def __init__(self, options: ConnectionOptions, portal: Portal, **kwargs: Any) -> None:
        super().__init__(options, **kwargs)
        self.portal = portal

    def account_key(self) -> str:
        return "portal"

    @property
    def client(self) -> Portal:
        return self.portal


@dataclass
class World:
    ipsoft: Served
    portal: Portal
    runner: Runner
    erp: Connection
    shop: Connection

    def flow(self, name: str, source: str, target: str, **extra: Any) -> Flow:
        ends = {"erp": self.erp, "portal": self.shop}
        (src, src_res), (dst, dst_res) = (s.split(".") for s in (source, target))
        return Flow(name=name, source=ends[src], source_resource=src_res, target=ends[dst], target_resource=dst_res,
                    retry=RetrySpec(max_attempts=3, backoff=timedelta(0)), **extra)

    def orders_flow(self) -> Flow:
        return self.flow("orders", "portal.orders", "erp.orders", write="create", match={"customer": "reference"},
                         create_missing=frozenset())


@pytest.fixture
def world(store: Store) -> Iterator[World]:
    forget_budgets()
    portal = Portal()
    with Served(create_app(seed=DOC)) as ipsoft:
        erp = Connection(name="erp", connector=IPSoft, options=IPSoftOptions(
            endpoint=f"{ipsoft.url}{SERVICE_PATH}", api_key="${E2E_IPSOFT_KEY}", page_size=3))
        shop = Connection(name="portal", connector=PortalConnector, options=PortalOptions())

        def open_(connection: Connection) -> Connector:
            if connection.name == "erp":
                return connection.open(environ=ENVIRON)
            return PortalConnector(connection.options, portal)

        yield World(ipsoft=ipsoft, portal=portal, runner=Runner(store, opener=open_), erp=erp, shop=shop)


def portal_order(number: str, reference: str | None, sku: str) -> dict[str, Any]:
    order = Order(number=number, created_at=datetime(2024, 6, 1, 9, tzinfo=UTC), currency="EUR",
                  customer=Customer(name=f"Buyer of {number}", reference=reference),
                  lines=[OrderLine(sku=sku, quantity=Decimal(4), unit_price=Money.of("30.00", "EUR"))],
                  total=Money.of("120.00", "EUR"))
    return PortalResource._encode(order, lambda *a, **k: "")


def test_customers_and_products_come_from_ip_soft_and_a_second_run_writes_nothing(world: World) -> None:
    for name, count in (("customers", len(DOC["customers"])), ("products", len(DOC["products"]))):
        flow = world.flow(name, f"erp.{name}", f"portal.{name}")
        first = world.runner.run(flow)
        assert (count, count) == (first.counts["received"], first.counts.get("created", 0)), first
        again = world.runner.run(flow)
        assert 0 == again.counts.get("created", 0) + again.counts.get("updated", 0), again
    customer = next(iter(world.portal.tables["customers"].values()))
    assert customer["reference"].startswith("C1") and customer["contacts"] and customer["billing_address"]
    product = next(iter(world.portal.tables["products"].values()))
    assert {"category", "colour", "composition"} <= set(product["attributes"])
    assert all(v["ean"] for v in product["variants"])

    code = DOC["products"][1]["ProductCode"]
    world.ipsoft.sandbox.touch("products", code, Description="Renamed in IP-Soft")
    later = world.runner.run(world.flow("products", "erp.products", "portal.products"))
    assert (1, 1) == (later.counts.get("updated", 0), world.portal.calls["update products"]), later


def test_portal_orders_are_booked_in_ip_soft_once_and_a_customer_without_a_valid_reference_blocks(
        world: World, store: Store) -> None:
    good = DOC["customers"][0]["CustomerNumber"]
    sku = DOC["products"][0]["Variants"][0]["Sku"]
    for number, reference in (("LNB-1", good), ("LNB-2", None), ("LNB-3", "C-999"), ("LNB-4", good)):
        world.portal.add("orders", portal_order(number, reference, sku))
    # the first CreateOrder is stored and its answer lost
    world.ipsoft.sandbox.kit.inject(Fault(status=503, after=True, path_contains="CreateOrder"))
    result = world.runner.run(world.orders_flow())
    booked = Counter(o["ExternalReference"] for o in world.ipsoft.sandbox.orders)
    assert {"LNB-1": 1, "LNB-4": 1} == booked, result
    assert {good} == {o["CustomerNumber"] for o in world.ipsoft.sandbox.orders}
    assert (2, 2) == (result.counts.get("created", 0), result.counts.get("failed", 0)), result
    with store.begin() as conn:
        reasons = {t.natural_key: t.reason or "" for t in list_transfers(conn, result.run_id)}
    assert "has no customer reference" in reasons["number=LNB-2"]
    assert "customer reference 'C-999' is not a valid IP-Soft customer" in reasons["number=LNB-3"]
    assert "outcome unknown, found in erp" in reasons["number=LNB-1"]

    again = world.runner.run(world.orders_flow())
    assert 0 == again.counts.get("created", 0), again
    assert {"LNB-1": 1, "LNB-4": 1} == Counter(o["ExternalReference"] for o in world.ipsoft.sandbox.orders)
