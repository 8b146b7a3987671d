"""The fault suite's world: Shopify and Exact Online sandboxes on loopback, the orders flow's project
file, the tradewind CLI as a subprocess that can be killed, and the tally that judges the result.

The tally compares the two sandboxes' own state, never tradewind's store: *records* are the paid
orders in the shop, *written* the shop orders booked in Exact (by ``YourRef``), *duplicates* the
Exact sales orders beyond one per shop order, *lost* the paid orders not booked, *incomplete* the
booked orders whose lines (item, quantity, net amount) differ from the shop order's lines.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet

from tradewind import connectors
from tradewind.sandboxes import exact_online, shopify
from tradewind.sandboxes._serve import Served
from tradewind.sandboxes.exact_online_data import catalogue, service_items
from tradewind.sandboxes.project import sandbox_project, secrets
from tradewind.sandboxes.shopify_data import random_order

PREFIX = "FAULTS"
ENVIRON = secrets(PREFIX)
ARTEFACTS = Path(__file__).parent / ".artefacts"
TOLERANCE = Decimal("0.02")
"""Cents a line's net amount may differ by: Exact rounds a net unit price to four places."""

CLIENT_TIMEOUT = 1.5 if "timeout" in connectors.get("exact_online").Options.model_fields else 30.0
"""Seconds the connectors wait for an answer. There is no project option for it yet (the clients use
30 s), so stalls only end by a kill until one exists; with one, the suite scales it down."""
STALL = CLIENT_TIMEOUT + 0.5
"""A stall just past the client's timeout shows the same bug as one of minutes."""

_SCRIPT = Path(sys.executable).with_name("tradewind")
CLI = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-c", "from tradewind.cli import main; main()"]


def secret_key() -> str:
    """The key token stores seal tokens with: the environment's, else a fresh one for this test."""
    return os.environ.get("TRADEWIND_SECRET_KEY") or Fernet.generate_key().decode()


@dataclass
class Tally:
    """The result of a fault test; ``line()`` is what each test prints."""

    records: int
    written: int
    duplicates: int
    lost: int
    incomplete: int
    duplicate_customers: int = 0
    unexpected: int = 0
    """Orders booked that are no paid order of the shop (a filtered order written after all)."""
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (f"records={self.records} written={self.written} duplicates={self.duplicates} lost={self.lost} "
                f"incomplete={self.incomplete}")

    @property
    def clean(self) -> bool:
        return self.duplicates == self.lost == self.incomplete == self.duplicate_customers == self.unexpected == 0


