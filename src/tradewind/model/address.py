"""Postal addresses and contact people, shared by customers, orders, shipments and invoices."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, EmailStr

from tradewind.model.identifiers import CountryCode


class Address(BaseModel):
    """A postal address; ``country`` is ISO 3166-1 alpha-2."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    company: str | None = None
    line1: str | None = None
    line2: str | None = None
    house_number: str | None = None
    postcode: str | None = None
    city: str | None = None
    region: str | None = None
    country: CountryCode | None = None
    phone: str | None = None


class Contact(BaseModel):
    """A person at a customer (a buyer, the accounts payable desk)."""

    model_config = ConfigDict(extra="forbid")

    first_name: str | None = None
    last_name: str | None = None
    email: EmailStr | None = None
    phone: str | None = None
    role: str | None = None

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)
