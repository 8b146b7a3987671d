"""Personal keys as keyed hashes: a customer's e-mail address is never stored readable in the basic
log (transfers' and failed records' natural keys), yet a search, ``failures --key`` and a replay by
that address still find the record exactly, in any case."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.e2e.slice import World, start_world
from tests.e2e.test_references import CUSTOMERS_FLOW
from tradewind.store import transfer_search
from tradewind.store.db import Store
from tradewind.store.tables import failures, transfers


@pytest.fixture
def world(tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    w = start_world(tmp_path, store, monkeypatch=monkeypatch, extra_flows=CUSTOMERS_FLOW)
    yield w
    w.exact.stop()
    w.shop.stop()


def test_email_keys_are_stored_hashed_and_found_by_the_address(world: World, store: Store) -> None:
    shop = world.shop.sandbox
    shop.seed_customer({"email": "Ada.Lovelace@example.com", "first_name": "Ada", "last_name": "Lovelace"})
    world.fault(world.exact, times=1, status=400, path_contains="crm/Accounts", method="POST")
    first = world.run("customers")
    assert 1 == first.counts["failed"], first
    with store.begin() as conn:
        keys = [k for k in conn.execute(select(transfers.c.natural_key)).scalars() if k]
        keys += [k for k in conn.execute(select(failures.c.natural_key)).scalars() if k]
    readable = [k.split("~h:")[0] for k in keys]  # the hash's hex digits may spell "ada" by chance
    assert keys and not [k for k in readable if "@" in k or "ada" in k.lower()], keys
    assert all(re.fullmatch(r"[0-9a-f]{32}", k.split("~h:")[1]) for k in keys if "~h:" in k), keys
    assert all(k.startswith("email=~h:") for k in keys if k.startswith("email="))
    services = world.services
    found = services.search_transfers(transfer_search.Query(key="email=ada.lovelace@example.com"))
    assert 1 == len(found) and "failed" == found[0].outcome
    [queued] = services.failures(key="ADA.LOVELACE@example.com")  # `tradewind failures --key`
    assert queued.flow == "customers"
    replay = services.replay("customers", ["ada.lovelace@example.com"])  # `tradewind replay customers KEY`
    assert replay.ok and not replay.missing, replay
    assert replay.result is not None and 1 == replay.result.counts["created"]
    assert ["ada.lovelace@example.com"] == [a["Email"].lower() for a in world.exact.sandbox.dump()["accounts"]
                                            if "ada" in a["Email"].lower()]
