"""The mapping schema: what a user writes under ``flows.<name>.mapping`` in ``tradewind.yaml``.

::

    mapping:
      set:          {Description: "'Webshop order ' ~ order.number"}      # field path ← expression
      table:        {PaymentCondition: {from: "order.payment_method", values: {ideal: IB}, default: "30"}}
      default:      {WarehouseID: "1"}                                    # constant when missing/None/empty
      create_only:  [Description]                                         # sent on create, dropped on update

Field paths are dotted (``Address.City``); a numeric segment indexes a list (``Lines.0.Qty``) and
``*`` applies to every element (``Lines.*.Qty``, with ``item`` and ``index`` in the expression).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tradewind.errors import ConfigError
from tradewind.mapping._paths import STAR, parse_path


def table_key(value: Any) -> str:
    """The text a table is keyed by: YAML keys and looked-up values meet here
    (``True`` → ``true``, ``None`` → ``''``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _check_paths(paths: list[str]) -> None:
    for path in paths:
        parse_path(path)


class TableRule(BaseModel):
    """Map the value of an expression through a fixed table (payment method → payment condition)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: str = Field(alias="from", min_length=1, description="Expression whose value is looked up in `values`")
    values: dict[str, Any] = Field(description="Table: looked-up value → value written to the field")
    default: Any = Field(None, description="Written when the value is not in the table; without it that fails "
                                            "the record")

    @field_validator("values", mode="before")
    @classmethod
    def _keys_as_text(cls, values: Any) -> Any:
        return {table_key(key): value for key, value in values.items()} if isinstance(values, dict) else values

    @property
    def has_default(self) -> bool:
        """Whether ``default`` was written (``default: null`` counts)."""
        return "default" in self.model_fields_set


class MappingSpec(BaseModel):
    """A flow's mapping; applied in the order default → table → set → (on update) drop ``create_only``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    set: dict[str, str] = Field(default_factory=dict, description="Field path ← Jinja2 expression (no `{{ }}`)")
    table: dict[str, TableRule] = Field(default_factory=dict, description="Field path ← value looked up in a table")
    default: dict[str, Any] = Field(default_factory=dict,
                                    description="Field path ← constant, used when the field is missing, null or empty")
    create_only: list[str] = Field(default_factory=list,
                                   description="Field paths sent when creating a record, dropped on update")

    @field_validator("set", "table", "default", mode="after")
    @classmethod
    def _paths_parse(cls, rules: dict[str, Any]) -> dict[str, Any]:
        _check_paths(list(rules))
        return rules

    @field_validator("set", mode="after")
    @classmethod
    def _expressions_present(cls, rules: dict[str, str]) -> dict[str, str]:
        empty = [path for path, expression in rules.items() if not expression.strip()]
        if empty:
            raise ValueError(f"empty expression for {', '.join(empty)}")
        return rules

    @field_validator("create_only", mode="after")
    @classmethod
    def _droppable(cls, paths: list[str]) -> list[str]:
        _check_paths(paths)
        for path in paths:
            last = parse_path(path)[-1]
            if last == STAR or isinstance(last, int):
                raise ValueError(f"{path!r} must end in a field name: only fields can be dropped on update")
        return paths

    @model_validator(mode="after")
    def _one_rule_per_field(self) -> MappingSpec:
        both = sorted(set(self.set) & set(self.table))
        if both:
            raise ValueError(f"{', '.join(both)} appear in both `set` and `table`; keep one")
        return self


def parse_mapping(data: Any, *, flow: str, locate: Callable[[str], str | None] | None = None) -> MappingSpec:
    """Validate the YAML under ``flows.<flow>.mapping``; problems become :class:`ConfigError` with a place.

    ``locate`` gets the dotted key of the offending entry (``"table.PaymentCondition.from"``) and
    returns ``"file:line:column"``.
    """
    try:
        return MappingSpec.model_validate(data if data is not None else {})
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"])
        where = locate(key) if locate and key else None
        message = f"flow {flow!r}, mapping{'.' + key if key else ''}: {first['msg']}"
        raise ConfigError(message, where=where, hint="keys: set, table (from, values, default), default, "
                                                     "create_only") from exc
