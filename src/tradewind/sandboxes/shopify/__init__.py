"""Shopify Admin GraphQL API sandbox: a local emulator that follows Shopify's documentation
(https://shopify.dev/docs/api/admin-graphql/2026-07 and the usage pages each module cites).

It runs real GraphQL (graphql-core) against ``schema.graphql``, a hand-written subset of Shopify's
2026-07 Admin schema that a test proves identical, name for name and type for type, to the
published SDL; resolvers read an in-memory store seeded from snake_case REST-shaped records.
Shopify allows the same SKU on several variants, so the sandbox does too.

The parts, each citing the Shopify pages it follows:

* :mod:`.app` — the HTTP route, token check and ``X-Shopify-API-Version``;
* :mod:`.versions` — the version lifecycle (which version a request is served as);
* :mod:`.execute` — one request from body to answer; :mod:`.cost` — calculated query cost and
  the leaky bucket;
* :mod:`.queries` — the query root and searchable connections (:mod:`.search` parses Shopify's
  search syntax; :mod:`.paging` pages Relay connections); :mod:`.views` — records as GraphQL objects;
* :mod:`.mutations` — the mutation root and customers; :mod:`.products`, :mod:`.inventory`
  (``inventorySetQuantities`` with compare-and-swap and ``@idempotent``), with :mod:`.writes` and
  :mod:`.options` shared between them;
* :mod:`.sandbox` — one shop's state, seeding and dumping (the seed document is described there);
  :mod:`.store` — records and indexes; :mod:`.orders` — orders completed from a seed;
* :mod:`.webhooks` — subscriptions (``webhookSubscriptionCreate``) and signed deliveries with retries.

``from tradewind.sandboxes import shopify; shopify.create_app(...)`` is the way in.
"""

from tradewind.sandboxes.shopify.app import create_app
from tradewind.sandboxes.shopify.common import SUBSET_SDL
from tradewind.sandboxes.shopify.sandbox import ShopifySandbox
from tradewind.sandboxes.shopify.store import Store

__all__ = ["SUBSET_SDL", "ShopifySandbox", "Store", "create_app"]
