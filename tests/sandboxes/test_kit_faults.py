"""The sandboxes' fault injection over real HTTP on loopback (the Exact Online sandbox as the vendor):
faults after the write was stored lose the answer but keep the write; chaos draws seeded faults."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tradewind.sandboxes._serve import Served
from tradewind.sandboxes.exact_online import ExactOnlineSandbox, create_app

ACCOUNTS = "/api/v1/123456/crm/Accounts"
TOKEN_FORM = {"grant_type": "refresh_token", "refresh_token": "demo-refresh", "client_id": "demo-client",
              "client_secret": "demo-secret"}


@pytest.fixture
def served() -> Iterator[Served]:
    with Served(create_app(minutely_limit=None, daily_limit=None)) as served:
        yield served


@pytest.fixture
def client(served: Served) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served.url, timeout=5) as client:
        token = client.post("/api/oauth2/token", data=TOKEN_FORM).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


def names(served: Served) -> list[str]:
    state: ExactOnlineSandbox = served.sandbox
    return sorted(a["Name"] for a in state.dump()["accounts"])


def fault(client: httpx.Client, **spec: Any) -> None:
    client.post("/_sandbox/faults", json={"path_contains": "Accounts", **spec}).raise_for_status()


def create(client: httpx.Client, name: str, **kwargs: Any) -> httpx.Response:
    return client.post(ACCOUNTS, json={"Name": name}, **kwargs)


def test_a_503_before_the_route_stores_nothing(served: Served, client: httpx.Client) -> None:
    fault(client, status=503)
    answer = create(client, "Before")
    assert (503, "Service unavailable") == (answer.status_code, answer.json()["error"]["message"]["value"])
    assert [] == names(served)


def test_a_503_after_the_route_stores_the_write_and_loses_the_answer(served: Served, client: httpx.Client) -> None:
    fault(client, status=503, after=True)
    answer = create(client, "After")
    assert (503, "Service unavailable") == (answer.status_code, answer.json()["error"]["message"]["value"])
    assert ["After"] == names(served)


def test_a_bare_500_after_the_route_has_no_vendor_body(served: Served, client: httpx.Client) -> None:
    fault(client, status=500, after=True, bare=True)
    answer = create(client, "Bare")
    assert (500, "Internal Server Error") == (answer.status_code, answer.text)
    assert answer.headers["content-type"].startswith("text/plain")
    assert ["Bare"] == names(served)


def test_a_stall_after_the_route_times_the_client_out_with_the_write_stored(
        served: Served, client: httpx.Client) -> None:
    fault(client, status=0, after=True, delay=3)
    with pytest.raises(httpx.ReadTimeout):
        create(client, "Stalled", timeout=0.5)
    assert ["Stalled"] == names(served)


def test_a_slow_answer_before_the_route_still_reaches_it_with_its_body(
        served: Served, client: httpx.Client) -> None:
    fault(client, status=0, delay=0.2)
    assert 201 == create(client, "Slow").status_code
    assert ["Slow"] == names(served)


def test_a_reset_after_the_route_is_a_transport_error_with_the_write_stored(
        served: Served, client: httpx.Client) -> None:
    fault(client, after=True, reset=True)
    with pytest.raises(httpx.RemoteProtocolError):
        create(client, "Reset")
    assert ["Reset"] == names(served)


def test_a_reset_after_a_bodiless_answer_is_still_an_error(served: Served, client: httpx.Client) -> None:
    key = create(client, "Old name").json()["d"]["ID"]
    fault(client, after=True, reset=True)
    with pytest.raises(httpx.RemoteProtocolError):
        client.put(f"{ACCOUNTS}(guid'{key}')", json={"Name": "New name"})
    assert ["New name"] == names(served)


def test_chaos_injects_the_chosen_kinds_and_counts_them(served: Served, client: httpx.Client) -> None:
    chaos = {"rate": 1, "seed": 7, "kinds": ["503_after", "500_after"], "path_contains": "Accounts"}
    client.post("/_sandbox/chaos", json=chaos).raise_for_status()
    statuses = [create(client, f"Chaos {n}").status_code for n in range(6)]
    assert {503, 500} == set(statuses)
    assert [f"Chaos {n}" for n in range(6)] == names(served)
    assert 200 == client.get("/api/v1/current/Me", params={"$select": "UserName"}).status_code, "outside path"
    report = client.get("/_sandbox/chaos").json()
    assert (6, 6) == (report["drawn"], sum(report["injected"].values()))
    assert statuses.count(503) == report["injected"]["503_after"]

    client.post("/_sandbox/chaos", json={"rate": 0}).raise_for_status()
    assert 201 == create(client, "Calm").status_code
    after = client.get("/_sandbox/chaos").json()
    assert (0, report["injected"]) == (after["rate"], after["injected"]), "turning chaos off keeps its counts"


def test_chaos_draws_are_seeded(client: httpx.Client) -> None:
    def statuses(seed: int) -> list[int]:
        client.post("/_sandbox/chaos", json={"rate": 0.5, "seed": seed, "kinds": ["503_before", "500_before"],
                                             "path_contains": "Accounts"}).raise_for_status()
        return [create(client, f"S{seed}-{n}").status_code for n in range(12)]

    first = statuses(3)
    assert first == statuses(3)
    assert {201, 500, 503} == set(first)


def test_a_chaos_429_is_a_storm_with_retry_after(client: httpx.Client) -> None:
    chaos = {"rate": 1, "seed": 1, "kinds": ["429"], "storm": 3, "retry_after": 0.5, "path_contains": "Accounts"}
    client.post("/_sandbox/chaos", json=chaos).raise_for_status()
    answers = [create(client, f"Storm {n}") for n in range(6)]
    assert [429] * 6 == [a.status_code for a in answers]
    assert {"0.5"} == {a.headers["Retry-After"] for a in answers}
    assert {"429": 2} == client.get("/_sandbox/chaos").json()["injected"], "two storms of three answers"


def test_chaos_refuses_unknown_kinds(client: httpx.Client) -> None:
    answer = client.post("/_sandbox/chaos", json={"rate": 0.2, "kinds": ["meteor"]})
    assert 400 == answer.status_code and "meteor" in answer.json()["error"]
