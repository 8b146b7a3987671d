"""Exact Online contact people as customers for a shop: one customer per contact, with the account's
company name and address, matched in the shop by the contact's e-mail address.

A shop knows people who log in; Exact knows accounts (companies) with contact people. So the source
is ``sync/CRM/Contacts`` (1,000 a call, by ``Timestamp``), each page's accounts read in ``or``-filters
of about 40 Guids a call (``crm/Accounts``), and the page's e-mail addresses looked up among all
contacts (``crm/Contacts`` by ``Email``, same batching). An address that two contacts share cannot be
one shop login for both: each of them fails, naming both contacts and their accounts, and neither is
merged into the other. A contact without an e-mail address has no shop login to match and fails
with that reason (a flow filter ``customer.email`` skips them instead).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from tradewind.connectors.base import NativeRecord
from tradewind.connectors.exact_online import codec
from tradewind.connectors.exact_online.client import ExactClient, Row, chunks_by_length, guid, quote
from tradewind.connectors.exact_online.codec import build, text
from tradewind.connectors.exact_online.resource import ExactResource, without_metadata
from tradewind.errors import RecordError
from tradewind.model import Address, Contact, Customer, CustomerKind

CONTACT_FIELDS = (*codec.CONTACT_FIELDS, "AccountName", "Timestamp")


class ContactResource(ExactResource[Customer]):
    """Contacts with their account, and the other contacts sharing their e-mail address."""

    def assemble(self, client: ExactClient, rows: list[Row]) -> list[NativeRecord]:
        accounts = _accounts(client, sorted({str(r["Account"]) for r in rows if r.get("Account")}))
        sharing = _sharing(client, sorted({e for r in rows if (e := text(r.get("Email")))}))
        out = []
        for row in rows:
            email = (text(row.get("Email")) or "").lower()
            others = [o for o in sharing.get(email, []) if str(o["ID"]) != str(row["ID"])]
            data = {**row, "AccountRow": accounts.get(str(row.get("Account")), {}), "SameEmail": others}
            out.append(NativeRecord(id=str(row["ID"]), data=data, version=str(row.get("Timestamp") or "") or None))
        return out


def _accounts(client: ExactClient, ids: list[str]) -> dict[str, Row]:
    found: dict[str, Row] = {}
    select = ",".join(codec.ACCOUNT_FIELDS)
    for chunk in chunks_by_length(ids, lambda a: f"ID eq {guid(a)}"):
        clause = " or ".join(f"ID eq {guid(a)}" for a in chunk)
        found.update({str(r["ID"]): r for r in without_metadata(
            client.rows("crm/Accounts", {"$select": select, "$filter": clause}))})
    return found


def _sharing(client: ExactClient, emails: list[str]) -> dict[str, list[Row]]:
    """E-mail address (lower case) → every contact holding it."""
    held: dict[str, list[Row]] = defaultdict(list)
    for chunk in chunks_by_length(emails, lambda e: f"Email eq {quote(e)}"):
        clause = " or ".join(f"Email eq {quote(e)}" for e in chunk)
        rows = client.rows("crm/Contacts", {"$select": "ID,Email,FirstName,LastName,AccountName", "$filter": clause})
        for row in without_metadata(rows):
            held[(text(row.get("Email")) or "").lower()].append(row)
    return held


def _who(row: Row) -> str:
    name = " ".join(p for p in (text(row.get("FirstName")), text(row.get("LastName"))) if p) or str(row.get("ID"))
    account = text(row.get("AccountName"))
    return f"{name} ({account})" if account else name


def _names(rows: Iterable[Row]) -> str:
    return " and ".join(_who(r) for r in rows)


def contact_in(data: Row, settings: Any = None) -> Customer:
    """A contact with its account → a customer: the person, under the account's name when the account
    is a company; duplicates of its e-mail address fail, naming every contact holding it."""
    email = text(data.get("Email"))
    others = data.get("SameEmail") or []
    if email and others:
        raise RecordError(f"e-mail {email} is shared by contacts {_names([data, *others])}; one shop customer "
                          "per e-mail address, so neither is merged into the other — give each contact its own "
                          "address in Exact", field="email", record=str(data.get("ID")))
    account: Row = data.get("AccountRow") or {}
    person = build(Contact, str(data.get("ID")), first_name=text(data.get("FirstName")),
                   last_name=text(data.get("LastName")), email=email, phone=text(data.get("Phone")),
                   role=text(data.get("JobTitleDescription")))
    company = text(account.get("Name"))
    own = not company or company == person.full_name
    address = _address(account)
    return build(Customer, str(data.get("ID")), type=CustomerKind.PERSON if own else CustomerKind.COMPANY,
                 name=(person.full_name or email or "?") if own else company, email=email,
                 phone=person.phone or text(account.get("Phone")), reference=text(account.get("Code")),
                 language=text(account.get("Language")), contacts=[] if own else [person],
                 billing_address=address)


def _address(row: Row) -> Address | None:
    values = {"line1": text(row.get("AddressLine1")), "line2": text(row.get("AddressLine2")),
              "postcode": text(row.get("Postcode")), "city": text(row.get("City")), "country": text(row.get("Country"))}
    return Address(**values) if any(values.values()) else None
