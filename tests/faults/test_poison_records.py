"""Poison records fail alone, on SQLite and PostgreSQL (issue 8, item 3).

A source sends, among good records on one page, records no column was made for: source ids of
5,000 characters and natural keys of 1,000, NUL bytes, invalid UTF-8 (lone surrogates, as JSON
``"\\udc80"`` or bytes decoded with ``surrogateescape`` give), a 400-digit version token and a
price of ``1e400``. Each must end as that record's failed transfer naming the field — or, where
only its key is long, be stored with a fitted key and written — while the run goes on, the good
records are written, and a later run is not stopped either. Every test prints its tally.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import pytest

from tests.engine.memory import T0, MemoryConnector, MemoryOptions, MemoryProducts, System, flow
from tests.faults.harness import Tally, report
from tradewind.connectors.base import Connector, NativeRecord, Page
from tradewind.engine.flow import Connection, Flow
from tradewind.engine.runner import Runner, RunResult
from tradewind.store import failures
from tradewind.store.db import Store
from tradewind.store.runs import Transfer, list_transfers

pytestmark = pytest.mark.faults


class VersionedProducts(MemoryProducts):
    """The in-memory products, whose records may carry their own version (sync token)."""

    def pages(self, client: System, since: str | None) -> Iterator[Page]:
        for page in super().pages(client, since):
            records = [NativeRecord(id=r.id, data=r.data, version=r.data.get("version", r.version))
                       for r in page.records]
            yield Page(records=records, cursor=page.cursor)


class PoisonSource(MemoryConnector):
    products = VersionedProducts()


@dataclass(frozen=True)
class Poison:
    """One bad record: what it carries, and how it may end (``must_write``: its key is merely long)."""

    tag: str
    fields: tuple[str, ...]
    source_id: str = ""
    data: tuple[tuple[str, Any], ...] = ()
    must_write: bool = False
    must_fail: bool = False

    @property
    def id(self) -> str:
        return self.source_id or self.tag

    @property
    def key(self) -> str:
        return str(dict(self.data).get("key", f"K-{self.tag}"))


LONE = json.loads('"\\udc80"')
BAD_UTF8 = b"\xff\xfe".decode("utf-8", "surrogateescape")
POISONS = [
    Poison("poison-long-id", ("id",), source_id="poison-long-id-" + "x" * 5000, must_write=True),
    Poison("poison-long-key", ("key",), data=(("key", "poison-long-key-" + "k" * 1000),), must_write=True),
    Poison("poison-nul-key", ("key",), data=(("key", "poison-nul\x00key"),)),
    Poison("poison-nul-id", ("id",), source_id="poison-nul-id\x00x"),
    Poison("poison-nul-title-refused", ("sku", "title"), data=(("title", "Bad\x00title"), ("sku", "REFUSED")),
           must_fail=True),
    Poison("poison-surrogate-title", ("title",), data=(("title", "caf" + LONE),)),
    Poison("poison-surrogate-key", ("key",), data=(("key", "poison-surrogate-" + LONE),)),
    Poison("poison-bad-utf8-id", ("id",), source_id="poison-bad-utf8-id-" + BAD_UTF8),
    Poison("poison-huge-version", ("version",), data=(("version", "9" * 400),)),
    Poison("poison-price-1e400", ("price", "amount"), data=(("price", json.loads("1e400")),), must_fail=True),
    Poison("poison-price-400-digits", ("price", "amount"), data=(("price", "9" * 400),)),
]


def _add(system: System, record_id: str, data: dict[str, Any], at: int) -> None:
    system.records[record_id] = {**data, "id": record_id, "modified": (T0 + timedelta(seconds=at)).isoformat()}


def _source(poisons: list[Poison], good: int) -> System:
    """One page: good records around the poison ones."""
    erp = System(page_size=100)
    rows: list[tuple[str, dict[str, Any]]] = [(f"good-{i}", {"key": f"GOOD-{i}", "sku": f"SKU-G{i}"})
                                               for i in range(good)]
    for n, p in enumerate(poisons):
        rows.insert(1 + n * 2 if 1 + n * 2 < len(rows) else len(rows),
                    (p.id, {"key": p.key, "sku": f"SKU-{p.tag}", **dict(p.data)}))
    for at, (record_id, data) in enumerate(rows):
        _add(erp, record_id, {"title": f"Record {record_id[:40]}", "price": "10.00", **data}, at)
    return erp


def _flow() -> Flow:
    source = Connection(name="erp", connector=PoisonSource, options=MemoryOptions(name="erp"))
    return replace(flow(), source=source)


def _runner(store: Store, erp: System, shop: System) -> Runner:
    def open_connection(connection: Connection) -> Connector:
        if connection.name == "erp":
            return PoisonSource(connection.options, erp)
        return MemoryConnector(connection.options, shop)

    return Runner(store, opener=open_connection)


def _run(store: Store, erp: System, shop: System) -> tuple[RunResult | None, str | None]:
    """The run's result, or how it broke (the poison stopped the run)."""
    try:
        return _runner(store, erp, shop).run(_flow()), None
    except Exception as error:  # noqa: BLE001 - what must not happen is reported with its cause
        return None, f"the run broke: {type(error).__name__}: {str(error)[:300]}"


