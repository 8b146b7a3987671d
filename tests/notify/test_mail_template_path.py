"""A mail connection's template is found beside the project file, wherever tradewind is started from
(the project is one folder under version control: `template: mail/invoice.txt.j2` means the file in it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradewind.engine.project import validate

PROJECT = """\
connections:
  mail:
    connector: mail
    from: shop@example.com
    template: mail/invoice.txt.j2
flows: {}
"""


def _project(root: Path) -> Path:
    (root / "proj" / "mail").mkdir(parents=True)
    (root / "proj" / "mail" / "invoice.txt.j2").write_text("Dear {{ customer.name }},\n{{ invoice.number }}\n")
    path = root / "proj" / "tradewind.yaml"
    path.write_text(PROJECT)
    return path


def _template_problems(path: Path) -> list[str]:
    return [p.message for p in validate(path) if "template" in p.message]


def test_a_relative_template_is_read_beside_the_project_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _project(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert [] == _template_problems(path)


def test_a_template_missing_beside_the_project_file_is_named_with_its_full_path(tmp_path: Path) -> None:
    path = _project(tmp_path)
    (tmp_path / "proj" / "mail" / "invoice.txt.j2").unlink()
    problems = _template_problems(path)
    assert len(problems) == 1 and str(tmp_path / "proj" / "mail" / "invoice.txt.j2") in problems[0]
