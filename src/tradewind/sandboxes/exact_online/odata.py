"""OData v2 query options as the Exact Online sandbox understands them (OData v2 URL conventions,
https://www.odata.org/documentation/odata-version-2-0/uri-conventions/, as WCF Data Services serves them).

``$filter`` is parsed with a lark grammar (the subset Exact's WCF Data Services stack accepts in
practice: comparison and logical operators, parentheses, typed literals and a few string
functions) and compiled to a predicate over plain ``dict`` records. Field types come from the
entity's schema, so a filter naming an unknown property or comparing a Guid with a string fails
the way WCF does, with a 400 and its message, instead of silently matching nothing.

``$orderby`` and ``$skiptoken`` are handled here too: a skip token is the comma-separated list of
the last row's ordering values followed by its key, written as OData literals (WCF's convention),
so it is parsed by the same grammar.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import total_ordering
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError, VisitError

Record = Mapping[str, Any]
Predicate = Callable[[Record], bool]
Getter = Callable[[Record], Any]
Types = Mapping[str, str]

GRAMMAR = r"""
?start: disj
?disj: conj
     | disj "or" conj          -> or_
?conj: neg
     | conj "and" neg          -> and_
?neg: comp
    | "not" neg                -> not_
?comp: value
     | value COMPOP value      -> compare
?value: literal
      | call
      | field
      | "(" disj ")"
call: NAME "(" [disj ("," disj)*] ")"
field: NAME
literal: STRING                -> string
       | GUID                  -> guid
       | DATETIME              -> datetime
       | NUMBER                -> number
       | "true"                -> true
       | "false"               -> false
       | "null"                -> null
