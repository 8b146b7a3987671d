"""While a run runs, the garbage collector's full passes skip what existed before it (``gc.freeze``).

A run allocates per record (models, payloads, store rows), and whenever enough of that survives,
CPython walks *every* tracked object in a full pass — the interpreter's modules, the project, the
connectors, SQLAlchemy's and pydantic's structures: ≈50 ms a pass, five in a 1,000-product catalogue
sync, a tenth of the engine's own CPU. Objects that existed when a run starts are moved to the
permanent generation until it ends, so a full pass walks only what the run made.

Nothing changes but what a pass walks: reference counting frees what it always freed, and when the
run ends ``gc.unfreeze`` returns the frozen objects to the oldest generation, so garbage among them
is collected by the next full pass, never kept past the run. Overlapping runs (threads of ``serve``)
are safe: the first to end unfreezes everything, which only ends the others' saving early.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Freeze the heap for the block's length (see the module docstring)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
