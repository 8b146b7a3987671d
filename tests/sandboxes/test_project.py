"""The sandbox project file: what tests get by default, and every optional flow valid with booking rules."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tradewind.engine.project import load_project
from tradewind.sandboxes.project import (
    DEMO_BOOKING,
    DEMO_EXACT_OPTIONS,
    DEMO_FLOWS,
    DEMO_SCHEDULE,
    FLOW_NAMES,
    sandbox_project,
    secrets,
)


def test_by_default_the_four_catalogue_and_order_flows_without_booking_rules() -> None:
    data = yaml.safe_load(sandbox_project("http://127.0.0.1:1", "http://127.0.0.1:2", prefix="T"))
    assert ["products", "prices", "stock", "orders"] == list(data["flows"]) == list(FLOW_NAMES)
    assert "booking" not in data["connections"]["erp"]


def test_every_optional_flow_loads_with_the_demos_booking_rules(tmp_path: Path) -> None:
    flows = (*FLOW_NAMES, "shop_customers", "shipments", "refunds", "payments")
    path = tmp_path / "tradewind.yaml"
    path.write_text(sandbox_project("http://127.0.0.1:1", "http://127.0.0.1:2", prefix="T", flows=flows,
                                    schedule=DEMO_SCHEDULE, exact_options=DEMO_EXACT_OPTIONS, booking=DEMO_BOOKING))
    project = load_project(path, environ=secrets("T"))
    assert list(flows) == list(project.flows)
    assert ("erp", "shipments", "shop", "shipments") == (
        project.flows["shipments"].source.name, project.flows["shipments"].source_resource,
        project.flows["shipments"].target.name, project.flows["shipments"].target_resource)
    booking = yaml.safe_load(path.read_text())["connections"]["erp"]["booking"]
    assert ("sales_order", "70", False) == (booking["booking_type"], booking["journal"], booking["oss"])
    assert set(DEMO_FLOWS) <= set(flows) and set(DEMO_FLOWS) <= set(DEMO_SCHEDULE)


def test_an_unknown_flow_name_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"no flow named shipping .*known: products, prices"):
        sandbox_project("http://127.0.0.1:1", "http://127.0.0.1:2", flows=["shipping"])