literals: literal ("," literal)*
COMPOP.2: /(eq|ne|gt|ge|lt|le)(?![A-Za-z0-9_])/
GUID.3: /guid'[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}'/
DATETIME.3: /datetime'[^']*'/
STRING: /'(?:[^']|'')*'/
NUMBER: /-?\d+(\.\d+)?[mMdDfFlL]?/
NAME: /[A-Za-z_][A-Za-z0-9_]*/
%ignore /[ \t]+/
"""

_PARSER = Lark(GRAMMAR, start=["start", "literals"], parser="lalr")


class ODataError(ValueError):
    """A query option the service refuses (answered as 400 with the vendor's error envelope)."""


@dataclass(frozen=True)
class Operand:
    """A compiled operand: how to read it from a record, and its EDM-ish static type."""

    get: Getter
    type: str  # "guid", "str", "int", "float", "bool", "date", "null"
    constant: bool = False


_FUNCTIONS: dict[str, tuple[int, str, Callable[..., Any]]] = {
    "trim": (1, "str", lambda s: None if s is None else s.strip()),
    "tolower": (1, "str", lambda s: None if s is None else s.lower()),
    "toupper": (1, "str", lambda s: None if s is None else s.upper()),
    "length": (1, "int", lambda s: None if s is None else len(s)),
    "substringof": (2, "bool", lambda needle, hay: needle is not None and hay is not None and needle in hay),
    "startswith": (2, "bool", lambda hay, pre: hay is not None and pre is not None and hay.startswith(pre)),
    "endswith": (2, "bool", lambda hay, suf: hay is not None and suf is not None and hay.endswith(suf)),
    "year": (1, "int", lambda d: None if d is None else d.year),
    "month": (1, "int", lambda d: None if d is None else d.month),
    "day": (1, "int", lambda d: None if d is None else d.day),
}

_EDM = {"guid": "System.Guid", "str": "System.String", "date": "System.DateTime", "bool": "System.Boolean",
        "int": "System.Int32", "float": "System.Double"}
_NUMERIC = {"int", "float"}


def parse_datetime(text: str) -> datetime:
    """Parse an OData datetime literal body or ISO string; naive values are taken as UTC."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ODataError(f"Unrecognized 'Edm.DateTime' literal 'datetime'{text}''.") from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _literal_value(kind: str, token: Token | None) -> tuple[Any, str]:
    text = str(token) if token is not None else ""
    if kind == "string":
        return text[1:-1].replace("''", "'"), "str"
    if kind == "guid":
        return text[5:-1].lower(), "guid"
    if kind == "datetime":
        return parse_datetime(text[9:-1]), "date"
    if kind == "number":
        digits = text.rstrip("mMdDfFlL")
        return (float(digits), "float") if "." in digits or (digits != text and text[-1] in "mMdDfF") else (
            int(digits), "int")
    return {"true": (True, "bool"), "false": (False, "bool"), "null": (None, "null")}[kind]


def _const(value: Any, type_: str) -> Operand:
    return Operand(lambda _r: value, type_, constant=True)


def _compatible(left: str, right: str) -> bool:
    if "null" in (left, right) or left == right:
        return True
    return left in _NUMERIC and right in _NUMERIC


def _ordered(op: str, a: Any, b: Any) -> bool:
    if a is None or b is None:
        return False
    if op == "gt":
        return bool(a > b)
    if op == "ge":
        return bool(a >= b)
    if op == "lt":
        return bool(a < b)
    return bool(a <= b)


def _compare(op: str, left: Operand, right: Operand) -> Operand:
    if not _compatible(left.type, right.type):
        raise ODataError(f"Operator '{op}' incompatible with operand types '{_EDM.get(left.type, left.type)}' "
                         f"and '{_EDM.get(right.type, right.type)}'.")
    lget, rget = left.get, right.get
    if op == "eq":
        return Operand(lambda r: lget(r) == rget(r), "bool")
    if op == "ne":
        return Operand(lambda r: lget(r) != rget(r), "bool")
    return Operand(lambda r: _ordered(op, lget(r), rget(r)), "bool")


def _require_bool(operand: Operand, where: str) -> Getter:
    if operand.type not in ("bool", "null"):
        raise ODataError(f"Expression of type '{_EDM.get(operand.type, operand.type)}' used where a boolean is "
                         f"expected ({where}).")
    return operand.get


@v_args(inline=True)
class _Compiler(Transformer[Token, Operand]):
    """Turns the parse tree into closures; field names are checked against the entity schema."""

    def __init__(self, types: Types, entity: str) -> None:
        super().__init__()
        self.types = types
        self.entity = entity

    def field(self, name: Token) -> Operand:
        key = str(name)
        if key not in self.types:
            raise ODataError(f"No property '{key}' exists in type '{self.entity}'.")
        return Operand(lambda r: r.get(key), self.types[key])

    def string(self, tok: Token) -> Operand:
        return _const(*_literal_value("string", tok))

    def guid(self, tok: Token) -> Operand:
        return _const(*_literal_value("guid", tok))

    def datetime(self, tok: Token) -> Operand:
        return _const(*_literal_value("datetime", tok))

    def number(self, tok: Token) -> Operand:
        return _const(*_literal_value("number", tok))

    def true(self) -> Operand:
        return _const(True, "bool")

    def false(self) -> Operand:
        return _const(False, "bool")

    def null(self) -> Operand:
        return _const(None, "null")

    def compare(self, left: Operand, op: Token, right: Operand) -> Operand:
        return _compare(str(op), left, right)

    def and_(self, left: Operand, right: Operand) -> Operand:
        lget, rget = _require_bool(left, "and"), _require_bool(right, "and")
        return Operand(lambda r: bool(lget(r)) and bool(rget(r)), "bool")

    def or_(self, left: Operand, right: Operand) -> Operand:
        lget, rget = _require_bool(left, "or"), _require_bool(right, "or")
        return Operand(lambda r: bool(lget(r)) or bool(rget(r)), "bool")

    def not_(self, inner: Operand) -> Operand:
        get = _require_bool(inner, "not")
        return Operand(lambda r: not get(r), "bool")

    def call(self, name: Token, *args: Operand | None) -> Operand:
        spec = _FUNCTIONS.get(str(name))
        if spec is None:
            raise ODataError(f"Unknown function '{name}'.")
        arity, result_type, fn = spec
        operands = [a for a in args if a is not None]
        if len(operands) != arity:
            raise ODataError(f"No function signature for the function with name '{name}' matches the "
                             f"specified arguments.")
        getters = [a.get for a in operands]
        return Operand(lambda r: fn(*(g(r) for g in getters)), result_type)


def compile_filter(text: str, types: Types, entity: str) -> Predicate:
    """Compile a ``$filter`` expression into a predicate over records typed by ``types``."""
    try:
        tree = _PARSER.parse(text, start="start")
        operand = _Compiler(types, entity).transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, ODataError):
            raise exc.orig_exc from None
        raise ODataError(f"Syntax error in '$filter': {exc.orig_exc}") from None
    except LarkError as exc:
        raise ODataError(f"Syntax error in '$filter' at position {_position(exc)}.") from None
    get = _require_bool(operand, "$filter")
    return lambda record: bool(get(record))


def _position(exc: LarkError) -> int:
    return int(getattr(exc, "column", getattr(exc, "pos_in_stream", 0)) or 0)


def parse_literals(text: str) -> list[Any]:
    """Parse a comma-separated list of OData literals (the body of a ``$skiptoken``)."""
    try:
        tree = _PARSER.parse(text, start="literals")
    except LarkError as exc:
        raise ODataError(f"Invalid $skiptoken '{text}'.") from exc
    values = []
    for node in tree.children:
        token = node.children[0] if node.children else None  # type: ignore[union-attr]
        values.append(_literal_value(node.data, token)[0])  # type: ignore[union-attr,arg-type]
    return values


def format_literal(value: Any) -> str:
    """Write a value as an OData literal (used to build skip tokens)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return "datetime'" + value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "'"
    if isinstance(value, int):
        return f"{value}L"
    if isinstance(value, float):
        return f"{value!r}M"
    text = str(value)
    if _GUID_RE.fullmatch(text):
        return f"guid'{text}'"
    return "'" + text.replace("'", "''") + "'"


_GUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def parse_orderby(text: str, types: Types, entity: str) -> list[tuple[str, bool]]:
    """``Field [asc|desc], …`` → ``[(field, descending)]``."""
    result = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        words = part.split()
        if len(words) > 2 or (len(words) == 2 and words[1] not in ("asc", "desc")):
            raise ODataError(f"Syntax error in '$orderby' near '{part}'.")
        if words[0] not in types:
            raise ODataError(f"No property '{words[0]}' exists in type '{entity}'.")
        result.append((words[0], len(words) == 2 and words[1] == "desc"))
    return result


@total_ordering
class _Key:
    """One ordering component: nulls first ascending (as SQL Server sorts), reversed when descending."""

    __slots__ = ("desc", "value")

    def __init__(self, value: Any, desc: bool) -> None:
        self.value = value
        self.desc = desc

    def _rank(self) -> tuple[bool, Any]:
        return (self.value is not None, self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Key) and self._rank() == other._rank()

    def __lt__(self, other: _Key) -> bool:
        mine, theirs = self._rank(), other._rank()
        if mine[0] != theirs[0] or mine[1] is None:
            less = mine[0] < theirs[0]
        else:
            less = mine[1] < theirs[1]
        if self.desc:
            return not less and mine != theirs
        return less

    def __hash__(self) -> int:
        return hash(self._rank())


def sort_key(order: Sequence[tuple[str, bool]], key_field: str) -> Callable[[Record], tuple[_Key, ...]]:
    """A key function ordering records by ``order`` and then by their key (stable paging)."""
    fields = [*order, (key_field, False)]
    return lambda r: tuple(_Key(r.get(name), desc) for name, desc in fields)


def token_key(values: Sequence[Any], order: Sequence[tuple[str, bool]]) -> tuple[_Key, ...]:
    """The ordering key of a parsed ``$skiptoken``."""
    directions = [desc for _, desc in order] + [False]
    if len(values) != len(directions):
        raise ODataError("The $skiptoken does not match the $orderby of the request.")
    return tuple(_Key(v, d) for v, d in zip(values, directions, strict=True))
