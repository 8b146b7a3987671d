"""Compiling: errors name their place and the vocabulary; the sandbox holds; compile once, apply many."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tradewind.errors import ConfigError, MappingError
from tradewind.mapping import MappingSpec, compile_filter, compile_mapping, compiler, parse_mapping

PLACES = {
    "set.Description": "tradewind.yaml:14:9",
    "set.Lines.*.Notes": "tradewind.yaml:15:9",
    "table.PaymentCondition.from": "tradewind.yaml:17:15",
    "create_only": "tradewind.yaml:20:7",
}


def _compile(**spec: Any) -> compiler.CompiledMapping:
    return compile_mapping(MappingSpec.model_validate(spec), flow="orders", locate=PLACES.get)


def _config_error(**spec: Any) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        _compile(**spec)
    return caught.value


def test_syntax_error_names_file_line_column_flow_and_field() -> None:
    error = _config_error(set={"Description": "'Order ' ~ ~ order.number"})
    assert "tradewind.yaml:14:9" == error.where
    assert "flow 'orders', set.Description: syntax error" in error.message
    assert str(error).startswith("tradewind.yaml:14:9: ")


def test_table_expression_error_is_located_at_its_from_key() -> None:
    error = _config_error(table={"PaymentCondition": {"from": "order.payment | methd", "values": {"ideal": "IB"}}})
    assert "tradewind.yaml:17:15" == error.where
    assert "table.PaymentCondition.from: unknown filter 'methd'" in error.message


def test_unknown_filter_is_refused_with_the_available_filters() -> None:
    error = _config_error(set={"Description": "order.number | uppr"})
    assert "unknown filter 'uppr'" in error.message
    assert error.hint is not None
    assert "did you mean 'upper'?" in error.hint
    for name in ("money", "pad", "truncate", "country_name"):
        assert name in error.hint


def test_unknown_function_is_refused_with_the_available_functions() -> None:
    error = _config_error(set={"Description": "format_money(order.total.amount)"})
    assert "unknown function 'format_money'" in error.message
    assert error.hint is not None
    assert "now" in error.hint and "lookup" in error.hint


def test_unknown_name_is_refused_with_the_context_names() -> None:
    error = _config_error(set={"Description": "ordr.number"})
    assert "unknown name 'ordr'" in error.message
    assert error.hint is not None
    assert "did you mean 'order'?" in error.hint
    assert "context names: customer, invoice, order" in error.hint


def test_item_is_only_known_inside_star_paths() -> None:
    error = _config_error(set={"Description": "item.Notes"})
    assert error.hint is not None and "only in paths with `*`" in error.hint
    _compile(set={"Lines.*.Notes": "item.Notes ~ index"})


def test_roots_can_be_narrowed_by_the_engine() -> None:
    spec = MappingSpec(set={"Description": "product.title"})
    with pytest.raises(ConfigError, match="unknown name 'product'"):
        compile_mapping(spec, flow="orders", roots={"order", "source"})


def test_sandbox_refuses_private_attributes_when_compiling() -> None:
    assert "field '__class__' is not readable" in _config_error(set={"Description": "''.__class__"}).message
    assert "is not readable" in _config_error(set={"Description": "order['__globals__']"}).message


def test_sandbox_refuses_method_calls_when_compiling() -> None:
    error = _config_error(set={"Description": "order.number.format(1)"})
    assert "only vocabulary functions can be called" in error.message


def test_sandbox_refuses_computed_private_attributes_at_run_time() -> None:
    compiled = _compile(set={"Description": "order.number['__cla' ~ 'ss__']"})
    with pytest.raises(MappingError, match="unsafe") as caught:
        compiled.apply({}, {"order": {"number": "#1"}}, is_update=False)
    assert "Description" == caught.value.field


def test_huge_powers_are_refused() -> None:
    compiled = _compile(set={"Description": "2 ** 100000"})
    with pytest.raises(MappingError, match="too large"):
        compiled.apply({}, {}, is_update=False)


def test_compile_once_apply_many(monkeypatch: pytest.MonkeyPatch) -> None:
    compiled = _compile(set={"Description": "'Order ' ~ order.number", "Total": "order.total * 2"})

    def no_compiling(*args: object, **kwargs: object) -> None:
        raise AssertionError("apply must not compile")

    monkeypatch.setattr(compiler._ENV, "compile_expression", no_compiling)
    results = [compiled.apply({}, {"order": {"number": n, "total": Decimal(n)}}, is_update=False) for n in range(200)]
    assert {"Description": "Order 199", "Total": Decimal(398)} == results[-1]


def test_a_failing_record_fails_alone() -> None:
    compiled = _compile(set={"Description": "order.number | upper"})
    outcomes: list[object] = []
    for order in ({"number": "a1"}, {"id": 2}, {"number": "c3"}):
        try:
            outcomes.append(compiled.apply({}, {"order": order}, is_update=False)["Description"])
        except MappingError as error:
            outcomes.append(error.field)
    assert ["A1", "Description", "C3"] == outcomes


def test_apply_never_mutates_its_input_nor_the_context() -> None:
    compiled = _compile(set={"Lines": "source.lines", "Lines.*.Qty": "item.qty * 2"}, default={"Address.City": "?"})
    native = {"YourRef": "#1"}
    context = {"source": {"lines": [{"qty": 1}]}}
    result = compiled.apply(native, context, is_update=False)
    assert {"YourRef": "#1", "Address": {"City": "?"}, "Lines": [{"qty": 1, "Qty": 2}]} == result
    assert {"YourRef": "#1"} == native
    assert {"source": {"lines": [{"qty": 1}]}} == context


def test_decimal_survives_division_and_float_literals() -> None:
    compiled = _compile(set={"Third": "order.total / 3", "Net": "order.total / 1.21 | round(2)"})
    result = compiled.apply({}, {"order": {"total": Decimal("121.00")}}, is_update=False)
    assert Decimal("40.33") == round(result["Third"], 2)
    assert isinstance(result["Third"], Decimal)
    assert Decimal("100.00") == result["Net"]


def test_filter_compile_error_names_where() -> None:
    with pytest.raises(ConfigError) as caught:
        compile_filter("order.financial_status = 'paid'", flow="orders", where="tradewind.yaml:9:13")
    assert "tradewind.yaml:9:13" == caught.value.where
    assert "flow 'orders', filter: syntax error" in caught.value.message


def test_filter_result_must_be_defined() -> None:
    compiled = compile_filter("order.tags", flow="orders", where=None)
    with pytest.raises(MappingError, match="no field 'tags'"):
        compiled.evaluate({"order": {}})


def test_parse_mapping_locates_schema_errors() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_mapping({"create_only": ["Lines.*"]}, flow="orders", locate=PLACES.get)
    assert "tradewind.yaml:20:7" == caught.value.where
    assert "must end in a field name" in caught.value.message


@pytest.mark.parametrize("path", ["", "Lines..Qty", "Lines. Qty"])
def test_malformed_paths_are_refused(path: str) -> None:
    with pytest.raises(ConfigError, match="field path"):
        parse_mapping({"set": {path: "'x'"}}, flow="orders")
