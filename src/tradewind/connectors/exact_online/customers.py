"""Exact Online accounts with their contact people."""

from __future__ import annotations

from typing import Any

from tradewind.connectors.base import NativeRecord
from tradewind.connectors.exact_online import codec
from tradewind.connectors.exact_online.client import ExactClient, Row, chunks_by_length, guid
from tradewind.connectors.exact_online.resource import ExactResource, without_metadata
from tradewind.model import Customer


class CustomerResource(ExactResource[Customer]):
    """Accounts; a company's contact people are added as Contacts after the account."""

    def assemble(self, client: ExactClient, rows: list[Row]) -> list[NativeRecord]:
        """Accounts with their contacts: one bulk read per ~40 accounts."""
        ids = [str(r["ID"]) for r in rows]
        contacts: dict[str, list[Row]] = {}
        for chunk in chunks_by_length(ids, lambda a: f"Account eq {guid(a)}"):
            clause = " or ".join(f"Account eq {guid(a)}" for a in chunk)
            select = ",".join(codec.CONTACT_FIELDS)
            for row in without_metadata(client.rows("bulk/CRM/Contacts", {"$select": select, "$filter": clause})):
                contacts.setdefault(str(row["Account"]), []).append(row)
        return [NativeRecord(id=str(r["ID"]), data={**r, "Contacts": contacts.get(str(r["ID"]), [])},
                             version=str(r.get("Timestamp") or r.get("Modified"))) for r in rows]

    def create(self, client: ExactClient, native: dict[str, Any]) -> NativeRecord:
        """The account, then its contacts; the record is what those POSTs answered (nothing read back:
        a new person customer costs one call)."""
        account = {k: v for k, v in native.items() if k != "Contacts"}
        created = without_metadata([client.post(self.path, account)])[0]
        contacts = []
        for contact in native.get("Contacts") or []:
            person = {**contact, "Account": created["ID"]}
            person.setdefault("LastName", contact.get("FirstName") or contact.get("Email") or account.get("Name"))
            contacts.append(without_metadata([client.post("crm/Contacts", person)])[0])
        return NativeRecord(id=str(created["ID"]), data={**created, "Contacts": contacts},
                            version=str(created.get("Timestamp") or created.get("Modified")))

    def update(self, client: ExactClient, native_id: str, native: dict[str, Any]) -> NativeRecord:
        """Updates the account; contacts are added on create only (Exact keeps their history)."""
        account = {k: v for k, v in native.items() if k not in ("Contacts", "ID")}
        return super().update(client, native_id, account)
