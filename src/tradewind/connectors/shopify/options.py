"""What a Shopify connection is configured with: the options a user writes, and the settings the
bound resources take from them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pydantic import Field, field_validator

from tradewind.connectors.base import ConnectionOptions, SecretRef


class ShopifyOptions(ConnectionOptions):
    """How to reach one Shopify shop and how to file what tradewind writes there."""

    shop: str = Field(description="The shop's myshopify.com domain", examples=["demo.myshopify.com"])
    base_url: str | None = Field(
        default=None, description="Override of https://{shop} (a sandbox or a proxy); leave empty for Shopify",
        examples=["http://127.0.0.1:8001"],
        pattern=r"^https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)(:[0-9]{1,5})?(/[^\s?#]*)?$",
    )
    api_version: str = Field(default="2026-07", description="Admin API version (YYYY-MM)", examples=["2026-07"],
                             pattern=r"^([0-9]{4}-[0-9]{2}|unstable)$")
    token: SecretRef = Field(
        description="Admin API access token of the app installed on the shop (sent as X-Shopify-Access-Token)",
        examples=["${SHOPIFY_TOKEN}"],
    )
    webhook_secret: SecretRef | None = Field(
        default=None,
        description="The app's client secret Shopify signs webhooks with (X-Shopify-Hmac-Sha256), checked by "
                    "POST /hooks/{connection}; empty reads TRADEWIND_WEBHOOK_SECRET_<CONNECTION> from the "
                    "environment",
        examples=["${SHOPIFY_WEBHOOK_SECRET}"],
    )
    locations: dict[str, str] = Field(
        default_factory=dict,
        description="Source warehouse/location code → Shopify location name or GID; empty puts every code on "
                    "the shop's first active location",
        examples=[{"MAIN": "Amsterdam warehouse", "STORE": "gid://shopify/Location/2"}],
    )
    default_currency: str = Field(
        default="EUR", description="The shop's currency (Shopify's variant prices carry none)", examples=["EUR"],
    )
    publish: bool = Field(
        default=True,
        description="New products go live (status ACTIVE); false creates them as DRAFT for the merchant to "
                    "review, and tradewind then never activates a product by itself",
        examples=[True],
    )
    vendor: str | None = Field(
        default=None, description="Vendor for products whose source names none", examples=["Acme"],
    )
    taxes_included: bool | None = Field(
        default=None,
        description="Whether the shop's prices include tax (Settings → Taxes and duties); empty reads the shop's "
                    "taxesIncluded setting once per connection",
        examples=[True],
    )
    timeout: float = Field(
        default=30.0, gt=0, le=600, examples=[30],
        description="Seconds to wait for an answer before the call counts as failed (a read is retried; a write "
                    "whose answer did not come is looked up before anything is sent again)")

    @field_validator("shop")
    @classmethod
    def _host(cls, value: str) -> str:
        host = value.strip().lower().removeprefix("https://").removeprefix("http://").strip("/")
        if not host or "/" in host:
            raise ValueError(f"{value!r} is not a shop domain such as demo.myshopify.com")
        return host

    def settings(self) -> ShopSettings:
        return ShopSettings(currency=self.default_currency.upper(), taxes_included=self.taxes_included,
                            publish=self.publish, vendor=self.vendor, locations=dict(self.locations))


@dataclass(frozen=True)
class ShopSettings:
    """The options a bound resource hands its codec and its writes, explicitly (never through the
    client or keys inside records)."""

    currency: str = "EUR"
    taxes_included: bool | None = None
    """As configured; None reads the shop's own setting once per connection."""
    publish: bool = True
    vendor: str | None = None
    locations: Mapping[str, str] = field(default_factory=dict)
    """Source location code → Shopify location name or GID."""