def _names_field(t: Transfer, fields: tuple[str, ...]) -> bool:
    said = f"{t.field or ''} {t.reason or ''}".lower()
    return any(name in said for name in fields)


def _judge(p: Poison, transfers: list[Transfer], queued: list[str], shop: System) -> str | None:
    """None when ``p`` ended as the issue asks, else what is wrong with it."""
    mine = [t for t in transfers if t.source_id.startswith(p.tag)]
    if not mine:
        return f"{p.tag}: no transfer recorded"
    t = mine[-1]
    if t.outcome in ("created", "updated"):
        if p.must_fail:
            return f"{p.tag}: written, but it cannot be valid"
        return None if shop.by_key(p.key) is not None else f"{p.tag}: transfer says {t.outcome}, target lacks it"
    if p.must_write:
        return f"{p.tag}: a long key must be stored (fitted) and written, got {t.outcome}: {t.reason}"
    if t.outcome != "failed":
        return f"{p.tag}: ended {t.outcome or t.stage} ({t.reason})"
    if not _names_field(t, p.fields):
        return f"{p.tag}: failed without naming {'/'.join(p.fields)}: field={t.field!r} reason={t.reason!r}"
    if not any(source_id.startswith(p.tag) for source_id in queued):
        return f"{p.tag}: failed but not kept in the retry queue"
    return None


def _tally(store: Store, shop: System, poisons: list[Poison], good: int, result: RunResult | None) -> Tally:
    """The issue's tally line: records sent, written to the target, duplicate target records, and
    lost — records that neither reached the target nor ended as a transfer of the run."""
    keys = [r.get("key") for r in shop.records.values()]
    sent = [p.key for p in poisons] + [f"GOOD-{i}" for i in range(good)]
    written = sum(1 for key in sent if key in keys)
    ended = 0
    if result is not None:
        with store.begin() as conn:
            ended = sum(1 for t in list_transfers(conn, result.run_id) if t.outcome is not None)
    lost = len(sent) - max(written, ended)
    return Tally(records=len(sent), written=written, duplicates=len(keys) - len(set(keys)), lost=lost, incomplete=0)


def _check(store: Store, erp: System, shop: System, poisons: list[Poison], good: int, *, name: str,
           capsys: pytest.CaptureFixture[str]) -> list[str]:
    """Run once, report the tally, and return every breach of the promise."""
    result, broke = _run(store, erp, shop)
    status = f"run {result.status} {result.counts}" if result else str(broke)
    report(f"poison_{name}_{store.engine.dialect.name}", _tally(store, shop, poisons, good, result), [status], capsys)
    if result is None:
        return [str(broke)]
    with store.begin() as conn:
        transfers = list_transfers(conn, result.run_id)
        queued = [f.source_id for f in failures.all_for(conn, "products")]
    problems = [why for p in poisons if (why := _judge(p, transfers, queued, shop)) is not None]
    if result.status == "failed":
        problems.append(f"the run failed: {result.error}")
    missing = [i for i in range(good) if shop.by_key(f"GOOD-{i}") is None]
    if missing:
        problems.append(f"{len(missing)} of {good} good records were not written")
    keys = [r.get("key") for r in shop.records.values()]
    if len(keys) != len(set(keys)):
        problems.append(f"{len(keys) - len(set(keys))} duplicate target records")
    return problems


@pytest.fixture
def refusing_shop() -> System:
    return System(refuse_skus={"REFUSED"})


@pytest.mark.parametrize("poison", POISONS, ids=[p.tag.removeprefix("poison-") for p in POISONS])
def test_a_poison_record_fails_alone(store: Store, poison: Poison, refusing_shop: System,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    erp = _source([poison], good=4)
    problems = _check(store, erp, refusing_shop, [poison], good=4, name=poison.tag.removeprefix("poison-"),
                      capsys=capsys)
    assert not problems, "\n".join(problems)


def test_every_poison_in_one_page_and_a_later_run_goes_on(store: Store, refusing_shop: System,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    erp = _source(POISONS, good=6)
    problems = _check(store, erp, refusing_shop, POISONS, good=6, name="all", capsys=capsys)
    _add(erp, "good-late", {"key": "GOOD-LATE", "title": "Late", "sku": "SKU-LATE", "price": "5.00"}, 1000)
    later, broke = _run(store, erp, refusing_shop)
    if broke is not None:
        problems.append(f"later run: {broke}")
    elif later is not None and later.status == "failed":
        problems.append(f"later run failed: {later.error}")
    if refusing_shop.by_key("GOOD-LATE") is None:
        problems.append("a good record added later was not written")
    keys = [r.get("key") for r in refusing_shop.records.values()]
    if len(keys) != len(set(keys)):
        problems.append(f"the later run wrote {len(keys) - len(set(keys))} duplicate(s)")
    assert not problems, "\n".join(problems)
