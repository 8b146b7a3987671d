"""``BookingRules``: how a flow books orders and customers (the flow's ``booking:`` options).

Every field says what it decides and its default; docs/booking-rules.md has a worked example per
rule. The model is strict (unknown keys are refused) so a typo in the project file is reported,
not ignored.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tradewind.model.identifiers import CountryCode
from tradewind.model.money import Amount
from tradewind.rules.payments import PaymentMethods


class VatKind(StrEnum):
    """Why a line carries its VAT: the ERP has one code per kind and rate (and country for OSS)."""

    DOMESTIC = "domestic"
    OSS = "oss"
    REVERSE_CHARGE = "reverse_charge"
    EXPORT = "export"


class VatMethod(StrEnum):
    """How the target ERP computes VAT on a sales order (declared by its connector)."""

    PER_LINE = "per_line"
    """VAT of each line from its net amount, rounded per line, then summed (Exact Online)."""
    PER_RATE = "per_rate"
    """VAT per rate from the sum of the net amounts at that rate, rounded once per rate."""


class RoundingMode(StrEnum):
    HALF_UP = "half_up"
    HALF_EVEN = "half_even"

    @property
    def decimal(self) -> str:
        return ROUND_HALF_UP if self is RoundingMode.HALF_UP else ROUND_HALF_EVEN


class OssPricing(StrEnum):
    """What a consumer abroad pays when the shop's prices include VAT."""

    GROSS_KEPT = "gross_kept"
    """One gross price across the EU: the net is the gross at the destination rate (the margin moves)."""
    DESTINATION = "destination"
    """The domestic net is kept; the destination's VAT comes on top (the gross moves)."""


class DiscountBooking(StrEnum):
    ARTICLE = "article"
    """One negative line per VAT rate on the discount article (the default when one is configured)."""
    LINE = "line"
    """Each line carries its own discount (line discount plus its share of order discounts)."""


class QuantityPolicy(StrEnum):
    """What happens to a line whose quantity is zero or negative."""

    DROP = "drop"
    REFUSE = "refuse"
    RETURN = "return"
    """Negative lines are booked as returns (negative quantity); zero lines are dropped."""


class OnDifference(StrEnum):
    HOLD = "hold"
    DRAFT = "draft"


class InvalidVatNumber(StrEnum):
    CHARGE_VAT = "charge_vat"
    """Book as a sale without a VAT number: domestic VAT, or the destination's under OSS."""
    HOLD = "hold"


class MatchField(StrEnum):
    EMAIL = "email"
    VAT_NUMBER = "vat_number"
    REFERENCE = "reference"
    NUMBER = "number"


class GuestPolicy(StrEnum):
    CREATE = "create"
    DEFAULT_DEBTOR = "default_debtor"


class MissingReference(StrEnum):
    CREATE = "create"
    BLOCK = "block"


class BookingType(StrEnum):
    """Which document an order becomes in the ERP (the APIcenter brief's four for Exact Online)."""

    SALES_ORDER = "sales_order"
    """A sales order (delivered and invoiced later in the ERP)."""
    SALES_INVOICE = "sales_invoice"
    """An open sales invoice with item lines (a draft when ``on_difference: draft`` drafts it)."""
    SALES_ENTRY = "sales_entry"
    """A financial journal entry: lines on revenue GL accounts with their VAT codes, in the sales journal."""
    DIRECT_INVOICE = "direct_invoice"
    """A sales invoice created and processed (posted) at once."""


class CurrencyRate(StrEnum):
    """Where the rate of an order in another currency than the ERP's base currency comes from."""

    ERP = "erp"
    """The ERP's own rate for the order's business date."""
    SHOP = "shop"
    """The shop's rate (shop money ÷ presentment money), sent with the booking where the ERP takes one."""
    HOLD = "hold"
    """Such orders are held with the reason."""