@dataclass
class Sandboxes:
    """Both sandboxes, seeded: Exact with a small catalogue and customers, the shop with the same SKUs."""

    exact: Served
    shop: Served
    prices: dict[str, Decimal]
    customers: list[dict[str, Any]]

    @classmethod
    def start(cls, *, products: int = 4, shop_app: Any = None) -> Sandboxes:
        doc = catalogue(products=products, customers=4, seed=11)
        doc["items"].extend(service_items())
        # Refresh tokens do not rotate here: a process killed between Exact's token exchange and the
        # commit of the new pair loses it by nature (issue 8, point 4); this suite is about orders.
        exact = Served(exact_online.create_app(seed=doc, minutely_limit=None, daily_limit=None,
                                               rotate_refresh_tokens=False)).start()
        shop = Served(shop_app or shopify.create_app(bucket_size=None)).start()
        stock = [i for i in doc["items"] if i.get("IsStockItem")]
        shop_state(shop).seed({"products": [
            {"title": i["Description"], "variants": [{"sku": i["Code"], "price": str(i["StandardSalesPrice"])}]}
            for i in stock]})
        prices = {i["Code"]: Decimal(str(i["StandardSalesPrice"])) for i in stock}
        customers = [{"email": a["Email"], "first_name": a["Name"].split()[0], "last_name": a["Name"].split()[-1]}
                     for a in doc["accounts"]]
        return cls(exact=exact, shop=shop, prices=prices, customers=customers)

    def stop(self) -> None:
        self.exact.stop()
        self.shop.stop()

    def add_orders(self, n: int, rng: random.Random, *, paid: bool | None = None) -> list[dict[str, Any]]:
        """``n`` random orders (80 % paid unless ``paid`` says), some by known customers, some guests."""
        added = []
        for _ in range(n):
            order = random_order(self.prices, rng=rng, customers=self.customers)
            if paid is not None:
                order["financial_status"] = "paid" if paid else "pending"
            added.append(shop_state(self.shop).add_order(order))
        return added

    def chaos(self, *, rate: float, seed: int) -> None:
        """Faults of every kind in ``rate`` of the vendor calls (Exact's token endpoint aside)."""
        for served, path in ((self.exact, "/api/v1/"), (self.shop, "graphql")):
            httpx.post(f"{served.url}/_sandbox/chaos", json={
                "rate": rate, "seed": seed, "path_contains": path, "delay": STALL, "retry_after": 0.5,
                "storm": 3}).raise_for_status()

    def chaos_off(self) -> dict[str, dict[str, int]]:
        """Stop chaos; what each sandbox injected, by kind."""
        injected = {}
        for name, served in (("exact", self.exact), ("shop", self.shop)):
            httpx.post(f"{served.url}/_sandbox/chaos", json={"rate": 0}).raise_for_status()
            injected[name] = httpx.get(f"{served.url}/_sandbox/chaos").json()["injected"]
        return injected

    def project(self, directory: Path, **exact_options: Any) -> Path:
        """The orders flow's project file. The Exact sandbox runs unlimited and so sends no rate headers
        to correct the connector's default budget of 60 calls a minute: lift it (429s come from chaos)."""
        exact_options = {"calls_per_minute": 1_000_000, "calls_per_day": 100_000_000, **exact_options}
        if CLIENT_TIMEOUT < 30:
            exact_options.setdefault("timeout", CLIENT_TIMEOUT)
        path = directory / "tradewind.yaml"
        path.write_text(sandbox_project(self.exact.url, self.shop.url, prefix=PREFIX, flows=["orders"],
                                        retry_backoff="1s", exact_options=exact_options))
        return path

    def tally(self) -> Tally:
        return tally(shop_state(self.shop).dump()["orders"], exact_state(self.exact).dump())


def shop_state(served: Served) -> Any:
    return served.app.state.sandbox  # type: ignore[attr-defined]


def exact_state(served: Served) -> Any:
    return served.app.state.sandbox  # type: ignore[attr-defined]


# -- the tally -----------------------------------------------------------------------------------


def tally(shop_orders: list[dict[str, Any]], exact: dict[str, Any]) -> Tally:
    paid = {o["name"]: o for o in shop_orders if o["financial_status"] == "paid"}
    booked: dict[str, list[dict[str, Any]]] = {}
    for order in exact["sales_orders"]:  # a dump carries each order's lines
        booked.setdefault(order["YourRef"], []).append(order)
    unexpected = [ref for ref in booked if ref not in paid]
    problems = [f"{ref} booked but not a paid shop order" for ref in unexpected]
    written = [name for name in paid if name in booked]
    duplicates = sum(len(orders) - 1 for orders in booked.values())
    problems += [f"{ref} booked {len(orders)} times" for ref, orders in booked.items() if len(orders) > 1]
    incomplete = 0
    for name in written:
        wrong = [p for p in (line_problems(paid[name], order) for order in booked[name]) if p]
        incomplete += bool(wrong)
        problems += [f"{name}: {p}" for p in wrong]
    emails = Counter((a.get("Email") or "").lower() for a in exact["accounts"] if a.get("Email"))
    duplicate_customers = sum(n - 1 for n in emails.values())
    problems += [f"customer {e} created {n} times" for e, n in emails.items() if n > 1]
    return Tally(records=len(paid), written=len(written), duplicates=duplicates, lost=len(paid) - len(written),
                 incomplete=incomplete, duplicate_customers=duplicate_customers, unexpected=len(unexpected),
                 problems=problems)


