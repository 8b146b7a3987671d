"""What the per-call CPU savings must not change: the bytes a Shopify call sends, and that a
connection's own HTTP client keeps no cookie a vendor sets."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tradewind.connectors.base import ApiClient
from tradewind.connectors.pacing import CostBucket
from tradewind.connectors.shopify import queries
from tradewind.connectors.shopify.client import ShopifyClient, _Exchange, request_body

VARIABLES: list[dict[str, Any]] = [
    {},
    {"first": 250, "after": None, "query": 'sku:"A-1" OR handle:"ü-€"'},
    {"identifier": {"handle": "a"}, "input": {"title": 'Quote " and \\ and\nline', "tags": [], "n": 2.5},
     "variants": 3},
]


@pytest.mark.parametrize("variables", VARIABLES)
@pytest.mark.parametrize("document", [queries.PRODUCT_SET, queries.PRODUCTS, "query { shop { name } }"])
def test_the_body_is_what_httpx_json_sends(document: str, variables: dict[str, Any]) -> None:
    sent = httpx.Request("POST", "https://shop.test/", json={"query": document, "variables": variables})
    assert request_body(document, variables) == sent.content


def test_a_call_sends_the_token_and_json() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"data": {"shop": {"name": "S"}}})

    client = ShopifyClient(httpx.Client(transport=httpx.MockTransport(answer)),
                           endpoint="https://shop.test/admin/api/2026-07/graphql.json", token="shpat_x",
                           bucket=CostBucket())
    assert client.execute("query { shop { name } }", {"first": 1}) == {"shop": {"name": "S"}}
    request = seen[0]
    assert request.headers["X-Shopify-Access-Token"] == "shpat_x"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Accept"] == "application/json"
    assert request.content == request_body("query { shop { name } }", {"first": 1})


def test_no_cookie_a_server_sets_is_kept_or_sent_back() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, headers={"Set-Cookie": "affinity=1; Path=/"}, json={})

    http = ApiClient(transport=httpx.MockTransport(answer))
    http.get("https://vendor.test/a")
    http.get("https://vendor.test/b")
    assert not http.cookies
    assert "cookie" not in seen[1].headers
    with pytest.raises(AttributeError):
        http.cookies = {"session": "1"}


@pytest.mark.parametrize("http", [httpx.Client(timeout=12), ApiClient(timeout=httpx.Timeout(30, connect=10))])
def test_a_call_is_the_request_the_http_client_builds(http: httpx.Client) -> None:
    """The request template built once per client equals ``build_request``'s, header for header."""
    client = ShopifyClient(http, endpoint="https://shop.test/admin/api/2026-07/graphql.json", token="shpat_x",
                           bucket=CostBucket())
    for variables in VARIABLES:
        built = _Exchange(client, queries.PRODUCT_SET, variables).build()
        expected = http.build_request("POST", client.endpoint, content=request_body(queries.PRODUCT_SET, variables),
                                      headers={"X-Shopify-Access-Token": "shpat_x", "Accept": "application/json",
                                               "Content-Type": "application/json"})
        assert (built.method, built.url, built.extensions) == (expected.method, expected.url, expected.extensions)
        assert built.headers.raw == expected.headers.raw
        assert built.content == expected.content
