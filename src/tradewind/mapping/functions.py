"""The closed vocabulary of mapping expressions: every filter, function and test a user may write.

Nothing outside this module is callable from an expression. Each entry's docstring is its user
documentation (``tradewind mapping functions`` prints :func:`describe`): a first line saying what it
does and an ``Example:`` line. Text filters treat ``None`` as ``''``; numbers are ``Decimal``, never float.
"""

from __future__ import annotations

import inspect
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pycountry
from jinja2 import Undefined

F = TypeVar("F", bound=Callable[..., Any])

_FILTERS: dict[str, Callable[..., Any]] = {}
_FUNCTIONS: dict[str, Callable[..., Any]] = {}
_TESTS: dict[str, Callable[..., Any]] = {}


@dataclass(frozen=True)
class FunctionDoc:
    """One vocabulary entry as documented to users."""

    name: str
    kind: str  # "filter/function", "function" or "test"
    signature: str
    doc: str


def _entry(name: str, *, filter: bool = True, function: bool = True, test: bool = False) -> Callable[[F], F]:
    """Register ``fn`` under ``name`` as a filter (``x | name``), a function (``name(x)``) and/or a test."""
    def register(fn: F) -> F:
        for wanted, table in ((filter, _FILTERS), (function, _FUNCTIONS), (test, _TESTS)):
            if wanted:
                table[name] = fn
        return fn
    return register


def _text(value: Any) -> str:
    return "" if value is None else str(value)


# --- numbers -----------------------------------------------------------------------------------


@_entry("decimal")
def to_decimal(value: Any) -> Decimal:
    """Convert a number or numeric text to an exact Decimal (a float goes through its shortest text).

    Example: ``'49.95' | decimal * 2`` → ``Decimal('99.90')``
    """
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise TypeError(f"{value!r} is a boolean, not a number")
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    else:
        try:
            result = Decimal(_text(value).strip())
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a number") from None
    if not result.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    return result


@_entry("round")
def round_half_up(value: Any, places: int = 0) -> Decimal:
    """Round to ``places`` decimals, halves away from zero (commercial rounding), as Decimal.

    Example: ``2.345 | round(2)`` → ``Decimal('2.35')``
    """
    return to_decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


@_entry("money")
def money(value: Any, places: int = 2) -> str:
    """Format an amount with two decimals (rounded half up), as text.

    Example: ``order.total.amount | money`` → ``'49.90'``
    """
    return f"{round_half_up(value, places):f}"


@_entry("int")
def to_int(value: Any) -> int:
    """Whole part of a number or numeric text (towards zero).

    Example: ``'12.7' | int`` → ``12``
    """
    return int(to_decimal(value))


@_entry("sum_of")
def sum_of(values: Iterable[Any] | None, field: str | None = None) -> Decimal:
    """Sum the values of a list, or of one (dotted) field of its elements, as Decimal; nulls count as nothing.

    Example: ``order.lines | sum_of('total.amount')`` → ``Decimal('59.85')``
    """
    total = Decimal(0)
    for element in values or ():
        value = _dig(element, field) if field else element
        if value is not None:
            total += to_decimal(value)
    return total


def _dig(element: Any, field: str) -> Any:
    for key in field.split("."):
        if element is None:
            return None
        if key.startswith("_") or not isinstance(element, Mapping):
            raise ValueError(f"cannot read field {field!r} of {type(element).__name__}")
        element = element.get(key)
    return element


# --- text --------------------------------------------------------------------------------------


@_entry("string")
def string(value: Any) -> str:
    """The value as text (``None`` becomes ``''``, Decimal keeps its digits).

    Example: ``order.total.amount | string`` → ``'49.90'``
    """
    return _text(value)


@_entry("upper")
def upper(value: Any) -> str:
    """Text in upper case.

    Example: ``'nl' | upper`` → ``'NL'``
    """
    return _text(value).upper()


@_entry("lower")
def lower(value: Any) -> str:
    """Text in lower case.

    Example: ``'Jan@Example.COM' | lower`` → ``'jan@example.com'``
    """
    return _text(value).lower()


@_entry("trim")
def trim(value: Any, chars: str | None = None) -> str:
    """Text without leading and trailing whitespace (or the given characters).

    Example: ``'  Main St  ' | trim`` → ``'Main St'``
    """
    return _text(value).strip(chars)


