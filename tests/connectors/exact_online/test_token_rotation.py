"""Exact Online's rotating refresh tokens against the sandbox, on SQLite and PostgreSQL: one exchange
across processes, pairs stored the moment they arrive, lost answers settled, and a spent token
reported as needing re-authorisation — with no token in any output."""

from __future__ import annotations

import multiprocessing
import traceback
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from cryptography.fernet import Fernet

from tradewind import log
from tradewind.connectors.exact_online import ExactOnline, ExactOnlineOptions
from tradewind.connectors.exact_online.client import ExactClient
from tradewind.connectors.testing import FAST_RETRY
from tradewind.errors import ConfigError, ReauthorisationNeeded
from tradewind.sandboxes._kit import Fault
from tradewind.sandboxes._serve import Served
from tradewind.sandboxes.exact_online import ExactOnlineSandbox, create_app
from tradewind.store.crypto import Vault
from tradewind.store.db import Store
from tradewind.store.tokens import StoreTokens

ENVIRON = {"EXACT_SECRET": "demo-secret", "EXACT_REFRESH": "demo-refresh"}
KEY = "exact_online:123456"
TOKEN_ROUTE = "POST /api/oauth2/token"


@pytest.fixture
def served() -> Iterator[Served]:
    with Served(create_app(minutely_limit=None, daily_limit=None, min_refresh_interval=570)) as running:
        yield running


@pytest.fixture
def vault_key() -> str:
    return Fernet.generate_key().decode()


def client_for(url: str, store: Store, key: str, environ: dict[str, str] = ENVIRON) -> ExactClient:
    options = ExactOnlineOptions(base_url=url, division=123456, client_id="demo-client",
                                 client_secret="${EXACT_SECRET}", refresh_token="${EXACT_REFRESH}")
    tokens = StoreTokens(store, vault=Vault([key]))
    return ExactOnline(options, tokens=tokens, environ=environ, retry=FAST_RETRY).client


def items(client: ExactClient) -> list[Any]:
    """A real API call with the client's bearer token (filtered: Exact refuses unfiltered item reads)."""
    return client.rows("logistics/Items", {"$select": "ID", "$filter": "Code ne ''"})


def sandbox(served: Served) -> ExactOnlineSandbox:
    state: ExactOnlineSandbox = served.sandbox
    return state


def stored(store: Store, key: str) -> dict[str, Any] | None:
    return StoreTokens(Store(store.url), vault=Vault([key])).get(KEY)


def test_rotated_pair_is_stored_and_shared(served: Served, store: Store, vault_key: str) -> None:
    first = client_for(served.url, store, vault_key)
    token = first.access_token()
    items(first)
    kept = stored(store, vault_key)
    assert kept is not None and kept["access_token"] == token
    assert kept["refresh_token"] in sandbox(served).tokens.refresh  # the live one, not the spent seed
    second = client_for(served.url, Store(store.url), vault_key)  # a restart, or another process
    assert token == second.access_token()
    items(second)
    assert 1 == sandbox(served).tokens.exchanges == served.sandbox.kit.calls[TOKEN_ROUTE]


def _refresh_in_child(url: str, database: str, key: str, start: Any, answers: Any) -> None:
    client = client_for(url, Store(database), key)
    start.wait(30)
    try:
        token = client.access_token()
        items(client)
        answers.put(("ok", token))
    except Exception as error:  # noqa: BLE001 - reported to the parent, which asserts
        answers.put(("error", f"{type(error).__name__}: {error}"))


def test_two_processes_refreshing_at_once_make_one_exchange(served: Served, store: Store, vault_key: str) -> None:
    context = multiprocessing.get_context("fork")
    start, answers = context.Barrier(2), context.Queue()
    children = [context.Process(target=_refresh_in_child, args=(served.url, store.url, vault_key, start, answers))
                for _ in range(2)]
    for child in children:
        child.start()
    results = [answers.get(timeout=120) for _ in children]
    for child in children:
        child.join(30)
    assert [("ok",), ("ok",)] == [result[:1] for result in results], results
    assert results[0][1] == results[1][1]
    assert 1 == served.sandbox.kit.calls[TOKEN_ROUTE] == sandbox(served).tokens.exchanges


