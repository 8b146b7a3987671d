"""The shared paginators: every page once, in order, and not one call more than the vendor needs."""

from __future__ import annotations

from tradewind.connectors import paging

ROWS = list(range(7))


def test_next_link_follows_until_the_answer_names_none() -> None:
    calls: list[str | None] = []

    def fetch(link: str | None) -> dict[str, object]:
        calls.append(link)
        start = int(link or 0)
        return {"rows": ROWS[start:start + 3], "next": str(start + 3) if start + 3 < len(ROWS) else None}

    pages = [p["rows"] for p in paging.next_link(fetch, lambda answer: answer["next"])]  # type: ignore[arg-type,return-value]
    assert ([[0, 1, 2], [3, 4, 5], [6]], [None, "3", "6"]) == (pages, calls)


def test_token_paging_stops_on_an_empty_token() -> None:
    answers = iter([{"rows": [1], "token": "t1"}, {"rows": [2], "token": ""}])
    pages = list(paging.token(lambda t: next(answers), lambda answer: answer["token"]))  # type: ignore[arg-type,return-value]
    assert 2 == len(pages)


def test_offset_paging_ends_on_a_short_page_and_reads_lazily() -> None:
    calls: list[tuple[int, int]] = []

    def fetch(skip: int, take: int) -> list[int]:
        calls.append((skip, take))
        return ROWS[skip:skip + take]

    pages = paging.offset(fetch, 3)
    assert [0, 1, 2] == next(pages) and [(0, 3)] == calls
    assert [[3, 4, 5], [6]] == list(pages)
    assert [(0, 3), (3, 3), (6, 3)] == calls


def test_an_exact_multiple_costs_one_empty_page() -> None:
    pages = list(paging.offset(lambda skip, take: ROWS[skip:skip + take], 7))
    assert [ROWS, []] == pages
