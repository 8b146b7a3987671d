"""Where the engine's own CPU goes in a catalogue sync: cProfile on CPU time, per flow.

    .venv/bin/python bench/profile_sync.py [--products 1000] [--top 40] [--out DIR]

Starts the sandboxes of ``sync_catalogue.py`` in their own process (their CPU is not the
engine's), runs the ``products``, ``prices`` and ``stock`` flows once (a full sync, limits lifted)
each under ``cProfile`` timed by ``time.process_time`` (waiting on a socket costs nothing), and
prints each flow's CPU seconds, the garbage collector's share and the functions with the most CPU
below them. ``--out`` keeps the ``.prof`` files (open them with ``pstats`` or snakeviz). The
profiler slows small Python calls more than C code, so read the ranking, not the seconds; the
unprofiled figures are ``sync_catalogue.py``'s. Figures only, nothing asserted.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sync_catalogue import FLOWS, SECRETS, Sandboxes, open_services  # a sibling script, not a package


class GcClock:
    """CPU seconds the garbage collector spent, by generation (``gc.callbacks``)."""

    def __init__(self) -> None:
        self.seconds = [0.0, 0.0, 0.0]
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.process_time()
        else:
            self.seconds[info["generation"]] += time.process_time() - self._started


def profile_flows(products: int, out: Path) -> dict[str, float]:
    """Run the three flows under the profiler; CPU seconds per flow, ``.prof`` files in ``out``."""
    from tradewind.log import configure

    configure("WARNING")
    os.environ.update(SECRETS)
    sandboxes = Sandboxes(products, real_limits=False)
    cpu: dict[str, float] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="tradewind-profile-") as directory:
            services = open_services(Path(directory), sandboxes)
            for flow in FLOWS:
                profiler = cProfile.Profile(time.process_time)
                started = time.process_time()
                profiler.enable()
                result = services.run_flow(flow)
                profiler.disable()
                cpu[flow] = time.process_time() - started
                profiler.dump_stats(out / f"{flow}.prof")
                print(f"{flow}: {result.status} {dict(result.counts)}")
            services.store.dispose()
    finally:
        sandboxes.stop()
    return cpu


def main() -> None:
    parser = argparse.ArgumentParser(description="cProfile the engine's full catalogue sync (prints, never asserts)")
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--top", type=int, default=40, help="functions to list per flow")
    parser.add_argument("--out", type=Path, help="keep the .prof files here")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="tradewind-prof-"))
    out.mkdir(parents=True, exist_ok=True)
    clock = GcClock()
    gc.callbacks.append(clock)
    cpu = profile_flows(args.products, out)
    gc.callbacks.remove(clock)
    for flow in FLOWS:
        print(f"\n== {flow}: {cpu[flow]:.2f} CPU s under the profiler")
        pstats.Stats(str(out / f"{flow}.prof")).sort_stats("cumulative").print_stats("tradewind", args.top)
    print(f"CPU s per flow (profiled): {', '.join(f'{f} {s:.2f}' for f, s in cpu.items())}; garbage collector "
          f"by generation: {', '.join(f'{s:.3f}' for s in clock.seconds)}; .prof files in {out}")


if __name__ == "__main__":
    main()
