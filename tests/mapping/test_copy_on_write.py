"""A mapped record shares what the mapping leaves alone with the native record, and nothing else.

``apply`` copies only the dicts and lists on the way down to the places its steps write (copy on
write). These tests hold it to what a deep copy promised: a step never writes into the native
record, and no container the mapping wrote into is held by both records, so changing one of them
there cannot reach the other — for ``default``, ``table``, ``set`` and ``create_only`` (drop), on
nested paths, numeric list indexes and ``*``.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tradewind.mapping import compile_mapping, diff, parse_mapping
from tradewind.mapping._paths import Segment, parse_path

MAPPINGS: dict[str, dict[str, Any]] = {
    "default": {"default": {"Address.Country": "NL", "Lines.*.Unit": "pc", "Lines.0.Notes.Text": "first",
                            "Meta.Tags": ["new"]}},
    "table": {"table": {"Address.Region": {"from": "customer.region", "values": {"n": "North"}, "default": "?"},
                        "Lines.*.Vat": {"from": "item.Rate", "values": {"21": "H", "9": "L"}, "default": "0"}}},
    "set": {"set": {"Address.City": "customer.city | upper", "Lines.*.Qty": "item.Qty * 2",
                    "Lines.1.Extra.Note": "'second'", "Meta.Source": "source"}},
    "drop": {"create_only": ["Address.Street", "Lines.*.Cost", "Meta"]},
}
CONTEXT = {"customer": {"city": "Utrecht", "region": "n"}, "source": {"id": 7, "lines": [1, 2]}}


def _native() -> dict[str, Any]:
    return {
        "YourRef": "SO-1",
        "Address": {"Street": "Dorpsstraat 1", "City": "utrecht", "Country": ""},
        "Lines": [{"Item": "A", "Qty": 1, "Rate": "21", "Cost": 3, "Notes": None},
                  {"Item": "B", "Qty": 2, "Rate": "9", "Cost": 4, "Tags": ["x"]}],
        "Meta": {"Tags": [], "Created": {"by": "erp"}},
        "Untouched": {"Deep": [{"a": 1}, {"b": [2, 3]}]},
    }


def _apply(kind: str, native: dict[str, Any]) -> dict[str, Any]:
    compiled = compile_mapping(parse_mapping(MAPPINGS[kind], flow="cow"), flow="cow")
    return compiled.apply(native, CONTEXT, is_update=kind == "drop")


def _at(value: Any, path: tuple[Segment, ...]) -> Any:
    for segment in path:
        value = value[segment]
    return value


def _written(native: dict[str, Any], result: dict[str, Any]) -> set[tuple[Segment, ...]]:
    """The paths of the containers the mapping wrote into: every parent of every changed field."""
    changed = [parse_path(change.path) for change in diff(native, result)]
    return {field[:depth] for field in changed for depth in range(len(field))}


def _write_into(container: Any) -> None:
    """Write into this one container (not into what it holds: that may be shared, by design)."""
    if isinstance(container, dict):
        container["__changed__"] = True
    else:
        container.append("__changed__")


@pytest.mark.parametrize("kind", MAPPINGS)
def test_the_native_record_is_never_written(kind: str) -> None:
    native = _native()
    before = copy.deepcopy(native)
    result = _apply(kind, native)
    assert before == native
    assert diff(native, result), "each mapping here changes something"


@pytest.mark.parametrize("kind", MAPPINGS)
def test_no_container_written_into_is_shared(kind: str) -> None:
    native = _native()
    result = _apply(kind, native)
    written = _written(native, result)
    assert written, kind
    for path in written:
        assert _at(result, path) is not _at(native, path), f"{kind}: {path} is shared"


@pytest.mark.parametrize("changed", ["mapped", "native"])
@pytest.mark.parametrize("kind", MAPPINGS)
def test_changing_either_record_where_the_mapping_wrote_leaves_the_other(kind: str, changed: str) -> None:
    native = _native()
    result = _apply(kind, native)
    written_to, other = (result, native) if changed == "mapped" else (native, result)
    before = copy.deepcopy(other)
    for path in _written(native, result):
        _write_into(_at(written_to, path))
    assert before == other


def test_values_written_are_the_records_own() -> None:
    """A default's constant and a value read from the context are copied into the record, not shared."""
    default, changed = _apply("default", _native()), _apply("set", _native())
    default["Meta"]["Tags"].append("changed")
    changed["Meta"]["Source"]["lines"].append(3)
    assert ["new"] == _apply("default", _native())["Meta"]["Tags"]
    assert {"id": 7, "lines": [1, 2]} == CONTEXT["source"] == _apply("set", _native())["Meta"]["Source"]


def test_two_records_mapped_from_one_native_record_are_independent() -> None:
    """As the engine maps one encoding twice (the record's hash, then an update's payload)."""
    native = _native()
    created = _apply("set", native)
    updated = _apply("drop", native)
    assert "Cost" not in updated["Lines"][0] and 3 == created["Lines"][0]["Cost"]
    assert "Street" not in updated["Address"] and "Dorpsstraat 1" == created["Address"]["Street"]
    assert 2 == created["Lines"][0]["Qty"] and 1 == updated["Lines"][0]["Qty"]
    assert _native() == native


def test_one_object_at_two_places_in_the_native_record_is_written_at_one() -> None:
    shared = {"City": "utrecht"}
    native: dict[str, Any] = {"Address": shared, "Delivery": shared}
    result = compile_mapping(parse_mapping({"set": {"Address.City": "'AMSTERDAM'"}}, flow="cow"),
                             flow="cow").apply(native, {}, is_update=False)
    assert {"Address": {"City": "AMSTERDAM"}, "Delivery": {"City": "utrecht"}} == result
    assert {"City": "utrecht"} == shared


def test_what_the_mapping_leaves_alone_is_shared_not_copied() -> None:
    """Copy on write: a mapping of one field does not copy the whole record (the reason for all this)."""
    native = _native()
    result = _apply("set", native)
    assert result is not native
    assert result["Untouched"] is native["Untouched"]
    assert result["Lines"][1]["Tags"] is native["Lines"][1]["Tags"]
    assert result["Meta"]["Created"] is native["Meta"]["Created"]