def test_a_refresh_spent_elsewhere_needs_reauthorisation(served: Served, store: Store, vault_key: str) -> None:
    """A process killed between Exact's answer and the commit: Exact rotated, the store never knew."""
    client = client_for(served.url, store, vault_key)
    client.access_token()
    kept = stored(store, vault_key)
    assert kept is not None
    sandbox(served).tokens.min_refresh_interval = 0
    form = {"grant_type": "refresh_token", "refresh_token": kept["refresh_token"], "client_id": "demo-client",
            "client_secret": "demo-secret"}
    assert 200 == sandbox(served).tokens.grant(form, None)[0]
    StoreTokens(store, vault=Vault([vault_key])).put(KEY, {**kept, "expires_at": 0.0})  # the next run, later on
    with pytest.raises(ReauthorisationNeeded) as caught:
        items(client_for(served.url, Store(store.url), vault_key))
    message = str(caught.value)
    assert "\n" not in message and "needs re-authorisation" in message and "set EXACT_REFRESH" in message
    assert kept["refresh_token"] not in "".join(traceback.format_exception(caught.value))
    # a person authorises again and sets the variable: the next run goes on with it
    fresh = sandbox(served).issue_token()["refresh_token"]
    again = client_for(served.url, Store(store.url), vault_key, {**ENVIRON, "EXACT_REFRESH": fresh})
    items(again)
    assert (stored(store, vault_key) or {})["refresh_token"] in sandbox(served).tokens.refresh


def test_answer_lost_after_the_exchange_is_reported_as_reauthorisation(served: Served, store: Store,
                                                                       vault_key: str) -> None:
    served.sandbox.kit.inject(Fault(after=True, reset=True, path_contains="oauth2/token"))
    client = client_for(served.url, store, vault_key)
    with pytest.raises(ReauthorisationNeeded, match="answer was lost"):
        client.access_token()
    assert 1 == sandbox(served).tokens.exchanges  # the old token was offered once more, and refused
    assert 2 == served.sandbox.kit.calls[TOKEN_ROUTE]


def test_answer_lost_before_the_exchange_is_settled_by_offering_the_token_again(
        served: Served, store: Store, vault_key: str) -> None:
    served.sandbox.kit.inject(Fault(status=503, path_contains="oauth2/token"))  # Exact never saw it
    client = client_for(served.url, store, vault_key)
    items(client)
    assert 1 == sandbox(served).tokens.exchanges
    assert (stored(store, vault_key) or {})["access_token"] == client.access_token()


def test_a_refresh_too_soon_is_named_not_mistaken_for_reauthorisation(served: Served, store: Store,
                                                                      vault_key: str) -> None:
    client = client_for(served.url, store, vault_key)
    client.access_token()
    with pytest.raises(ConfigError, match="too early") as caught:
        client.refresh()  # the API refused a live token: Exact hands out one per 9.5 minutes
    assert not isinstance(caught.value, ReauthorisationNeeded)


PG_REFUSE = """CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN RAISE EXCEPTION 'could not extend file: No space left on device'; END $$;
CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON tokens FOR EACH ROW EXECUTE FUNCTION refuse()"""


def refuse_token_writes(store: Store, refuse: bool) -> None:
    """Make the database itself refuse writes to ``tokens`` (as a full disk would), reads still served."""
    with store.begin() as conn:
        if store.dialect == "postgresql":
            conn.exec_driver_sql(PG_REFUSE if refuse else "DROP TRIGGER refuse ON tokens; DROP FUNCTION refuse()")
        elif refuse:
            for action in ("INSERT", "UPDATE"):
                conn.exec_driver_sql(f"CREATE TRIGGER refuse_{action} BEFORE {action} ON tokens "
                                     "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")
        else:
            conn.exec_driver_sql("DROP TRIGGER refuse_INSERT")
            conn.exec_driver_sql("DROP TRIGGER refuse_UPDATE")


@pytest.fixture
def logged(capsys: pytest.CaptureFixture[str]) -> Iterator[pytest.CaptureFixture[str]]:
    log.configure("INFO")
    yield capsys
    structlog.reset_defaults()


def test_store_failure_keeps_the_pair_in_memory_and_leaks_nothing(
        served: Served, store: Store, vault_key: str, logged: pytest.CaptureFixture[str]) -> None:
    client = client_for(served.url, store, vault_key)
    refuse_token_writes(store, True)
    items(client)  # exchanged; the store refused the pair; this process goes on with it
    pair = client.keeper.unsaved
    assert pair is not None and pair["access_token"] == client.access_token()
    output = logged.readouterr()
    assert "token_not_stored" in output.err
    for secret in (pair["access_token"], pair["refresh_token"]):
        assert secret not in output.err and secret not in output.out
    refuse_token_writes(store, False)
    assert client.keeper.save_pending()
    assert pair == stored(store, vault_key)
    assert 1 == sandbox(served).tokens.exchanges
