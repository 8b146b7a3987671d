"""The project-file reference, generated from the schema models and every registered connector.

The README embeds :func:`project_reference_markdown`'s output, so the reference cannot drift from
what ``tradewind validate`` accepts (STYLE rule 6: documented where declared, never hand-written).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from enum import Enum
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from tradewind import connectors as registry
from tradewind.connectors.base import Connector, FileName, Resource, SecretRef, SyncToken, UpdatedSince
from tradewind.engine.project import SETTINGS_ENV, ConnectionSpec, FlowSpec, RetryOptions, SettingsSpec
from tradewind.engine.project.schema import NotifySpec, ReportSpec
from tradewind.mapping import MappingSpec, TableRule

_INTRO = """\
# Project file reference

A project is one YAML file, `tradewind.yaml`, with three top-level keys: `settings` (optional),
`connections` and `flows`. `tradewind validate` reports every problem with file, line, column and a
hint. Secrets are never written in the file: secret options take `${ENV_NAME}` references, resolved
when a connection opens. Top-level keys starting with `x-` are ignored, a place for YAML anchors that flows
merge in (`<<: *defaults`). This page is generated from the code (`tradewind.engine.reference`)."""


Code = Callable[[Any], str]
"""How a literal value is set in text: in backticks for Markdown, bare for a terminal."""


def plain(value: Any) -> str:
    """A value as a user writes it in the project file: ``EUR``, ``60``, ``true``, ``["1"]``."""
    return value if isinstance(value, str) else json.dumps(value, default=_json, ensure_ascii=False)


def project_reference_markdown() -> str:
    """The whole reference as Markdown: schema first, then one section per registered connector."""
    parts = [_INTRO, _settings(), _connections(), _flows(), _mapping(), _notify(), "## Connectors"]
    parts += [_connector(registry.get(name)) for name in registry.available()]
    return "\n\n".join(parts) + "\n"


# --- schema sections ---------------------------------------------------------------------------


def _settings() -> str:
    rows = [[_code(name), type_text(f, _code), _default(f), _code(SETTINGS_ENV[name]), _cell(f.description)]
            for name, f in SettingsSpec.model_fields.items()]
    return "\n".join([
        "## `settings`",
        "",
        "Precedence: the environment variable, then the file, then the default. "
        "`tradewind config show --explain` names the source of each value.",
        "",
        _table(["key", "type", "default", "environment", "description"], rows),
    ])


def _connections() -> str:
    return "\n".join([
        "## `connections.<name>`",
        "",
        "A connection configures one connector. Two keys are reserved; every other key is an option of the "
        "connector (see *Connectors* below). Flows name a connection's resources as `<name>.<resource>`.",
        "",
        _fields_table(ConnectionSpec),
    ])


def _flows() -> str:
    return "\n".join([
        "## `flows.<name>`",
        "",
        "A flow moves one entity kind from a source resource to a target resource.",
        "",
        _fields_table(FlowSpec),
        "",
        "### `flows.<name>.retry`",
        "",
        _fields_table(RetryOptions),
        "",
        "A `cursor` must be a modification time or sync token the source resource declares: ids, codes, "
        "numbers and creation times do not change when a record is updated, so changes would be missed.",
    ])


def _mapping() -> str:
    return "\n".join([
        "## `flows.<name>.mapping`",
        "",
        (MappingSpec.__doc__ or "").strip(),
        "",
        _fields_table(MappingSpec),
        "",
        "### `flows.<name>.mapping.table.<field>`",
        "",
        _fields_table(TableRule),
    ])


def _notify() -> str:
    return "\n".join([
        "## `notify`",
        "",
        (NotifySpec.__doc__ or "").strip(),
        "",
        _fields_table(NotifySpec),
        "",
        "### `notify.reports.<flow>`",
        "",
        _fields_table(ReportSpec),
    ])


def _fields_table(model: type[BaseModel]) -> str:
    rows = [[_code(f.alias or name), type_text(f, _code), _default(f), _cell(f.description), _example(f)]
            for name, f in model.model_fields.items()]
    return _table(["key", "type", "default", "description", "example"], rows)


# --- connectors --------------------------------------------------------------------------------


def _connector(connector: type[Connector]) -> str:
    secrets = set(connector.Options.secret_fields())
    options = [[_code(f.alias or name), type_text(f, _code), _default(f), "yes" if name in secrets else "",
                _cell(f.description), _example(f)] for name, f in connector.Options.model_fields.items()]
    resources = [_resource_row(name, resource) for name, resource in connector.resources.items()]
    return "\n".join([
        f"### {_code(connector.name)} — {connector.label}",
        "",
        (connector.Options.__doc__ or "").strip(),
        "",
        "Options:",
        "",
        _table(["option", "type", "default", "secret", "description", "example"], options),
        "",
        "Resources:",
        "",
        _table(["resource", "entity", "natural keys", "cursor", "can", "description"], resources),
    ]).replace("\n\n\n", "\n\n")


def _resource_row(name: str, resource: Resource[Any]) -> list[str]:
    keys = ", ".join(_code(key) for key in resource.natural_keys) or "—"
    return [_code(name), resource.entity.kind, keys, _cursor(resource), ", ".join(sorted(resource.can)),
            _cell(resource.description)]


def _cursor(resource: Resource[Any]) -> str:
    return cursor_text(resource, _code)


def cursor_text(resource: Resource[Any], code: Code = plain) -> str:
    """How a resource reads incrementally: ``updated since Modified``, ``sync token Timestamp``."""
    cursor = resource.cursor
    if isinstance(cursor, UpdatedSince):
        return f"updated since {code(cursor.field)}"
    if isinstance(cursor, SyncToken):
        return f"sync token {code(cursor.field)}"
    if isinstance(cursor, FileName):
        return "file names, in order"
    return "none (read in full)"


# --- cells -------------------------------------------------------------------------------------


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = [_row(header), _row(["---"] * len(header))]
    return "\n".join(lines + [_row(row) for row in rows])


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("<", "&lt;").replace("\n", " ").strip()


def _code(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=_json, ensure_ascii=False)
    return f"`{_cell(text)}`"


def _json(value: Any) -> Any:
    if isinstance(value, Decimal | Enum | SecretRef):
        return str(value.value if isinstance(value, Enum) else value)
    raise TypeError(type(value).__name__)


def _example(field: FieldInfo) -> str:
    return _code(field.examples[0]) if field.examples else ""


def default_text(field: FieldInfo, code: Code = plain) -> str:
    """``required``, ``—`` (no default: left out), or the default as written in the project file."""
    if field.is_required():
        return "required"
    if field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
    else:
        value = field.default
    if value is None or value is PydanticUndefined:
        return "—"
    if isinstance(value, BaseModel):
        return "see below"
    return code(value)


def type_text(field: FieldInfo, code: Code = plain) -> str:
    """A reader's name for a field's type with its bounds: ``integer 1–999,999,999``, ``secret (${ENV})``,
    ``one of: csv, xml``, ``list of text``, ``text, optional``."""
    named = _type(field.annotation, code)
    bounds = _bounds(field)
    if not bounds:
        return named
    head, optional = (named[:-len(", optional")], ", optional") if named.endswith(", optional") else (named, "")
    return f"{head} {bounds}{optional}"


def _default(field: FieldInfo) -> str:
    return default_text(field, _code)


def _type(annotation: Any, code: Code = _code) -> str:
    origin, args = get_origin(annotation), get_args(annotation)
    if annotation is SecretRef:
        return f"secret ({code('${ENV}')})"
    if origin in (Union, type(int | None)):
        rest = [arg for arg in args if arg is not type(None)]
        named = " or ".join(_type(arg, code) for arg in rest)
        return f"{named}, optional" if len(rest) < len(args) else named
    if origin is Literal:
        return "one of: " + ", ".join(code(arg) for arg in args)
    if origin in (list, tuple, set, frozenset):
        return f"list of {_type(args[0], code)}" if args else "list"
    if origin is dict:
        key = _type(args[0], code) if args else ""
        key = f"({key})" if get_origin(args[0]) is Literal else key if args else ""
        return f"mapping of {key} → {_type(args[1], code)}" if args else "mapping"
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "one of: " + ", ".join(code(member.value) for member in annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "mapping"
    return _SIMPLE.get(annotation, getattr(annotation, "__name__", str(annotation)))


_SIMPLE: dict[Any, str] = {str: "text", int: "integer", float: "number", Decimal: "decimal", bool: "boolean",
                           Any: "any"}


def _bounds(field: FieldInfo) -> str:
    """``1–999,999,999``, ``≥ 1``, ``> 0``: the numeric bounds a field declares (``ge``/``gt``/``le``/``lt``)."""
    found = {type(rule).__name__: getattr(rule, type(rule).__name__.lower()) for rule in field.metadata
             if isinstance(rule, annotated_types.Ge | annotated_types.Gt | annotated_types.Le | annotated_types.Lt)}
    if "Ge" in found and "Le" in found:
        return f"{_number(found['Ge'])}–{_number(found['Le'])}"
    signs = {"Ge": "≥", "Gt": ">", "Le": "≤", "Lt": "<"}
    return " and ".join(f"{signs[name]} {_number(value)}" for name, value in found.items())


def _number(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int | float | Decimal) else str(value)


__all__ = ["cursor_text", "default_text", "plain", "project_reference_markdown", "type_text"]
