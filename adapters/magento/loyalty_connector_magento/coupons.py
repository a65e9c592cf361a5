"""Coupons of managed cart price rules (``/V1/coupons``): read, look up by code, create, move, delete.

``POST /V1/coupons`` with ``type: 1`` on a rule with ``use_auto_generation`` creates our own
deterministic codes (``CouponRepository::save`` refuses other types on such rules: "Specified rule only
allows auto generated coupons"), ``POST /V1/coupons/generate`` makes random ones. ``CouponRepository``
overwrites a coupon's ``usage_limit``/``usage_per_customer`` with the rule's ``uses_per_coupon``/
``uses_per_customer``, so a coupon asking for other limits is refused here: each distinct limit needs
its own rule. A coupon on a rule loyalty-connector does not manage is never changed or deleted.

Lookups by code are batched: one ``GET /V1/coupons/search`` with ``code in (c1,c2,...)`` answers up
to :data:`CODES_PER_SEARCH` codes, so applying a thousand coupons costs ten searches instead of a
thousand, and only the missing codes are posted. What the lookups relied on:

- ``GET /V1/coupons/search`` is ``CouponRepositoryInterface::getList(SearchCriteria)``
  (``/work/shared/specs/magento/admin-rest-openapi-2.4.8-excerpt.json``), whose filters go through
  the collection processor into ``Pdo\\Mysql::prepareSqlCondition``;
- for ``in`` "the value can contain a comma-separated list of values" (Adobe Commerce Web API,
  "Search using REST endpoints": developer.adobe.com/commerce/webapi/rest/use-rest/performing-searches/),
  which 2.4's ``prepareSqlCondition`` splits with ``explode(',', $value)``, unescaped: a code that
  itself holds a comma (or is empty) is looked up alone with ``eq`` instead;
- MySQL's default collation compares case-insensitively, so the answer may hold ``ref-anna`` for
  ``REF-ANNA``: only an exact match counts as the coupon, as with the single-code lookup.
"""

from __future__ import annotations

__all__ = ["CODES_PER_SEARCH", "CouponLookup", "CouponWriter", "coupon_code"]

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from loyalty_connector.adapter import Change, ChangeResult, ManagedObject
from loyalty_connector.errors import ConfigurationError, ConflictError

from .client import Filter, MagentoClient

CODES_PER_SEARCH = 100
"""Codes asked for in one ``code in (...)`` search."""

_QUERY_BUDGET = 2000
"""Characters of URL-encoded codes per search, so the request line stays far below server limits."""

_SEARCH = "/V1/coupons/search"

CouponLookup = dict[str, dict[str, Any] | None]
"""The shop's coupon by exact code, or None where the shop has none; kept current by the writes."""


def coupon_code(change: Change) -> str:
    """The code a coupon change is about: its fields, else what it was before, else its key."""
    return str(change.fields.get("code") or (change.before or {}).get("code") or change.key)


def _batches(codes: Iterable[str]) -> Iterator[list[str]]:
    batch: list[str] = []
    size = 0
    for code in codes:
        cost = len(quote(code, safe="")) + 3  # the code and its encoded separating comma
        if batch and (len(batch) >= CODES_PER_SEARCH or size + cost > _QUERY_BUDGET):
            yield batch
            batch, size = [], 0
        batch.append(code)
        size += cost
    if batch:
        yield batch


