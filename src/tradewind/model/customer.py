"""Customers: a company with contacts, or a person."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import EmailStr, Field

from tradewind.model.address import Address, Contact
from tradewind.model.entity import Entity
from tradewind.model.identifiers import VatNumber


class CustomerKind(StrEnum):
    COMPANY = "company"
    PERSON = "person"


class Customer(Entity):
    """A debtor. A company name makes it a company with the person as contact (as ERPs book it)."""

    kind: ClassVar[str] = "customer"

    type: CustomerKind = CustomerKind.PERSON
    name: str = Field(description="Company name, or the person's full name")
    email: EmailStr | None = None
    phone: str | None = None
    vat_number: VatNumber | None = None
    chamber_of_commerce: str | None = None
    language: str | None = None
    reference: str | None = Field(
        default=None, description="The customer's number as the business uses it (debtor code)"
    )
    references: dict[str, str] = Field(
        default_factory=dict, description="Other business references by name, e.g. {'loyalty': 'L-123'}"
    )
    contacts: list[Contact] = Field(default_factory=list)
    billing_address: Address | None = None
    shipping_address: Address | None = None
    tax_exempt: bool = False
    source_id: str | None = Field(
        default=None, description="The customer's own id in the system the record came from (e.g. the shop's "
                                  "customer id of an order's buyer), so a customer created for an order is bound "
                                  "as that record")
