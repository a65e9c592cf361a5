"""A local Shopware 6 (6.5-6.7) shop for tests, the demo and benchmarks: the Admin API over real HTTP.

::

    from loyalty_connector_shopware.sandbox import ShopwareSandbox

    with ShopwareSandbox(seed=7, customers=300, orders=3000, version="6.6") as shop:
        shop.base_url, shop.credentials, shop.describe()

The shop is seeded deterministically (a B2B office-supplies wholesaler, ~3 years of history ending
2026-10-31) and answers with records shaped exactly like a real Shopware 6.5 serializes them.

Routes (all under ``/api``; each needs ``Authorization: Bearer`` except the token route):

- ``POST /oauth/token``: ``client_credentials`` (integration ``SWIA...`` key + secret), ``password``
  (``client_id: administration``) and rotating ``refresh_token`` grants.
- ``POST /search/{entity}`` and ``POST /search-ids/{entity}``: Criteria (filters, sorts, associations,
  includes, ids, limit/page, total-count-mode; see :mod:`.criteria`), plain JSON for
  ``Accept: application/json``, JSON:API otherwise. ``GET /{entity}`` lists with query parameters.
- ``GET|PATCH|DELETE /{entity}/{id}`` and ``POST /{entity}`` (writes answer 204, create with
  ``Location``).
- ``POST /_action/sync``: bulk upsert/delete in one transaction (see :mod:`.sync`).
- ``GET /_action/promotion/codes/generate-fixed|generate-individual|preview``,
  ``PATCH /_action/promotion/codes/replace-individual``, ``POST /_action/promotion/codes/add-individual``.
- ``GET /_info/version``.

Searchable: every entity of :data:`.schema.ENTITIES` (customer, customer-group, order and its children,
order-transaction with captures and refunds, rule, rule-condition, product, product-price, promotion
and its discounts, set groups, sales channels and individual codes, state-machine-state, currency,
sales-channel, ...). Writable: customer, customer-group, rule (+conditions), product-price, promotion
(+discounts, set groups, sales channels, individual codes, persona rules), promotion-individual-code.

Version differences: 6.5 has no ``shopware.api.max_limit`` (no ``limit`` returns every match); 6.6
and 6.7 refuse a ``limit`` above 500 with ``FRAMEWORK__QUERY_LIMIT_EXCEEDED`` and use 500 as the page
size when no ``limit`` is given. Record shapes are the same for all three. As in Shopware since 6.4,
``total`` counts only the returned page unless the criteria asks for ``total-count-mode`` 1 or 2.

Test helpers on :class:`ShopwareSandbox`: ``now()`` (the sandbox clock: just after the newest seeded
record, one second per mutation), ``touch()``, ``add_customer()``, ``add_order()``,
``set_transaction_state()`` (changes a payment, records refunds, leaves ``order.updatedAt`` alone),
``expire_tokens()``, ``throttle_auth()``, ``entities`` (the live state), ``describe()``; and from the
server kit ``faults``, ``hooks`` and ``requests``.
"""

from __future__ import annotations

from .server import VERSIONS, ShopwareSandbox

__all__ = ["VERSIONS", "ShopwareSandbox"]
