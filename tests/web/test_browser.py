"""The web app in real Chromium: log in, the overview, search by order number, a failed order's
transfer and snapshots, replaying it once its cause is fixed, and an order arriving by webhook."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from tests.web.conftest import Site, add_order, log_in, screenshot, until

SUBSCRIBE = """mutation($topic: WebhookSubscriptionTopic!, $uri: String!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: {uri: $uri, format: JSON}) {
    userErrors { message } } }"""


def test_logging_in_shows_the_overview_of_flows_with_a_chart(browser: Any, site: Site) -> None:
    page = browser.new_context(base_url=site.url).new_page()
    page.goto("/")  # no session: sent to the login page
    assert page.url.endswith("/login")
    page.fill("input[name=name]", "viewer")
    page.fill("input[name=password]", "wrong password here")
    page.click("button:has-text('Log in')")
    assert "Wrong user name or password." in page.inner_text("[role=alert]")
    page.context.close()

    page = log_in(browser, site, "operator")
    orders = page.locator("tr[data-flow=orders]")
    assert "shop.orders → erp.orders" in orders.inner_text()
    assert "succeeded" in orders.inner_text()
    assert "Run now" in orders.inner_text()  # operators act
    assert 14 == page.locator("svg.bars g.day").count()
    today = page.locator("svg.bars g.day").last
    assert "8 written, 0 failed" in (today.locator("title").text_content() or "")  # 6 products, 2 orders
    assert float(today.locator("rect.written").get_attribute("height") or 0) > 0
    screenshot(page, "overview.png")
    page.context.close()

    page = log_in(browser, site, "viewer")
    assert 0 == page.locator("button:has-text('Run now')").count()  # viewers only look
    page.context.close()


def test_an_order_is_found_by_its_number_with_its_history(browser: Any, site: Site) -> None:
    order = add_order(site.world, seed=21)
    site.world.run("orders")
    page = log_in(browser, site, "viewer")
    number = order["name"].lstrip("#")
    page.fill("header input[name=q]", number)  # typed as people say it: 1042, without the '#'
    page.click("header button:has-text('Search')")
    record = page.locator("section.record[data-flow=orders]")
    assert 1 == record.count()
    assert order["name"] in record.locator("h2").inner_text()
    assert "created" in record.locator("table").inner_text()
    page.context.close()


def test_a_failed_order_shows_its_snapshots_and_succeeds_when_replayed_after_the_fix(browser: Any,
                                                                                     site: Site) -> None:
    world = site.world
    page = log_in(browser, site, "admin")
    for connection in ("shop", "erp"):  # the admin turns detail logging on for a day
        form = page.locator(f"form[action='/connections/{connection}/detail-logging']")
        form.locator("input[name=days]").fill("1")
        form.locator("button").click()
        assert f"Detail logging for {connection} until" in page.inner_text(".notice")

    sku = "WEB-NEW-1"  # sold in the shop, not yet an item in the ERP
    added = add_order(world, seed=4, catalogue={sku: Decimal("12.50")})
    until(lambda: world.services.busy("orders") is None)
    page.locator("tr[data-flow=orders] button:has-text('Run now')").click()
    assert "Run of orders started." in page.inner_text(".notice")
    assert until(lambda: any(f.source_id.endswith(f"/{added['id']}") for f in world.services.failures("orders")))
    until(lambda: world.services.busy("orders") is None)

    page.click("nav a:has-text('Failures')")
    group = page.locator("section.group[data-flow=orders]", has_text="is unknown in erp")
    assert "1 ×" in group.locator("h2").inner_text()
    assert "product with sku … is unknown in erp" in group.locator("h2").inner_text()
    group.locator(f"a:has-text('{added['name']}')").click()  # to the record's whole history
    page.locator("section.record a").first.click()  # its failed transfer
    assert "failed" in page.locator("section.history tr.current").inner_text()
    assert f"'{sku}' is unknown in erp" in page.inner_text(".reason")
    received = page.locator("section.snapshots details[open]")
    assert "Received" in (received.text_content() or "") and sku in received.locator("pre.payload").first.inner_text()

    world.exact.sandbox.seed({"items": [{"Code": sku, "Description": "New in the shop", "IsSalesItem": True,
                                         "IsStockItem": True, "Unit": "pc", "SalesVatCode": "2",
                                         "StandardSalesPrice": 12.5}]})  # the cause fixed in the ERP
    page.click("button:has-text('Replay this record')")
    assert "Replayed 1 record(s) of orders: 1 created" in page.inner_text(".notice")
    history = page.locator("section.history tbody tr")
    assert ["failed", "created"] == [history.nth(i).locator("td").nth(4).inner_text() for i in range(2)]
    assert 1 == sum(added["name"] in str(o) for o in world.exact_orders())
    screenshot(page, "transfer-history.png")
    page.context.close()


def test_an_order_sent_by_the_shops_webhook_appears(browser: Any, site: Site) -> None:
    world = site.world
    answer = httpx.post(f"{world.shop.url}/admin/api/2026-07/graphql.json",
                        json={"query": SUBSCRIBE, "variables": {"topic": "ORDERS_CREATE",
                                                                "uri": f"{site.url}/hooks/shop"}},
                        headers={"X-Shopify-Access-Token": "shpat_demo"})
    assert [] == answer.json()["data"]["webhookSubscriptionCreate"]["userErrors"]
    page = log_in(browser, site, "viewer")
    order = add_order(world, seed=33)
    assert until(lambda: any(order["name"] in str(o) for o in world.exact_orders()))
    page.goto("/runs?flow=orders")
    assert "webhook" in page.locator("tbody tr").first.inner_text()
    page.fill("header input[name=q]", order["name"])
    page.click("header button:has-text('Search')")
    record = page.locator("section.record[data-flow=orders]")
    assert order["name"] in record.locator("h2").inner_text()
    assert "created" in record.locator("table").inner_text()
    page.context.close()
