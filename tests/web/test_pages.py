"""The web app's pages over HTTP (no browser): personal data only for operators, everything
escaped, forms refused without the session's CSRF token or from another origin, and a record
transferred again after a change shown before and after."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from tests.api.conftest import Api, api  # noqa: F401 - the served app, a user per role
from tests.web.conftest import add_order
from tradewind.store import failures


def logged_in(api: Api, role: str) -> tuple[httpx.Client, str]:  # noqa: F811
    client, answer = api.login(role)
    assert 303 == answer.status_code
    return client, client.get("/api/v1/me").json()["csrf_token"]


def test_search_by_e_mail_masks_it_for_viewers_and_only_operators_see_payloads(api: Api) -> None:  # noqa: F811
    world = api.world
    world.run("products")  # the shop sells the ERP's items
    world.services.detail_logging("shop", 1)
    order = add_order(world, seed=8)
    world.run("orders")
    email = order["email"]
    viewer, _ = logged_in(api, "viewer")
    page = viewer.get("/search", params={"q": order["name"]})
    assert 200 == page.status_code and order["name"] in page.text
    transfer = page.text.split('href="/transfers/', 1)[1].split('"', 1)[0]
    shown = viewer.get(f"/transfers/{transfer}").text
    assert "Payloads hold personal data" in shown and email not in shown
    operator, _ = logged_in(api, "operator")
    assert email in operator.get(f"/transfers/{transfer}").text  # the received payload, for operators
    answer = viewer.get("/search", params={"q": email}).text.split("record(s) for", 1)[1]  # past the search box
    assert email not in answer and f"{email[0]}…@{email.split('@')[1]}" in answer


def test_stored_text_is_escaped_on_every_page(api: Api) -> None:  # noqa: F811
    with api.world.services.store.begin() as conn:
        failures.record(conn, flow="orders", source_id="<img src=x onerror=alert(1)>", payload={}, version=None,
                        attempts=1, next_attempt_at=datetime(2026, 5, 1, tzinfo=UTC),
                        error="product with sku '<script>alert(1)</script>' is unknown in erp", run_id="r")
    operator, _ = logged_in(api, "operator")
    page = operator.get("/failures").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<script>" not in operator.get("/search", params={"q": "<script>"}).text
    with api.world.services.store.begin() as conn:
        failures.clear(conn, "orders", ["<img src=x onerror=alert(1)>"])


def test_forms_need_the_sessions_csrf_token_and_the_same_origin(api: Api) -> None:  # noqa: F811
    operator, csrf = logged_in(api, "operator")
    assert 403 == operator.post("/flows/stock/pause", data={"next": "/"}).status_code
    assert 403 == operator.post("/flows/stock/pause", data={"csrf": "wrong", "next": "/"}).status_code
    assert 403 == operator.post("/flows/stock/pause", data={"csrf": csrf},
                                headers={"Origin": "https://evil.example"}).status_code
    assert "stock" not in api.world.services.paused()
    done = operator.post("/flows/stock/pause", data={"csrf": csrf, "next": "https://evil.example/"})
    assert 303 == done.status_code and "/" == done.headers["location"]  # never sent off the site
    assert {"stock"} == api.world.services.paused()
    assert "Flow stock paused." in operator.get("/").text
    operator.post("/flows/stock/resume", data={"csrf": csrf})
    assert set() == api.world.services.paused()
    viewer, viewer_csrf = logged_in(api, "viewer")
    assert 403 == viewer.post("/flows/stock/pause", data={"csrf": viewer_csrf}).status_code


def test_a_changed_record_shows_its_previous_and_new_data_side_by_side(api: Api) -> None:  # noqa: F811
    world = api.world
    world.run("products")
    world.services.detail_logging("shop", 1)
    order = add_order(world, seed=9)
    world.run("orders")
    world.shop.sandbox.update_order(order["id"], note="leave at the door")
    world.run("orders")
    operator, _ = logged_in(api, "operator")
    page = operator.get("/search", params={"q": order["name"]}).text
    latest = page.rsplit('href="/transfers/', 1)[1].split('"', 1)[0]
    shown = operator.get(f"/transfers/{latest}").text
    assert "Changed since transfer" in shown
    new_note = shown.split('<tr class="replace">', 1)[1].split("</tr>", 1)[0]
    assert "leave at the door" in new_note


def test_runs_page_on_by_keyset_and_a_run_lists_its_transfers(api: Api) -> None:  # noqa: F811
    world = api.world
    world.run("products")
    for _ in range(3):
        world.run("stock")
    viewer, _ = logged_in(api, "viewer")
    ids = [r.id for r in world.services.runs(flow="stock", limit=3)]
    page = viewer.get("/runs", params={"flow": "stock"}).text
    assert [i[:8] for i in ids] == [chunk.split("<", 1)[0] for chunk in page.split("<code>")[1:4]]
    older = viewer.get("/runs", params={"flow": "stock", "before": ids[0]}).text
    assert ids[0][:8] not in older and ids[1][:8] in older
    run = viewer.get(f"/runs/{ids[-1]}")
    assert 200 == run.status_code and "Transfers" in run.text
    assert 404 == viewer.get("/runs/00000000").status_code
    assert 422 == viewer.get("/runs/<script>").status_code