def line_problems(shop: dict[str, Any], booked: dict[str, Any]) -> str | None:
    """What differs between a shop order's lines (shipping included) and a booked order's, if anything."""
    want = sorted(_shop_lines(shop))
    got = sorted((line["ItemCode"], Decimal(str(line["Quantity"])), Decimal(str(line["AmountFC"])))
                 for line in booked["SalesOrderLines"])
    same = len(want) == len(got) and all(
        w[:2] == g[:2] and abs(w[2] - g[2]) <= TOLERANCE for w, g in zip(want, got, strict=True))
    return None if same else f"lines {got} instead of {want}"


def _shop_lines(order: dict[str, Any]) -> list[tuple[str, Decimal, Decimal]]:
    """(item, quantity, net amount) per line: the gross amount less the line's own tax lines."""
    def net(gross: Decimal, taxes: list[dict[str, Any]]) -> Decimal:
        return gross - sum((Decimal(str(t["price"])) for t in taxes), Decimal(0))

    lines = [(li["sku"], Decimal(li["quantity"]),
              net(Decimal(str(li["price"])) * li["quantity"] - Decimal(str(li["total_discount"])), li["tax_lines"]))
             for li in order["line_items"]]
    for ship in order["shipping_lines"]:
        if Decimal(str(ship["price"])):
            lines.append(("SHIP", Decimal(1), net(Decimal(str(ship["price"])), ship["tax_lines"])))
    return lines


# -- the CLI as a subprocess ----------------------------------------------------------------------


@dataclass
class Outcome:
    """How one CLI process ended: its exit code (-9 when we killed it), whether it hung past its
    timeout (then its threads' stacks end the output), and the tail of its output."""

    args: tuple[str, ...]
    code: int
    seconds: float
    output: str
    hung: bool = False

    @property
    def killed(self) -> bool:
        return self.code == -signal.SIGKILL and not self.hung

    def brief(self) -> str:
        what = "hung, stopped" if self.hung else "killed" if self.killed else f"exit {self.code}"
        return f"{' '.join(self.args)}: {what} after {self.seconds:.1f}s"


@dataclass
class Cli:
    """Runs ``tradewind`` against one project and database, as an operator (or a scheduler) would."""

    project: Path
    database_url: str
    outcomes: list[Outcome] = field(default_factory=list)
    key: str = field(default_factory=secret_key)

    def env(self) -> dict[str, str]:
        return {**os.environ, **ENVIRON, "TRADEWIND_DATABASE_URL": self.database_url,
                "TRADEWIND_SECRET_KEY": self.key, "NO_COLOR": "1", "COLUMNS": "200", "PYTHONFAULTHANDLER": "1"}

    def __call__(self, *args: str, kill_after: float | None = None, timeout: float = 120) -> Outcome:
        """Run ``tradewind ARGS -p PROJECT``; SIGKILL it after ``kill_after`` seconds if still running.
        One still running after ``timeout`` hung: SIGABRT makes it print every thread's stack first."""
        started = time.monotonic()
        process = subprocess.Popen([*CLI, *args, "-p", str(self.project)], env=self.env(), cwd=self.project.parent,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        hung = False
        try:
            output, _ = process.communicate(timeout=kill_after if kill_after is not None else timeout)
        except subprocess.TimeoutExpired:
            hung = kill_after is None
            process.send_signal(signal.SIGABRT if hung else signal.SIGKILL)
            try:
                output, _ = process.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
                output, _ = process.communicate()
        outcome = Outcome(args, process.returncode, time.monotonic() - started, output[-12000:], hung)
        self.outcomes.append(outcome)
        return outcome


def report(name: str, tally: Tally, details: list[str], capsys: Any) -> None:
    """Print the tally line (past pytest's capture) and keep it, with ``details`` of how it came about,
    in ``tests/faults/.artefacts/<name>.txt``."""
    with capsys.disabled():
        print(f"\n{name}: {tally.line()}")
    ARTEFACTS.mkdir(exist_ok=True)
    lines = [tally.line(), f"duplicate customers: {tally.duplicate_customers}", *details, *tally.problems]
    (ARTEFACTS / f"{name}.txt").write_text("\n".join(lines) + "\n")
