"""``/metrics`` counts the calls each connection made and the 429s among them, as the vendors'
sandboxes counted them, parsed with prometheus-client's own parser."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.api.conftest import Api


def _scrape(api: Api) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with api.client("viewer") as viewer:
        answer = viewer.get("/metrics")
    assert answer.status_code == 200
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(answer.text) for s in family.samples}


def _erp(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str) -> float:
    [value] = [v for (n, labels), v in samples.items() if n == name and ("connection", "erp") in labels]
    return value


def test_calls_and_429s_per_connection_match_the_sandbox(api: Api) -> None:
    world = api.world
    world.run("products")  # tokens and first reads settled before counting
    before = _scrape(api)
    world.reset_calls()
    world.fault(world.exact, times=2, status=429, retry_after=0.01, path_contains="Items")
    ran = world.run("products", full=True)
    after = _scrape(api)
    served = {route: n for route, n in world.calls(world.exact).items() if "oauth2" not in route}
    assert ran.status in ("succeeded", "partial")
    assert 2 == _erp(after, "tradewind_api_rate_limited_total") - _erp(before, "tradewind_api_rate_limited_total")
    assert sum(served.values()) == _erp(after, "tradewind_api_calls_total") - _erp(before, "tradewind_api_calls_total")
    assert sum(served.values()) >= 3  # two 429s and at least the read that followed them
    [(labels, _)] = [(lb, v) for (n, lb), v in after.items() if n == "tradewind_api_calls_total"
                     and ("connection", "erp") in lb]
    assert dict(labels)["account"].startswith("exact_online:")
