"""What every part of the Shopify sandbox shares: ids, scalars, time, the schema and userErrors.

Formats follow Shopify's Admin GraphQL reference (https://shopify.dev/docs/api/admin-graphql):
GIDs ``gid://shopify/<Type>/<n>`` (https://shopify.dev/docs/api/usage/gids), the ``Money`` scalar
as a two-place decimal string, ``Decimal`` as Shopify serialises amounts (``"12.5"``), times UTC
ISO 8601 with ``Z`` at second precision, and ``userErrors{field message code}`` with ``field`` a
path of strings. The schema is ``schema.graphql``, a subset of Shopify's 2026-07 SDL.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import graphql
from graphql import GraphQLError, GraphQLSchema

SUBSET_SDL = Path(__file__).with_name("schema.graphql")

INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
RATE_LIMIT_DOCS = "https://shopify.dev/api/usage/rate-limits"
MAX_QUERY_COST = 1000
MAX_PAGE_SIZE = 250
UNLIMITED = 1_000_000.0
INVENTORY_NAMES = (
    "available",
    "committed",
    "damaged",
    "incoming",
    "on_hand",
    "quality_control",
    "reserved",
    "safety_stock",
)
INVENTORY_REASONS = frozenset(
    [
        "correction",
        "cycle_count_available",
        "damaged",
        "movement_created",
        "movement_updated",
        "movement_received",
        "movement_canceled",
        "other",
        "promotion",
        "quality_control",
        "received",
        "reservation_created",
        "reservation_deleted",
        "reservation_updated",
        "restock",
        "safety_stock",
        "shrinkage",
    ]
)


Record = dict[str, Any]
View = dict[str, Any]


# --------------------------------------------------------------------------- ids, money, time


def gid(kind: str, number: int) -> str:
    return f"gid://shopify/{kind}/{number}"


def parse_gid(value: Any, kind: str) -> int | None:
    """The number in ``gid://shopify/<kind>/<n>`` (query string ignored); None when not that kind."""
    match = re.fullmatch(rf"gid://shopify/{kind}/(\d+)(\?.*)?", str(value or ""))
    return int(match.group(1)) if match else None


def money_text(value: Any) -> str:
    """Shopify's ``Money`` scalar: a decimal string with two places (``"12.50"``)."""
    return f"{Decimal(str(value)):.2f}"


def decimal_text(value: Any) -> str:
    """Shopify's ``Decimal`` scalar as it serialises amounts: ``"12.5"``, ``"10.0"``."""
    number = Decimal(str(value)).normalize()
    return f"{number:.1f}" if number == number.to_integral_value() else format(number, "f")


def parse_decimal(value: Any) -> str:
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise GraphQLError(f"invalid decimal {value!r}") from exc
    if not number.is_finite():
        raise GraphQLError(f"invalid decimal {value!r}")
    return str(number)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utcnow() -> datetime:
    return datetime.now(UTC)


def tag_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [tag.strip() for tag in value.split(",") if tag.strip()]
    return [str(tag) for tag in value or []]


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-") or "product"


@dataclass(frozen=True)
class Presented:
    """The money of an order the customer paid in another currency than the shop's: the sandbox keeps its
    amounts as the customer was charged them (``currency``, REST ``presentment_currency``), and ``rate`` is the
    shop's currency per unit of it at checkout. A MoneyBag shows each amount on both sides — ``presentmentMoney``
    "Amount in presentment currency", ``shopMoney`` "Amount in shop currency" (Admin GraphQL 2026-07,
    ``MoneyBag``) — the shop side converted at the rate and rounded to the cent per amount
    (**[uncertain]**: Shopify does not document its rounding of each converted amount)."""

    currency: str
    shop: str
    rate: Decimal


def presented(order: Mapping[str, Any]) -> str | Presented:
    """An order's money: its shop currency, or :class:`Presented` when the customer paid in another."""
    shown = order.get("presentment_currency")
    if not shown or shown == order["currency"]:
        return str(order["currency"])
    return Presented(str(shown), str(order["currency"]), Decimal(str(order["shop_rate"])))


def money_bag(amount: Any, currency: str | Presented) -> View:
    if isinstance(currency, Presented):
        shown = Decimal(str(amount or 0))
        shop = (shown * currency.rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        return {"shopMoney": {"amount": decimal_text(shop), "currencyCode": currency.shop},
                "presentmentMoney": {"amount": decimal_text(shown), "currencyCode": currency.currency}}
    money = {"amount": decimal_text(amount or 0), "currencyCode": currency}
    return {"shopMoney": money, "presentmentMoney": money}


# --------------------------------------------------------------------------- schema


def build_schema() -> GraphQLSchema:
    """The subset schema with Shopify's scalar formats attached."""
    schema = graphql.build_schema(SUBSET_SDL.read_text(encoding="utf-8"))
    money = schema.type_map["Money"]
    decimal = schema.type_map["Decimal"]
    assert isinstance(money, graphql.GraphQLScalarType) and isinstance(decimal, graphql.GraphQLScalarType)
    money.serialize = money_text  # type: ignore[method-assign]
    money.parse_value = parse_decimal  # type: ignore[method-assign]
    money.parse_literal = _literal(parse_decimal)  # type: ignore[method-assign]
    decimal.serialize = decimal_text  # type: ignore[method-assign]
    decimal.parse_value = parse_decimal  # type: ignore[method-assign]
    decimal.parse_literal = _literal(parse_decimal)  # type: ignore[method-assign]
    return schema


def _literal(parse: Callable[[Any], str]) -> Callable[..., str]:
    def parse_literal(node: graphql.ValueNode, variables: dict[str, Any] | None = None) -> str:
        return parse(graphql.value_from_ast_untyped(node, variables))

    return parse_literal


def jsonable(record: Record) -> Record:
    return json.loads(json.dumps(record, default=str))


def variant_title(variant: Record) -> str:
    return " / ".join(str(variant[k]) for k in ("option1", "option2", "option3") if variant.get(k))


def user_error(path: Iterable[Any] | None, message: str, code: str | None = None) -> dict[str, Any]:
    return {"field": [str(part) for part in path] if path is not None else None, "message": message, "code": code}


def is_negative(value: Any) -> bool:
    return value is not None and Decimal(str(value)) < 0
