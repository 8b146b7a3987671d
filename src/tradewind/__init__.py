"""tradewind keeps webshops, B2B portals and ERP/accounting systems in sync."""

__version__ = "0.1.0"
