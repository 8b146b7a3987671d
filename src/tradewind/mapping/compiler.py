"""Compile a flow's mapping and filter once; evaluate them per record.

Expressions are Jinja2 expressions run in :class:`~jinja2.sandbox.ImmutableSandboxedEnvironment`
with :class:`~jinja2.StrictUndefined` and only the vocabulary of :mod:`tradewind.mapping.functions`.
Compiling checks every filter, test, function and context name against that vocabulary by walking
Jinja2's own AST, so a typo fails ``tradewind validate`` (:class:`ConfigError` with file:line:column),
not the thousandth record. At run time a failing expression raises :class:`MappingError` for that
record alone, naming the field and what was available.

Two departures from plain Jinja2, both for correctness with commerce data:

* on mappings (``dict``) ``a.b`` reads only the key ``b`` — ``order.items`` is the order's field,
  never ``dict.items``;
* arithmetic with a float literal is done in Decimal (``amount * 1.21`` stays exact).
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, Undefined, nodes
from jinja2.exceptions import SecurityError
from jinja2.parser import Parser
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import consume, missing

from tradewind.errors import ConfigError, MappingError
from tradewind.mapping import functions
from tradewind.mapping._paths import STAR, Copies, PathError, Segment, parse_path, slots
from tradewind.mapping.spec import MappingSpec, TableRule, table_key

#: Names an expression may read from its context when the caller does not say otherwise.
DEFAULT_ROOTS: frozenset[str] = frozenset(
    {"order", "product", "price", "stock", "customer", "shipment", "invoice", "payment", "record", "source"})
#: Extra names inside a ``*`` path: the current list element and its position.
ELEMENT_NAMES: frozenset[str] = frozenset({"item", "index"})

Locate = Callable[[str], str | None]
_MAX_EXPONENT = 1000


class _Undefined(StrictUndefined):
    """StrictUndefined whose message lists the fields that do exist."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        obj, name = self._undefined_obj, self._undefined_name
        if self._undefined_hint or obj is missing:
            return super()._undefined_message
        if isinstance(obj, Mapping):
            return f"no field {name!r}; available: {', '.join(sorted(map(str, obj))) or '(none)'}"
        if isinstance(obj, list | tuple) and isinstance(name, int):
            return f"index {name} is out of range ({len(obj)} elements)"
        return f"{type(obj).__name__} value has no field {name!r}"


class _Environment(ImmutableSandboxedEnvironment):
    """The sandbox, made strict about mappings and exact about numbers."""

    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        """Only what a template is given, not the environment's: every evaluation copies a template's
        globals, and the whole vocabulary per record cost more than a short expression. An expression
        is handed the functions it calls with each record's context instead (:meth:`Expression.evaluate`)."""
        return dict(d or {})

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict or isinstance(obj, Mapping):  # a plain dict mostly; the ABC check is slower
            return obj[attribute] if attribute in obj else self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, Mapping) and isinstance(argument, str):
            return self.getattr(obj, argument)
        return super().getitem(obj, argument)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if isinstance(left, float) or isinstance(right, float):
            left, right = _exact(left), _exact(right)
        if operator == "**" and isinstance(right, int | Decimal) and not -_MAX_EXPONENT <= right <= _MAX_EXPONENT:
            raise SecurityError(f"exponent {right} is too large")
        return super().call_binop(context, operator, left, right)


def _exact(value: Any) -> Any:
    return Decimal(repr(value)) if isinstance(value, float) else value


def _environment() -> _Environment:
    env = _Environment(undefined=_Undefined, autoescape=False)
    env.filters.clear()
    env.filters.update(functions.FILTERS)
    env.tests.clear()
    env.tests.update(functions.TESTS)
    env.globals.clear()
    env.globals.update(functions.FUNCTIONS)
    return env


_ENV = _environment()


# --- compiling one expression ------------------------------------------------------------------


@dataclass(frozen=True)
class _Place:
    """Where an expression was written, for compile errors."""

    flow: str
    field: str
    where: str | None


