"""The documentation that is generated from code must not drift from it."""

from __future__ import annotations

from pathlib import Path

from tradewind.engine.reference import project_reference_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_project_file_reference_is_generated_from_the_code() -> None:
    committed = (ROOT / "docs" / "project-file.md").read_text()
    assert project_reference_markdown() == committed, (
        "docs/project-file.md is stale: regenerate it with "
        "`python -c 'from tradewind.engine.reference import project_reference_markdown as m; print(m(), end=\"\")'"
        " > docs/project-file.md`"
    )


def test_readme_names_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "scripts/demo" in readme and "scripts/test" in readme
