"""The ways vendors page a list, once: a resource declares its paging instead of writing the loop.

Each paginator takes ``fetch`` — one call for one page, made through the connector's client (so
retries, pacing and accounting apply) — and yields the answers page by page, stopping where the
vendor says there is no more. They are generators: nothing is read before the engine asks for it,
so a run holds one page at a time.

- :func:`next_link`: the answer names the next page's URL (OData ``__next``, HTTP ``Link: rel=next``).
- :func:`token`: the answer carries a token for the next page (GraphQL ``endCursor``, SOAP
  ``NextPageToken``, continuation keys).
- :func:`offset`: skip/take or page numbers; a short page is the last one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sized
from typing import TypeVar

A = TypeVar("A")


def next_link(fetch: Callable[[str | None], A], next_of: Callable[[A], str | None]) -> Iterator[A]:
    """``fetch(None)`` is the first page, ``fetch(url)`` a next one; ``next_of(answer)`` the next URL."""
    link: str | None = None
    while True:
        answer = fetch(link)
        yield answer
        link = next_of(answer)
        if not link:
            return


def token(fetch: Callable[[str | None], A], token_of: Callable[[A], str | None]) -> Iterator[A]:
    """``fetch(None)`` is the first page, ``fetch(token)`` the one after; ``token_of`` reads the
    next token (None or empty when there is no more)."""
    return next_link(fetch, token_of)


def offset(fetch: Callable[[int, int], A], size: int, rows: Callable[[A], Sized] | None = None,
           start: int = 0) -> Iterator[A]:
    """``fetch(skip, take)`` for each page of ``size``; the first page shorter than ``size`` ends
    it. ``rows(answer)`` gives the page's rows when the answer is not itself the list."""
    skip = start
    while True:
        answer = fetch(skip, size)
        yield answer
        counted = rows(answer) if rows is not None else answer
        if len(counted) < size:  # type: ignore[arg-type]
            return
        skip += size