@dataclass(frozen=True)
class Expression:
    """One compiled expression; call :meth:`evaluate` per record."""

    source: str
    tree: nodes.Expr
    roots: frozenset[str]
    _template: Template
    _functions: Mapping[str, Callable[..., Any]]

    def evaluate(self, context: Mapping[str, Any], *, field: str) -> Any:
        """The expression's value; any failure becomes :class:`MappingError` naming ``field``."""
        try:
            value = self._value(context)
            if isinstance(value, Undefined):
                value._fail_with_undefined_error()
        except Exception as exc:
            raise MappingError(self._explain(exc, context), field=field) from exc
        return value

    def _value(self, context: Mapping[str, Any]) -> Any:
        """Run the template as ``TemplateExpression`` does, in a context over the record's own names
        (shared, not copied: Jinja never writes a context's parent) and the functions it calls."""
        names = context if isinstance(context, dict) and not self._functions else {**self._functions, **context}
        run = self._template.new_context(names, shared=True)
        consume(self._template.root_render_func(run))
        return run.vars["result"]

    def _explain(self, exc: Exception, context: Mapping[str, Any]) -> str:
        reason = str(exc) if isinstance(exc, TemplateError) else f"{type(exc).__name__}: {exc}"
        absent = sorted(root for root in self.roots if root not in context)
        if absent:
            reason += f"; the context has: {', '.join(sorted(context))}"
        return f"`{self.source}` failed: {reason}"


def _compile_expression(source: str, place: _Place, roots: Iterable[str]) -> Expression:
    """Parse, check against the vocabulary and ``roots``, and compile ``source``."""
    try:
        tree = _parse(source)
        names = _check(tree, source, place, frozenset(roots))
        template = _template(source)
    except TemplateSyntaxError as exc:
        raise ConfigError(f"flow {place.flow!r}, {place.field}: syntax error in `{source}`: {exc.message}",
                          where=place.where, hint="write a Jinja2 expression without {{ }}") from None
    called = {node.name: functions.FUNCTIONS[node.name] for node in (tree, *tree.find_all(nodes.Name))
              if isinstance(node, nodes.Name) and node.name in functions.FUNCTIONS}
    return Expression(source, tree, names, template, called)


def _template(source: str) -> Template:
    """The template ``Environment.compile_expression`` makes (``result = <expression>``), kept so that
    :meth:`Expression.evaluate` runs it in a context of its own making (its tree parsed anew: Jinja's
    code generator may change the tree it compiles)."""
    template = nodes.Template([nodes.Assign(nodes.Name("result", "store"), _parse(source), lineno=1)], lineno=1)
    template.set_environment(_ENV)
    return _ENV.from_string(template)


def _parse(source: str) -> nodes.Expr:
    """Jinja2's own expression parser; the tree is what the vocabulary check walks."""
    parser = Parser(_ENV, source, state="variable")
    tree = parser.parse_expression()
    if not parser.stream.eos:
        parser.fail(f"unexpected {parser.stream.current.value!r} after the expression")
    return tree


def _check(tree: nodes.Expr, source: str, place: _Place, roots: frozenset[str]) -> frozenset[str]:
    """Refuse anything outside the vocabulary; return the context names the expression reads."""
    every = (tree, *tree.find_all(nodes.Node))  # find_all skips the root itself
    for node in every:
        problem = _problem(node, roots)
        if problem:
            message, hint = problem
            raise ConfigError(f"flow {place.flow!r}, {place.field}: {message} in `{source}`", where=place.where,
                              hint=hint)
    return frozenset(node.name for node in every
                     if isinstance(node, nodes.Name) and node.name not in functions.FUNCTIONS)


def _problem(node: nodes.Node, roots: frozenset[str]) -> tuple[str, str] | None:
    """(message, hint) when ``node`` steps outside what expressions may use."""
    if isinstance(node, nodes.Filter) and node.name not in functions.FILTERS:
        return _unknown("filter", node.name, functions.FILTERS)
    if isinstance(node, nodes.Test) and node.name not in functions.TESTS:
        return _unknown("test", node.name, functions.TESTS)
    if isinstance(node, nodes.Name) and node.name not in roots and node.name not in functions.FUNCTIONS:
        element = "`item` and `index` exist only in paths with `*`; " if node.name in ELEMENT_NAMES else ""
        return _unknown("name", node.name, roots | functions.FUNCTIONS.keys(), f"{element}context names: "
                        f"{', '.join(sorted(roots))}; functions: {', '.join(sorted(functions.FUNCTIONS))}")
    if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name):
        known = functions.FUNCTIONS.keys()
        return None if node.node.name in known else _unknown("function", node.node.name, known)
    if isinstance(node, nodes.Call):
        hint = (f"use a filter (`x | upper`) or a function ({', '.join(sorted(functions.FUNCTIONS))}); "
                "see `tradewind mapping functions`")
        return "only vocabulary functions can be called", hint
    private = node.attr if isinstance(node, nodes.Getattr) else \
        node.arg.value if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) else None
    if isinstance(private, str) and private.startswith("_"):
        return (f"field {private!r} is not readable", "fields starting with '_' are closed to expressions")
    return None


