"""Customers: a company with contacts, or a person."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, EmailStr, Field
from stdnum.eu import vat
from stdnum.exceptions import ValidationError

from tradewind.model.address import Address, Contact
from tradewind.model.entity import Entity


def _vat_number_as_given(value: Any) -> Any:
    """A valid number in its compact form; any other text kept as given (stripped); blank is None.

    Whether a number carries reverse charge is the rules' decision (:func:`tradewind.rules.tax.treatment`:
    python-stdnum, optionally VIES, and ``invalid_vat_number: charge_vat | hold``), so a shop's mistyped
    number reaches them — and the reason they give names it — instead of failing the order here.
    """
    if not isinstance(value, str):
        return value
    text = value.strip()
    if not text:
        return None
    try:
        return str(vat.validate(text))
    except ValidationError:
        return text


CustomerVatNumber = Annotated[str | None, BeforeValidator(_vat_number_as_given)]
"""A VAT number as the customer gave it: compact when valid (``DE136695976``), else as typed; blank is None."""


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
    vat_number: CustomerVatNumber = Field(
        default=None, description="As the customer gave it: compact when valid, else kept as typed for the "
                                  "rules to judge (an invalid number never gets reverse charge)")
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
