"""The promotion code actions of the Admin API (``PromotionController``).

``GET /api/_action/promotion/codes/generate-fixed`` (one random code), ``GET .../generate-individual
?codePattern=&amount=`` (a JSON array of new codes, nothing stored), ``GET .../preview?codePattern=``,
``PATCH .../replace-individual`` ``{promotionId, codePattern, amount}`` (drops the promotion's
individual codes, stores ``amount`` new ones and the pattern; 204) and ``POST .../add-individual``
``{promotionId, amount}`` (adds codes with the stored pattern; 204).
"""

from __future__ import annotations

__all__ = ["PromotionCodes"]

import random
from typing import Any

from .clock import format_ms
from .errors import ApiError, not_found_resource
from .marketing import generate_codes
from .schema import blank_record
from .store import ShopStore

_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _too_simple() -> ApiError:
    return ApiError.single(
        400,
        "PROMOTION__INDIVIDUAL_CODES_PATTERN_INSUFFICIENTLY_COMPLEX",
        "The amount of possible codes is too low for the current pattern. "
        "Make sure your pattern is sufficiently complex.",
    )


def _missing(name: str) -> ApiError:
    return ApiError.single(
        400, "CHECKOUT__PROMOTION_MISSING_REQUEST_PARAMETER", f'Parameter "{name}" is missing.'
    )


def _amount(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


class PromotionCodes:
    """Code generation against one store; ``rng`` makes generated codes reproducible."""

    def __init__(self, store: ShopStore, rng: random.Random) -> None:
        self.store = store
        self.rng = rng

    def _existing(self) -> set[str]:
        return {str(row["code"]) for row in self.store.tables["promotion_individual_code"].rows.values()}

    def fixed(self) -> str:
        return "".join(self.rng.choice(_ALNUM) for _ in range(8))

    def preview(self, pattern: str | None) -> str:
        if not pattern:
            raise _missing("codePattern")
        try:
            return generate_codes(pattern, 1, self.rng)[0]
        except ValueError as error:
            raise _too_simple() from error

    def generate(self, pattern: str | None, amount: Any) -> list[str]:
        if not pattern:
            raise _missing("codePattern")
        try:
            return generate_codes(pattern, _amount(amount), self.rng, self._existing())
        except ValueError as error:
            raise _too_simple() from error

    def replace(self, body: dict[str, Any]) -> None:
        promotion = self._promotion(body)
        pattern = body.get("codePattern")
        if not pattern:
            raise _missing("codePattern")
        codes = self.store.children("promotion_individual_code", "promotionId", promotion["id"])
        kept = self._existing() - {str(code["code"]) for code in codes}
        try:
            new = generate_codes(str(pattern), _amount(body.get("amount")), self.rng, kept)
        except ValueError as error:
            raise _too_simple() from error
        now = format_ms(self.store.clock.tick())
        for code in list(codes):
            self.store.remove("promotion_individual_code", code["id"])
        self.store.update(
            "promotion",
            promotion["id"],
            {
                "individualCodePattern": pattern,
                "useIndividualCodes": True,
                "useCodes": True,
                "updatedAt": now,
            },
        )
        self._store_codes(promotion["id"], new, now)

    def add(self, body: dict[str, Any]) -> None:
        promotion = self._promotion(body)
        pattern = promotion.get("individualCodePattern")
        if not pattern:
            raise _too_simple()
        try:
            new = generate_codes(str(pattern), _amount(body.get("amount")), self.rng, self._existing())
        except ValueError as error:
            raise _too_simple() from error
        self._store_codes(promotion["id"], new, format_ms(self.store.clock.tick()))

    def _promotion(self, body: dict[str, Any]) -> dict[str, Any]:
        promotion_id = body.get("promotionId")
        if not promotion_id:
            raise _missing("promotionId")
        promotion = self.store.get("promotion", str(promotion_id))
        if promotion is None:
            raise not_found_resource("promotion", str(promotion_id))
        return promotion

    def _store_codes(self, promotion_id: str, codes: list[str], now: str) -> None:
        for code in codes:
            record_id = f"{self.rng.getrandbits(128):032x}"
            self.store.insert(
                "promotion_individual_code",
                blank_record(
                    "promotion_individual_code", record_id, createdAt=now, promotionId=promotion_id, code=code
                ),
            )
