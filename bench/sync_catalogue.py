"""Benchmark: a catalogue sync from Exact Online to Shopify over HTTP, against the sandboxes.

Prints figures, never asserts them (see bench/README.md for what each one means):

* full sync (products, prices, stock flows) of ``--products`` models, then an incremental sync
  after 1% of them changed, with the sandboxes' rate limits lifted: API calls made next to the
  minimum needed (per system, per flow, per call kind), records/s, peak RSS of the engine process;
* a minimal-call client (``bench/minimal_client.py``: the fewest calls a correct full sync needs,
  sequential, plain httpx, no engine) on an emptied shop: engine calls ÷ minimal calls per system,
  and the engine's CPU per record ÷ the minimal client's;
* the engine's own calls replayed by a bare httpx loop (recorded by the sandboxes, pre-built, no
  mapping, store or logging): a measure of the engine's CPU overhead over those calls, not a floor;
* peak memory at ``--small`` and at ``--products`` models and its growth;
* ``--real-limits-products`` models with the vendors' real limits on: elapsed ÷ the least time the
  limits allow for the minimal client's calls (its calls and cost points at that size, counted on
  lifted sandboxes by a ``minimal`` worker).

Each scenario runs in a child process of its own (``--worker``), so peak memory is not inflated by
an earlier scenario and the connectors' process-wide rate budgets start fresh; the sandboxes run
in yet another process (``bench/_sandboxes.py``), so their data and CPU are not the engine's.
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from tradewind.sandboxes.project import sandbox_project, secrets

sys.path.insert(0, str(Path(__file__).resolve().parent))
from minimal_client import MinimalSync, minimal_calls  # a sibling script, not a package

HERE = Path(__file__).resolve().parent
SECRETS = secrets("BENCH")
FLOWS = ("products", "prices", "stock")
CHANGE_EVERY = 100  # one product in 100 changes between the full and the incremental sync

# Page and batch sizes of the vendors' APIs (and of the connectors, which use the vendors' maxima).
EXACT_SYNC_PAGE = 1000  # sync/ and bulk/ endpoints answer 1,000 rows a call
SHOP_SKUS_PER_SEARCH = 50  # products searched by SKUs and handle: 50 OR-ed terms a query
SHOP_STOCK_PER_MUTATION = 250  # inventorySetQuantities takes 250 quantities
EXACT_RATE, EXACT_ALLOWANCE = 1.0, 60  # 60 calls a minute (fixed window): 1/s after the first window
SHOP_RATE, SHOP_ALLOWANCE = 50.0, 1000  # 1000-point bucket restored at 50 points a second


# -- the sandboxes' process ------------------------------------------------------------------------


class Sandboxes:
    """``bench/_sandboxes.py`` as a child process, and its control calls."""

    def __init__(self, products: int, *, real_limits: bool) -> None:
        self.real_limits = real_limits
        command = [sys.executable, str(HERE / "_sandboxes.py"), "--products", str(products)]
        if real_limits:
            command.append("--real-limits")
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline().split()
        if not line or line[0] != "READY":
            self.stop()
            raise RuntimeError(f"sandboxes did not start: {line}")
        self.url = {"exact": line[1], "shop": line[2]}
        self.http = httpx.Client(timeout=120)

    def get(self, system: str, action: str) -> Any:
        return self.http.get(f"{self.url[system]}/_bench/{action}").raise_for_status().json()

    def post(self, system: str, action: str, body: dict[str, Any] | None = None) -> Any:
        return self.http.post(f"{self.url[system]}/_bench/{action}", json=body or {}).raise_for_status().json()

    def stats(self) -> dict[str, Any]:
        return {system: self.get(system, "stats") for system in self.url}

    def reset(self) -> None:
        for system in self.url:
            self.post(system, "reset")

    def record(self, on: bool) -> None:
        for system in self.url:
            self.post(system, "record", {"on": on})

    def recorded(self) -> list[tuple[str, list[str]]]:
        """Every request kept since ``record(True)``, both systems, in the order they arrived."""
        merged = [(system, row) for system in self.url for row in self.get(system, "recorded")]
        return sorted(merged, key=lambda pair: float(pair[1][0]))

    def cpu(self) -> float:
        """CPU seconds the sandboxes' process has used so far (all its threads; Linux's /proc)."""
        with open(f"/proc/{self.process.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# -- memory --------------------------------------------------------------------------------------


def rss() -> int:
    """This process's resident memory in bytes: psutil when installed, else Linux's /proc."""
    try:
        import psutil
    except ImportError:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    return int(psutil.Process().memory_info().rss)


class RssPeak:
    """Peak resident memory of this process, sampled every 10 ms on a thread (tracemalloc would
    slow every allocation and so the timings; RSS sampling costs next to nothing)."""

    def __init__(self) -> None:
        self.baseline = rss()
        self.peak = self.baseline
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, rss())

    def __enter__(self) -> RssPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss())


# -- the engine side -----------------------------------------------------------------------------


@dataclass
class Phase:
    """One sync (all three flows) as the engine ran it."""

    seconds: dict[str, float] = field(default_factory=dict)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    calls: dict[str, dict[str, Any]] = field(default_factory=dict)  # flow → system → stats
    recorded: dict[str, list[tuple[str, list[str]]]] = field(default_factory=dict)
    rss_baseline: int = 0
    rss_peak: int = 0
    cpu: float = 0.0  # the engine process's CPU seconds over the phase (all threads)
    sandbox_cpu: dict[str, float] = field(default_factory=dict)  # flow → the sandboxes' process's CPU s
    flow_cpu: dict[str, float] = field(default_factory=dict)  # flow → the engine process's CPU s

    def as_json(self) -> dict[str, Any]:
        return {"seconds": self.seconds, "counts": self.counts, "calls": self.calls,
                "rss_baseline": self.rss_baseline, "rss_peak": self.rss_peak, "cpu": self.cpu,
                "sandbox_cpu": self.sandbox_cpu, "flow_cpu": self.flow_cpu}


def open_services(directory: Path, sandboxes: Sandboxes) -> Any:
    from tradewind.engine.project import load_project
    from tradewind.engine.services import Services
    from tradewind.store.db import Store

    path = directory / "tradewind.yaml"
    lifted = {} if sandboxes.real_limits else {"calls_per_minute": 1_000_000, "calls_per_day": 100_000_000}
    path.write_text(sandbox_project(sandboxes.url["exact"], sandboxes.url["shop"], prefix="BENCH", flows=FLOWS,
                                    exact_options=lifted))
    store = Store(f"sqlite:///{directory / 'tradewind.db'}")
    store.upgrade()
    return Services.open(load_project(path, environ=SECRETS), store)


def run_phase(services: Any, sandboxes: Sandboxes, *, record: bool) -> Phase:
    """Run the three flows one after the other, counting each flow's calls on the sandboxes' side.

    Recorded requests are fetched only after the phase (and split by flow on the monotonic clock,
    which Linux shares between processes), so they never weigh on the engine's peak memory."""
    phase = Phase()
    starts: list[float] = []
    if record:
        sandboxes.record(True)
    cpu = time.process_time()
    with RssPeak() as rss:
        for flow in FLOWS:
            PeakSnapshot.flow = flow
            sandboxes.reset()
            starts.append(time.monotonic())
            sandbox_cpu, flow_cpu = sandboxes.cpu(), time.process_time()
            started = time.perf_counter()
            result = services.run_flow(flow)
            phase.seconds[flow] = time.perf_counter() - started
            phase.flow_cpu[flow] = time.process_time() - flow_cpu
            phase.sandbox_cpu[flow] = sandboxes.cpu() - sandbox_cpu
            phase.counts[flow] = dict(result.counts)
            phase.calls[flow] = sandboxes.stats()
            if result.status != "succeeded":
                print(f"warning: flow {flow} ended {result.status}: {result.error}", file=sys.stderr)
    phase.cpu = time.process_time() - cpu
    phase.rss_baseline, phase.rss_peak = rss.baseline, rss.peak
    if record:
        sandboxes.record(False)
        requests = sandboxes.recorded()
        bounds = [*starts[1:], math.inf]
        for flow, start, end in zip(FLOWS, starts, bounds, strict=True):
            phase.recorded[flow] = [r for r in requests if start <= float(r[1][0]) < end]
    return phase