class CouponWriter:
    """Reads and writes the coupons of managed cart rules."""

    def __init__(self, client: MagentoClient) -> None:
        self.client = client

    def read(self, rules: Mapping[str, Mapping[str, Any]]) -> list[ManagedObject]:
        """Every coupon of the managed ``rules`` (by key), as managed objects keyed by code."""
        objects: list[ManagedObject] = []
        for key, rule in rules.items():
            rows = self.client.scan(
                _SEARCH, [[Filter("rule_id", str(int(rule["rule_id"])))]], id_field="coupon_id"
            )
            for coupon in rows:
                fields = {
                    "code": coupon.get("code"),
                    "rule_key": key,
                    "usage_limit": coupon.get("usage_limit"),
                    "usage_per_customer": coupon.get("usage_per_customer"),
                    "times_used": coupon.get("times_used", 0),
                    "expiration_date": coupon.get("expiration_date"),
                    "is_primary": bool(coupon.get("is_primary")),
                }
                objects.append(
                    ManagedObject("coupon", str(coupon.get("code")), fields, shop_id=str(coupon["coupon_id"]))
                )
        return objects

    def look_up(self, codes: Sequence[str], known: CouponLookup) -> None:
        """Add every code of ``codes`` not yet in ``known``: its coupon, or None when the shop has none."""
        wanted = [code for code in dict.fromkeys(codes) if code not in known]
        alone = [code for code in wanted if not code or "," in code]
        for batch in _batches(code for code in wanted if code and "," not in code):
            found = self.client.scan(
                _SEARCH,
                [[Filter("code", ",".join(batch), "in")]],
                id_field="coupon_id",
                page_size=len(batch) + 1,
            )
            exact: dict[str, dict[str, Any]] = {}
            for row in found:
                exact.setdefault(str(row.get("code")), row)
            known.update((code, exact.get(code)) for code in batch)
        for code in alone:
            rows = self.client.search(_SEARCH, [[Filter("code", code)]], page_size=10).items
            known[code] = next((row for row in rows if str(row.get("code")) == code), None)

    def write(
        self, change: Change, rules: Mapping[str, Mapping[str, Any]], known: CouponLookup
    ) -> ChangeResult:
        """Create, move or delete one coupon; ``known`` must hold its code (see :meth:`look_up`)."""
        code = coupon_code(change)
        if code not in known:
            self.look_up([code], known)
        existing = known[code]
        owner = next(
            (k for k, r in rules.items() if existing and r["rule_id"] == existing.get("rule_id")), None
        )
        if existing is not None and owner is None:
            raise ConflictError(
                f"coupon {code} belongs to cart rule {existing.get('rule_id')}, which loyalty-connector does "
                "not manage; left untouched"
            )
        if change.action == "delete":
            if existing is None:
                return ChangeResult(change, True, shop_id=None)
            self.client.delete(f"/V1/coupons/{existing['coupon_id']}")
            known[code] = None
            return ChangeResult(change, True, shop_id=str(existing["coupon_id"]))
        rule = self._rule_for(change, code, rules)
        coupon: dict[str, Any] = {"rule_id": rule["rule_id"], "code": code, "type": 1, "is_primary": False}
        if change.fields.get("expiration_date"):
            coupon["expiration_date"] = change.fields["expiration_date"]
        if existing is None:
            saved = self.client.post("/V1/coupons", {"coupon": {**coupon, "times_used": 0}})
        elif existing.get("rule_id") != rule["rule_id"]:
            # only a move to another rule is an update: Magento re-derives a coupon's expiry and usage
            # limits from its rule on save, so comparing them would rewrite the coupon on every apply
            merged = {**existing, **coupon, "coupon_id": existing["coupon_id"]}
            saved = self.client.put(f"/V1/coupons/{existing['coupon_id']}", {"coupon": merged})
        else:
            saved = existing
        known[code] = saved
        return ChangeResult(change, True, shop_id=str(saved["coupon_id"]))

    @staticmethod
    def _rule_for(change: Change, code: str, rules: Mapping[str, Mapping[str, Any]]) -> Mapping[str, Any]:
        """The managed rule the coupon goes on, checked to be able to hold it with its limits."""
        rule_key = str(change.fields.get("rule_key") or "")
        rule = rules.get(rule_key)
        if rule is None:
            raise ConfigurationError(f"coupon {code}: no managed cart rule with key {rule_key!r}")
        if not rule.get("use_auto_generation"):
            raise ConfigurationError(
                f"coupon {code}: cart rule {rule_key!r} must have coupon_type SPECIFIC_COUPON and "
                "use_auto_generation true to hold codes created through the API"
            )
        for ours, theirs in (("usage_limit", "uses_per_coupon"), ("usage_per_customer", "uses_per_customer")):
            wanted = change.fields.get(ours)
            if wanted is not None and int(wanted) != int(rule.get(theirs) or 0):
                raise ConfigurationError(
                    f"coupon {code}: {ours}={wanted} differs from rule {rule_key!r}'s {theirs}="
                    f"{rule.get(theirs) or 0}; Magento copies the rule's limits onto every coupon, so each "
                    "distinct limit needs its own rule"
                )
        return rule

    def generate(
        self, rule: Mapping[str, Any], quantity: int, *, length: int = 12, prefix: str = ""
    ) -> list[str]:
        """Random codes on an auto-generation rule (``POST /V1/coupons/generate``)."""
        spec: dict[str, Any] = {
            "rule_id": rule["rule_id"],
            "quantity": quantity,
            "length": length,
            "format": "alphanum",
        }
        if prefix:
            spec["prefix"] = prefix
        codes = self.client.post("/V1/coupons/generate", {"couponSpec": spec})
        return [str(code) for code in codes or []]
