"""The web app served over real HTTP on loopback (uvicorn in a thread), over a project whose
Shopify and Exact Online sandboxes run beside it (the shop signs its webhooks with the
connection's ``webhook_secret``), with one user per role; and a real Chromium driven by Playwright.

Chromium is Debian's (``/usr/bin/chromium``, installed by ``.ci/run``); Playwright only drives it
(never ``playwright install``). Without either the browser tests skip with the reason, or fail
when ``TRADEWIND_REQUIRE_SERVICES=1`` (CI).
"""

from __future__ import annotations

import os
import random
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.slice import ENVIRON, World
from tradewind.api import ROLES, Accounts, create_app
from tradewind.engine.project import load_project
from tradewind.engine.services import Services
from tradewind.sandboxes import exact_online, shopify
from tradewind.sandboxes._serve import Served
from tradewind.sandboxes.exact_online_data import catalogue, service_items
from tradewind.sandboxes.project import sandbox_project
from tradewind.sandboxes.shopify_data import random_order
from tradewind.store.db import Store

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
PASSWORD = "correct horse battery"
SECRET = "shpss_web_tests"
ARTEFACTS = Path(__file__).parent / ".artefacts"


def until(done: Callable[[], object], seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@dataclass
class Site:
    world: World
    app: Any
    served: Served

    @property
    def url(self) -> str:
        return self.served.url


def _missing_browser() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    if not (os.access(CHROMIUM, os.X_OK) or shutil.which("chromium")):
        return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test module."""
    problem = _missing_browser()
    if problem:
        if os.environ.get("TRADEWIND_REQUIRE_SERVICES") == "1":
            pytest.fail(problem + " (TRADEWIND_REQUIRE_SERVICES=1)")
        pytest.skip(problem)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM if os.access(CHROMIUM, os.X_OK)
                                          else shutil.which("chromium"), args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _project(exact: Served, shop: Served) -> str:
    text = sandbox_project(exact.url, shop.url, prefix="E2E", retry_backoff="1s")
    token = "    token: ${E2E_SHOPIFY_TOKEN}\n"
    return text.replace(token, token + "    webhook_secret: ${E2E_SHOPIFY_WEBHOOK_SECRET}\n")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The app with a user per role (named after it), products synced to the shop, two paid orders booked."""
    tmp = tmp_path_factory.mktemp("web")
    environ = {**ENVIRON, "E2E_SHOPIFY_WEBHOOK_SECRET": SECRET}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environ.items():
            patch.setenv(name, value)
        patch.delenv("TRADEWIND_WEBHOOK_SECRET_SHOP", raising=False)
        store = Store(f"sqlite:///{tmp}/tradewind.db")
        store.upgrade()
        seed = catalogue(products=6, customers=5, seed=11)
        seed["items"].extend(service_items())
        exact = Served(exact_online.create_app(seed=seed, minutely_limit=None, daily_limit=None)).start()
        shop = Served(shopify.create_app(bucket_size=None, webhook_secret=SECRET,
                                         webhook_retry_waits=(0.2, 0.4, 0.8))).start()
        path = tmp / "tradewind.yaml"
        path.write_text(_project(exact, shop))
        services = Services.open(load_project(path, environ=environ), store)
        world = World(exact=exact, shop=shop, project_path=path, services=services)
        accounts = Accounts(store)
        for role in ROLES:
            accounts.add_user(role, PASSWORD, role)
        app = create_app(services, accounts=accounts)
        served = Served(app).start()
        world.run("products")
        add_order(world, seed=3)
        add_order(world, seed=4)
        world.run("orders")
        try:
            yield Site(world=world, app=app, served=served)
        finally:
            shop.sandbox.webhooks.stop()
            app.state.worker.stop()
            for one in (served, exact, shop):
                one.stop()
            store.dispose()


def add_order(world: World, *, seed: int, catalogue: Any = None) -> dict[str, Any]:
    """A paid order paid by iDEAL (a payment condition the ERP sandbox knows), over the shop's
    SKUs or ``catalogue`` ({sku: price})."""
    shop = world.shop.sandbox
    order = random_order(catalogue or shop, rng=random.Random(seed), customers=list(shop.store.customers.values()))
    order["financial_status"] = "paid"
    order["payment_gateway_names"] = ["ideal"]
    for transaction in order["transactions"]:
        transaction.update(gateway="ideal", status="success")
    return dict(shop.add_order(order))


def log_in(browser: Any, site: Site, role: str) -> Any:
    """A fresh browser context logged in as the role's user, on the overview."""
    context = browser.new_context(base_url=site.url, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=name]", role)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Log in')")
    page.wait_for_url(f"{site.url}/")
    return page


def screenshot(page: Any, name: str) -> Path:
    ARTEFACTS.mkdir(exist_ok=True)
    path = ARTEFACTS / name
    page.screenshot(path=str(path), full_page=True)
    return path
