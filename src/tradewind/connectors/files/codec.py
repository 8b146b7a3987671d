"""Rows of a file ⇄ canonical entities, by the resource's column → field mapping. Pure functions.

A native record of a file is ``{"file": name, "rows": [{"line": n, "values": {column: text}}]}``:
one row, or several consecutive rows of one order (its lines) or one product (its variants). A
row the reader could not take apart carries ``problem`` instead of ``values``. Field paths are
dotted (``shipping_address.city``); those starting with the entity's repeated collection
(``lines.`` or ``variants.``) are read from every row, the rest from the first.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from tradewind.connectors.base import Refs
from tradewind.connectors.files.options import FileSettings
from tradewind.errors import RecordError
from tradewind.model import Entity

REPEATED = {"order": "lines", "product": "variants"}
"""The collection whose items a file spreads over consecutive rows (or repeated XML elements)."""

MONEY = {
    "product": {"variants.price", "variants.compare_at_price", "variants.cost_price"},
    "price": {"amount"},
    "order": {"total", "subtotal", "tax_total", "lines.unit_price", "lines.discount", "lines.tax"},
}
NUMBERS = {"quantity", "on_hand", "reserved", "incoming", "available", "vat_rate", "min_quantity", "weight_grams"}
TIMES = {"created_at", "updated_at"}

DEFAULT_COLUMNS: dict[str, list[str]] = {
    "products": ["key", "title", "variants.sku", "variants.ean", "variants.price"],
    "prices": ["sku", "price_list", "amount"],
    "stock": ["sku", "location", "on_hand", "available"],
    "customers": ["reference", "name", "email", "phone", "billing_address.line1", "billing_address.postcode",
                  "billing_address.city", "billing_address.country"],
    "orders": ["number", "created_at", "customer.name", "customer.email", "lines.sku", "lines.quantity",
               "lines.unit_price", "total"],
    "pick_lists": ["number", "lines.sku", "lines.quantity", "lines.title", "shipping_address.name",
                   "shipping_address.line1", "shipping_address.postcode", "shipping_address.city",
                   "shipping_address.country"],
}
"""Columns (named as the fields they hold) of a resource whose settings map no fields."""


def mapping(settings: FileSettings, resource: str, header: list[str] | None = None) -> dict[str, str]:
    """Column → field path: the configured one, else every column named as its field."""
    if settings.fields:
        return dict(settings.fields)
    return {name: name for name in (header or DEFAULT_COLUMNS.get(resource, []))}


# -- reading ------------------------------------------------------------------------------------

def fields_of(values: dict[str, str], columns: dict[str, str]) -> dict[str, str]:
    """A row's non-empty values by field path."""
    return {path: text.strip() for column, path in columns.items()
            if (text := values.get(column)) is not None and text.strip() != ""}


def record_key(values: dict[str, str], columns: dict[str, str], keys: tuple[str, ...], kind: str) -> str | None:
    """The record's identity across files (its natural key), or None when a row lacks it."""
    found = fields_of(values, columns)
    if kind == "product" and "key" not in found and "variants.sku" in found:
        found["key"] = found["variants.sku"]
    parts = [found.get(key) for key in keys]
    return ",".join(p for p in parts if p) if all(parts) else None


def decode(data: dict[str, Any], *, entity: type[Entity], settings: FileSettings,
           columns: dict[str, str] | None) -> Any:
    """A native record (one or more rows) → the canonical entity; errors name file, line and field.
    ``columns`` None: the file's own column names are the field paths."""
    rows = data["rows"]
    where = f"{data['file']} line {rows[0]['line']}"
    if rows[0].get("problem"):
        raise RecordError(f"{where}: {rows[0]['problem']}")
    kind = entity.kind
    try:
        found = [fields_of(r["values"], columns if columns is not None else {c: c for c in r["values"]})
                 for r in rows]
        nested = _assemble(kind, found, settings)
        return entity.model_validate(nested)
    except ValidationError as error:
        first = error.errors()[0]
        loc = [str(part) for part in first["loc"]]
        index = int(loc[1]) if len(loc) > 1 and loc[0] == REPEATED.get(kind) and loc[1].isdigit() else 0
        named = _column(loc, columns if columns is not None else {c: c for c in rows[index]["values"]})
        message = str(first["msg"]).removeprefix("Value error, ")
        raise RecordError(f"{data['file']} line {rows[index]['line']}{named}: {message}",
                          field=".".join(loc) or None) from None
    except _FieldError as error:
        named = _column([error.path], columns if columns is not None else {c: c for c in rows[0]["values"]})
        raise RecordError(f"{where}{named}: {error.reason}", field=error.path) from None
    except ValueError as error:
        raise RecordError(f"{where}: {error}") from None