# -- the bare loop -------------------------------------------------------------------------------


def replay(sandboxes: Sandboxes, requests: list[tuple[str, list[str]]], token: str) -> dict[str, Any]:
    """Send the recorded requests again with httpx, one after the other, and read each answer's
    JSON: no mapping, no store, no logging. Bodies are decoded before the clock starts."""
    prepared = []
    for system, (_, method, target, content_type, body) in requests:
        headers = {"Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        if system == "exact":
            headers["Authorization"] = f"Bearer {token}"
        else:
            headers["X-Shopify-Access-Token"] = SECRETS["BENCH_SHOPIFY_TOKEN"]
        prepared.append((system, method, sandboxes.url[system] + target, headers, base64.b64decode(body) or None))
    clients = {system: httpx.Client(timeout=60) for system in sandboxes.url}
    refused = 0
    started = time.perf_counter()
    for system, method, url, headers, content in prepared:
        response = clients[system].request(method, url, headers=headers, content=content)
        answer = response.json() if response.content else None
        if response.status_code >= 400 or (isinstance(answer, dict) and answer.get("errors")):
            refused += 1
    seconds = time.perf_counter() - started
    for client in clients.values():
        client.close()
    return {"seconds": seconds, "calls": len(prepared), "refused": refused}


def minimal(sandboxes: Sandboxes) -> dict[str, Any]:
    """The minimal-call client's full sync on an emptied shop: its calls (as it and the sandboxes
    count them), Shopify cost points, wall and CPU seconds."""
    sandboxes.post("shop", "empty-shop")
    sandboxes.reset()
    started, cpu = time.perf_counter(), time.process_time()
    tally = MinimalSync(sandboxes.url["exact"], sandboxes.url["shop"], SECRETS).run()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    stats = sandboxes.stats()
    return {"seconds": seconds, "cpu": cpu, "calls": dict(tally.calls), "refused": tally.refused,
            "exact": int(stats["exact"]["total"]), "shop": int(stats["shop"]["total"]),
            "points": float(stats["shop"]["points"]["actual"]),
            "statuses_429": int(stats["exact"]["statuses"].get("429", 0)),
            "throttled": int(stats["shop"]["points"]["throttled"])}


def bare_loop(sandboxes: Sandboxes, phases: list[Phase]) -> list[dict[str, dict[str, Any]]]:
    """Replay each phase's calls per flow onto an emptied shop (so creates are creates again)."""
    sandboxes.post("shop", "empty-shop")
    token = sandboxes.post("exact", "token")["access_token"]
    return [{flow: replay(sandboxes, phase.recorded[flow], token) for flow in FLOWS} for phase in phases]


# -- one scenario per process ---------------------------------------------------------------------


def worker(products: int, mode: str) -> dict[str, Any]:
    """``lifted``: full + incremental + bare loop + minimal client; ``memory``: full sync only
    (peak RSS); ``real``: full sync with the vendors' real limits; ``minimal``: the minimal client
    alone (limits lifted), for the real-limits ceiling; ``minimal-real``: the minimal client under
    the real limits (its elapsed time: what the fewest calls take there, latency included);
    ``traced``: as ``memory``, under tracemalloc (slower): Python's own allocations during the sync —
    their peak, what is still held at its end, and the source lines holding most of that."""
    from tradewind.log import configure

    configure("WARNING")
    os.environ.update(SECRETS)  # secret references are resolved when a connection opens
    sandboxes = Sandboxes(products, real_limits=mode in ("real", "minimal-real"))
    try:
        info = sandboxes.get("exact", "info")
        if mode in ("minimal", "minimal-real"):
            return {"products": products, "mode": mode, "info": info, "minimal": minimal(sandboxes)}
        with tempfile.TemporaryDirectory(prefix="tradewind-bench-") as directory:
            services = open_services(Path(directory), sandboxes)
            record = mode == "lifted"
            if mode == "traced":
                tracemalloc.start(1)
                before = tracemalloc.take_snapshot()
                peak = PeakSnapshot().start()
            started = time.perf_counter()
            full = run_phase(services, sandboxes, record=record)
            out: dict[str, Any] = {"products": products, "mode": mode, "info": info, "full": full.as_json(),
                                   "elapsed": time.perf_counter() - started}
            if mode == "traced":
                peak.stop()
                out["traced"] = traced(before)
                out["traced"]["at_peak"] = {"current": peak.best, "flow": peak.best_flow,
                                            "top": top_lines(peak.snapshot, before) if peak.snapshot else []}
            if mode != "lifted":
                return out
            out["changed"] = sandboxes.post("exact", "change", {"every": CHANGE_EVERY})
            incremental = run_phase(services, sandboxes, record=True)
            out["incremental"] = incremental.as_json()
            bare_full, bare_incremental = bare_loop(sandboxes, [full, incremental])
            out["bare"] = {"full": bare_full, "incremental": bare_incremental}
            out["minimal"] = minimal(sandboxes)
            services.store.dispose()
            return out
    finally:
        sandboxes.stop()


class PeakSnapshot:
    """Every 5 s, a tracemalloc snapshot whenever the traced memory is the highest seen so far: what
    is allocated near the peak (run-scoped state freed by a run's end is not in the final snapshot)."""

    flow = ""

    def __init__(self) -> None:
        self.best, self.best_flow = 0, ""
        self.snapshot: tracemalloc.Snapshot | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def start(self) -> PeakSnapshot:
        self._thread.start()
        return self

    def _watch(self) -> None:
        while not self._stop.wait(5.0):
            current, _ = tracemalloc.get_traced_memory()
            if current > self.best:
                self.snapshot, self.best, self.best_flow = tracemalloc.take_snapshot(), current, PeakSnapshot.flow

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def top_lines(snapshot: tracemalloc.Snapshot, before: tracemalloc.Snapshot) -> list[list[Any]]:
    """The 12 source lines whose allocations grew most from ``before`` to ``snapshot``."""
    ignore = [tracemalloc.Filter(False, tracemalloc.__file__)]
    top = snapshot.filter_traces(ignore).compare_to(before.filter_traces(ignore), "lineno")[:12]
    return [[f"{s.traceback[0].filename.split('site-packages/')[-1].split('/src/')[-1]}:{s.traceback[0].lineno}",
             s.size_diff, s.count_diff] for s in top]


def traced(before: tracemalloc.Snapshot) -> dict[str, Any]:
    """tracemalloc's figures since ``before`` (taken just before the first flow): the peak of the
    memory allocated since, what is still allocated, and the 12 source lines that hold most of it."""
    current, peak = tracemalloc.get_traced_memory()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    return {"peak": peak, "current": current, "top": top_lines(after, before)}


def run_worker(products: int, mode: str, console: Console) -> dict[str, Any]:
    console.print(f"[dim]running {mode} scenario with {products:,} products…[/dim]")
    done = subprocess.run([sys.executable, __file__, "--worker", mode, "--products", str(products)],
                          stdout=subprocess.PIPE, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# -- minimums ------------------------------------------------------------------------------------


def minimum_full(info: dict[str, int]) -> dict[str, dict[str, int]]:
    """The calls each flow of a full sync cannot do without, given that the flows run apart (per
    flow, per call kind). The minimal-call client (``minimal_client.py``) is the floor across flows.

    products: Exact — one token grant, then every item once through the sync API, 1,000 a call
    (service items too: the sync API filters on ``Timestamp`` only). Grouping items into products
    needs no further read: a full read sees every item. Shopify — since nothing is bound yet, the
    products that may exist by their variants' SKUs and their handles, 50 OR-ed terms a search,
    and one ``productSet`` per product (there is no bulk product write).
    prices: Exact — every sales price once, 1,000 a call. Shopify — none: ``productSet`` answered
    with each variant's id and price, which bind the prices (the same amounts: Exact sells net and
    the shop shows net), so nothing is searched and nothing written.
    stock: Exact — every item-warehouse row once through ``sync/Inventory/ItemWarehouses``, 1,000 a
    call (``inventory/ItemWarehouses`` may not be read unfiltered, and the sync API filters on
    ``Timestamp`` only, so rows of other warehouses are read and dropped). Shopify — the locations
    query (the level's location id) and one ``inventorySetQuantities`` per 250 levels that differ
    from the shop's (new variants stand at 0, and ``productSet`` answered with their inventory items,
    so nothing is searched: the non-zero rows).
    """
    items, products, stock = info["items"], info["products"], info["stock"]
    return {
        "products": {"exact": 1 + math.ceil(info["all_items"] / EXACT_SYNC_PAGE),
                     "shop lookups": math.ceil((items + products) / SHOP_SKUS_PER_SEARCH), "shop writes": products},
        "prices": {"exact": math.ceil(info["all_prices"] / EXACT_SYNC_PAGE), "shop lookups": 0, "shop writes": 0},
        "stock": {"exact": math.ceil(info["stock_rows"] / EXACT_SYNC_PAGE), "shop lookups": 1 if stock else 0,
                  "shop writes": math.ceil(info["stock_nonzero"] / SHOP_STOCK_PER_MUTATION)},
    }


def minimum_incremental(changed: dict[str, int]) -> dict[str, dict[str, int]]:
    """After ``k`` products changed (one item, its price and one stock row each).

    products: Exact — one sync page holds the k changed items (k ≤ 1,000); a product is its whole
    group, so the other items of the k models must be read: one ``or``-filter per 40 models on the
    bulk endpoint (the URL length Exact accepts). Shopify — k ``productSet`` by bound id, no search.
    prices: Exact — one sync page; Shopify — none: the new prices went out with the products'
    ``productSet`` (whose answers keep them with the bindings), and one change is written once.
    stock: Exact — one sync page holds the k changed rows (k ≤ 1,000); Shopify — bound (the id carries
    the location, the quantity last written is the compare-and-swap's): one ``inventorySetQuantities``
    for up to 250 levels.
    """
    k, prices, stock = changed["products"], changed["prices"], changed["stock"]
    return {
        "products": {"exact": math.ceil(k / EXACT_SYNC_PAGE) + math.ceil(k / 40), "shop lookups": 0,
                     "shop writes": k},
        "prices": {"exact": max(1, math.ceil(prices / EXACT_SYNC_PAGE)), "shop lookups": 0, "shop writes": 0},
        "stock": {"exact": max(1, math.ceil(stock / EXACT_SYNC_PAGE)), "shop lookups": 0,
                  "shop writes": math.ceil(stock / SHOP_STOCK_PER_MUTATION)},
    }


_SHOP_WRITES = {"ProductSet", "VariantsBulkUpdate", "InventorySet"}


def actual(calls: dict[str, Any]) -> dict[str, int]:
    """The sandboxes' counts in the minimums' terms: Exact calls (429s included), Shopify
    searches/queries and Shopify mutations."""
    ops = Counter(calls["shop"]["ops"])
    writes = sum(n for op, n in ops.items() if op in _SHOP_WRITES)
    return {"exact": int(calls["exact"]["total"]), "shop lookups": sum(ops.values()) - writes, "shop writes": writes}


# -- the report ----------------------------------------------------------------------------------


def _mib(value: float) -> str:
    return f"{value / 2**20:,.1f} MiB"


def calls_table(title: str, phase: dict[str, Any], minimum: dict[str, dict[str, int]]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("flow", "calls", "made", "minimum", "extra", "by route / operation"):
        table.add_column(column, justify="right" if column in ("made", "minimum", "extra") else "left")
    for flow in FLOWS:
        made = actual(phase["calls"][flow])
        routes = phase["calls"][flow]["exact"]["by_route"].items()
        detail = {**{k.split(" ")[-1].replace("/api/v1/123456/", ""): v for k, v in routes},
                  **phase["calls"][flow]["shop"]["ops"]}
        for kind in ("exact", "shop lookups", "shop writes"):
            extra = made[kind] - minimum[flow][kind]
            table.add_row(flow if kind == "exact" else "", kind, f"{made[kind]:,}", f"{minimum[flow][kind]:,}",
                          f"{extra:+,}" if extra else "0",
                          ", ".join(f"{k} {v}" for k, v in sorted(detail.items())) if kind == "exact" else "")
    return table


def engine_totals(phase: dict[str, Any]) -> dict[str, float]:
    flows = phase["calls"].values()
    return {"exact": sum(f["exact"]["total"] for f in flows), "shop": sum(f["shop"]["total"] for f in flows),
            "points": sum(f["shop"]["points"]["actual"] for f in flows)}


def minimal_table(big: dict[str, Any]) -> Table:
    """The engine's full sync against the minimal-call client's, on the same catalogue."""
    least, full = big["minimal"], big["full"]
    engine = engine_totals(full)
    formula = minimal_calls(big["info"])
    table = Table(title="Full sync: engine vs the minimal-call client (bench/minimal_client.py, empty shop, limits "
                        "lifted)", title_justify="left")
    for column in ("figure", "engine", "minimal client", "engine ÷ minimal", "minimal by formula"):
        table.add_column(column, justify="left" if column == "figure" else "right")
    for name, key in (("Exact calls", "exact"), ("Shopify calls", "shop")):
        table.add_row(name, f"{engine[key]:,.0f}", f"{least[key]:,}", f"[bold]{engine[key] / least[key]:.3f}×[/bold]",
                      f"{formula[key]:,}")
    table.add_row("Shopify points (actual)", f"{engine['points']:,.0f}", f"{least['points']:,.0f}",
                  f"{engine['points'] / least['points']:.2f}×", "")
    received = records(full)
    products = big["info"]["products"]
    table.add_row("CPU s per 1,000 products", f"{full['cpu'] / products * 1000:,.2f}",
                  f"{least['cpu'] / products * 1000:,.2f}", f"{full['cpu'] / least['cpu']:.2f}×",
                  f"engine: {received:,} records received")
    wall = sum(full["seconds"].values())
    table.add_row("wall s", f"{wall:,.1f}", f"{least['seconds']:,.1f}", f"{wall / least['seconds']:.2f}×", "")
    return table


def records(phase: dict[str, Any]) -> int:
    return sum(c.get("received", 0) for c in phase["counts"].values())


def report(results: dict[str, Any], console: Console) -> None:
    big = results["lifted"]
    info = big["info"]
    console.print(f"\n[bold]Catalogue[/bold]: {info['products']:,} products, {info['items']:,} items (variants), "
                  f"{info['prices']:,} prices, {info['stock']:,} stock rows; changed before the incremental sync: "
                  f"{big['changed']}")
    console.print(calls_table("Full sync — calls made vs minimum", big["full"], minimum_full(info)))
    console.print(calls_table("Incremental sync (1% changed) — calls made vs minimum", big["incremental"],
                              minimum_incremental(big["changed"])))

    console.print(minimal_table(big))
    speed = Table(title="Engine CPU overhead: the engine's own calls replayed by a bare httpx loop (limits lifted; "
                        "not a floor — the floor is the minimal client above)", title_justify="left")
    for column in ("phase", "flow", "records", "outcome", "engine s", "records/s", "bare s", "bare calls",
                   "engine ÷ bare"):
        speed.add_column(column, justify="left" if column in ("phase", "flow", "outcome") else "right")
    for name in ("full", "incremental"):
        phase, bare = big[name], big["bare"][name]
        for flow in FLOWS:
            counts = phase["counts"][flow]
            seconds = phase["seconds"][flow]
            outcome = " ".join(f"{k}={v}" for k, v in counts.items() if v and k != "received")
            ratio = seconds / bare[flow]["seconds"] if bare[flow]["calls"] else float("nan")
            refused = f" ({bare[flow]['refused']} refused)" if bare[flow]["refused"] else ""
            speed.add_row(name if flow == FLOWS[0] else "", flow, f"{counts.get('received', 0):,}", outcome,
                          f"{seconds:,.2f}", f"{counts.get('received', 0) / seconds:,.0f}",
                          f"{bare[flow]['seconds']:,.2f}", f"{bare[flow]['calls']:,}{refused}", f"{ratio:.2f}×")
        total, total_bare = sum(phase["seconds"].values()), sum(b["seconds"] for b in bare.values())
        speed.add_row("", "[bold]all[/bold]", f"{records(phase):,}", "", f"{total:,.2f}",
                      f"{records(phase) / total:,.0f}", f"{total_bare:,.2f}",
                      f"{sum(b['calls'] for b in bare.values()):,}", f"[bold]{total / total_bare:.2f}×[/bold]")
    console.print(speed)

    memory = Table(title="Peak memory of the engine process (RSS, full sync)", title_justify="left")
    for column in ("products", "items", "before the sync", "peak", "peak − before"):
        memory.add_column(column, justify="right")
    rows = [results["small"], big]
    for row in rows:
        full = row["full"]
        memory.add_row(f"{row['products']:,}", f"{row['info']['items']:,}", _mib(full["rss_baseline"]),
                       _mib(full["rss_peak"]), _mib(full["rss_peak"] - full["rss_baseline"]))
    small_full, big_full = rows[0]["full"], rows[1]["full"]
    growth = (big_full["rss_peak"] / small_full["rss_peak"] - 1) * 100
    small_delta = small_full["rss_peak"] - small_full["rss_baseline"]
    big_delta = big_full["rss_peak"] - big_full["rss_baseline"]
    memory.add_row("growth", "", "", f"[bold]{growth:+.1f}%[/bold]",
                   f"{_mib(big_delta - small_delta)} ({(big_delta / small_delta - 1) * 100:+.0f}%)"
                   if small_delta > 0 else "")
    console.print(memory)

    real = results.get("real")
    if real is not None:
        console.print(real_table(real))


def ceiling(real: dict[str, Any]) -> dict[str, float]:
    """The least time the vendors' limits allow for the calls made (fluid approximation):
    Exact ``max(0, calls − 60) ÷ 1/s``; Shopify ``max(0, points − 1000) ÷ 50/s`` with points the
    sum of each call's actual cost; the ceiling is the larger of the two."""
    calls = sum(real["full"]["calls"][flow]["exact"]["total"] for flow in FLOWS)
    points = sum(real["full"]["calls"][flow]["shop"]["points"]["actual"] for flow in FLOWS)
    return limits_ceiling(calls, points)


def limits_ceiling(calls: float, points: float) -> dict[str, float]:
    """Least seconds the real limits allow for ``calls`` Exact calls and ``points`` Shopify points."""
    exact = max(0.0, calls - EXACT_ALLOWANCE) / EXACT_RATE
    shop = max(0.0, points - SHOP_ALLOWANCE) / SHOP_RATE
    return {"exact calls": calls, "shop points": points, "exact s": exact, "shop s": shop, "ceiling": max(exact, shop)}


def real_table(real: dict[str, Any]) -> Table:
    table = Table(title=f"Real limits: {real['products']:,} products, full sync "
                        "(Exact 60/min + 5,000/day, Shopify 1000 points at 50/s)", title_justify="left")
    for column in ("flow", "seconds", "exact calls", "exact 429s", "shop calls", "shop points (actual)",
                   "THROTTLED", "outcome"):
        table.add_column(column, justify="left" if column in ("flow", "outcome") else "right")
    for flow in FLOWS:
        calls = real["full"]["calls"][flow]
        counts = real["full"]["counts"][flow]
        table.add_row(flow, f"{real['full']['seconds'][flow]:,.1f}", f"{calls['exact']['total']:,}",
                      f"{calls['exact']['statuses'].get('429', 0):,}", f"{calls['shop']['total']:,}",
                      f"{calls['shop']['points']['actual']:,.0f}", f"{calls['shop']['points']['throttled']:,}",
                      " ".join(f"{k}={v}" for k, v in counts.items() if v))
    bound = ceiling(real)
    elapsed = sum(real["full"]["seconds"].values())
    table.add_row("[bold]all[/bold]", f"{elapsed:,.1f}", f"{bound['exact calls']:,}", "", "",
                  f"{bound['shop points']:,.0f}", "",
                  f"own calls' ceiling: Exact {bound['exact s']:,.0f} s, Shopify {bound['shop s']:,.0f} s → "
                  f"time ÷ own ceiling = {elapsed / bound['ceiling']:.2f}" if bound["ceiling"] else "")
    least = real.get("minimal")
    if least is not None:
        floor = limits_ceiling(least["exact"], least["points"])
        table.add_row("[bold]minimal[/bold]", "", f"{least['exact']:,}", "", f"{least['shop']:,}",
                      f"{least['points']:,.0f}", "",
                      f"minimal calls' ceiling: Exact {floor['exact s']:,.0f} s, Shopify {floor['shop s']:,.0f} s → "
                      f"[bold]time ÷ minimal ceiling = {elapsed / floor['ceiling']:.2f}[/bold]"
                      if floor["ceiling"] else "")
    measured = real.get("minimal_real")
    if measured is not None:
        table.add_row("[bold]minimal, real limits[/bold]", f"{measured['seconds']:,.1f}", f"{measured['exact']:,}",
                      f"{measured['statuses_429']:,}", f"{measured['shop']:,}", f"{measured['points']:,.0f}",
                      f"{measured['throttled']:,}",
                      f"the minimal client run under the same limits: engine time ÷ its time = "
                      f"[bold]{elapsed / measured['seconds']:.2f}[/bold]")
    return table


def scale_table(points: list[dict[str, Any]]) -> Table:
    """Full syncs at several sizes (``memory`` workers, one process each): time and CPU per 1,000
    products, and the engine process's peak RSS above its own baseline (the RSS after imports, store
    set-up and the sandboxes' start), each against the smallest size."""
    table = Table(title="Scale: full sync (products, prices, stock), limits lifted, one process per size",
                  title_justify="left")
    for column in ("products", "items", "wall s", "wall s / 1k products", "per flow s / 1k (prod, price, stock)",
                   "engine CPU s / 1k (per flow)", "sandbox CPU s / 1k", "RSS baseline", "peak − baseline",
                   "vs first"):
        table.add_column(column, justify="right")
    first: dict[str, float] = {}
    for point in points:
        full, products = point["full"], point["info"]["products"]
        wall = sum(full["seconds"].values())
        per_k = wall / products * 1000
        above = full["rss_peak"] - full["rss_baseline"]
        first = first or {"per_k": per_k, "above": above}
        flows = ", ".join(f"{full['seconds'][f] / products * 1000:.2f}" for f in FLOWS)
        sandbox = sum(full.get("sandbox_cpu", {}).values())
        by_flow = full.get("flow_cpu") or {}
        cpu = f"{full['cpu'] / products * 1000:.2f}" + (
            f" ({', '.join(f'{by_flow[f] / products * 1000:.2f}' for f in FLOWS)})" if by_flow else "")
        table.add_row(f"{products:,}", f"{point['info']['items']:,}", f"{wall:,.1f}", f"{per_k:.2f}", flows,
                      cpu, f"{sandbox / products * 1000:.2f}",
                      _mib(full["rss_baseline"]), _mib(above),
                      f"time/product {(per_k / first['per_k'] - 1) * 100:+.1f}%, "
                      f"memory {(above / first['above'] - 1) * 100:+.1f}%")
    return table


def run_scale(sizes: list[int], console: Console, log: Path | None, mode: str = "memory") -> list[dict[str, Any]]:
    """One ``memory`` worker per size, smallest first; each point is appended to ``log`` (JSON
    lines) as soon as it is measured, so a long run can be watched and survives an interruption."""
    points = []
    for size in sorted(sizes):
        started = time.perf_counter()
        point = run_worker(size, mode, console)
        point["worker_seconds"] = time.perf_counter() - started  # sandbox seeding included
        points.append(point)
        full = point["full"]
        above = _mib(full["rss_peak"] - full["rss_baseline"])
        console.print(f"  {size:,} products: full sync {sum(full['seconds'].values()):,.1f} s, worker "
                      f"{point['worker_seconds']:,.0f} s, peak − baseline {above}")
        if log is not None:
            with log.open("a") as out:
                out.write(json.dumps(point) + "\n")
    return points


def main() -> None:
    parser = argparse.ArgumentParser(description="Exact Online → Shopify catalogue sync benchmark (prints, never "
                                                 "asserts)")
    parser.add_argument("--products", type=int, default=10_000, help="products for the lifted-limits runs")
    parser.add_argument("--small", type=int, default=1_000, help="products for the memory comparison")
    parser.add_argument("--real-limits-products", type=int, default=1_000, help="products under real limits")
    parser.add_argument("--skip-real-limits", action="store_true")
    parser.add_argument("--only-real-limits", action="store_true",
                        help="run only the real-limits scenario (and the minimal client for its ceiling)")
    parser.add_argument("--scale", type=lambda text: [int(n) for n in text.split(",")], metavar="N,N,…",
                        help="run only full syncs at these sizes (e.g. 10000,30000,100000) and print time and "
                             "memory per product; with --json, each point is appended there as JSON lines")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    parser.add_argument("--scale-report", type=Path, metavar="POINTS.jsonl",
                        help="print the scale table of points saved by --scale --json (no run)")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="with --scale: run each size under tracemalloc (slower) and print Python's own peak "
                             "above the baseline and the source lines holding memory at the end")
    parser.add_argument("--worker", choices=("lifted", "memory", "real", "minimal", "minimal-real", "traced"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.products, args.worker)))
        return
    console = Console(width=int(os.environ.get("COLUMNS", 150)))
    console.print(f"tradewind catalogue benchmark — {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    if args.scale_report:
        saved = [json.loads(line) for line in args.scale_report.read_text().splitlines() if line.strip()]
        console.print(scale_table(sorted(saved, key=lambda point: point["products"])))
        return
    if args.scale:
        points = run_scale(args.scale, console, args.json, "traced" if args.tracemalloc else "memory")
        console.print(scale_table(points))
        for point in points if args.tracemalloc else []:
            console.print(f"tracemalloc, {point['products']:,} products: peak {_mib(point['traced']['peak'])} "
                          f"above the baseline, {_mib(point['traced']['current'])} held at the end; most by:")
            for line, size, count in point["traced"]["top"]:
                console.print(f"  {size / 2**20:+9.2f} MiB {count:+9,d} blocks  {line}")
            at_peak = point["traced"].get("at_peak") or {}
            if at_peak.get("top"):
                console.print(f"  near the peak ({_mib(at_peak['current'])}, during {at_peak['flow']}), most by:")
                for line, size, count in at_peak["top"]:
                    console.print(f"  {size / 2**20:+9.2f} MiB {count:+9,d} blocks  {line}")
        return
    if args.only_real_limits:
        real = run_worker(args.real_limits_products, "real", console)
        real["minimal"] = run_worker(args.real_limits_products, "minimal", console)["minimal"]
        real["minimal_real"] = run_worker(args.real_limits_products, "minimal-real", console)["minimal"]
        if args.json:
            args.json.write_text(json.dumps(real, indent=1))
        console.print(real_table(real))
        return
    results = {"lifted": run_worker(args.products, "lifted", console),
               "small": run_worker(args.small, "memory", console)}
    if not args.skip_real_limits:
        results["real"] = run_worker(args.real_limits_products, "real", console)
        results["real"]["minimal"] = run_worker(args.real_limits_products, "minimal", console)["minimal"]
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    report(results, console)


if __name__ == "__main__":
    main()
