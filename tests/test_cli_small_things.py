"""The small things of issue 12, as a user meets them: ``transfers`` pages through every row and
refuses unknown outcomes and stages, ``validate FILE``, ``mapping functions`` keeps text rich would
read as markup, reasons show enum values, log lines of several threads stay whole, and
``sandboxes serve`` prints a project file that runs against the sandboxes it serves."""

from __future__ import annotations

import io
import re
import sys
import threading
import time
from pathlib import Path

import pytest
import structlog

from tests.cli_kit import invoke, runner
from tests.e2e.slice import World
from tradewind import log
from tradewind.cli import app
from tradewind.engine.project import load_project
from tradewind.engine.services import Services
from tradewind.sandboxes import standalone
from tradewind.store.db import Store

pytestmark = pytest.mark.usefixtures("wide_console")


@pytest.fixture
def world(cli_world: World) -> World:
    return cli_world


def ids_in(out: str) -> list[int]:
    return [int(m.group(1)) for m in re.finditer(r"^│ (\d+) +│", out, re.MULTILINE)]


def test_transfers_page_through_every_row_and_say_how_to_see_the_next(world: World) -> None:
    result = world.run("products")
    total = result.counts["received"]
    assert total > 10
    code, out = invoke("transfers", result.run_id[:8], "--limit", "5")
    assert 0 == code, out
    first = ids_in(out)
    assert 5 == len(first) and first == sorted(first, reverse=True)
    assert f"showing 5 of {total} transfers; the next page: tradewind transfers {result.run_id[:8]} " \
           f"--before {first[-1]}" in out
    seen, before = list(first), first[-1]
    while True:
        code, out = invoke("transfers", result.run_id[:8], "--limit", "5", "--before", str(before))
        assert 0 == code, out
        page = ids_in(out)
        seen += page
        if "the next page" not in out:
            break
        assert "showing 5 transfers; more follow" in out
        before = page[-1]
    assert total == len(seen) == len(set(seen))
    code, out = invoke("transfers", result.run_id[:8])
    assert total == len(ids_in(out)) and "next page" not in out


def test_transfers_refuse_unknown_outcomes_and_stages_naming_the_allowed_ones(world: World) -> None:
    result = world.run("products")
    for option in ("--outcome", "--stage"):
        outcome = runner.invoke(app, ["transfers", result.run_id[:8], option, "bogus"])
        assert 2 == outcome.exit_code
        text = outcome.output + (outcome.stderr if outcome.stderr_bytes is not None else "")
        assert "'bogus' is not one of" in text
        assert ("'created'" if option == "--outcome" else "'received'") in text
    code, out = invoke("transfers", result.run_id[:8], "--outcome", "created")
    assert 0 == code and ids_in(out) and " created " in out and " skipped " not in out
    code, out = invoke("transfers", "zzzz9999")
    assert 1 == code and "no run 'zzzz9999'" in out


def test_reasons_show_enum_values_not_python_reprs(world: World, sqlite_store: Store) -> None:
    text = world.project_path.read_text()  # a filter on an enum field (the project's own gate is stage: paid)
    gate = "    filter: \"order.financial_status == 'paid'\"\n"
    world.project_path.write_text(text.replace("    stage: paid\n", gate))
    world.services = Services.open(load_project(world.project_path), sqlite_store)
    world.run("products")
    world.add_orders(1, seed=3, paid=False)
    result = world.run("orders")
    code, out = invoke("transfers", result.run_id[:8], "--outcome", "skipped")
    assert 0 == code, out
    assert "order.financial_status='pending'" in out
    assert "FinancialStatus" not in out


def test_validate_takes_the_file_as_an_argument(world: World, tmp_path: Path) -> None:
    code, out = invoke("validate", str(world.project_path))
    assert (0, f"{world.project_path}: OK") == (code, out.strip().replace("\n", ""))
    broken = tmp_path / "broken.yaml"
    broken.write_text("connections: {}\nflows: {x: {from: a.b, to: c.d}}\n")
    code, out = invoke("validate", str(broken))
    assert 1 == code and "broken.yaml:2:" in out


def test_mapping_functions_keep_text_rich_would_read_as_markup() -> None:
    code, out = invoke("mapping", "functions")
    assert 0 == code
    assert "[street, number, addition] | join(' ')" in out
    assert "['Jan', 'de Vries']" in out


def test_log_lines_of_several_threads_stay_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    class Yielding(io.StringIO):
        """A stream that lets other threads in between writes, as a busy terminal does."""

        def write(self, text: str) -> int:
            time.sleep(0)
            return super().write(text)

    stream = Yielding()
    monkeypatch.setattr(sys, "stderr", stream)
    log.configure("INFO")
    logger = structlog.get_logger("t")

    def chatter(n: int) -> None:
        for i in range(200):
            logger.info("tick", thread=n, i=i)

    threads = [threading.Thread(target=chatter, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = stream.getvalue().splitlines()
    assert 1200 == len(lines)
    assert all(line.count("tick") == 1 and re.search(r"i=\d+ +thread=\d+$", line) for line in lines)


def test_sandboxes_serve_prints_urls_and_a_project_that_validates(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = invoke("sandboxes", "serve", "--exact-port", "0", "--shop-port", "0", "--ip-soft-port", "0",
                       "--products", "5", "--duration", "0")
    assert 0 == code, out
    assert re.search(r"Exact Online sandbox: http://127\.0\.0\.1:\d+", out)
    assert re.search(r"Shopify sandbox: http://127\.0\.0\.1:\d+", out)
    assert re.search(r"IP-Soft sandbox: http://127\.0\.0\.1:\d+", out)
    assert "export SANDBOX_EXACT_REFRESH_TOKEN=demo-refresh" in out
    project = tmp_path / "tradewind.yaml"
    project.write_text(out[out.index("connections:"):out.index("\nserving until Ctrl-C")])
    for name, value in re.findall(r"export (\w+)=(\S+)", out):
        monkeypatch.setenv(name, value)
    code, checked = invoke("validate", str(project))
    assert 0 == code, checked


def test_the_served_sandboxes_run_the_printed_project(tmp_path: Path, sqlite_store: Store,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in standalone.Sandboxes.environment().items():
        monkeypatch.setenv(name, value)
    served = standalone.start(products=6, webhook_secret="s3cret", ports=dict.fromkeys(standalone.PORTS, 0))
    try:
        path = tmp_path / "tradewind.yaml"
        path.write_text(served.project())
        services = Services.open(load_project(path), sqlite_store)
        result = services.run_flow("products")
        assert ("succeeded", 6) == (result.status, result.counts["created"])
    finally:
        served.stop()
