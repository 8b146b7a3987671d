"""Exact Online connector (REST API, one division per connection); importing it registers it."""

from tradewind.connectors.exact_online.connector import ExactOnline, ExactOnlineOptions

__all__ = ["ExactOnline", "ExactOnlineOptions"]
