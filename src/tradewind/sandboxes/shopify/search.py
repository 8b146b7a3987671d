"""Shopify's search syntax for ``query:`` arguments, parsed with lark and evaluated in memory.

Grammar after https://shopify.dev/docs/api/usage/search-syntax: a query is terms joined by
``AND``/``OR`` or whitespace (implicit ``AND``); a term is ``[NOT |-]value`` or
``[NOT |-]field<comparator>value`` with comparators ``:``, ``:<``, ``:<=``, ``:>``, ``:>=``;
values are bare names or single/double-quoted strings; a trailing ``*`` asks for a prefix and
``field:*`` for existence; parentheses group. ``NOT`` binds tighter than ``AND``, ``AND`` than
``OR`` (the page gives no precedence table; this is the usual reading).

Shopify ignores a filter on a field the resource does not support and says so in
``extensions.search[].warnings`` ("Invalid search field for this query."); :func:`compile_query`
does the same, returning the warnings for the caller to report.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Literal

from lark import Lark, Token, Transformer
from lark.exceptions import LarkError

_GRAMMAR = r"""
?start: or_expr
      |                          -> empty
?or_expr: and_expr (_OR and_expr)*      -> or_
?and_expr: not_expr (_AND? not_expr)*   -> and_
?not_expr: _NOT not_expr -> not_
         | NEG not_expr -> not_
         | atom
?atom: "(" or_expr ")"
     | FIELD COMP value -> field_term
     | value -> text_term
?value: QUOTED | FVALUE | WORD

