"""The project file's built-in gates: ``stage`` on order flows, ``require`` on product flows, checked with a hint."""

from __future__ import annotations

from pathlib import Path

from tests.engine.test_project import ENV, GOOD, edited, fakes, line_of, only, problems_of, write  # noqa: F401
from tradewind.engine.project import load_project
from tradewind.rules.products import Requirement
from tradewind.rules.stages import SendStage

GATED = edited('    filter: "order.financial_status == \'paid\'"\n', "    stage: paid\n").replace(
    '    filter: "product.active"\n', '    filter: "product.active"\n    require: [sku, ean13]\n')


def test_stage_and_require_reach_the_flows(tmp_path: Path) -> None:
    project = load_project(write(tmp_path, GATED), environ=ENV)
    assert SendStage.PAID is project.flows["orders"].stage
    assert frozenset({Requirement.SKU, Requirement.EAN13}) == project.flows["products"].require
    assert project.flows["products"].stage is None and frozenset() == project.flows["orders"].require


def test_an_unknown_stage_is_refused_naming_the_stages(tmp_path: Path) -> None:
    text = GATED.replace("stage: paid", "stage: shipped")
    problem = only(problems_of(tmp_path, text))
    assert f"tradewind.yaml:{line_of(text, 'stage: shipped')}:" in problem.where, problem.where
    assert "'placed', 'authorized', 'paid', 'fulfilled' or 'completed'" in problem.message, problem.message


def test_a_stage_on_a_product_flow_is_refused(tmp_path: Path) -> None:
    text = GATED.replace("    require: [sku, ean13]\n", "    stage: paid\n")
    problem = only(problems_of(tmp_path, text))
    assert "flow 'products', stage: only order flows have it, and this flow moves product records" == \
        problem.message
    assert f"tradewind.yaml:{line_of(text, '    stage: paid')}:" in problem.where, problem.where


def test_require_on_an_order_flow_is_refused(tmp_path: Path) -> None:
    text = GATED.replace("    stage: paid\n", "    require: [sku]\n")
    problem = only(problems_of(tmp_path, text))
    assert "flow 'orders', require: only product flows have it, and this flow moves order records" == \
        problem.message