@_entry("truncate")
def truncate(value: Any, length: int, end: str = "") -> str:
    """Cut text to at most ``length`` characters (``end`` included), for fields with a size limit.

    Example: ``'Deliver at the back door' | truncate(10)`` → ``'Deliver at'``
    """
    text = _text(value)
    if len(text) <= length:
        return text
    return text[: max(length - len(end), 0)] + end[:length]


@_entry("replace")
def replace(value: Any, old: str, new: str, count: int = -1) -> str:
    """Replace occurrences of ``old`` by ``new`` (all of them unless ``count`` is given).

    Example: ``'1000 AB' | replace(' ', '')`` → ``'1000AB'``
    """
    return _text(value).replace(old, new, count)


@_entry("regex_replace")
def regex_replace(value: Any, pattern: str, replacement: str, count: int = 0) -> str:
    """Replace matches of a regular expression (Python ``re`` syntax, ``\\1`` for groups).

    Example: ``'NL 1234 AB' | regex_replace('^NL\\s*', '')`` → ``'1234 AB'``
    """
    return re.sub(pattern, replacement, _text(value), count=count)


@_entry("join")
def join(values: Iterable[Any] | None, separator: str = "") -> str:
    """Join a list into text; ``None`` and empty parts are skipped (no double spaces in addresses).

    Example: ``[street, number, addition] | join(' ')`` → ``'Dorpsstraat 1'``
    """
    return separator.join(_text(part) for part in values or () if part is not None and _text(part) != "")


@_entry("split")
def split(value: Any, separator: str | None = None, maxsplit: int = -1) -> list[str]:
    """Split text into a list (on whitespace unless a separator is given).

    Example: ``'Jan de Vries' | split(' ', 1)`` → ``['Jan', 'de Vries']``
    """
    return _text(value).split(separator, maxsplit)


