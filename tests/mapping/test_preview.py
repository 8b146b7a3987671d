"""Preview and diff: deterministic field changes, shared with the engine's dry-run plans."""

from __future__ import annotations

from decimal import Decimal
from inspect import ismodule

from tradewind import mapping
from tradewind.mapping import FieldChange, MappingSpec, compile_mapping, diff, preview


def test_diff_walks_nested_records_and_sorts_list_indexes_numerically() -> None:
    before = {"Lines": [{"Qty": 1}] * 11, "Address": {"City": "Utrecht"}, "Gone": 1}
    after = {"Lines": [{"Qty": 1}] * 2 + [{"Qty": 3}] + [{"Qty": 1}] * 7 + [{"Qty": 2}],
             "Address": {"City": "Utrecht", "Zip": "3511"}}
    assert [
        FieldChange("Address.Zip", None, "3511", "added"),
        FieldChange("Gone", 1, None, "removed"),
        FieldChange("Lines.2.Qty", 1, 3),
        FieldChange("Lines.10.Qty", 1, 2),
    ] == diff(before, after)


def test_diff_lists_of_different_length_and_changed_types() -> None:
    assert [
        FieldChange("Tags.1", None, "b", "added"),
        FieldChange("Total", "1.00", Decimal("1.00")),
        FieldChange("Web", 1, True),
    ] == diff({"Tags": ["a"], "Total": "1.00", "Web": 1}, {"Tags": ["a", "b"], "Total": Decimal("1.00"), "Web": True})


def test_diff_compares_amounts_not_representations() -> None:
    assert [] == diff({"Amount": Decimal("1.0"), "Qty": 2}, {"Amount": Decimal("1.00"), "Qty": Decimal(2)})


def test_preview_shows_result_and_changes() -> None:
    compiled = compile_mapping(MappingSpec(set={"Description": "'Order ' ~ order.number"},
                                           create_only=["Notes"]), flow="orders")
    shown = preview(compiled, {"Description": "x", "Notes": "n"}, {"order": {"number": "#7"}}, is_update=True)
    assert {"Description": "Order #7"} == shown.result
    assert [FieldChange("Description", "x", "Order #7"), FieldChange("Notes", "n", None, "removed")] == shown.changed


def test_public_surface_is_explicit() -> None:
    public = {name for name, value in vars(mapping).items() if not name.startswith("_") and not ismodule(value)}
    assert public == set(mapping.__all__)
