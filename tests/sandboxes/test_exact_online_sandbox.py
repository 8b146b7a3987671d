"""The Exact Online sandbox over real HTTP on loopback: auth, OData, paging, sync, orders, limits, faults."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from stdnum import ean
from stdnum.eu import vat

from tradewind.sandboxes._serve import Served
from tradewind.sandboxes.exact_online import MANDATORY_FILTER, VIEWS, create_app
from tradewind.sandboxes.exact_online_data import catalogue

DIVISION = 123456
API = f"/api/v1/{DIVISION}"
EVERY = "Created ge datetime'2000-01-01T00:00:00'"
"""A ``$filter`` every record passes: listed endpoints are not read without one."""
TOKEN_FORM = {"grant_type": "refresh_token", "refresh_token": "demo-refresh", "client_id": "demo-client",
              "client_secret": "demo-secret"}

Serve = Callable[..., tuple[httpx.Client, Starlette]]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Start sandboxes on loopback; each gets an httpx client already holding a bearer token."""
    running: list[tuple[Served, httpx.Client]] = []

    def start(**options: Any) -> tuple[httpx.Client, Starlette]:
        app = create_app(**options)
        served = Served(app).start()
        client = httpx.Client(base_url=served.url, timeout=10)
        running.append((served, client))
        token = client.post("/api/oauth2/token", data=TOKEN_FORM).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        return client, app

    yield start
    for served, client in running:
        client.close()
        served.stop()


@pytest.fixture(scope="module")
def shop() -> Iterator[tuple[httpx.Client, dict[str, Any]]]:
    """One read-only division with ~1,500 items shared by the query tests."""
    doc = catalogue(600, seed=3, customers=20)
    with Served(create_app(seed=doc, minutely_limit=None, daily_limit=None)) as served:
        client = httpx.Client(base_url=served.url, timeout=10)
        token = client.post("/api/oauth2/token", data=TOKEN_FORM).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        yield client, doc
        client.close()


def _error(response: httpx.Response) -> str:
    return str(response.json()["error"]["message"]["value"])


def _all_pages(client: httpx.Client, url: str, params: dict[str, str] | None = None) -> list[list[dict[str, Any]]]:
    pages = []
    response = client.get(url, params=params)
    while True:
        assert 200 == response.status_code, response.text
        body = response.json()["d"]
        pages.append(body["results"])
        if "__next" not in body:
            return pages
        assert body["__next"].startswith("http://127.0.0.1:")
        response = client.get(body["__next"])


# --------------------------------------------------------------------------- auth


def test_token_grant_and_refresh_rotation(serve: Serve) -> None:
    client, _ = serve()
    first = client.post("/api/oauth2/token", data=TOKEN_FORM)
    assert 400 == first.status_code  # the fixture used it already, and it rotated away
    assert {"error": "invalid_grant"} == first.json()

    fresh, _ = serve(rotate_refresh_tokens=False)
    one = fresh.post("/api/oauth2/token", data=TOKEN_FORM).json()
    two = fresh.post("/api/oauth2/token", data=TOKEN_FORM).json()
    assert "demo-refresh" == one["refresh_token"] == two["refresh_token"]
    assert {"access_token", "token_type", "expires_in", "refresh_token"} == set(one)
    assert "600" == one["expires_in"] and "bearer" == one["token_type"]


