"""An in-memory system for engine tests: two connectors over plain dicts, counting every call.

The engine is what these tests exercise, so the systems are as simple as a system can be while
still paging by modification time, finding by natural key and refusing bad writes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import Field

from tradewind.connectors.base import (
    ConnectionOptions,
    Connector,
    NativeRecord,
    Page,
    Refs,
    Resource,
    UpdatedSince,
)
from tradewind.engine.flow import Connection, Flow, RetrySpec
from tradewind.errors import RejectedByTarget, TransientError
from tradewind.mapping import CompiledFilter, CompiledMapping
from tradewind.model import Product

T0 = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)


@dataclass
class System:
    """Records by id; ``modified`` is what the source's cursor reads."""

    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)
    refuse_skus: set[str] = field(default_factory=set)
    outages: int = 0
    page_size: int = 3
    next_id: int = 1

    def add(self, data: dict[str, Any], *, modified: datetime = T0) -> str:
        record_id = str(self.next_id)
        self.next_id += 1
        self.records[record_id] = {**data, "id": record_id, "modified": modified.isoformat()}
        return record_id

    def touch(self, record_id: str, modified: datetime, **changes: Any) -> None:
        self.records[record_id].update(changes, modified=modified.isoformat())

    def by_key(self, key: str) -> dict[str, Any] | None:
        return next((r for r in self.records.values() if r.get("key") == key), None)


def decode(native: dict[str, Any]) -> Product:
    return Product(key=native["key"], title=native["title"], variants=[{"sku": native.get("sku"), "price": {
        "amount": native.get("price", "1.00"), "currency": "EUR"}}])


def encode(product: Product, refs: Refs) -> dict[str, Any]:
    variant = product.variants[0]
    return {"key": product.key, "title": product.title, "sku": variant.sku,
            "price": str(variant.price.amount) if variant.price else None}


class MemoryProducts(Resource[Product]):
    def __init__(self) -> None:
        super().__init__(Product, native_key="id", natural_keys=["key"], cursor=UpdatedSince("modified"),
                         can=["read", "create", "update"], decode=decode, encode=encode)

    def pages(self, client: System, since: str | None) -> Iterator[Page]:
        client.calls["read"] += 1
        rows = sorted((r for r in client.records.values() if since is None or r["modified"] >= since),
                      key=lambda r: (r["modified"], r["id"]))
        for start in range(0, len(rows), client.page_size):
            chunk = rows[start:start + client.page_size]
            yield Page(records=[NativeRecord(id=r["id"], data=dict(r), version=r["modified"]) for r in chunk],
                       cursor=chunk[-1]["modified"], total=len(rows))

    def find(self, client: System, keys: Mapping[str, str]) -> NativeRecord | None:
        client.calls["find"] += 1
        row = client.by_key(keys.get("key", ""))
        return NativeRecord(id=row["id"], data=dict(row)) if row else None

    def find_many(self, client: System, keys: Sequence[Mapping[str, str]]) -> list[NativeRecord | None]:
        client.calls["find_many"] += 1
        rows = [client.by_key(k.get("key", "")) for k in keys]
        return [NativeRecord(id=r["id"], data=dict(r)) if r else None for r in rows]

    def get(self, client: System, ids: Sequence[str]) -> list[NativeRecord | None]:
        client.calls["get"] += 1
        rows = [client.records.get(i) for i in ids]
        return [NativeRecord(id=r["id"], data=dict(r), version=r["modified"]) if r else None for r in rows]

    def holds(self, found: NativeRecord, native: dict[str, Any]) -> bool:
        return all(found.data.get(k) == v for k, v in native.items())

    def _check(self, client: System, native: dict[str, Any]) -> None:
        if client.outages:
            client.outages -= 1
            raise TransientError("memory system is down", status=503)
        if native.get("sku") in client.refuse_skus:
            raise RejectedByTarget(f"SKU {native['sku']} is blocked by the target", field="sku")

    def create(self, client: System, native: dict[str, Any]) -> NativeRecord:
        client.calls["create"] += 1
        self._check(client, native)
        record_id = client.add(native, modified=datetime.now(UTC))
        return NativeRecord(id=record_id, data=client.records[record_id])

    def update(self, client: System, native_id: str, native: dict[str, Any]) -> NativeRecord:
        client.calls["update"] += 1
        self._check(client, native)
        client.records[native_id].update(native)
        return NativeRecord(id=native_id, data=client.records[native_id])


class MemoryOptions(ConnectionOptions):
    name: str = Field(default="memory", description="Which in-memory system")


class MemoryConnector(Connector):
    name = "memory"
    label = "In-memory system (tests)"
    Options = MemoryOptions
    products = MemoryProducts()

    def __init__(self, options: ConnectionOptions, system: System, **kwargs: Any) -> None:
        super().__init__(options, **kwargs)
        self.system = system

    def account_key(self) -> str:
        return f"memory:{id(self.system)}"

    @property
    def client(self) -> System:
        return self.system


def flow(name: str = "products", *, filter: CompiledFilter | None = None, mapping: CompiledMapping | None = None,
         write: str = "upsert", retry: RetrySpec | None = None, batch_size: int | None = None) -> Flow:
    source = Connection(name="erp", connector=MemoryConnector, options=MemoryOptions(name="erp"))
    target = Connection(name="shop", connector=MemoryConnector, options=MemoryOptions(name="shop"))
    return Flow(name=name, source=source, source_resource="products", target=target, target_resource="products",
                filter=filter, mapping=mapping, write=write,  # type: ignore[arg-type]
                retry=retry or RetrySpec(max_attempts=3, backoff=timedelta(0)), batch_size=batch_size)


def opener(erp: System, shop: System) -> Any:
    def open_connection(connection: Connection) -> Connector:
        return MemoryConnector(connection.options, erp if connection.name == "erp" else shop)

    return open_connection