_OR: "OR"
_AND: "AND"
_NOT: "NOT"
NEG: "-"
FIELD.2: /[A-Za-z_][A-Za-z0-9_.]*(?=:)/
COMP: /:(<=|>=|<|>)?/
QUOTED: /"(?:[^"\\]|\\.)*"/ | /'(?:[^'\\]|\\.)*'/
FVALUE: /(?<=[:<>=])[^\s()"'][^\s()]*/
WORD: /[^\s()"':\-][^\s():]*/
%import common.WS
%ignore WS
"""

_PARSER = Lark(_GRAMMAR, parser="lalr", lexer="contextual")

Comparator = Literal[":", ":<", ":<=", ":>", ":>="]
Kind = Literal["text", "exact", "date", "number"]


@dataclass(frozen=True)
class Field:
    """How one searchable field reads a record: ``get`` returns its values (any may match)."""

    get: Callable[[Any], Iterable[Any]]
    kind: Kind = "exact"


@dataclass(frozen=True)
class _Term:
    field: str | None
    comparator: Comparator
    value: str


Node = tuple[str, Any]
Predicate = Callable[[Any], bool]


class _ToAst(Transformer[Token, Node]):
    def empty(self, _: list[Any]) -> Node:
        return ("all", None)

    def or_(self, items: list[Node]) -> Node:
        return ("or", items)

    def and_(self, items: list[Node]) -> Node:
        return ("and", items)

    def not_(self, items: list[Any]) -> Node:
        return ("not", items[-1])

    def field_term(self, items: list[Token]) -> Node:
        field, comparator, value = items
        return ("term", _Term(str(field), comparator.value, _unquote(value)))  # type: ignore[arg-type]

    def text_term(self, items: list[Token]) -> Node:
        return ("term", _Term(None, ":", _unquote(items[0])))


def _unquote(token: Token) -> str:
    text = str(token)
    if token.type == "QUOTED":
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    return text


@lru_cache(maxsize=64)
def parse(query: str) -> Node:
    """Parse ``query`` into a small tuple tree; raises ``ValueError`` on a malformed query.

    Cached (trees are never modified): a search parses its query twice, to filter and to plan.
    """
    try:
        return _ToAst().transform(_PARSER.parse(query))
    except LarkError as exc:
        raise ValueError(f"malformed search query {query!r}: {exc}") from exc


def compile_query(
    query: str | None, fields: Mapping[str, Field], default: Field
) -> tuple[Predicate, list[dict[str, str]]]:
    """Turn a search string into a predicate over records, plus Shopify-style warnings."""
    if not query or not query.strip():
        return (lambda record: True), []
    warnings: list[dict[str, str]] = []
    try:
        tree = parse(query)
    except ValueError:
        warnings.append({"field": "query", "message": "Invalid search query; no filter applied."})
        return (lambda record: False), warnings
    return _build(tree, fields, default, warnings), warnings


def exact_terms(query: str | None, fields: Mapping[str, Field]) -> list[tuple[str, str]] | None:
    """``[(field, value), …]`` when ``query`` is only exact ``field:value`` terms joined by ``OR``.

    Such a query matches just the records holding one of those values (case-folded), so a caller
    with an index on the fields can gather its candidates there instead of scanning every record.
    None for anything else: free text, comparators, prefixes and ``*``, ``NOT``, ``AND``, a field
    that is not of the ``exact`` kind or unknown, an empty or malformed query.
    """
    if not query or not query.strip():
        return None
    try:
        tree = parse(query)
    except ValueError:
        return None
    terms = _or_terms(tree)
    if terms is None or not all(_is_exact(term, fields) for term in terms):
        return None
    return [(str(term.field), term.value) for term in terms]


def _or_terms(node: Node) -> list[_Term] | None:
    """The terms of a tree of ORs (the parser wraps each operand in a one-child AND); else None."""
    kind, payload = node
    if kind == "term":
        return [payload]
    if kind == "and" and len(payload) == 1:
        return _or_terms(payload[0])
    if kind != "or":
        return None
    terms: list[_Term] = []
    for child in payload:
        found = _or_terms(child)
        if found is None:
            return None
        terms += found
    return terms


def _is_exact(term: _Term, fields: Mapping[str, Field]) -> bool:
    spec = fields.get(term.field) if term.field is not None else None
    return spec is not None and spec.kind == "exact" and term.comparator == ":" and not term.value.endswith("*")


def _build(node: Node, fields: Mapping[str, Field], default: Field, warnings: list[dict[str, str]]) -> Predicate:
    kind, payload = node
    if kind == "all":
        return lambda record: True
    if kind == "not":
        inner = _build(payload, fields, default, warnings)
        return lambda record: not inner(record)
    if kind in ("and", "or"):
        parts = [_build(child, fields, default, warnings) for child in payload]
        combine = all if kind == "and" else any
        return lambda record: combine(part(record) for part in parts)
    return _term_predicate(payload, fields, default, warnings)


def _term_predicate(
    term: _Term, fields: Mapping[str, Field], default: Field, warnings: list[dict[str, str]]
) -> Predicate:
    if term.field is None:
        return lambda record: any(_text_match(v, term.value) for v in default.get(record))
    spec = fields.get(term.field)
    if spec is None:
        warnings.append({"field": term.field, "message": "Invalid search field for this query."})
        return lambda record: True
    return lambda record: any(_compare(spec.kind, value, term) for value in spec.get(record))


def _compare(kind: Kind, actual: Any, term: _Term) -> bool:
    wanted = term.value
    if wanted == "*" and term.comparator == ":":
        return actual not in (None, "")
    if actual is None:
        return False
    if kind == "date":
        return _compare_dates(actual, wanted, term.comparator)
    if kind == "number":
        return _compare_numbers(actual, wanted, term.comparator)
    if term.comparator == ":":
        return _text_match(actual, wanted) if kind == "text" else _exact_match(actual, wanted)
    return _ordered(str(actual).casefold(), wanted.casefold(), term.comparator)


def _exact_match(actual: Any, wanted: str) -> bool:
    value, pattern = str(actual).casefold(), wanted.casefold()
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    return value == pattern


def _text_match(actual: Any, wanted: str) -> bool:
    """Word-wise match, the way Shopify's tokenised text fields answer ``title:shirt``."""
    value, pattern = str(actual).casefold(), wanted.casefold()
    if pattern.endswith("*"):
        return re.search(r"(?:^|\W)" + re.escape(pattern[:-1]), value) is not None
    return re.search(r"(?:^|\W)" + re.escape(pattern) + r"(?:$|\W)", value) is not None


def _ordered(actual: Any, wanted: Any, comparator: str) -> bool:
    if comparator == ":":
        return bool(actual == wanted)
    if comparator == ":<":
        return bool(actual < wanted)
    if comparator == ":<=":
        return bool(actual <= wanted)
    if comparator == ":>":
        return bool(actual > wanted)
    return bool(actual >= wanted)


def _compare_numbers(actual: Any, wanted: str, comparator: str) -> bool:
    try:
        return _ordered(Decimal(str(actual)), Decimal(wanted), comparator)
    except InvalidOperation:
        return False


def _compare_dates(actual: Any, wanted: str, comparator: str) -> bool:
    stamp = parse_datetime(actual) if isinstance(actual, str) else actual
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", wanted):
        day = date.fromisoformat(wanted)
        return _ordered(stamp.date(), day, comparator)
    try:
        bound = parse_datetime(wanted)
    except ValueError:
        return False
    return _ordered(stamp, bound, comparator)


def parse_datetime(text: str) -> datetime:
    """ISO 8601 with ``Z`` or an offset; a naive value is read as UTC."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)