def test_refresh_token_chain_and_authorization_code(serve: Serve) -> None:
    client, app = serve()
    pair = app.state.sandbox.issue_token()
    nxt = client.post("/api/oauth2/token", data={**TOKEN_FORM, "refresh_token": pair["refresh_token"]})
    assert 200 == nxt.status_code and pair["refresh_token"] != nxt.json()["refresh_token"]
    again = client.post("/api/oauth2/token", data={**TOKEN_FORM, "refresh_token": pair["refresh_token"]})
    assert {"error": "invalid_grant"} == again.json()
    assert 200 == client.post("/api/oauth2/token", data={**TOKEN_FORM, "refresh_token": nxt.json()["refresh_token"]}
                              ).status_code

    redirect = client.get("/api/oauth2/auth", params={"client_id": "demo-client", "redirect_uri": "https://app/cb",
                                                      "response_type": "code", "state": "xyz"})
    assert 302 == redirect.status_code
    code = re.search(r"code=([^&]+)", redirect.headers["location"]).group(1)  # type: ignore[union-attr]
    form = {"grant_type": "authorization_code", "code": code, "client_id": "demo-client",
            "client_secret": "demo-secret", "redirect_uri": "https://app/cb"}
    assert 200 == client.post("/api/oauth2/token", data=form).status_code
    assert 400 == client.post("/api/oauth2/token", data=form).status_code
    assert {"error": "invalid_client"} == client.post("/api/oauth2/token",
                                                      data={**form, "client_secret": "wrong"}).json()


def test_401_without_token_or_after_expiry(serve: Serve) -> None:
    client, app = serve()
    anonymous = httpx.get(f"{client.base_url}{API}/vat/VATCodes?$select=ID")
    assert 401 == anonymous.status_code
    assert {"error": {"code": "", "message": {"lang": "", "value": "Unauthorized"}}} == anonymous.json()
    assert 200 == client.get(f"{API}/vat/VATCodes", params={"$select": "ID"}).status_code
    app.state.sandbox.set_clock(lambda: time.time() + 601)
    assert 401 == client.get(f"{API}/vat/VATCodes", params={"$select": "ID"}).status_code


def test_me_and_wrong_division(serve: Serve) -> None:
    client, _ = serve()
    me = client.get("/api/v1/current/Me", params={"$select": "CurrentDivision"}).json()
    assert DIVISION == me["d"]["results"][0]["CurrentDivision"]
    wrong = client.get("/api/v1/999/logistics/Items", params={"$select": "ID"})
    assert 403 == wrong.status_code and "Forbidden - WrongDivision" == _error(wrong)


# --------------------------------------------------------------------------- OData


def test_select_is_mandatory_and_limits_fields(shop: tuple[httpx.Client, dict[str, Any]]) -> None:
    client, _ = shop
    missing = client.get(f"{API}/logistics/Items", params={"$filter": EVERY})
    assert 400 == missing.status_code and "$select is mandatory" == _error(missing)
    row = client.get(f"{API}/logistics/Items", params={"$select": "ID,Code,Modified", "$filter": EVERY}
                     ).json()["d"]["results"][0]
    assert {"__metadata", "ID", "Code", "Modified"} == set(row)
    assert re.fullmatch(r"/Date\(\d+\)/", row["Modified"])
    assert "Exact.Web.Api.Models.Logistics.Item" == row["__metadata"]["type"]
    assert 400 == client.get(f"{API}/logistics/Items", params={"$select": "ID,Nope", "$filter": EVERY}).status_code


def test_filters(shop: tuple[httpx.Client, dict[str, Any]]) -> None:
    client, doc = shop
    item = doc["items"][5]

    def codes(flt: str, url: str = "logistics/Items", select: str = "Code") -> list[str]:
        response = client.get(f"{API}/{url}", params={"$select": select, "$filter": flt})
        assert 200 == response.status_code, response.text
        return [r[select] for r in response.json()["d"]["results"]]

    assert [item["Code"]] == codes(f"ID eq guid'{item['ID'].upper()}'")
    assert [item["Code"]] == codes(f"Code eq '{item['Code']}'")  # item codes are not padded
    model = item["FreeTextField_01"]
    variants = {i["Code"] for i in doc["items"] if i["FreeTextField_01"] == model}
    assert variants == set(codes(f"FreeTextField_01 eq '{model}' and (IsSalesItem eq true or IsStockItem eq true)"))
    assert variants == set(codes(f"startswith(Code,'{model}') and not (Code eq 'x')"))
    assert variants == set(codes(f"substringof('{model}', Code)"))
    later = [i for i in doc["items"] if i["Modified"] > "2024-05-01T00:00:00.000Z"]
    since = {"$select": "ID", "$filter": "Modified gt datetime'2024-05-01T00:00:00'"}
    assert len(later) == len(_flat(_all_pages(client, f"{API}/logistics/Items", since)))
    assert [] == codes("Code eq '1001'", "crm/Accounts")  # account codes are padded to 18 characters
    assert ["              1001"] == codes("Code eq '              1001'", "crm/Accounts")
    assert ["              1001"] == codes("trim(Code) eq '1001' or Name eq 'O''Brien'", "crm/Accounts")
    for bad, message in (("Code eq", "Syntax error"), ("Nope eq 1", "No property 'Nope'"),
                         (f"ID eq '{item['ID']}'", "incompatible")):
        response = client.get(f"{API}/logistics/Items", params={"$select": "ID", "$filter": bad})
        assert 400 == response.status_code and message in _error(response)


