"""Cart price rules and coupons (``/V1/salesRules``, ``/V1/coupons``) with Magento's rules.

- Rules are stored as :mod:`.sales_rules` normalises them. ``PUT`` merges into the stored
  rule (``ToModel`` loads the rule and adds the sent data); ``DELETE`` also deletes its coupons.
- ``POST /V1/coupons`` (``CouponRepository::save``): the rule must allow coupons; a rule with
  ``use_auto_generation`` only takes ``type: 1`` coupons (an omitted type is 0, manual) and a rule
  without it only manual ones; ``usage_limit``/``usage_per_customer``/``expiration_date`` are
  copied from the rule; a duplicate code (case-insensitive) is ``"%1 already exists."``.
- ``POST /V1/coupons/generate`` answers the JSON array of the new codes.
"""

from __future__ import annotations

__all__ = ["COUPON_COLUMNS", "Promotions"]

import random
from collections.abc import Callable
from typing import Any

from .errors import WebapiError, already_exists, no_such_entity
from .sales_rules import as_bool, normalise_rule, with_defaults

COUPON_COLUMNS = frozenset(
    {
        "coupon_id",
        "rule_id",
        "code",
        "usage_limit",
        "usage_per_customer",
        "times_used",
        "expiration_date",
        "is_primary",
        "created_at",
        "type",
    }
)
_CHARSETS = {
    "alphanum": "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    "alpha": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "num": "0123456789",
}


class Promotions:
    """The rule and coupon stores and their write semantics; ids come from ``next_ids``."""

    def __init__(
        self,
        rules: dict[int, dict[str, Any]],
        coupons: dict[int, dict[str, Any]],
        next_ids: dict[str, int],
        rng: random.Random,
        stamp: Callable[[], str],
    ) -> None:
        self.rules = rules
        self.coupons = coupons
        self._next = next_ids
        self._rng = rng
        self._stamp = stamp

    def _new_id(self, kind: str) -> int:
        value = self._next[kind]
        self._next[kind] = value + 1
        return value

    def rule(self, rule_id: int) -> dict[str, Any]:
        if rule_id not in self.rules:
            raise no_such_entity()
        return self.rules[rule_id]

    def create_rule(self, data: dict[str, Any]) -> dict[str, Any]:
        self._stamp()
        rule_id = self._new_id("rule")
        rule = normalise_rule(with_defaults(dict(data, rule_id=rule_id)))
        self.rules[rule_id] = rule
        return rule

    def update_rule(self, rule_id: int, data: dict[str, Any]) -> dict[str, Any]:
        current = self.rule(rule_id)
        self._stamp()
        merged = dict(current)
        merged.update({key: value for key, value in data.items() if value is not None})
        merged["rule_id"] = rule_id
        rule = normalise_rule(merged)
        self.rules[rule_id] = rule
        return rule

    def delete_rule(self, rule_id: int) -> None:
        self.rule(rule_id)
        self._stamp()
        del self.rules[rule_id]
        for coupon_id in [cid for cid, c in self.coupons.items() if c["rule_id"] == rule_id]:
            del self.coupons[coupon_id]

    def _code_taken(self, code: str) -> bool:
        folded = code.casefold()
        return any(c["code"].casefold() == folded for c in self.coupons.values())

    def create_coupon(self, data: dict[str, Any]) -> dict[str, Any]:
        rule_id = data.get("rule_id")
        kind = int(data.get("type") or 0)
        rule = (
            self.rules.get(int(rule_id))
            if isinstance(rule_id, (int, str)) and str(rule_id).isdigit()
            else None
        )
        reason = None
        if rule is None:
            reason = f"No such entity with rule_id = {rule_id}"
        elif rule["coupon_type"] == "NO_COUPON":
            reason = "Specified rule does not allow coupons"
        elif rule["use_auto_generation"] and kind == 0:
            reason = "Specified rule only allows auto generated coupons"
        elif not rule["use_auto_generation"] and kind == 1:
            reason = "Specified rule does not allow auto generated coupons"
        if reason is not None or rule is None:
            raise WebapiError.of(400, "Error occurred when saving coupon: %1", [reason])
        code = str(data.get("code") or "")
        if self._code_taken(code):
            raise already_exists("Coupon with the same code")
        return self._store_coupon(
            rule, code, kind, as_bool(data.get("is_primary", False)), int(data.get("times_used") or 0)
        )

    def _store_coupon(
        self, rule: dict[str, Any], code: str, kind: int, primary: bool, used: int
    ) -> dict[str, Any]:
        coupon: dict[str, Any] = {
            "coupon_id": self._new_id("coupon"),
            "rule_id": rule["rule_id"],
            "code": code,
            "usage_limit": rule.get("uses_per_coupon", 0),
            "usage_per_customer": rule.get("uses_per_customer", 0),
            "times_used": used,
        }
        if rule.get("to_date"):
            coupon["expiration_date"] = rule["to_date"]
        coupon.update({"is_primary": primary, "created_at": self._stamp(), "type": kind})
        self.coupons[coupon["coupon_id"]] = coupon
        return coupon

    def generate(self, spec: dict[str, Any]) -> list[str]:
        rule_id = spec.get("rule_id")
        rule = (
            self.rules.get(int(rule_id))
            if isinstance(rule_id, (int, str)) and str(rule_id).isdigit()
            else None
        )
        reason = None
        if rule is None:
            reason = f"No such entity with rule_id = {rule_id}"
        elif not rule["use_auto_generation"] and rule["coupon_type"] != "AUTO":
            reason = "Specified rule does not allow automatic coupon generation"
        quantity, length = int(spec.get("quantity") or 0), int(spec.get("length") or 0)
        if reason is None and (quantity < 1 or length < 1):
            reason = "Invalid data provided"
        if reason is not None or rule is None:
            raise WebapiError.of(400, "Error occurred when generating coupons: %1", [reason])
        charset = _CHARSETS.get(str(spec.get("format") or "alphanum"), _CHARSETS["alphanum"])
        every = int(spec.get("delimiter_at_every") or 0)
        delimiter = str(spec.get("delimiter") or "-")
        codes: list[str] = []
        while len(codes) < quantity:
            body = "".join(self._rng.choice(charset) for _ in range(length))
            if every:
                body = delimiter.join(body[i : i + every] for i in range(0, len(body), every))
            code = f"{spec.get('prefix') or ''}{body}{spec.get('suffix') or ''}"
            if self._code_taken(code):
                continue
            self._store_coupon(rule, code, 1, False, 0)
            codes.append(code)
        return codes

    def coupon(self, coupon_id: int) -> dict[str, Any]:
        if coupon_id not in self.coupons:
            raise no_such_entity()
        return self.coupons[coupon_id]

    def delete_coupon(self, coupon_id: int) -> None:
        self.coupon(coupon_id)
        self._stamp()
        del self.coupons[coupon_id]