@_entry("slug")
def slug(value: Any) -> str:
    """Lower-case ASCII text with hyphens, for handles and URL keys.

    Example: ``'Café Crème 250g' | slug`` → ``'cafe-creme-250g'``
    """
    ascii_text = unicodedata.normalize("NFKD", _text(value)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


@_entry("digits")
def digits(value: Any) -> str:
    """Keep only the digits 0-9 (phone numbers, chamber-of-commerce numbers).

    Example: ``'+31 (0)20-123 4567' | digits`` → ``'310201234567'``
    """
    return "".join(char for char in _text(value) if char in "0123456789")


@_entry("pad")
def pad(value: Any, width: int, fill: str = " ") -> str:
    """Left-pad text to ``width`` characters (longer text is kept whole), e.g. Exact's 18-character item codes.

    Example: ``'123' | pad(6, '0')`` → ``'000123'``
    """
    return _text(value).rjust(width, fill)


@_entry("country_name")
def country_name(code: Any) -> str:
    """English name of an ISO 3166 country code (alpha-2 or alpha-3).

    Example: ``'NL' | country_name`` → ``'Netherlands'``
    """
    text = _text(code).strip().upper()
    if len(text) == 2:
        country = pycountry.countries.get(alpha_2=text)
    elif len(text) == 3:
        country = pycountry.countries.get(alpha_3=text)
    else:
        country = None
    if country is None:
        raise ValueError(f"{code!r} is not an ISO 3166 country code")
    return str(country.name)


# --- dates -------------------------------------------------------------------------------------


@_entry("date")
def format_date(value: Any, format: str = "%Y-%m-%d", tz: str = "UTC") -> str:
    """Format a timezone-aware datetime (or ISO text) in ``tz`` (UTC by default); ``'iso'`` gives ISO 8601.

    Example: ``order.created_at | date('%d-%m-%Y', 'Europe/Amsterdam')`` → ``'01-03-2024'``
    """
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise ValueError(f"{value!r} has no timezone; tradewind times are timezone-aware")
        moment = moment.astimezone(ZoneInfo(tz))
    elif not isinstance(moment, date):
        raise TypeError(f"{value!r} is not a date or datetime")
    return moment.isoformat() if format == "iso" else moment.strftime(format)


@_entry("now", filter=False)
def now() -> datetime:
    """The current time, timezone-aware UTC.

    Example: ``now() | date('%Y-%m-%d')`` → ``'2024-03-01'``
    """
    return datetime.now(UTC)


# --- lists and lookups -------------------------------------------------------------------------


@_entry("first")
def first(values: Sequence[Any] | None) -> Any:
    """First element of a list, or ``None`` when it is empty.

    Example: ``order.payments | first`` → ``{'method': 'ideal', ...}``
    """
    return values[0] if values else None


@_entry("last")
def last(values: Sequence[Any] | None) -> Any:
    """Last element of a list, or ``None`` when it is empty.

    Example: ``order.shipping_lines | last`` → ``{'title': 'PostNL', ...}``
    """
    return values[-1] if values else None


@_entry("length")
def length(values: Any) -> int:
    """Number of elements of a list (or characters of text); ``None`` has length 0.

    Example: ``order.lines | length`` → ``3``
    """
    return 0 if values is None else len(values)


@_entry("lookup")
def lookup(table: Mapping[Any, Any], key: Any, default: Any = None) -> Any:
    """Look ``key`` up in a mapping, with a fallback.

    Example: ``lookup({'ideal': 'IB', 'paypal': 'PP'}, order.payment_method, '30')`` → ``'IB'``
    """
    if not isinstance(table, Mapping):
        raise TypeError(f"lookup needs a mapping, not {type(table).__name__}")
    return table.get(key, default)


@_entry("default")
def default(value: Any, fallback: Any = "", boolean: bool = False) -> Any:
    """The value, or ``fallback`` when it is missing or ``None`` (or, with ``boolean=true``, any falsy value).

    Example: ``order.note | default('')`` → ``''`` when the order has no note
    """
    if isinstance(value, Undefined) or value is None or (boolean and not value):
        return fallback
    return value


# --- tests (``x is name``) ---------------------------------------------------------------------


@_entry("defined", filter=False, function=False, test=True)
def is_defined(value: Any) -> bool:
    """True when the value exists in the context (a missing field is not defined).

    Example: ``order.note is defined``
    """
    return not isinstance(value, Undefined)


@_entry("undefined", filter=False, function=False, test=True)
def is_undefined(value: Any) -> bool:
    """True when the value does not exist in the context.

    Example: ``customer.vat_number is undefined``
    """
    return isinstance(value, Undefined)


@_entry("none", filter=False, function=False, test=True)
def is_none(value: Any) -> bool:
    """True when the value is ``None`` (null).

    Example: ``order.note is none``
    """
    return value is None


@_entry("empty", filter=False, function=False, test=True)
def is_empty(value: Any) -> bool:
    """True when the value is missing, ``None``, ``''``, or an empty list or mapping.

    Example: ``order.payments is empty``
    """
    return isinstance(value, Undefined) or value is None or (isinstance(value, str | list | dict) and not value)


@_entry("number", filter=False, function=False, test=True)
def is_number(value: Any) -> bool:
    """True for whole and decimal numbers (not booleans).

    Example: ``product.weight is number``
    """
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


@_entry("string", filter=False, function=False, test=True)
def is_string(value: Any) -> bool:
    """True for text.

    Example: ``order.note is string``
    """
    return isinstance(value, str)


@_entry("mapping", filter=False, function=False, test=True)
def is_mapping(value: Any) -> bool:
    """True for an object (a mapping of fields).

    Example: ``order.shipping_address is mapping``
    """
    return isinstance(value, Mapping)


@_entry("sequence", filter=False, function=False, test=True)
def is_sequence(value: Any) -> bool:
    """True for a list (text does not count).

    Example: ``order.lines is sequence``
    """
    return isinstance(value, list | tuple)


FILTERS: Mapping[str, Callable[..., Any]] = MappingProxyType(_FILTERS)
FUNCTIONS: Mapping[str, Callable[..., Any]] = MappingProxyType(_FUNCTIONS)
TESTS: Mapping[str, Callable[..., Any]] = MappingProxyType(_TESTS)


def _signature(name: str, fn: Callable[..., Any]) -> str:
    """``name(value, places=0)`` without annotations, as users read it."""
    plain = [param.replace(annotation=inspect.Parameter.empty) for param in inspect.signature(fn).parameters.values()]
    return name + str(inspect.Signature(plain))


def describe() -> list[FunctionDoc]:
    """Every vocabulary entry, sorted by kind then name, for ``tradewind mapping functions``."""
    docs: list[FunctionDoc] = []
    for name in sorted(_FILTERS.keys() | _FUNCTIONS.keys()):
        kind = "/".join(label for label, table in (("filter", _FILTERS), ("function", _FUNCTIONS)) if name in table)
        fn = _FILTERS.get(name) or _FUNCTIONS[name]
        docs.append(FunctionDoc(name, kind, _signature(name, fn), inspect.getdoc(fn) or ""))
    docs.extend(FunctionDoc(name, "test", f"value is {name}", inspect.getdoc(fn) or "")
                for name, fn in sorted(_TESTS.items()))
    return docs
