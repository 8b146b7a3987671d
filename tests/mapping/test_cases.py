"""Mapping behaviour pinned as data: every case in ``cases/*.yaml`` (STYLE rule 2).

A case has ``name``, ``context`` and either ``mapping`` (with ``native``, ``is_update``) or
``filter``; then ``expect`` or ``expect_error`` (a substring of the error, with ``error_field``
optionally). ``!decimal "1.10"`` and ``!datetime "...+00:00"`` build exact values.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.nodes import ScalarNode

from tradewind.errors import MappingError, TradewindError
from tradewind.mapping import compile_filter, compile_mapping, parse_mapping

CASES_DIR = Path(__file__).parent / "cases"


class _Constructor(SafeConstructor):
    """Safe YAML plus the two exact types commerce data needs."""


def _decimal(constructor: SafeConstructor, node: ScalarNode) -> Decimal:
    return Decimal(str(constructor.construct_scalar(node)))


def _datetime(constructor: SafeConstructor, node: ScalarNode) -> datetime:
    return datetime.fromisoformat(str(constructor.construct_scalar(node)))


_Constructor.add_constructor("!decimal", _decimal)
_Constructor.add_constructor("!datetime", _datetime)


def _load_cases() -> list[dict[str, Any]]:
    yaml = YAML(typ="safe", pure=True)
    yaml.Constructor = _Constructor
    cases = [case for path in sorted(CASES_DIR.glob("*.yaml")) for case in yaml.load(path.read_text())]
    names = [case["name"] for case in cases]
    assert len(names) == len(set(names)), "case names must be unique"
    return cases


CASES = _load_cases()


def _run(case: dict[str, Any]) -> Any:
    if "filter" in case:
        return compile_filter(case["filter"], flow="cases", where=None).evaluate(case["context"])
    spec = parse_mapping(case["mapping"], flow="cases")
    compiled = compile_mapping(spec, flow="cases")
    return compiled.apply(case["native"], case["context"], is_update=case.get("is_update", False))


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_case(case: dict[str, Any]) -> None:
    if "expect_error" in case:
        with pytest.raises(TradewindError) as caught:
            _run(case)
        assert case["expect_error"] in str(caught.value)
        if "error_field" in case:
            assert isinstance(caught.value, MappingError)
            assert case["error_field"] == caught.value.field
        return
    actual = _run(case)
    if "filter" in case:
        assert (case["expect"]["keep"], case["expect"]["reason"]) == actual
        return
    assert case["expect"] == actual
    for field, type_name in case.get("expect_types", {}).items():
        assert type_name == type(actual[field]).__name__


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 15
