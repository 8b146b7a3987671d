"""A run's full garbage-collector passes skip what existed before it, and nothing is kept past it."""

from __future__ import annotations

import gc
import weakref

from tradewind.engine.heap import frozen_heap


class _Node:
    """A cycle, freed only by the garbage collector (never by reference counting alone)."""

    def __init__(self) -> None:
        self.me = self


def test_objects_from_before_the_run_are_frozen_only_while_it_runs() -> None:
    with frozen_heap():
        assert gc.get_freeze_count() > 0
    assert 0 == gc.get_freeze_count()


def test_garbage_from_before_the_run_is_collected_once_it_ends() -> None:
    node = _Node()
    ref = weakref.ref(node)
    with frozen_heap():
        del node
        gc.collect()
        assert ref() is not None, "a frozen object was walked by the full pass"
    gc.collect()
    assert ref() is None, "a cycle dropped during the run outlived it"


def test_the_heap_is_unfrozen_when_the_run_raises() -> None:
    try:
        with frozen_heap():
            raise RuntimeError("the run failed")
    except RuntimeError:
        pass
    assert 0 == gc.get_freeze_count()
