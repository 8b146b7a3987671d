"""Shopify answers a version past its support as the oldest supported one and names the version
it served in ``X-Shopify-API-Version`` (https://shopify.dev/docs/api/usage/versioning): when that
is not the version asked for, a warning is logged once per process."""

from __future__ import annotations

import threading

import structlog

log = structlog.get_logger("tradewind.shopify")

VERSION_HEADER = "X-Shopify-API-Version"
_warned: set[tuple[str, str]] = set()
_warned_lock = threading.Lock()


def asked_version(endpoint: str) -> str:
    """The version in an Admin API endpoint (``…/admin/api/2026-07/graphql.json``)."""
    parts = endpoint.rstrip("/").split("/")
    return parts[-2] if len(parts) >= 2 else ""


def warn_if_served_otherwise(endpoint: str, served: str) -> bool:
    """Log once per endpoint and served version that Shopify answered in another version than
    asked (the asked one is past its support, or was never released). True when it logged."""
    asked = asked_version(endpoint)
    if served == asked:
        return False
    with _warned_lock:
        if (endpoint, served) in _warned:
            return False
        _warned.add((endpoint, served))
    log.warning("shopify_api_version_served", asked=asked, served=served,
                hint=f"Shopify no longer serves {asked}: set api_version to a supported version "
                     "(https://shopify.dev/docs/api/usage/versioning)")
    return True
