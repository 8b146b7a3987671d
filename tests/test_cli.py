"""The command line as a user meets it: init, validate, run (with --dry-run), runs, transfers,
mapping preview and functions, connectors, config — against the sandboxes over loopback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_kit import invoke
from tests.e2e.slice import World
from tradewind.store.db import Store


@pytest.fixture(autouse=True)
def _wide(wide_console: None) -> None:
    """Tables as a wide terminal shows them (tests/cli_kit.py)."""


@pytest.fixture
def world(cli_world: World) -> World:
    return cli_world


def test_init_writes_an_example_that_validates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "tradewind.yaml"
    code, out = invoke("init", str(target))
    assert 0 == code, out
    for name in ("EXACT_CLIENT_SECRET", "EXACT_REFRESH_TOKEN", "SHOPIFY_TOKEN"):
        monkeypatch.setenv(name, "x-secret-value")
    code, out = invoke("validate", "--project", str(target))
    assert (0, True) == (code, "OK" in out), out
    code, out = invoke("init", str(target))
    assert 1 == code and "not overwriting" in out


def test_validate_names_file_line_and_hint_for_each_problem(tmp_path: Path) -> None:
    broken = tmp_path / "tradewind.yaml"
    broken.write_text(
        "connections:\n"
        "  erp: {connector: exakt_online}\n"
        "flows:\n"
        "  products:\n"
        "    from: erp.products\n"
        "    to: erp.products\n"
        "    every: 15x\n"
    )
    code, out = invoke("validate", "--project", str(broken))
    assert 1 == code
    assert f"{broken}:2:" in out and "exakt_online" in out and "hint" in out
    assert f"{broken}:7:" in out, out


def test_validate_reports_a_yaml_syntax_error_with_its_line(tmp_path: Path) -> None:
    broken = tmp_path / "tradewind.yaml"
    broken.write_text("connections:\n  erp: {connector: exact_online\nflows: {}\n")
    code, out = invoke("validate", "--project", str(broken))
    assert 1 == code and f"{broken}:" in out, out


def test_dry_run_plans_and_writes_nothing_then_run_and_inspect(world: World) -> None:
    code, out = invoke("run", "products", "--dry-run")
    assert 0 == code, out
    assert "plan (nothing written)" in out and "create" in out
    assert [] == world.shop.sandbox.dump()["products"]
    dry = world.services.runs(limit=1)[0]
    assert dry.dry_run and dry.received > 0 and dry.received == dry.created + dry.skipped + dry.failed, dry
    assert f"plan: {dry.created} create, 0 update, {dry.skipped} skip, {dry.failed} fail, 0 parked" in out, out
    assert f"would create={dry.created}" in out
    code, out = invoke("runs")
    assert 0 == code and "dry run · succeeded" in out and f" {dry.received} " in out, out
    code, out = invoke("run", "products")
    assert 0 == code and "succeeded" in out, out
    code, out = invoke("runs")
    assert 0 == code and "products" in out
    run_id = world.services.runs(limit=1)[0].id[:8]
    code, out = invoke("transfers", run_id)
    assert 0 == code and "created" in out, out
    code, out = invoke("bindings", "--entity", "product")
    assert 0 == code and "bound" in out


def test_mapping_preview_shows_the_mapped_record_without_calling_anyone(world: World, tmp_path: Path) -> None:
    record = tmp_path / "order.json"
    record.write_text(json.dumps({"not": "an order"}))
    code, out = invoke("mapping", "preview", "orders", "--record", str(record))
    assert 1 == code and "error" in out
    item = next(i for i in world.exact.sandbox.dump()["items"] if i.get("FreeTextField_01"))
    record.write_text(json.dumps({"Code": item["FreeTextField_01"], "Items": [item]}))
    calls_before = world.calls(world.shop)
    code, out = invoke("mapping", "preview", "products", "--record", str(record))
    assert 0 == code, out
    assert item["Code"] in out
    assert calls_before == world.calls(world.shop)


def test_mapping_functions_and_connectors_are_documented() -> None:
    code, out = invoke("mapping", "functions")
    assert 0 == code and "round" in out and "pad" in out
    code, out = invoke("connectors", "list")
    assert 0 == code and "exact_online" in out and "shopify" in out
    code, out = invoke("connectors", "show", "exact_online")
    assert 0 == code and "division" in out and "orders" in out


@pytest.mark.parametrize("name", ["exact_online", "shopify"])
def test_connectors_show_prints_types_and_defaults_as_a_user_reads_them(name: str) -> None:
    code, out = invoke("connectors", "show", name)
    assert 0 == code, out
    for python in ("<class", "SecretRef(", "PydanticUndefined", "typing.", "Literal[", "| None", "None "):
        assert python not in out, (python, out)
    assert "secret (${ENV})" in out and "text, optional" in out and "mapping of text → text" in out
    assert "—" in out and "required" in out


def test_connectors_show_names_bounds_and_defaults_as_written_in_a_project_file() -> None:
    code, out = invoke("connectors", "show", "exact_online")
    assert 0 == code, out
    rows = {line.split("│")[1].strip(): [cell.strip() for cell in line.split("│")[2:4]]
            for line in out.splitlines() if line.startswith("│") and line.split("│")[1].strip()}
    assert ["integer 1–999,999,999", "required"] == rows["division"]
    assert ["integer 1–1,000,000", "60"] == rows["calls_per_minute"]
    assert ["boolean", "false"] == rows["vat_rates"]
    assert ["list of text or mapping of text → text", "[]"] == rows["stock_warehouses"]
    assert ["text, optional", "—"] == rows["shipping_item"]
    assert "updated since Modified" in out and "sync token Timestamp" in out


def test_config_show_explains_where_values_come_from(world: World) -> None:
    code, out = invoke("config", "show", "--explain")
    assert 0 == code and "database_url" in out and "from" in out, out


def test_unknown_flow_is_a_clear_error(world: World) -> None:
    code, out = invoke("run", "prodcts")
    assert 1 == code and "no flow named 'prodcts'" in out and "products" in out


def test_runs_of_the_demo_project_need_no_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tradewind.demo import demo_database, write_project

    for name in ("DEMO_EXACT_CLIENT_SECRET", "DEMO_EXACT_REFRESH_TOKEN", "DEMO_SHOPIFY_TOKEN",
                 "TRADEWIND_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    path = write_project(tmp_path / "demo-project", "http://127.0.0.1:1", "http://127.0.0.1:2")
    store = Store(demo_database(tmp_path / "demo-project"))
    store.upgrade()
    with store.begin() as conn:
        from tradewind.store import runs

        runs.start(conn, run_id="feedbeef" * 4, flow="stock", trigger="demo", dry_run=False, owner="t",
                   cursor_from=None)
    code, out = invoke("runs", "-p", str(path))
    assert 0 == code, out
    assert "feedbeef" in out and "stock" in out
    assert not (tmp_path / "tradewind.db").exists(), "read the demo's database, not one in the working directory"
    code, out = invoke("run", "stock", "-p", str(path))
    assert 0 != code and "DEMO_SHOPIFY_TOKEN" in out  # a run connects, so it needs them
