"""Whatever a source sends fails alone or goes through, on SQLite and PostgreSQL alike: keys longer
than the columns, NUL bytes, lone surrogates, versions no column holds."""

from __future__ import annotations

from datetime import timedelta

from tests.engine.memory import T0, System, flow, opener
from tradewind.engine.runner import Runner
from tradewind.store import runs
from tradewind.store.db import Store
from tradewind.store.keys import fit_key, is_fitted

ODD_KEYS = {
    "long": "K" * 5_000,
    "nul": "P-\x00-1",
    "surrogate": "P-\udc80-2",
}


def source_with_odd_records() -> System:
    erp = System(page_size=10)
    for i in range(3):
        erp.add({"key": f"GOOD-{i}", "title": f"Good {i}", "sku": f"G{i}"}, modified=T0 + timedelta(seconds=i))
    for n, (name, key) in enumerate(ODD_KEYS.items()):
        record_id = f"{name}-" + "i" * 3_000  # the source's own id is longer than any column too
        erp.records[record_id] = {"id": record_id, "key": key, "title": name, "sku": f"ODD{n}",
                                  "modified": (T0 + timedelta(seconds=10 + n)).isoformat()}
    return erp


def test_odd_keys_are_stored_fitted_and_the_run_goes_through_twice(store: Store) -> None:
    erp, shop = source_with_odd_records(), System()
    runner = Runner(store, opener=opener(erp, shop))
    first = runner.run(flow())
    assert ("succeeded", 6, 0) == (first.status, first.counts["created"], first.counts.get("failed", 0)), first
    assert set(ODD_KEYS.values()) <= {r["key"] for r in shop.records.values()}
    for record_id in list(erp.records):  # read again, unchanged: bindings are found by the fitted ids
        erp.touch(record_id, T0 + timedelta(hours=1))
    second = runner.run(flow())
    assert (6, 0, 0) == (second.counts["skipped"], second.counts.get("created", 0),
                         second.counts.get("updated", 0)), second
    with store.begin() as conn:
        stored = [t.source_id for t in runs.list_transfers(conn, first.run_id)]
    assert 3 == sum(is_fitted(s) for s in stored)


def test_fitting_keeps_distinct_keys_distinct_and_is_stable() -> None:
    a, b = "x" * 500 + "a", "x" * 500 + "b"
    assert fit_key(a, 200) != fit_key(b, 200)
    assert fit_key(a, 200) == fit_key(a, 200) and len(fit_key(a, 200)) == 200
    assert fit_key(fit_key(a, 200), 200) == fit_key(a, 200)
    assert "short" == fit_key("short", 200)
    assert "\x00" not in fit_key("a\x00b", 200) and fit_key("a\x00b", 200) != fit_key("a\x00c", 200)


def test_a_record_that_breaks_a_step_unforeseen_fails_alone(store: Store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tests.engine import memory

    erp, shop = source_with_odd_records(), System()
    real = memory.decode

    def fragile(native):  # type: ignore[no-untyped-def]
        if native["key"] == "GOOD-1":
            raise OverflowError("int too large to convert")
        return real(native)

    monkeypatch.setattr(memory.MemoryConnector.resources["products"], "decode", fragile)
    result = Runner(store, opener=opener(erp, shop)).run(flow())
    assert ("partial", 5, 1) == (result.status, result.counts["created"], result.counts["failed"]), result
    with store.begin() as conn:
        (failed,) = runs.list_transfers(conn, result.run_id, outcome="failed")
    assert "decode failed on this record: OverflowError" in (failed.reason or "")
