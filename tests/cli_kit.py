"""What the CLI's tests share: a wide console (the runner's 80 columns would truncate ids and
reasons), a world of sandboxes with the project and database in the environment as a user sets
them (``cli_world``; a plugin of the root conftest), and ``invoke`` answering the exit code and the output."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from tests.e2e.slice import World, start_world
from tradewind import cli
from tradewind.cli import app
from tradewind.store.db import Store

runner = CliRunner()


@pytest.fixture
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "console", Console(width=400))


@pytest.fixture
def cli_world(tmp_path: Path, sqlite_store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    w = start_world(tmp_path, sqlite_store, monkeypatch=monkeypatch)
    monkeypatch.setenv("TRADEWIND_DATABASE_URL", sqlite_store.url)
    monkeypatch.setenv("TRADEWIND_PROJECT", str(w.project_path))
    yield w
    w.exact.stop()
    w.shop.stop()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output