def _flat(pages: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [row for page in pages for row in page]


def test_paging_60_on_standard_and_1000_on_bulk(shop: tuple[httpx.Client, dict[str, Any]]) -> None:
    client, doc = shop
    total = len(doc["items"])
    assert total > 1000
    standard = _all_pages(client, f"{API}/logistics/Items", {"$select": "ID", "$filter": EVERY})
    assert {60} == {len(p) for p in standard[:-1]} and 0 < len(standard[-1]) <= 60
    bulk = _all_pages(client, f"{API}/bulk/Logistics/Items", {"$select": "ID", "$filter": EVERY})
    assert [1000, total - 1000] == [len(p) for p in bulk]
    for pages in (standard, bulk):
        assert {i["ID"] for i in doc["items"]} == {r["ID"] for r in _flat(pages)}
    ordered = _flat(_all_pages(client, f"{API}/logistics/Items", {"$select": "ID,Modified", "$filter": EVERY,
                                                                  "$orderby": "Modified desc"}))
    assert total == len({r["ID"] for r in ordered})
    stamps = [int(r["Modified"][6:-2]) for r in ordered]
    assert sorted(stamps, reverse=True) == stamps
    top = _flat(_all_pages(client, f"{API}/logistics/Items", {"$select": "ID", "$top": "100", "$filter": EVERY}))
    assert 100 == len(top)


def test_sync_pages_by_timestamp(serve: Serve) -> None:
    doc = catalogue(500, seed=5, customers=3)
    client, app = serve(seed=doc, minutely_limit=None, daily_limit=None)
    pages = _all_pages(client, f"{API}/sync/Logistics/Items", {"$select": "Timestamp,Code",
                                                                "$filter": "Timestamp gt 1"})
    rows = _flat(pages)
    assert len(doc["items"]) == len(rows) and 1000 == len(pages[0])
    stamps = [r["Timestamp"] for r in rows]
    assert sorted(stamps) == stamps and len(set(stamps)) == len(stamps)
    app.state.sandbox.update_item(doc["items"][0]["Code"], Description="Renamed")
    changed = client.get(f"{API}/sync/Logistics/Items", params={"$select": "Timestamp,Code,Description",
                                                                 "$filter": f"Timestamp gt {max(stamps)}"})
    assert [(doc["items"][0]["Code"], "Renamed")] == [(r["Code"], r["Description"])
                                                      for r in changed.json()["d"]["results"]]
    assert 400 == client.get(f"{API}/logistics/Items", params={"$select": "ID", "$filter": "Timestamp gt 1"}
                             ).status_code


# --------------------------------------------------------------------------- writes


def test_sales_order_create_update_get(serve: Serve) -> None:
    doc = catalogue(5, seed=9, customers=2, max_variants=2)
    client, app = serve(seed=doc)
    account = doc["accounts"][0]["ID"]
    shirt, other = doc["items"][0], doc["items"][1]
    body = {"OrderedBy": account, "YourRef": "WEB-1001", "Description": "Webshop order 1001",
            "SalesOrderLines": [{"Item": shirt["ID"], "Quantity": 2, "UnitPrice": 20.0},
                                {"Item": other["ID"], "Quantity": 1, "UnitPrice": 10.0, "Discount": 0.1}]}
    created = client.post(f"{API}/salesorder/SalesOrders", json=body)
    assert 201 == created.status_code, created.text
    order = created.json()["d"]
    assert 12 == order["Status"] and 1 == order["OrderNumber"] and "WEB-1001" == order["YourRef"]
    vat_rate = {"1": 0.09, "2": 0.21}
    expected_vat = round(40.0 * vat_rate[shirt["SalesVatCode"]], 2) + round(9.0 * vat_rate[other["SalesVatCode"]], 2)
    assert (49.0, round(49.0 + expected_vat, 2), 1.0) == (order["AmountFCExclVat"], order["AmountFC"],
                                                          order["AmountDiscount"])
    assert "__deferred" in order["SalesOrderLines"]

    url = f"{API}/salesorder/SalesOrders(guid'{order['OrderID']}')"
    got = client.get(url, params={"$select": "OrderID,Modified,SalesOrderLines/ItemCode,SalesOrderLines/NetPrice",
                                  "$expand": "SalesOrderLines"}).json()["d"]
    assert [(shirt["Code"], 20.0), (other["Code"], 9.0)] == [(ln["ItemCode"], ln["NetPrice"])
                                                             for ln in got["SalesOrderLines"]["results"]]
    before = app.state.sandbox.sales_orders()[0]
    time.sleep(0.002)
    updated = client.put(url, json={"YourRef": "WEB-1001-B", "AmountFC": 1.0, "Remarks": "gift"})
    assert 204 == updated.status_code and b"" == updated.content
    after = app.state.sandbox.sales_orders()[0]
    assert ("WEB-1001-B", "gift", order["AmountFC"]) == (after["YourRef"], after["Remarks"], after["AmountFC"])
    assert after["Modified"] > before["Modified"] and after["Timestamp"] > before["Timestamp"]

    line = client.post(f"{API}/salesorder/SalesOrderLines", json={"OrderID": order["OrderID"], "Item": shirt["ID"],
                                                                 "Quantity": 1, "UnitPrice": 20.0})
    assert 201 == line.status_code and 3 == line.json()["d"]["LineNumber"]
    assert 3 == len(app.state.sandbox.sales_orders()[0]["SalesOrderLines"])
    assert 204 == client.delete(f"{API}/salesorder/SalesOrderLines(guid'{line.json()['d']['ID']}')").status_code
    assert order["AmountFC"] == app.state.sandbox.sales_orders()[0]["AmountFC"]


def test_sales_order_validation(serve: Serve) -> None:
    doc = catalogue(2, seed=9, customers=1)
    client, _ = serve(seed=doc)
    item, account = doc["items"][0]["ID"], doc["accounts"][0]["ID"]
    cases = [
        ({"OrderedBy": "00000000-0000-0000-0000-000000000001", "SalesOrderLines": [{"Item": item}]}, 500,
         "Invalid reference: Ordered by"),
        ({"OrderedBy": account, "SalesOrderLines": [{"Item": "00000000-0000-0000-0000-000000000002"}]}, 500,
         "Invalid reference: Item"),
        ({"OrderedBy": account}, 500, "Mandatory: Sales order lines"),
        ({"OrderedBy": account, "Colour": "red", "SalesOrderLines": [{"Item": item}]}, 400, "'Colour' does not exist"),
    ]
    for body, status, message in cases:
        response = client.post(f"{API}/salesorder/SalesOrders", json=body)
        assert status == response.status_code and message in _error(response)
    assert 404 == client.get(f"{API}/salesorder/SalesOrders(guid'{item}')").status_code
    none = client.get(f"{API}/salesorder/SalesOrders", params={"$select": "OrderID", "$filter": "OrderNumber gt 0"})
    assert [] == none.json()["d"]["results"]


# --------------------------------------------------------------------------- limits, faults, kit


def test_rate_limit_headers_and_429(serve: Serve) -> None:
    client, _ = serve(minutely_limit=3, daily_limit=100)
    seen = []
    for _ in range(3):
        response = client.get(f"{API}/vat/VATCodes", params={"$select": "ID"})
        assert 200 == response.status_code
        seen.append(int(response.headers["X-RateLimit-Minutely-Remaining"]))
    assert [2, 1, 0] == seen
    assert "3" == response.headers["X-RateLimit-Minutely-Limit"] and "100" == response.headers["X-RateLimit-Limit"]
    assert int(response.headers["X-RateLimit-Minutely-Reset"]) > time.time() * 1000
    assert int(response.headers["X-RateLimit-Reset"]) >= int(response.headers["X-RateLimit-Minutely-Reset"])
    limited = client.get(f"{API}/vat/VATCodes", params={"$select": "ID"})
    assert 429 == limited.status_code and "0" == limited.headers["X-RateLimit-Minutely-Remaining"]
    assert "error" in limited.json()

    bare, _ = serve(minutely_limit=1, rate_headers_on_429=False)
    assert 200 == bare.get(f"{API}/vat/VATCodes", params={"$select": "ID"}).status_code
    limited = bare.get(f"{API}/vat/VATCodes", params={"$select": "ID"})
    assert 429 == limited.status_code and "X-RateLimit-Minutely-Remaining" not in limited.headers


def test_injected_503_and_call_counting(serve: Serve) -> None:
    client, app = serve()
    client.post("/_sandbox/reset-calls")
    client.post("/_sandbox/faults", json={"status": 503, "times": 1, "path_contains": "VATCodes"})
    failed = client.get(f"{API}/vat/VATCodes", params={"$select": "ID"})
    assert 503 == failed.status_code and "Service unavailable" == _error(failed)
    assert 200 == client.get(f"{API}/vat/VATCodes", params={"$select": "ID"}).status_code
    calls = client.get("/_sandbox/calls").json()
    assert {"total": 2, "by_route": {f"GET {API}/vat/VATCodes": 2}} == calls
    assert 2 == app.state.sandbox.kit.total_calls


def test_seed_with_shared_modified_and_dump(serve: Serve) -> None:
    client, app = serve(minutely_limit=None, daily_limit=None)
    stamp = "2024-03-01T12:00:00.000Z"
    items = [{"Code": f"SKU-{n:03}", "Description": f"Item {n}", "Modified": stamp} for n in range(150)]
    assert {"items": 150} == {k: v for k, v in client.post("/_sandbox/seed", json={"items": items}).json().items()
                              if v}
    rows = _flat(_all_pages(client, f"{API}/logistics/Items", {"$select": "Code,Modified",
                                                               "$filter": "Modified eq datetime'2024-03-01T12:00:00'"}))
    assert 150 == len(rows) and {"/Date(1709294400000)/"} == {r["Modified"] for r in rows}
    dumped = client.get("/_sandbox/state").json()["items"]
    assert {stamp} == {i["Modified"] for i in dumped}
    assert 150 == len({i["Timestamp"] for i in dumped}) and all(i["ID"] for i in dumped)
    assert app.state.sandbox.dump()["items"] == dumped


# --------------------------------------------------------------------------- seed data


def test_catalogue_is_deterministic_and_valid() -> None:
    first, again, other = catalogue(40, seed=7), catalogue(40, seed=7), catalogue(40, seed=8)
    assert first == again and first != other
    items = first["items"]
    assert all(re.fullmatch(r"[A-Z]{3}-\d{4}(-[A-Z]+)(-[A-Z0-9-]+)?", i["Code"]) for i in items)
    assert all(ean.is_valid(i["Barcode"]) for i in items) and len({i["Barcode"] for i in items}) == len(items)
    assert all(i["Code"].startswith(i["FreeTextField_01"]) for i in items)
    models = {i["FreeTextField_01"] for i in items}
    assert 40 == len(models) and all(1 <= sum(i["FreeTextField_01"] == m for i in items) <= 4 for m in models)
    assert len(items) == len(first["prices"]) and 2 * len(items) == len(first["stock"])
    numbers = [a["VATNumber"] for a in first["accounts"] if a["VATNumber"]]
    assert numbers and all(vat.is_valid(n) for n in numbers)
    assert {a["Country"] for a in catalogue(5, customers=200)["accounts"]} == {"NL", "BE", "DE"}
    assert all(c["Account"] in {a["ID"] for a in first["accounts"]} for c in first["contacts"])


def test_vat_codes_are_read_only_with_fractional_percentages(serve: Serve) -> None:
    client, _ = serve()
    rows = client.get(f"{API}/vat/VATCodes", params={"$select": "Code,Percentage,Description"}).json()["d"]["results"]
    assert {"0": 0.0, "1": 0.09, "2": 0.21, "5": 0.0} == {r["Code"]: r["Percentage"] for r in rows}
    high = client.get(f"{API}/vat/VATCodes", params={"$select": "Code", "$filter": "Percentage gt 0.2"}).json()
    assert ["2"] == [r["Code"] for r in high["d"]["results"]]
    refused = client.post(f"{API}/vat/VATCodes", json={"Code": "9", "Percentage": 0.5})
    assert 405 == refused.status_code


# --------------------------------------------------------------------------- mandatory filtering


@pytest.mark.parametrize("path", [path for rule in MANDATORY_FILTER for path in rule.paths])
def test_listed_endpoints_refuse_a_read_without_filter(serve: Serve, path: str) -> None:
    client, app = serve()
    rule = next(r for r in MANDATORY_FILTER if path in r.paths)
    assert rule.sources and rule.counterpart.startswith("sync/")
    key = VIEWS[path.lower()].entity.key
    for params in ({"$select": key}, {"$select": key, "$filter": " "}):
        refused = client.get(f"{API}/{path}", params=params)
        assert 400 == refused.status_code
        assert _error(refused).startswith("This endpoint has mandatory filtering applied. A GET request for this "
                                          "endpoint must have a $filter parameter with one of the following fields")
        assert set(rule.fields) <= set(_error(refused).split(":", 1)[1].rstrip(".").split(","))
    assert 400 == client.get(f"{API}/{path}/$count").status_code
    assert {path: 3} == dict(app.state.sandbox.refusals)
    by_key = client.get(f"{API}/{path}", params={"$select": key, "$filter": f"{key} ne null"})
    assert 200 == by_key.status_code, by_key.text
    counterpart = client.get(f"{API}/{rule.counterpart}", params={"$select": "Timestamp", "$filter": "Timestamp gt 1"})
    assert 200 == counterpart.status_code, counterpart.text


def test_endpoints_without_a_sync_api_read_without_filter(serve: Serve) -> None:
    client, app = serve()
    codes = client.get(f"{API}/vat/VATCodes", params={"$select": "Code,Percentage"})
    assert 200 == codes.status_code and {"0", "1", "2", "5"} == {r["Code"] for r in codes.json()["d"]["results"]}
    assert 200 == client.get(f"{API}/sync/Logistics/Items", params={"$select": "ID"}).status_code
    assert not app.state.sandbox.refusals
    lifted, _ = serve(mandatory_filtering=False)
    assert 200 == lifted.get(f"{API}/logistics/Items", params={"$select": "ID"}).status_code


def test_the_rule_covers_every_served_view_with_a_sync_counterpart() -> None:
    """The data is exact: a standard or bulk view is listed iff its entity has a sync view here."""
    synced = {view.entity.name for view in VIEWS.values() if view.mode == "sync"}
    listed = {path.lower() for rule in MANDATORY_FILTER for path in rule.paths}
    expected = {key for key, view in VIEWS.items() if view.mode in ("standard", "bulk") and view.entity.name in synced}
    assert expected == listed
    assert all(rule.counterpart.lower() in VIEWS for rule in MANDATORY_FILTER)
    assert "vat/vatcodes" not in listed
