"""Exact Online orders as the document the booking type names (sales order, sales invoice, direct invoice
or sales entry; :mod:`.documents`), with their lines; changes to a booked one by :mod:`.changes`. Stock
per item and warehouse is in :mod:`.stock`."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from typing import Any

from tradewind.connectors.base import Connector, NativeRecord, Refs
from tradewind.connectors.exact_online import booking, changes, codec, invoice_payments, vat
from tradewind.connectors.exact_online.client import ExactClient, Row, guid, is_guid, nested, quote
from tradewind.connectors.exact_online.documents import (
    DOCUMENTS,
    PRINT_PATH,
    SALES_INVOICE,
    SALES_ORDER,
    Document,
    division_facts,
)
from tradewind.connectors.exact_online.reference import dropped_when_stale
from tradewind.connectors.exact_online.resource import ExactResource, modified, without_metadata
from tradewind.connectors.outcomes import Reported, Said
from tradewind.errors import ConfigError, OutcomeUnknown, RecordError
from tradewind.model import Order
from tradewind.rules.settings import BookingType
from tradewind.rules.tax import VatCodeMap

DELIVERY_TYPE = 4
"""``crm/Addresses`` ``Type``: "Visit=1, Postal=2, Invoice=3, Delivery=4" (CRMAddresses reference page)."""


def _same(a: Any, b: Any) -> bool:
    return str(a or "").strip().casefold() == str(b or "").strip().casefold()


class OrderResource(ExactResource[Order]):
    """Orders, each created with its lines in one POST as the booking type's document (a sales order
    without ``booking``); a direct invoice is then processed by printing it. An update of a booked one is
    made, corrected or reported as :mod:`.changes` says, and its outcome said so."""

    document: Document = SALES_ORDER
    refers_to = ("customer", "product")
    paying: dict[str, invoice_payments.PaidAtOnce]
    """``YourRef`` → the payment to register with that invoice, noted when the order is encoded: the row the
    engine hands :meth:`create` is the invoice as Exact takes it, which has no field for how it was paid."""

    def bind(self, connection: Connector) -> OrderResource:
        bound = super().bind(connection)
        assert isinstance(bound, OrderResource)
        rules = bound.settings.booking
        if rules is not None:
            doc = DOCUMENTS[rules.booking_type]
            bound.document, bound.path, bound.native_key, bound.expand = doc, doc.path, doc.key, doc.lines
            bound.select = doc.select
        bound.paying = {}
        return bound

    def _encode_bound(self, entity: Order, refs: Refs) -> dict[str, Any]:
        """The document, and (an order paid at once, booked as an invoice) the payment to register with it."""
        with self._kept():
            native = super()._encode_bound(entity, refs)
        rules = self.settings.booking
        if rules is not None and rules.payments is not None and self.document is SALES_INVOICE:
            issued = booking.compose(entity, rules, self.settings.vat_code_map).business_date
            paid = invoice_payments.paid_at_once(entity, invoice_payments.decide(entity, rules, issued))
            if paid is not None:
                self.paying[str(native.get("YourRef"))] = paid
            else:
                self.paying.pop(str(native.get("YourRef")), None)
        return native

    def codec_settings(self, client: ExactClient | None = None) -> codec.Settings:
        """With the division's VAT codes (and the project's overrides), GL accounts, projects, shipping
        methods and exchange rates when orders are booked by rules: read once per connection and kept for
        ``reference_minutes`` (:mod:`.reference`)."""
        rules = self.settings.booking
        if rules is None or self.connection is None or self.settings.vat_code_map is not None:
            return self.settings
        client = client or self.connection.client
        erp = booking.code_entries(vat.code_rows(client))
        need_rates, need_conditions = rules.currency_rate.value == "erp", rules.payments is not None
        facts = client.reference.get(f"division_facts:{need_rates}:{need_conditions}", lambda: division_facts(
            client, need_rates=need_rates, need_conditions=need_conditions))
        self.settings = replace(self.settings, vat_code_map=VatCodeMap(erp, rules.vat_codes), division=facts)
        return self.settings

    def assemble(self, client: ExactClient, rows: list[Row]) -> list[NativeRecord]:
        """Documents with their expanded lines; the version is ``Modified`` with its offset."""
        doc = self.document
        return [NativeRecord(id=str(row[doc.key]), data={**row, doc.lines: without_metadata(
            nested(row.get(doc.lines)))}, version=modified(row)) for row in rows]

    def _kept(self) -> AbstractContextManager[None]:
        """Around composing and writing a booking: the division's kept tables dropped when they may be stale."""
        return dropped_when_stale(self.connection.client.reference) if self.connection is not None else nullcontext()

    def create(self, client: ExactClient, native: dict[str, Any]) -> NativeRecord:
        with dropped_when_stale(client.reference):
            return self._create(client, native)

    def _create(self, client: ExactClient, native: dict[str, Any]) -> NativeRecord:
        body = self.with_delivery_address(client, native)
        warehouse = self._warehouse_id(client) if self.document is SALES_ORDER else None
        if warehouse and "WarehouseID" not in body:
            body["WarehouseID"] = warehouse
        rules = self.settings.booking
        paid = self.paying.pop(str(body.get("YourRef")), None) if self.document is SALES_INVOICE else None
        direct = rules is not None and rules.booking_type is BookingType.DIRECT_INVOICE
        if not direct and paid is None:
            return self.assemble(client, without_metadata([client.post(self.path, body)]))[0]
        created = self._created(client, body)
        if not direct or created.data.get("Status") == invoice_payments.DRAFT:
            reason = invoice_payments.not_registered(created.data, paid) if paid is not None else None
            return Reported(id=created.id, data=created.data, version=created.version, outcome="created",
                            reason=reason) if reason else created
        created = self._processed(client, created)
        reason = invoice_payments.not_registered(created.data, paid) if paid is not None else None
        if paid is not None and reason is None:
            reason = invoice_payments.register(client, created.data, paid)
        return Reported(id=created.id, data=created.data, version=created.version, outcome="created",
                        reason=reason) if reason else created

    def unfinished(self, found: NativeRecord, native: dict[str, Any]) -> str | None:
        """A direct invoice found by ``YourRef`` (a run stopped after Exact stored it, or one there before) is
        done only when processed and, paid at once, its payment registered: what it may lack, else None. Said
        from the invoice as found (a processed one's payment is looked up by :meth:`finish`, before posting)."""
        rules = self.settings.booking
        if rules is None or rules.booking_type is not BookingType.DIRECT_INVOICE:
            return None
        status = found.data.get("Status")
        paid = self.paying.get(str(native.get("YourRef")))
        if status == invoice_payments.DRAFT:
            return None
        if status != invoice_payments.PROCESSED:
            return f"the direct invoice is open (Status {status}), not processed" + (
                f", and its {paid.method} payment is not registered" if paid is not None else "")
        if paid is not None:
            return f"the direct invoice is processed; its {paid.method} payment may not be registered yet"
        return None

    def finish(self, client: ExactClient, native_id: str, native: dict[str, Any]) -> NativeRecord:
        """The rest of a direct invoice's create for the one found (:meth:`unfinished`): processed if still open,
        then its payment registered once (:func:`.invoice_payments.register` looks it up by ``OurRef`` first).
        Nothing left to do: reported as matched, bound without a write."""
        paid = self.paying.pop(str(native.get("YourRef")), None)
        invoice = self.get(client, [native_id])[0]
        if invoice is None:
            raise RecordError(f"the invoice found by YourRef {native.get('YourRef')} ({native_id}) is gone from "
                              "Exact Online; it is looked up again on the record's retry")
        said: list[str] = []
        if invoice.data.get("Status") not in (invoice_payments.DRAFT, invoice_payments.PROCESSED):
            invoice = self._processed(client, invoice)
            if invoice.data.get("Status") == invoice_payments.PROCESSED:
                said.append(f"processed: invoice {invoice.data.get('InvoiceNumber')}")
        reason = invoice_payments.not_registered(invoice.data, paid) if paid is not None else None
        if paid is not None and reason is None:
            reason = invoice_payments.register(client, invoice.data, paid)
        if reason and not reason.startswith(invoice_payments.ALREADY):
            said.append(reason)
        outcome: Said = "created" if said else "matched"
        found = f"found by YourRef {native.get('YourRef')}"
        text = "; ".join([f"{found}, finished", *said]) if said else f"{found}, processed, {reason or 'complete'}"
        return Reported(id=invoice.id, data=invoice.data, version=invoice.version, outcome=outcome, reason=text)

    def _created(self, client: ExactClient, body: dict[str, Any]) -> NativeRecord:
        """The invoice posted; its answer lost, looked up by ``YourRef`` here (not only by the engine), so the
        steps after it (processing, the payment) still follow. Not found: the engine settles as for any write."""
        try:
            return self.assemble(client, without_metadata([client.post(self.path, body)]))[0]
        except OutcomeUnknown:
            found = self.find(client, {"number": str(body.get("YourRef"))})
            if isinstance(found, NativeRecord):
                return found
            raise

    def _processed(self, client: ExactClient, created: NativeRecord) -> NativeRecord:
        """A direct invoice processed by printing it; a lost answer is settled by reading the invoice again
        (printed: processed; still open: printed again, which cannot process it twice)."""
        if created.data.get("Status") == invoice_payments.PROCESSED:
            return created
        for attempt in (1, 2):
            try:
                client.post(PRINT_PATH, {"InvoiceID": created.id, "SendEmailToCustomer": False})
            except OutcomeUnknown:
                if attempt == 2:
                    raise
            now = self.get(client, [created.id])[0] or created
            if now.data.get("Status") == invoice_payments.PROCESSED:
                return now
        return created

    def update(self, client: ExactClient, native_id: str, native: dict[str, Any]) -> NativeRecord:
        """Made, corrected or reported (:mod:`.changes`), and said which."""
        return changes.apply(self, client, native_id, self.with_delivery_address(client, native),
                             self.settings.booking)

    def with_delivery_address(self, client: ExactClient, native: dict[str, Any]) -> dict[str, Any]:
        """A ``DeliveryAddress`` given as an address (:func:`.booking.delivery_address`) becomes the ID of the
        account's delivery address with those fields (``crm/Addresses``, Type 4): found, or created once."""
        wanted = native.get("DeliveryAddress")
        if not isinstance(wanted, dict):
            return dict(native)
        account = str(native["DeliverTo"])
        fields = ("AddressLine1", "AddressLine2", "Postcode", "City", "Country")
        rows = client.rows("crm/Addresses", {"$select": "ID," + ",".join(fields),
                                             "$filter": f"Account eq {guid(account)} and Type eq {DELIVERY_TYPE}"})
        same = [r for r in rows if all(_same(r.get(f), wanted.get(f)) for f in fields)]
        found = str(same[0]["ID"]) if same else None
        if found is None:
            found = str(client.post("crm/Addresses", {**wanted, "Account": account, "Type": DELIVERY_TYPE})["ID"])
        return {**native, "DeliveryAddress": found}

    def _warehouse_id(self, client: ExactClient) -> str | None:
        """The configured warehouse's ID: given as a Guid, or looked up by code once per ``reference_minutes``."""
        wanted = self.opts.warehouse
        if not wanted or is_guid(wanted):
            return wanted

        def read() -> str:
            rows = client.rows("inventory/Warehouses",
                               {"$select": "ID,Code", "$filter": f"trim(Code) eq {quote(wanted)}"})
            if not rows:
                raise ConfigError(f"Exact Online has no warehouse with code {wanted!r}",
                                  hint="check the warehouse option")
            return str(rows[0]["ID"])

        if client.warehouse_id is None:
            client.warehouse_id = client.reference.get(f"warehouse:{wanted}", read)
        return client.warehouse_id