def _unknown(kind: str, name: str, known: Iterable[str], available: str | None = None) -> tuple[str, str]:
    known = sorted(known)
    guess = difflib.get_close_matches(name, known, n=1)
    hint = (f"did you mean {guess[0]!r}? " if guess else "") + (available or f"{kind}s: {', '.join(known)}")
    return f"unknown {kind} {name!r}", hint + "; see `tradewind mapping functions`"


# --- the mapping -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Default:
    """Put a constant where the encoded record has nothing (missing, None, '' or empty)."""

    path: tuple[Segment, ...]
    value: Any

    def __call__(self, record: dict[str, Any], context: Mapping[str, Any], copies: Copies) -> None:
        for slot in slots(record, self.path, create=True, copies=copies):
            if _is_empty(slot.get()):
                slot.put(copy.deepcopy(self.value))


@dataclass(frozen=True)
class _Table:
    """Look the value of an expression up in a table."""

    path: tuple[Segment, ...]
    expression: Expression
    rule: TableRule

    def __call__(self, record: dict[str, Any], context: Mapping[str, Any], copies: Copies) -> None:
        for slot in slots(record, self.path, create=True, copies=copies):
            value = self.expression.evaluate(_scoped(context, slot.scope), field=slot.path)
            key = table_key(value)
            if key in self.rule.values:
                slot.put(copy.deepcopy(self.rule.values[key]))
            elif self.rule.has_default:
                slot.put(copy.deepcopy(self.rule.default))
            else:
                raise MappingError(f"{_show(value, 200)} (from `{self.expression.source}`) is not in the table "
                                   f"({', '.join(map(repr, self.rule.values))}) and the table has no default",
                                   field=slot.path)


@dataclass(frozen=True)
class _Set:
    """Write the value of an expression."""

    path: tuple[Segment, ...]
    expression: Expression

    def __call__(self, record: dict[str, Any], context: Mapping[str, Any], copies: Copies) -> None:
        for slot in slots(record, self.path, create=True, copies=copies):
            slot.put(copy.deepcopy(self.expression.evaluate(_scoped(context, slot.scope), field=slot.path)))


@dataclass(frozen=True)
class _Drop:
    """Remove a create-only field before an update."""

    path: tuple[Segment, ...]

    def __call__(self, record: dict[str, Any], context: Mapping[str, Any], copies: Copies) -> None:
        for slot in list(slots(record, self.path, create=False, copies=copies)):
            slot.drop()


_Step = _Default | _Table | _Set | _Drop


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | dict) and not value)


def _scoped(context: Mapping[str, Any], scope: Mapping[str, Any]) -> Mapping[str, Any]:
    return {**context, **scope} if scope else context


@dataclass(frozen=True)
class CompiledMapping:
    """A flow's mapping, compiled once; :meth:`apply` it to every record."""

    flow: str
    spec: MappingSpec
    steps: tuple[_Step, ...]
    drops: tuple[_Drop, ...]

    def apply(self, native: dict[str, Any], context: Mapping[str, Any], *, is_update: bool) -> dict[str, Any]:
        """A new native record: defaults, then tables, then sets, then (on update) create-only fields dropped.

        ``context`` holds the canonical entity under its kind name and ``source``; ``record`` is
        added here as ``native`` (the record as the connector encoded it, before this mapping).
        ``native`` is never modified. The new record shares with ``native`` every dict and list
        the mapping does not write into (copied on write, see :class:`~._paths.Copies`; values
        written are deep copies): neither is to be changed in place afterwards.
        """
        steps = self.steps + self.drops if is_update else self.steps
        copies = Copies()
        record: dict[str, Any] = copies.own(native)
        if not steps:
            return record
        scope = {**context, "record": native}
        for step in steps:
            try:
                step(record, scope, copies)
            except PathError as exc:
                raise MappingError(exc.message, field=exc.path) from exc
        return record


