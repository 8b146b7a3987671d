"""What an Exact Online connection is configured with. The codec's part goes to it as
:class:`~.codec.Settings` (:meth:`ExactOnlineOptions.settings`); the rest is read by the bound
resources from these options, never from the client."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from tradewind.connectors.base import ConnectionOptions, SecretRef
from tradewind.connectors.exact_online import codec
from tradewind.rules.settings import BookingRules


class ExactOnlineOptions(ConnectionOptions):
    """How to reach one Exact Online division and how to book webshop orders in it."""

    base_url: str = Field("https://start.exactonline.nl", description="Exact Online host of the country the "
                          "division lives in", examples=["https://start.exactonline.nl", "https://start.exactonline.be"],
                          pattern=r"^https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)"
                                  r"(:[0-9]{1,5})?(/[^\s?#]*)?$")
    division: int = Field(ge=1, le=999_999_999, description="Exact Online division number (Settings → Company)",
                          examples=[123456])
    client_id: str = Field(description="Client ID of the app registration in the Exact App Center",
                           examples=["f3a1c6d2-4b7e-4c1a-9d2e-0a1b2c3d4e5f"])
    client_secret: SecretRef = Field(description="Client secret of the app registration", examples=["${EXACT_SECRET}"])
    refresh_token: SecretRef = Field(description="Initial refresh token from authorising the app; rotated tokens are "
                                     "kept in the token store under exact_online:<division>",
                                     examples=["${EXACT_REFRESH_TOKEN}"])
    calls_per_minute: int = Field(60, description="API calls allowed per minute for the division (sources differ: "
                                  "60 or 100); the X-RateLimit headers correct it", examples=[60], ge=1, le=1_000_000)
    calls_per_day: int = Field(5000, description="API calls allowed per day for the app and division (5,000 or "
                               "9,000 by source)", examples=[5000], ge=1, le=100_000_000)
    reference_minutes: float = Field(60, description="How long this process keeps the division's reference "
                                     "tables (VAT codes, GL accounts, projects, shipping methods, exchange rates, "
                                     "payment conditions, the warehouse's ID) between runs; a booking failing "
                                     "for a code they lack, or refused by Exact, drops them so the next run "
                                     "reads them again; 0 reads them every run", examples=[60], ge=0, le=1440)
    group_field: str | None = Field("FreeTextField_01", description="Item field holding the model code that groups "
                                    "items (sizes, colours) into one webshop product; items with it empty stand "
                                    "alone; empty to never group", examples=["FreeTextField_01"])
    shipping_item: str | None = Field(None, description="Item code booked for an order's shipping costs",
                                      examples=["SHIP"])
    discount_item: str | None = Field(None, description="Item code booked (negative) for order-level discounts",
                                      examples=["DISC"])
    payment_condition: str | None = Field(None, description="Payment condition code for new sales orders",
                                          examples=["IB"])
    warehouse: str | None = Field(None, description="Warehouse for new sales orders: its code (looked up once) or "
                                  "its ID; empty for the division's default", examples=["1"])
    stock_warehouses: list[str] | dict[str, str] = Field(
        default_factory=list, examples=[["1"], {"1": "MAIN", "2": "MAIN", "3": "STORE"}],
        description="The warehouses whose stock is read: a list of codes (each keeps its code as the location; "
                    "empty for all), or a mapping warehouse code → location code, where warehouses mapped to one "
                    "location are summed (docs/order-life.md)")
    stock_sum_into: str | None = Field(
        default=None, examples=["MAIN"],
        description="Sum the stock of every warehouse read (stock_warehouses as a list) into this one location; "
                    "per-warehouse figures are kept in the store, so an incremental read keeps the sum right")
    tracking_urls: dict[str, str] = Field(
        default_factory=dict, examples=[{"POSTNL": "https://jouw.postnl.nl/track-and-trace/{number}-NL"}],
        description="Tracking page per shipping method code, {number} standing for the tracking number: "
                    "shipments (goods deliveries) carry it to the shop; without one the shop builds the link "
                    "itself for carriers it knows")
    stock_quantity: Literal["available", "on_hand"] = Field(
        default="available", examples=["available"],
        description="The figure the shop shows: available = CurrentStock − ReservedStock (the default), or "
                    "on_hand = CurrentStock")
    vat_rates: bool = Field(False, description="Give products and prices their items' sales VAT rate (from the "
                            "item's SalesVatCode and vat/VATCodes), so a shop whose prices include VAT can convert "
                            "net prices. Costs one VAT-code read per run; prices also read their items' codes: one "
                            "call per 40 items of a page, or one per 1,000 items for a large read", examples=[True])
    prices_include_vat: bool = Field(False, description="Whether the division's sales prices include VAT",
                                     examples=[False])
    vat_codes: dict[str, str] = Field(default_factory=dict, description="Exact VAT code per rate in percent for "
                                      "order lines; empty to let Exact use each item's own code",
                                      examples=[{"21": "2", "9": "1", "0": "0"}])
    option_fields: dict[str, str] = Field(
        default_factory=lambda: {"colour": "FreeTextField_02", "size": "FreeTextField_03"},
        description="Variant options of a grouped product and the Item fields holding them (option name → field)",
        examples=[{"colour": "FreeTextField_02", "size": "FreeTextField_03"}])
    currency: str = Field("EUR", description="Currency of the items' standard sales prices (the division's)",
                          examples=["EUR"])
    language: str | None = Field(None, description="Language code for new accounts when the customer has none",
                                 examples=["NL"])
    booking: BookingRules | None = Field(
        default=None, examples=[{"time_zone": "Europe/Amsterdam", "rounding_item": "RND",
                                 "vat_codes": [{"code": "0", "rate": 0}, {"code": "5", "rate": 0,
                                                                          "kind": "reverse_charge"}]}],
        description="Book webshop orders by the booking rules (docs/booking-rules.md): VAT codes by rate and "
                    "country from vat/VATCodes and these overrides, OSS, reverse charge, discount and rounding "
                    "lines, the business date in time_zone (required here: Exact cannot read the shop's zone); "
                    "the document (booking_type: sales order, sales invoice, direct invoice or sales entry in "
                    "journal), GL account/cost centre/cost unit/project per country, changed orders, currency "
                    "rates, shipping and payment value maps, the payment-method map (payments: paid at once, "
                    "registered in a bank journal, or a term; docs/refunds-and-invoices.md), the article (for a "
                    "sales entry the GL account) of refunds' order-level adjustments (adjustment_item; unset: such "
                    "refunds are held). shipping_item and discount_item default to the connection's. Empty: "
                    "lines as the shop gives them, with vat_codes above")
    timeout: float = Field(
        default=30.0, gt=0, le=600, examples=[30],
        description="Seconds to wait for an answer before the call counts as failed (a read is retried; a write "
                    "whose answer did not come is looked up before anything is sent again)")

    @model_validator(mode="after")
    def _booking_has_a_zone(self) -> ExactOnlineOptions:
        if self.booking is not None and self.booking.time_zone is None:
            raise ValueError("booking.time_zone is required: the shop's time zone dates the orders "
                             "(e.g. Europe/Amsterdam), and the Exact connection cannot read it from the shop")
        return self

    @model_validator(mode="after")
    def _exact_rounds_half_up(self) -> ExactOnlineOptions:
        if self.booking is not None and self.booking.rounding.value != "half_up":
            raise ValueError("booking.rounding: Exact Online rounds each line's amount and VAT half up, so a booking "
                             "composed half_even would not have the totals Exact shows (5 × 1.4370 = 7.185: Exact "
                             "books 7.19); leave rounding at half_up")
        return self

    @model_validator(mode="after")
    def _one_placing(self) -> ExactOnlineOptions:
        if self.stock_sum_into is not None and isinstance(self.stock_warehouses, dict):
            raise ValueError("stock_sum_into takes stock_warehouses as a list of codes; a mapping already names "
                             "each warehouse's location (map them all to one location to sum them)")
        return self

    def booking_rules(self) -> BookingRules | None:
        """The ``booking`` block with the connection's shipping and discount items where it names none."""
        if self.booking is None:
            return None
        fill = {name: getattr(self, name) for name in ("shipping_item", "discount_item")
                if getattr(self.booking, name) is None and getattr(self, name) is not None}
        return self.booking.model_copy(update=fill) if fill else self.booking

    def settings(self) -> codec.Settings:
        return codec.Settings(shipping_item=self.shipping_item, discount_item=self.discount_item,
                              payment_condition=self.payment_condition, vat_codes=dict(self.vat_codes),
                              prices_include_vat=self.prices_include_vat, language=self.language,
                              option_fields=dict(self.option_fields), currency=self.currency,
                              booking=self.booking_rules())
