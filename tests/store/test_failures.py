"""The retry queue: found by business key as people type it, and paged through without a cap."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Connection

from tradewind.store import failures
from tradewind.store.db import Store, now


def _queue(conn: Connection, flow: str, source_id: str, natural_key: str | None, *, wait: timedelta = timedelta(0),
           ) -> None:
    failures.record(conn, flow=flow, source_id=source_id, payload={"id": source_id}, version=None, attempts=1,
                    next_attempt_at=now() + wait - timedelta(seconds=1), error="boom", run_id="run-1",
                    natural_key=natural_key)


def _found(store: Store, flow: str, wanted: list[str], names: tuple[str, ...]) -> dict[str, list[str]]:
    with store.begin() as conn:
        found = failures.find(conn, flow, wanted, names)
    return {key: [f.source_id for f in named] for key, named in found.items()}


def test_an_order_is_found_by_its_number_with_or_without_hash_and_by_its_whole_key(store: Store) -> None:
    with store.begin() as conn:
        _queue(conn, "orders", "5001", "number=#1042")
        _queue(conn, "orders", "5002", "number=#10420")
        _queue(conn, "orders", "5003", None)  # failed before it had a key: found by source id only
        _queue(conn, "other", "6001", "number=#1042")
    wanted = ["#1042", "1042", "number=#1042", "5003", "10420", "#999", "number=1042"]
    assert {"#1042": ["5001"], "1042": ["5001"], "number=#1042": ["5001"], "5003": ["5003"], "10420": ["5002"],
            "#999": [], "number=1042": []} == _found(store, "orders", wanted, ("number",))


def test_an_email_matches_in_any_case_and_a_sku_exactly(store: Store) -> None:
    with store.begin() as conn:
        _queue(conn, "customers", "c1", "email=Anna.de.Vries@Example.NL")
        _queue(conn, "products", "p1", "sku=A_1")
        _queue(conn, "products", "p2", "sku=AB1")
    assert {"anna.de.vries@example.nl": ["c1"], "EMAIL=ANNA.DE.VRIES@EXAMPLE.NL": ["c1"], "anna@example.nl": []} \
        == _found(store, "customers", ["anna.de.vries@example.nl", "EMAIL=ANNA.DE.VRIES@EXAMPLE.NL",
                                       "anna@example.nl"], ("email",))
    assert {"A_1": ["p1"], "a_1": [], "A%": []} == _found(store, "products", ["A_1", "a_1", "A%"], ("sku",))


def test_a_bare_value_matches_any_part_of_a_composite_key_and_no_longer_value(store: Store) -> None:
    with store.begin() as conn:
        _queue(conn, "stock", "s1", "sku=A-1,location=1")
        _queue(conn, "stock", "s2", "sku=A-1,location=2")
        _queue(conn, "stock", "s3", "sku=A-10,location=1")
        _queue(conn, "prices", "q1", "sku=A-1,price_list=B2B,min_quantity=10")
    assert {"A-1": ["s1", "s2"], "sku=A-1,location=2": ["s2"], "1": ["s1", "s3"], "A-": []} \
        == _found(store, "stock", ["A-1", "sku=A-1,location=2", "1", "A-"], ("sku", "location"))
    assert {"B2B": ["q1"], "10": ["q1"], "A-1": ["q1"]} \
        == _found(store, "prices", ["B2B", "10", "A-1"], ("sku", "price_list", "min_quantity"))


def test_a_record_queued_again_keeps_its_newest_natural_key(store: Store) -> None:
    with store.begin() as conn:
        _queue(conn, "orders", "5001", None)
        _queue(conn, "orders", "5001", "number=#1042")
        queued = failures.all_for(conn, "orders", key="1042", key_names=("number",))
    assert [("5001", "number=#1042")] == [(f.source_id, f.natural_key) for f in queued]


def test_the_queue_pages_through_every_due_record_and_lists_all_ids(store: Store) -> None:
    with store.begin() as conn:
        for n in range(1, 1201):
            _queue(conn, "orders", f"{n:05d}", f"number=#{n}")
        _queue(conn, "orders", "waiting", None, wait=timedelta(hours=1))
    seen: list[str] = []
    after = None
    while True:
        with store.begin() as conn:
            page = failures.due_after(conn, "orders", after, limit=500)
        if not page:
            break
        seen.extend(f.source_id for f in page)
        after = page[-1].source_id
    with store.begin() as conn:
        ids, total = failures.source_ids(conn, "orders"), failures.count(conn, "orders")
        due = failures.due(conn, "orders")
    assert [f"{n:05d}" for n in range(1, 1201)] == seen
    assert (1201, 1201, 1200) == (len(ids), total, len(due))
    assert "waiting" in ids


def test_parts_of_composite_keys_match_in_their_case_on_both_databases(store: Store) -> None:
    with store.begin() as conn:
        _queue(conn, "stock", "s1", "sku=A-1,location=Main")
    assert {"A-1": ["s1"], "a-1": [], "main": [], "Main": ["s1"]} \
        == _found(store, "stock", ["A-1", "a-1", "main", "Main"], ("sku", "location"))