class Ledger(BaseModel):
    """Where revenue goes: GL account and cost centre/cost unit (ERP codes), and a project."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    revenue_account: str | None = Field(default=None, description="GL account code of the revenue "
                                                                   "(sales entries' lines)")
    cost_center: str | None = Field(default=None, description="Cost centre code on every line")
    cost_unit: str | None = Field(default=None, description="Cost unit code on every line")
    project: str | None = Field(default=None, description="Project code on every line")

    def over(self, base: Ledger) -> Ledger:
        """These values where set, ``base``'s elsewhere."""
        return Ledger(**{**base.model_dump(), **self.model_dump(exclude_none=True)})


class VatCodeEntry(BaseModel):
    """One ERP VAT code: its rate, kind and (for OSS, optionally for others) the country it is for."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(description="The ERP's VAT code, e.g. Exact's '2'")
    rate: Amount = Field(description="Percent, e.g. 21")
    kind: VatKind = VatKind.DOMESTIC
    country: CountryCode | None = Field(default=None, description="Destination country; required for OSS codes")

    @model_validator(mode="after")
    def _oss_names_country(self) -> VatCodeEntry:
        if self.kind is VatKind.OSS and self.country is None:
            raise ValueError(f"OSS VAT code {self.code!r} needs the country it is for")
        return self


class BookingRules(BaseModel):
    """The options of an orders flow's ``booking:`` block, each with its default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    home_country: CountryCode = Field(default="NL", description="Where the shop ships from and is VAT-registered")
    time_zone: str | None = Field(
        default=None, description="IANA zone for business dates; default: the zone the shop reports")
    # VAT
    vat_codes: list[VatCodeEntry] = Field(
        default_factory=list, description="Overrides of the ERP's own VAT code list (same kind, country and rate "
                                          "replace the ERP's entry)")
    oss: bool = Field(default=True, description="B2C sales shipped to another EU country use that country's rate "
                                                "and the OSS code; off: domestic VAT (below the EU threshold)")
    oss_pricing: OssPricing = OssPricing.GROSS_KEPT
    reduced_rates: dict[str, dict[CountryCode, Amount]] = Field(
        default_factory=dict, description="Product group → country → reduced rate, for countries with several "
                                          "reduced rates, e.g. {books: {BE: 6}}")
    reverse_charge: bool = Field(default=True, description="Intra-EU B2B with a valid VAT number at 0% on the "
                                                           "reverse-charge code")
    invalid_vat_number: InvalidVatNumber = InvalidVatNumber.CHARGE_VAT
    vies_check: bool = Field(default=False, description="Also confirm VAT numbers with VIES (the connector's hook)")
    # money
    vat_method: VatMethod | None = Field(default=None, description="Override of how the ERP computes VAT; default: "
                                                                   "what its connector declares")
    rounding: RoundingMode = RoundingMode.HALF_UP
    discount_booking: DiscountBooking | None = Field(
        default=None, description="Default: 'article' when discount_item is set, else 'line'")
    discount_item: str | None = Field(default=None, description="Article code of discount lines")
    shipping_item: str | None = Field(default=None, description="Article code of shipping lines")
    rounding_item: str | None = Field(default=None, description="Article code (or GL account) of the rounding line")
    rounding_vat_code: str | None = Field(default=None, description="VAT code of the rounding line; default: the "
                                                                     "domestic 0% code")
    adjustment_item: str | None = Field(
        default=None, description="Article code (a GL account code for booking_type: sales_entry) of a refund's "
                                  "order-level adjustment (a goodwill refund, money beyond its lines), spread over "
                                  "the order's VAT rates; unset: such a refund is held")
    tolerance: Amount = Field(default=Decimal("0.05"), description="Largest difference booked on the rounding line")
    on_difference: OnDifference = Field(default=OnDifference.HOLD, description="A larger difference holds the "
                                                                               "order, or books it as a draft")
    quantity_policy: QuantityPolicy = QuantityPolicy.REFUSE
    # customers
    match_field: MatchField = MatchField.EMAIL
    number_reference: str = Field(default="customer_number",
                                  description="Which of the customer's references is its customer number")
    guest_orders: GuestPolicy = GuestPolicy.CREATE
    default_debtor: str | None = Field(default=None, description="ERP debtor of guest orders (guest_orders: "
                                                                 "default_debtor)")
    missing_reference: MissingReference = Field(
        default=MissingReference.CREATE, description="A customer the ERP does not know: create it, or block the order")

    # documents and ledger
    booking_type: BookingType = Field(default=BookingType.SALES_ORDER, description="What an order becomes: "
                                      "sales_order, sales_invoice, sales_entry (journal entry) or direct_invoice")
    journal: str | None = Field(default=None, description="Sales journal code; required for sales_invoice, "
                                                          "sales_entry and direct_invoice")
    ledger: Ledger = Field(default_factory=Ledger, description="Revenue GL account, cost centre, cost unit and "
                                                               "project of every line")
    ledger_by_country: dict[CountryCode, Ledger] = Field(
        default_factory=dict, description="Per destination country, over ledger, e.g. {DE: {revenue_account: "
                                          "'8010'}}")
    # changes, currency, value maps
    update_booked_orders: bool = Field(default=False, description="A changed order is found by its number and "
                                       "updated completely where the ERP allows it, else a correction is booked")
    erp_master: bool = Field(default=False, description="The ERP is master of booked orders: a change in the shop "
                                                        "is reported on the transfer, never written")
    base_currency: str | None = Field(default=None, description="The ERP's base currency; default: the "
                                                                "connection's")
    currency_rate: CurrencyRate = Field(default=CurrencyRate.HOLD, description="An order in another currency: "
                                        "booked at the ERP's rate, the shop's, or held")
    shipping_methods: dict[str, str] = Field(default_factory=dict, description="Shop shipping method (code or "
                                             "title) → ERP shipping method code; empty: none sent")
    default_shipping_method: str | None = Field(default=None, description="For a method the map lacks; unset: "
                                                                          "such an order is held")
    payment_conditions: dict[str, str] = Field(default_factory=dict, description="Shop payment method (gateway) "
                                               "→ ERP payment condition code; empty: the connection's")
    default_payment_condition: str | None = Field(default=None, description="For a method the map lacks; unset: "
                                                                            "such an order is held")
    payments: PaymentMethods | None = Field(
        default=None, description="Payment-method map: per shop method, paid at once (paid: true, with the bank "
        "journal it is received in) or a term in days, and the ERP's payment condition; an invoice gets the "
        "condition and due date, a paid one is registered as paid (docs/refunds-and-invoices.md). Unset: "
        "payment_conditions decide", examples=[{"methods": {"ideal": {"paid": True, "journal": "20"},
                                                            "banktransfer": {"days": 14}}, "default": {"days": 8}}])

    @field_validator("tolerance")
    @classmethod
    def _tolerance(cls, value: Decimal) -> Decimal:
        if value < 0:
            raise ValueError("tolerance cannot be negative")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> BookingRules:
        if self.guest_orders is GuestPolicy.DEFAULT_DEBTOR and not self.default_debtor:
            raise ValueError("guest_orders: default_debtor needs default_debtor")
        if self.discount_booking is DiscountBooking.ARTICLE and not self.discount_item:
            raise ValueError("discount_booking: article needs discount_item")
        if self.booking_type is not BookingType.SALES_ORDER and not self.journal:
            raise ValueError(f"booking_type: {self.booking_type.value} needs journal (the sales journal's code)")
        if self.payments is not None and (self.payment_conditions or self.default_payment_condition):
            raise ValueError("payments and payment_conditions exclude each other: name each method's ERP condition "
                             "in payments.methods.<method>.condition")
        if self.update_booked_orders and self.erp_master:
            raise ValueError("update_booked_orders and erp_master exclude each other: the ERP is master, or the "
                             "shop's changes are written")
        return self

    def ledger_for(self, country: str | None) -> Ledger:
        """The ledger of an order shipped to ``country``: its own entries over the default."""
        own = self.ledger_by_country.get(country or "")
        return own.over(self.ledger) if own else self.ledger

    @property
    def discounts_as(self) -> DiscountBooking:
        if self.discount_booking is not None:
            return self.discount_booking
        return DiscountBooking.ARTICLE if self.discount_item else DiscountBooking.LINE