def compile_mapping(spec: MappingSpec, *, flow: str, locate: Locate | None = None,
                    roots: Iterable[str] = DEFAULT_ROOTS) -> CompiledMapping:
    """Compile every expression of ``spec``; raise :class:`ConfigError` on the first that cannot run.

    ``locate("set.Description")`` / ``locate("table.PaymentCondition.from")`` gives the YAML place
    (``file:line:column``) of an entry: the section, then the field path exactly as written.
    ``roots`` are the context names expressions may read (``item``/``index`` are added in ``*`` paths).
    """
    roots = frozenset(roots) | {"record"}

    def expression(source: str, key: str, path: tuple[Segment, ...]) -> Expression:
        place = _Place(flow, key, locate(key) if locate else None)
        return _compile_expression(source, place, roots | (ELEMENT_NAMES if STAR in path else frozenset()))

    steps: list[_Step] = [_Default(parse_path(name), value) for name, value in spec.default.items()]
    for name, rule in spec.table.items():
        path = parse_path(name)
        steps.append(_Table(path, expression(rule.from_, f"table.{name}.from", path), rule))
    for name, source in spec.set.items():
        path = parse_path(name)
        steps.append(_Set(path, expression(source, f"set.{name}", path)))
    drops = tuple(_Drop(parse_path(name)) for name in spec.create_only)
    return CompiledMapping(flow, spec, tuple(steps), drops)


# --- filters -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompiledFilter:
    """A flow's filter, compiled once; :meth:`evaluate` says whether a record goes on, and why not."""

    flow: str
    expression: Expression
    fields: tuple[tuple[str, nodes.Expr], ...]

    def evaluate(self, context: Mapping[str, Any]) -> tuple[bool, str]:
        """``(keep, reason)``; the reason names the values of the fields the filter reads.

        A filter that cannot be evaluated (a missing field) raises :class:`MappingError`: the
        record fails visibly rather than being skipped silently.
        """
        keep = bool(self.expression.evaluate(context, field="filter"))
        if keep:  # the values are named only for a record filtered out
            return keep, f"kept: {self.expression.source} is true"
        values = ", ".join(f"{text}={_show(_resolve(node, context))}" for text, node in self.fields)
        reason = f"filtered: {self.expression.source} is false"
        return keep, f"{reason} ({values})" if values else reason


def compile_filter(expr: str, *, flow: str, where: str | None, roots: Iterable[str] = DEFAULT_ROOTS) -> CompiledFilter:
    """Compile a flow filter; ``where`` is its ``file:line:column`` in the project file."""
    expression = _compile_expression(expr, _Place(flow, "filter", where), frozenset(roots))
    return CompiledFilter(flow, expression, _fields_read(expression.tree))


def _fields_read(tree: nodes.Expr) -> tuple[tuple[str, nodes.Expr], ...]:
    """The outermost field chains (``order.financial_status``, ``order.lines[0].sku``), in order, once each."""
    chains = [node for node in tree.find_all(nodes.Expr)
              if isinstance(node, nodes.Getattr | nodes.Getitem | nodes.Name)]
    inner = {id(node.node) for node in chains if not isinstance(node, nodes.Name)}
    called = {id(node.node) for node in tree.find_all(nodes.Call)}
    seen: dict[str, nodes.Expr] = {}
    for node in [tree, *chains]:
        text = _chain_text(node)
        if text and id(node) not in inner and id(node) not in called and text not in functions.FUNCTIONS:
            seen.setdefault(text, node)
    return tuple(seen.items())


def _chain_text(node: nodes.Node) -> str | None:
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        base = _chain_text(node.node)
        return f"{base}.{node.attr}" if base else None
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        base = _chain_text(node.node)
        return f"{base}[{node.arg.value!r}]" if base else None
    return None


def _resolve(node: nodes.Node, context: Mapping[str, Any]) -> Any:
    """The value of a field chain, read through the sandbox; undefined where it breaks off."""
    if isinstance(node, nodes.Name):
        return context[node.name] if node.name in context else _ENV.undefined(name=node.name)
    if not isinstance(node, nodes.Getattr | nodes.Getitem):
        return _ENV.undefined(hint="not a field")
    base = _resolve(node.node, context)
    if isinstance(base, Undefined):
        return base
    if isinstance(node, nodes.Getattr):
        return _ENV.getattr(base, node.attr)
    return _ENV.getitem(base, node.arg.as_const())


def _show(value: Any, limit: int = 60) -> str:
    """A value as a reason shows it: an enum by its value (``'pending'``, never its Python repr)."""
    if isinstance(value, Undefined):
        return "<missing>"
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"

