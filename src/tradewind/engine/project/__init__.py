"""Load and check a project file (``tradewind.yaml``): every problem at once, each with file:line:column.

One job a module: :mod:`.schema` holds the models (``settings``, ``connections``, ``flows``) that
:mod:`tradewind.engine.reference` renders, with every connector's options, for the README;
:mod:`.positions` turns YAML locations into ``file:line:col`` and keeps problems in file order;
:mod:`.checks` runs the passes that never stop at the first problem (YAML within bounds, structure,
meaning) and builds the flows. :func:`validate` returns the problems; :func:`load_project` returns a
:class:`~tradewind.engine.flow.Project` or raises :class:`ProjectInvalid` listing them.

Settings follow one precedence, environment over file over default, and remember their source
(:func:`config_sources`), so no value comes from an unexpected place.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tradewind.engine.flow import Project
from tradewind.engine.project.checks import Checker
from tradewind.engine.project.positions import Loc, Problem, ProjectInvalid
from tradewind.engine.project.schema import (
    EXTENSION_PREFIX,
    MAX_ATTEMPTS,
    MAX_BATCH_SIZE,
    MAX_INTERVAL,
    SETTINGS_ENV,
    WRITE_NEEDS,
    ConnectionSpec,
    FlowSpec,
    ProjectSpec,
    RetryOptions,
    SettingsSpec,
    is_stable_field,
    parse_interval,
)

__all__ = [
    "EXTENSION_PREFIX", "MAX_ATTEMPTS", "MAX_BATCH_SIZE", "MAX_INTERVAL", "SETTINGS_ENV", "WRITE_NEEDS",
    "ConnectionSpec", "FlowSpec", "Loc", "Problem", "ProjectInvalid", "ProjectSpec", "RetryOptions", "SettingsSpec",
    "config_sources", "is_stable_field", "load_project", "parse_interval", "validate",
]


def validate(path: str | Path, *, environ: Mapping[str, str] | None = None,
             check_secrets: bool = True) -> list[Problem]:
    """Every problem of the project file at ``path`` (empty when it can run)."""
    return Checker(path, environ, check_secrets).run()[1]


def load_project(path: str | Path, *, environ: Mapping[str, str] | None = None,
                 check_secrets: bool = True) -> Project:
    """The checked project at ``path``; :class:`ProjectInvalid` with every problem otherwise.

    ``environ`` (default ``os.environ``) supplies settings and the secrets checked to be set;
    ``check_secrets=False`` skips the latter, for machines that validate without credentials.
    """
    project, problems = Checker(path, environ, check_secrets).run()
    if problems or project is None:
        raise ProjectInvalid(problems)
    return project


def config_sources(project: Project) -> list[tuple[str, Any, str]]:
    """``(setting, value, source)`` for ``tradewind config show --explain``; passwords in URLs shown as ``***``."""
    return [(name, _redact(project.settings.get(name)), project.setting_sources.get(name, "default"))
            for name in SettingsSpec.model_fields]


def _redact(value: Any) -> Any:
    if not isinstance(value, str) or "://" not in value:
        return value
    try:
        parts = urlsplit(value)
        password = parts.password
    except ValueError:  # not a URL after all: shown as the placeholder, in case it holds a password
        return "***"
    if not password:
        return value
    netloc = parts.netloc.replace(f":{password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
