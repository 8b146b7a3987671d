"""What Shopify's answers mean for the run loop: HTTP statuses, top-level GraphQL ``errors``
(``THROTTLED`` included) and mutations' ``userErrors`` become the tradewind error to act on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from tradewind.connectors.http import default_translate, retry_after_seconds
from tradewind.connectors.shopify.cost import throttle_wait
from tradewind.errors import ConfigError, RateLimited, RecordError, RejectedByTarget, TradewindError, TransientError

_SCHEMA_CODES = {
    "undefinedField", "undefinedType", "argumentNotAccepted", "missingRequiredArguments",
    "selectionMismatch", "argumentLiteralsIncompatible", "variableNotDefined", "useAndDefineFragment",
}
_CONFIG_CODES = {"ACCESS_DENIED", "MAX_COST_EXCEEDED", "SHOP_INACTIVE"}


def _messages(errors: list[Mapping[str, Any]]) -> str:
    return "; ".join(str(e.get("message") or "error") for e in errors)


def graphql_error(body: Mapping[str, Any]) -> TradewindError | None:
    """The error top-level ``errors`` mean, or None when there are none."""
    raw = body.get("errors")
    if not raw:
        return None
    if not isinstance(raw, list):
        return ConfigError(f"Shopify refused the request: {raw}")
    errors: list[Mapping[str, Any]] = [e if isinstance(e, Mapping) else {"message": str(e)} for e in raw]
    codes = {str((e.get("extensions") or {}).get("code") or "") for e in errors}
    message = _messages(errors)
    cost = (body.get("extensions") or {}).get("cost") or {}
    if "THROTTLED" in codes:
        return _throttled(cost, status=200)
    if "INTERNAL_SERVER_ERROR" in codes:
        return TransientError(f"Shopify: {message}", status=200)
    if codes & _CONFIG_CODES:
        return ConfigError(f"Shopify: {message}", hint="check the app's access scopes and the shop's plan")
    if codes & _SCHEMA_CODES or "doesn't exist on type" in message or "Cannot query field" in message:
        return ConfigError(f"Shopify rejected the query: {message}", hint="check api_version")
    return RecordError(f"Shopify: {message}")


def _throttled(cost: Mapping[str, Any], *, status: int, header: float | None = None) -> TradewindError:
    limit = float((cost.get("throttleStatus") or {}).get("maximumAvailable") or 0)
    requested = float(cost.get("requestedQueryCost") or 0)
    if limit and requested > limit:
        return ConfigError(f"a query costs {requested:g} points but the shop's bucket holds {limit:g}",
                           hint="lower the page sizes in tradewind.connectors.shopify.queries")
    wait = throttle_wait(cost) if cost else (header if header is not None else 1.0)
    return RateLimited("Shopify throttled the query (THROTTLED)", retry_after=wait, status=status)


def body_of(response: httpx.Response) -> dict[str, Any] | None:
    try:
        parsed = response.json()
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def translate(response: httpx.Response, body: Mapping[str, Any] | None) -> TradewindError | None:
    """What an answer means for the run loop; None for a usable answer."""
    status = response.status_code
    if status == 401:
        return ConfigError("Shopify refused the access token (401 Unauthorized)",
                           hint="check the token option: an Admin API access token of an app installed on this shop")
    if status in (402, 403, 404, 423):
        reason = {402: "the shop's payment is due (402)", 403: "the token lacks an access scope (403)",
                  404: "no Admin API here (404)", 423: "the shop is locked (423)"}[status]
        return ConfigError(f"Shopify: {reason}", hint="check shop, base_url, api_version and the app's scopes")
    if status == 429:
        cost = ((body or {}).get("extensions") or {}).get("cost") or {}
        header = retry_after_seconds(response) if "Retry-After" in response.headers else None
        return _throttled(cost, status=429, header=header)
    error = default_translate(response, f"Shopify answered {status}")
    if error is not None:
        return error
    if status >= 400:
        return ConfigError(f"Shopify answered {status}: {_messages_of(body)}")
    if body is None:
        return TransientError(f"Shopify answered {status} without a JSON body", status=status)
    return graphql_error(body)


def _messages_of(body: Mapping[str, Any] | None) -> str:
    errors = (body or {}).get("errors")
    if isinstance(errors, list):
        return _messages([e if isinstance(e, Mapping) else {"message": str(e)} for e in errors])  # type: ignore[misc]
    return str(errors) if errors else "no details"


def user_errors(payload: Mapping[str, Any]) -> list[RejectedByTarget]:
    """A mutation's ``userErrors`` as refusals naming Shopify's message and field path."""
    return [
        RejectedByTarget(str(e.get("message") or "refused"), field=".".join(e.get("field") or []) or None)
        for e in payload.get("userErrors") or []
    ]
