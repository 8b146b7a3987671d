"""The engine's CPU against the minimal client's, alternated on the same sandboxes (prints, never asserts).

    .venv/bin/python bench/engine_cpu.py [--products 1000] [--runs 5]

One sandboxes process (limits lifted, as ``sync_catalogue.py`` starts them) serves both: each run
empties the shop, makes the engine's full sync of the ``products``, ``prices`` and ``stock`` flows on a
fresh SQLite store, empties the shop again and makes the minimal client's full sync
(``minimal_client.py``), each timed by ``time.process_time()`` of this process (the sandboxes' CPU is
theirs). Each is also charged a full collection after its run: left uncollected, the engine's
cycles were collected during the minimal client's run and charged to it (≈ 0.1 s at 1,000 products).
Alternating the two on one machine and taking medians (and minimums: contention only adds)
keeps a busy neighbour from favouring either; ``sync_catalogue.py`` measures them in separate
processes at different moments. Run under ``taskset -c 1``, the sandboxes share that CPU (their work
between two calls evicts the client's caches, as no remote vendor's does); ``--sandboxes-cpu 0`` gives
them a CPU of their own, closer to a vendor on another machine. Per run it prints both, per flow, and engine ÷ minimal.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sync_catalogue import FLOWS, SECRETS, Sandboxes, minimal, open_services  # a sibling script, not a package


def engine_cpu(sandboxes: Sandboxes) -> dict[str, float]:
    """CPU seconds of each flow's full sync on an emptied shop and a fresh store."""
    sandboxes.post("shop", "empty-shop")
    sandboxes.reset()
    cpu: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="tradewind-cpu-") as directory:
        services = open_services(Path(directory), sandboxes)
        for flow in FLOWS:
            started = time.process_time()
            services.run_flow(flow)
            cpu[flow] = time.process_time() - started
        services.store.dispose()
    cpu["gc"] = collect()
    return cpu


def collect() -> float:
    """CPU seconds of a full collection: what a run left is charged to that run, not the next."""
    started = time.process_time()
    gc.collect()
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description="engine CPU ÷ the minimal client's, alternated (prints, never asserts)")
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sandboxes-cpu", type=int, metavar="N",
                        help="pin the sandboxes' process to CPU N (they stand for remote vendors: on a CPU of "
                             "their own they neither evict this process's caches nor wait for its time slice)")
    args = parser.parse_args()
    from tradewind.log import configure

    configure("WARNING")
    os.environ.update(SECRETS)
    sandboxes = Sandboxes(args.products, real_limits=False)
    if args.sandboxes_cpu is not None:
        os.sched_setaffinity(sandboxes.process.pid, {args.sandboxes_cpu})
    engines: list[float] = []
    minimals: list[float] = []
    try:
        for run in range(args.runs):
            flows = engine_cpu(sandboxes)
            engines.append(sum(flows.values()))
            minimals.append(float(minimal(sandboxes)["cpu"]) + collect())
            per_flow = ", ".join(f"{flow} {seconds:.3f}" for flow, seconds in flows.items())
            print(f"run {run + 1}: engine {engines[-1]:.3f} s ({per_flow}), minimal {minimals[-1]:.3f} s, "
                  f"engine ÷ minimal {engines[-1] / minimals[-1]:.2f}", flush=True)
    finally:
        sandboxes.stop()
    ratios = [e / m for e, m in zip(engines, minimals, strict=True)]
    print(f"{args.products:,} products, {args.runs} runs: engine median {statistics.median(engines):.3f} s "
          f"(min {min(engines):.3f}), minimal median {statistics.median(minimals):.3f} s (min {min(minimals):.3f}); "
          f"engine ÷ minimal: median of the runs' ratios {statistics.median(ratios):.2f}, "
          f"of the medians {statistics.median(engines) / statistics.median(minimals):.2f}, "
          f"of the minimums {min(engines) / min(minimals):.2f}")


if __name__ == "__main__":
    main()
