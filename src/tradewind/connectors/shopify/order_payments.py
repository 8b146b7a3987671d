"""Payments received in the ERP, marking shop orders paid where Shopify allows it (``orderMarkAsPaid``).

After https://shopify.dev/docs/api/admin-graphql/2026-07/mutations/orderMarkAsPaid (input ``{id}``, payload
``order`` and ``userErrors``) and ``Order.canMarkAsPaid``: Shopify marks paid an order with a positive
outstanding balance that is not ``PAID`` already, not cancelled and not awaiting Shopify Payments, by a
transaction for the whole outstanding amount (or the capture of its authorization).

The write is an *update* of the order, looked up first by name, so the engine's find/holds pattern makes it
idempotent at no extra cost: one search per :data:`ORDER_LOOKUPS` payments of a page reads each order's
``displayFinancialStatus``, ``canMarkAsPaid`` and outstanding balance. Then, per payment:

* paid in full, the order ``PAID`` already (by a gateway, by hand, by an earlier run) — bound, no call;
* paid in full, the order allowed — one ``orderMarkAsPaid``;
* paid in full, the order not allowed (cancelled, refunded, voided, awaiting Shopify Payments) — **failed**
  with the shop's state, no call: money was received for an order the shop will not take it for, and a
  person must settle it (refund the customer, or restore the order); kept, retried and replayable;
* paid in part — reported (*matched*, counted as skipped) with what was received and what is open, no
  call: Shopify would record the *whole* outstanding amount as paid, which is not what happened.

An order with a balance other than the invoice's (edited in the shop after booking) is marked paid all the
same, as Shopify records its outstanding amount, and the transfer's reason names both amounts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from tradewind.connectors.base import Found, NativeRecord, Refs
from tradewind.connectors.outcomes import Reported
from tradewind.connectors.shopify.client import ShopifyClient, any_of, dig
from tradewind.connectors.shopify.common import NotReadable, batches, one_of
from tradewind.errors import RecordError, RejectedByTarget
from tradewind.model import Payment

ORDER_LOOKUPS = 25
"""Orders per search (names OR-ed; each node is small)."""

ORDER_FIELDS = ("id name displayFinancialStatus canMarkAsPaid cancelledAt "
                "totalOutstandingSet { shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }")

PAYMENT_STATE_BY_NAME = f"""
query PaymentStateByName($query: String!, $first: Int!) {{
  orders(first: $first, query: $query) {{ nodes {{ {ORDER_FIELDS} }} }}
}}
"""

PAYMENT_STATE = f"""
query PaymentState($id: ID!) {{
  order(id: $id) {{ {ORDER_FIELDS} }}
}}
"""

ORDER_MARK_AS_PAID = f"""
mutation OrderMarkAsPaid($input: OrderMarkAsPaidInput!) {{
  orderMarkAsPaid(input: $input) {{
    order {{ {ORDER_FIELDS} }}
    userErrors {{ field message }}
  }}
}}
"""

DOCUMENTS = {"PAYMENT_STATE_BY_NAME": PAYMENT_STATE_BY_NAME, "PAYMENT_STATE": PAYMENT_STATE,
             "ORDER_MARK_AS_PAID": ORDER_MARK_AS_PAID}
"""What this module sends (validated against Shopify's schema by the tests)."""


def payment_out(payment: Payment, refs: Refs) -> dict[str, Any]:
    """What the write needs: the order, whether the invoice is settled, and the amounts for the report."""
    return {"order_number": payment.order_number, "invoice_number": payment.invoice_number,
            "reference": payment.reference, "paid_in_full": payment.paid_in_full,
            "amount": str(payment.amount.amount), "currency": payment.amount.currency,
            "invoice_amount": str(payment.invoice_amount.amount) if payment.invoice_amount else None,
            "paid_at": payment.paid_at.isoformat()}


def order_payment_in(node: Mapping[str, Any]) -> Payment:
    """An order's payment state as a Payment (what the shop holds: its outstanding balance)."""
    money: Mapping[str, Any] = dig(node, "totalOutstandingSet.shopMoney") or {}
    return Payment.model_validate({
        "reference": str(node.get("id") or ""), "order_number": node.get("name"),
        "amount": {"amount": money.get("amount") or "0", "currency": money.get("currencyCode") or "EUR"},
        "paid_at": node.get("updatedAt") or "1970-01-01T00:00:00Z",
        "paid_in_full": node.get("displayFinancialStatus") == "PAID"})


def outstanding_in(node: Mapping[str, Any] | None, currency: str) -> Mapping[str, Any] | None:
    """The side of the order's outstanding balance in ``currency``: the shop's, or — for an order the
    customer paid in another currency, which the ERP books in that currency — the presentment side."""
    for side in ("shopMoney", "presentmentMoney"):
        money = dig(node, f"totalOutstandingSet.{side}") if node else None
        if money and money.get("currencyCode") == currency:
            return dict(money)
    return None


def refusal(node: Mapping[str, Any]) -> str | None:
    """Why Shopify will not mark this order paid (None: it will, or it is paid already)."""
    status = node.get("displayFinancialStatus")
    if status == "PAID" or node.get("canMarkAsPaid"):
        return None
    why = "it is cancelled" if node.get("cancelledAt") else f"its payment is {str(status or 'unknown').lower()}"
    outstanding = dig(node, "totalOutstandingSet.shopMoney.amount")
    return (f"order {node.get('name')} cannot be marked as paid in the shop: {why} (outstanding "
            f"{outstanding or '0'}; Order.canMarkAsPaid is false) — settle the payment received with the customer, "
            "or restore the order in the shop and replay")


def partial(native: Mapping[str, Any]) -> str:
    amount, total, currency = Decimal(native["amount"]), native.get("invoice_amount"), native["currency"]
    left = f"; {currency} {Decimal(total) - amount} open" if total is not None else ""
    return (f"partial payment: {currency} {amount} of {currency} {total} received for {native['reference']}{left}; "
            f"order {native['order_number']} is not marked paid in the shop until the invoice is paid in full")


class OrderPaymentsResource(NotReadable):
    """Shop orders marked paid from ERP payments; found by name with their payment state."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._states: dict[str, dict[str, Any]] = {}

    def bind(self, connection: Any) -> OrderPaymentsResource:
        bound = super().bind(connection)
        assert isinstance(bound, OrderPaymentsResource)
        bound._states = {}
        return bound

    def find_many(self, client: ShopifyClient, keys: Sequence[Mapping[str, str]]) -> list[Found]:
        """By name, ``ORDER_LOOKUPS`` a search; the states found are kept until the next look-up, so
        the write that follows refuses an order Shopify would refuse without calling it."""
        names = [k.get("order_number") or "" for k in keys]
        found: dict[str, list[NativeRecord]] = defaultdict(list)
        self._states = {}
        for batch in batches([n for n in names if n], ORDER_LOOKUPS):
            data = client.execute(PAYMENT_STATE_BY_NAME, {"query": any_of("name", batch), "first": len(batch)})
            for node in dig(data, "orders.nodes") or []:
                if node.get("name") in batch:
                    found[node["name"]].append(NativeRecord(id=node["id"], data=node))
                    self._states[node["id"]] = node
        return [one_of(found.get(n, [])) if n else None for n in names]

    def holds(self, found: NativeRecord, native: dict[str, Any]) -> bool:
        """An order already ``PAID`` holds any payment of it: nothing to write."""
        return found.data.get("displayFinancialStatus") == "PAID"

    def update(self, client: ShopifyClient, native_id: str, native: dict[str, Any]) -> NativeRecord:
        if not native.get("paid_in_full"):
            return Reported(id=native_id, data={"id": native_id}, outcome="matched", reason=partial(native))
        state = self._states.get(native_id)
        if state is not None:
            self._check(state, native)
        try:
            payload = client.mutate(ORDER_MARK_AS_PAID, {"input": {"id": native_id}}, "orderMarkAsPaid")
        except RejectedByTarget as error:
            return self._explain(client, native_id, error)
        order = payload.get("order") or {"id": native_id}
        reason = _difference(state, native)
        return Reported(id=native_id, data=order, outcome="updated", reason=reason) if reason \
            else NativeRecord(id=native_id, data=order)

    def _check(self, state: Mapping[str, Any], native: Mapping[str, Any]) -> None:
        why = refusal(state)
        if why is not None:
            raise RecordError(why, field="order_number", record=native.get("order_number"))
        currency = dig(state, "totalOutstandingSet.shopMoney.currencyCode")
        if currency and outstanding_in(state, native["currency"]) is None:
            raise RecordError(f"order {state.get('name')} is in {currency}; the payment of {native['reference']} is "
                              f"in {native['currency']}", field="amount.currency", record=native.get("order_number"))

    def _explain(self, client: ShopifyClient, native_id: str, error: RejectedByTarget) -> NativeRecord:
        """Shopify refused (an order bound earlier, whose state was not looked up): paid meanwhile is
        no failure; anything else fails with the shop's state and its own words."""
        node = dig(client.execute(PAYMENT_STATE, {"id": native_id}), "order") or {}
        if node.get("displayFinancialStatus") == "PAID":
            return Reported(id=native_id, data=node, outcome="matched", reason=f"order {node.get('name')} is paid in "
                                                                                "the shop already; not marked again")
        why = refusal(node) if node else f"the order {native_id} is not in the shop"
        raise RejectedByTarget(f"{why or 'refused'} (Shopify: {error.message})", field="order_number")


def _difference(state: Mapping[str, Any] | None, native: Mapping[str, Any]) -> str:
    """The reason to give when the shop's outstanding balance is not the invoice's total."""
    outstanding = (outstanding_in(state, native["currency"]) or {}).get("amount")
    total = native.get("invoice_amount")
    if outstanding is None or total is None or Decimal(str(outstanding)) == Decimal(total):
        return ""
    return (f"marked paid: the shop's outstanding {native['currency']} {Decimal(str(outstanding))} differs from "
            f"{native['reference']}'s {native['currency']} {Decimal(total)} received in the ERP")
