"""Relay connections as Shopify pages them: ``first``/``last`` required, at most 250, opaque cursors.

Sources: https://shopify.dev/docs/api/usage/pagination-graphql and
https://shopify.dev/docs/api/usage/limits (250 per page); "you must provide one of first or last"
is Shopify's message (gnikyt/Basic-Shopify-API#22). Cursors are base64 of the last sort value
and id, so a page boundary survives records added behind it.
"""

from __future__ import annotations

import base64
import bisect
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from graphql import GraphQLError

from tradewind.sandboxes.shopify.common import MAX_PAGE_SIZE, Record, View


def _check_page_size(args: Mapping[str, Any]) -> None:
    first, last = args.get("first"), args.get("last")
    if first is None and last is None:
        raise GraphQLError("you must provide one of first or last")
    for name in ("first", "last"):
        size = args.get(name)
        if size is not None and not 0 <= size <= MAX_PAGE_SIZE:
            raise GraphQLError(f"The '{name}' argument must be between 0 and {MAX_PAGE_SIZE}.")


def _encode_cursor(key: tuple[Any, int]) -> str:
    raw = json.dumps({"last_id": key[1], "last_value": key[0]}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_cursor(cursor: str) -> tuple[Any, int]:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return data["last_value"], int(data["last_id"])
    except (ValueError, KeyError, TypeError) as exc:
        raise GraphQLError(f"Invalid cursor for current pagination sort: {cursor!r}") from exc


def connection(
    args: Mapping[str, Any], records: Iterable[Record], sort: Callable[[Record], Any], view: Callable[[Record], View]
) -> View:
    """A Relay connection over ``records`` ordered by ``(sort(record), id)``; ``reverse`` flips it."""
    _check_page_size(args)
    ordered = sorted(((sort(r), r["id"]), r) for r in records)
    keys = [key for key, _ in ordered]
    reverse = bool(args.get("reverse"))
    start, end = 0, len(ordered)
    if args.get("after"):
        start = _after_index(keys, _decode_cursor(args["after"]), reverse)
    if args.get("before"):
        end = _before_index(keys, _decode_cursor(args["before"]), reverse)
    window = list(range(start, max(start, end)))
    if args.get("first") is not None:
        window = window[: args["first"]]
    if args.get("last") is not None:
        window = window[len(window) - args["last"] :] if args["last"] else []
    sequence = ordered[::-1] if reverse else ordered
    edges = [{"cursor": _encode_cursor(sequence[i][0]), "node": view(sequence[i][1])} for i in window]
    return {
        "edges": edges,
        "nodes": [edge["node"] for edge in edges],
        "pageInfo": {
            "hasNextPage": bool(window) and window[-1] < len(ordered) - 1,
            "hasPreviousPage": bool(window) and window[0] > 0,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


def _after_index(keys: list[tuple[Any, int]], cursor: tuple[Any, int], reverse: bool) -> int:
    return len(keys) - bisect.bisect_left(keys, cursor) if reverse else bisect.bisect_right(keys, cursor)


def _before_index(keys: list[tuple[Any, int]], cursor: tuple[Any, int], reverse: bool) -> int:
    return len(keys) - bisect.bisect_right(keys, cursor) if reverse else bisect.bisect_left(keys, cursor)

