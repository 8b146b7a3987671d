"""A database that cannot be reached ends any command with one line naming what to do — never a
traceback, never the SQL's parameters."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

TEMPLATE = Path(__file__).parents[1] / "src" / "tradewind" / "engine" / "templates" / "tradewind.yaml"


def test_an_unreachable_database_is_one_clear_error(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "from tradewind.cli import main; main()", "runs", "-p", str(TEMPLATE),
         "--database", "postgresql://tradewind:s3cret-pw@127.0.0.1:1/nothing"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert 1 == done.returncode
    assert "database cannot be used" in done.stderr and "running and reachable" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert "s3cret-pw" not in done.stderr + done.stdout
