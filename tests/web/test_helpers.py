"""The web app's pure helpers: reasons grouped with their values normalised, the side-by-side
diff, and the chart's geometry."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tradewind.api.web import chart, diff, groups
from tradewind.store.overview import Day, Queued


def queued(source_id: str, error: str | None, parked_on: str | None = None, flow: str = "orders") -> Queued:
    return Queued(flow=flow, source_id=source_id, natural_key=None, attempts=1,
                  next_attempt_at=datetime(2026, 5, 1, tzinfo=UTC), last_error=error, parked_on=parked_on)


def test_reasons_differing_only_in_the_records_values_fall_in_one_group() -> None:
    found = groups.group([
        queued("1", "product with sku 'A-1' is unknown in erp"),
        queued("2", "product with sku 'B-77' is unknown in erp"),
        queued("3", "customer with email 'x@example.com' is unknown in erp"),
        queued("4", "product with sku 'C-3' is unknown in erp", flow="invoices"),
        queued("5", None),
    ])
    assert [("orders", "product with sku … is unknown in erp", 2),
            ("invoices", "product with sku … is unknown in erp", 1),
            ("orders", "customer with email … is unknown in erp", 1),
            ("orders", "no reason given", 1)] == [(g.flow, g.reason, g.count) for g in found]
    assert ["1", "2"] == [r.source_id for r in found[0].records]


def test_numbers_amounts_and_addresses_are_normalised_but_words_with_digits_stay() -> None:
    assert "order … differs by … EUR from …" == groups.pattern("order #1042 differs by 0.05 EUR from 2026-05-01")
    assert "mail … bounced at v2 api" == groups.pattern("mail jan@example.com bounced at v2 api")


def test_parked_records_group_apart_from_failed_ones_with_the_same_reason() -> None:
    found = groups.group([queued("1", "waits for product 'A'", parked_on="products"),
                          queued("2", "waits for product 'B'")])
    assert {("products", 1), (None, 1)} == {(g.parked_on, g.count) for g in found}


def test_the_diff_pairs_lines_and_marks_what_changed() -> None:
    rows = diff.side_by_side({"note": "old", "total": "10.00"}, {"note": "leave at the door", "total": "10.00",
                                                                 "tag": "gift"})
    assert 2 == diff.changed(rows)  # the note replaced, the tag inserted
    changed = [(r.left, r.right, r.kind) for r in rows if r.kind != "equal"]
    assert ('  "note": "old",', '  "note": "leave at the door",', "replace") in changed
    assert (None, '  "tag": "gift",', "insert") in changed
    assert 0 == diff.changed(diff.side_by_side({"a": 1}, {"a": 1}))


def test_the_chart_has_fourteen_days_on_one_scale_ending_today() -> None:
    today = date(2026, 5, 14)
    drawn = chart.daily_chart([Day(day=date(2026, 5, 14), written=40, skipped=3, failed=10),
                               Day(day=date(2026, 5, 2), written=20, skipped=0, failed=0),
                               Day(day=date(2026, 4, 30), written=99, skipped=0, failed=0)], today)  # before the span
    assert 14 == len(drawn.columns)
    assert date(2026, 5, 1) == drawn.columns[0].day and today == drawn.columns[-1].day
    assert 40 == drawn.peak
    last = drawn.columns[-1]
    assert last.written.height == 4 * last.failed.height  # 40 and 10 on one scale
    assert drawn.baseline == last.written.y + last.written.height
    assert 0 == drawn.columns[5].written.height
    assert chart.daily_chart([], today).empty
