"""Layer 3: commerce rules as pure functions over model types (tax, order composition, bookings, customers).

Nothing here does I/O or knows a vendor: connectors call these rules so every ERP books an
order's VAT, discounts and shipping the same way.
"""

from tradewind.rules.booking import Booking, compose_booking
from tradewind.rules.orders import ComposedLine, business_date, check_totals, compose_lines
from tradewind.rules.settings import BookingRules, VatKind, VatMethod
from tradewind.rules.tax import OrderHeld, VatCodeMap, gross_from_net, net_from_gross, rate_of, vat_of_net

__all__ = ["Booking", "BookingRules", "ComposedLine", "OrderHeld", "VatCodeMap", "VatKind", "VatMethod",
           "business_date", "check_totals", "compose_booking", "compose_lines", "gross_from_net", "net_from_gross",
           "rate_of", "vat_of_net"]
