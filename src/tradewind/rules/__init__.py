"""Layer 3: commerce rules as pure functions over model types (tax, order composition).

Nothing here does I/O or knows a vendor: connectors call these rules so every ERP books an
order's VAT, discounts and shipping the same way.
"""

from tradewind.rules.orders import ComposedLine, check_totals, compose_lines
from tradewind.rules.tax import gross_from_net, net_from_gross, rate_of, vat_of_net

__all__ = ["ComposedLine", "check_totals", "compose_lines", "gross_from_net", "net_from_gross", "rate_of",
           "vat_of_net"]
