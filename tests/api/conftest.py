"""The API served over real HTTP on loopback, over a project whose sandboxes run beside it, with
one user and one API token per role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.e2e.slice import ENVIRON, World, start_world
from tradewind.api import ROLES, Accounts, create_app
from tradewind.sandboxes._serve import Served
from tradewind.store.db import Store

PASSWORD = "correct horse battery"
WEBHOOK_SECRET = "shpss_test_webhook_secret"


@dataclass
class Api:
    world: World
    served: Served
    accounts: Accounts
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.served.url

    def client(self, role: str | None = None) -> httpx.Client:
        """A client sending the role's API token (none: anonymous)."""
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return httpx.Client(base_url=self.url, headers={"Accept": "application/json", **headers}, timeout=30)

    def login(self, name: str, password: str = PASSWORD) -> tuple[httpx.Client, httpx.Response]:
        """A browser-like client after posting the login form (its cookies kept)."""
        client = httpx.Client(base_url=self.url, timeout=30)
        form = client.get("/login")
        csrf = form.text.split("name=csrf value='", 1)[1].split("'", 1)[0]
        answer = client.post("/login", data={"name": name, "password": password, "csrf": csrf})
        return client, answer


def build(tmp: Path) -> tuple[World, Store]:
    store = Store(f"sqlite:///{tmp}/tradewind.db")
    store.upgrade()
    return start_world(tmp, store), store


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in ENVIRON.items():
            patch.setenv(name, value)
        patch.setenv("TRADEWIND_WEBHOOK_SECRET_SHOP", WEBHOOK_SECRET)
        world, store = build(tmp_path_factory.mktemp("api"))
        accounts = Accounts(store)
        app = create_app(world.services, accounts=accounts)
        served = Served(app).start()
        found = Api(world=world, served=served, accounts=accounts)
        for role in ROLES:
            accounts.add_user(role, PASSWORD, role)
            found.tokens[role] = accounts.create_token(f"{role}-machine", role)
        try:
            yield found
        finally:
            app.state.worker.stop()
            served.stop()
            world.exact.stop()
            world.shop.stop()
            store.dispose()