def _column(loc: list[str], columns: dict[str, str]) -> str:
    """The column (or element path) a field came from, as the file names it."""
    path = ".".join(part for part in loc if not part.isdigit())
    found = [column for column, field in columns.items() if path == field or path.startswith(field + ".")]
    return f", column {found[0]}" if found else f", field {path}" if path else ""


def _assemble(kind: str, rows: list[dict[str, str]], settings: FileSettings) -> dict[str, Any]:
    repeated = REPEATED.get(kind)
    head = {p: v for p, v in rows[0].items() if not (repeated and p.startswith(repeated + "."))}
    nested: dict[str, Any] = {}
    for path, text in head.items():
        _put(nested, path, _value(kind, path, text, settings))
    if repeated:
        prefix = repeated + "."
        items = []
        for row in rows:
            item: dict[str, Any] = {}
            for path, text in row.items():
                if path.startswith(prefix):
                    _put(item, path[len(prefix):], _value(kind, path, text, settings))
            items.append(item)
        nested[repeated] = items
    return _defaults(kind, nested, settings)


def _defaults(kind: str, nested: dict[str, Any], settings: FileSettings) -> dict[str, Any]:
    if kind == "product" and "key" not in nested and nested.get("variants"):
        nested["key"] = nested["variants"][0].get("sku")
    if kind == "order":
        nested.setdefault("currency", settings.currency)
    return nested


class _FieldError(ValueError):
    def __init__(self, path: str, reason: str) -> None:
        self.path, self.reason = path, reason
        super().__init__(f"{path}: {reason}")


def _value(kind: str, path: str, text: str, settings: FileSettings) -> Any:
    try:
        return _convert(kind, path, text, settings)
    except ValueError as error:
        raise _FieldError(path, str(error)) from None


def _convert(kind: str, path: str, text: str, settings: FileSettings) -> Any:
    leaf = path.rsplit(".", 1)[-1]
    if path in MONEY.get(kind, set()):
        return {"amount": _number(text, settings), "currency": settings.currency}
    if leaf in NUMBERS or path.endswith(".amount"):
        return _number(text, settings)
    if path in TIMES:
        return _time(text, settings)
    if leaf == "tags":
        return [tag.strip() for tag in text.split(",") if tag.strip()]
    return text


def _number(text: str, settings: FileSettings) -> str:
    return text.replace(",", ".") if settings.decimal == "," else text


def _time(text: str, settings: FileSettings) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        if settings.timezone is None:
            raise ValueError(f"time {text!r} has no time zone; set the resource's `timezone`")
        moment = moment.replace(tzinfo=ZoneInfo(settings.timezone))
    return moment


def _put(target: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    for part in parents:
        target = target.setdefault(part, {})
        if not isinstance(target, dict):
            raise ValueError(f"field path {path!r} runs into a value")
    target[leaf] = value


# -- writing ------------------------------------------------------------------------------------

def encode(entity: Entity, refs: Refs, *, columns: dict[str, str]) -> dict[str, Any]:
    """The entity → ``{"rows": [{column: text}]}``: one row, or one per line or variant."""
    data = entity.model_dump(mode="python", exclude_none=True)
    repeated = REPEATED.get(entity.kind)
    items = data.get(repeated, []) if repeated else []
    prefix = f"{repeated}."
    if not repeated or not any(path.startswith(prefix) for path in columns.values()) or not items:
        return {"rows": [{column: _text(_get(data, path)) for column, path in columns.items()}]}
    return {"rows": [{column: _text(_get(item, path[len(prefix):]) if path.startswith(prefix) else _get(data, path))
                      for column, path in columns.items()} for item in items]}


def _get(data: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    if isinstance(data, dict) and "amount" in data and "currency" in data:
        return data["amount"]
    return data


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
