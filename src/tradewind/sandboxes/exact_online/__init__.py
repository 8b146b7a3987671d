"""Exact Online REST API sandbox: OAuth2 with rotating refresh tokens, per-division rate limits,
OData v2 verbose JSON over standard, ``bulk/`` and ``sync/`` endpoints, mandatory filtering.

It follows Exact's REST reference (https://start.exactonline.nl/docs/HlpRestAPIResources.aspx and its
``HlpRestAPIResourcesDetails.aspx?name=…`` pages), its 2021 API rules, and the public clients that
encode what the reference leaves out (picqer/exact-php-client, ossobv/exactonline, the .NET SDK);
``/work/shared/reference/vendor-apis.md`` §2 names the commits. One module per job, each citing its
sources:

* ``schema.py`` — entity sets, fields, value conversion;
* ``store.py`` — tables, indexes, clock, rate-limit windows, filtered reads;
* ``writes.py`` / ``orders.py`` — POST/PUT/DELETE and seeding; sales orders;
* ``views.py`` — URLs, the mandatory-filter rule (:data:`~.views.MANDATORY_FILTER`), paging, rendering;
* ``odata.py`` — ``$filter``/``$orderby``/``$skiptoken`` parsing;
* ``auth.py`` — the token endpoint and bearer checks; ``sandbox.py`` — the division with its seed
  document and helpers; ``app.py`` — :func:`create_app` and the routes.
"""

from tradewind.sandboxes.exact_online.app import create_app
from tradewind.sandboxes.exact_online.sandbox import ExactOnlineSandbox
from tradewind.sandboxes.exact_online.schema import (
    ACCOUNTS,
    CONTACTS,
    ENTITIES,
    ITEMS,
    LINES,
    ORDERS,
    PRICES,
    STOCK,
    VAT_CODES,
    VATCODES,
    Entity,
    ExactError,
    envelope,
)
from tradewind.sandboxes.exact_online.views import MANDATORY_FILTER, VIEWS, MandatoryFilter

__all__ = ["ACCOUNTS", "CONTACTS", "ENTITIES", "ITEMS", "LINES", "MANDATORY_FILTER", "ORDERS", "PRICES", "STOCK",
           "VATCODES", "VAT_CODES", "VIEWS", "Entity", "ExactError", "ExactOnlineSandbox", "MandatoryFilter",
           "create_app", "envelope"]
