"""The operator's programme file (``loyalty.yaml``): schema, loading, validation, JSON Schema export.

The programme declares where the shops are (``sources``) and what the loyalty rules are (levels, tier
prices, free-product thresholds, referrals, points, coupons). It is validated as a whole: a bad file
fails with *every* problem, each with the file, the line, the dotted path to the field and what was
expected — never a traceback. Secrets never live in the file: ``credentials`` name environment variables.

Numbers in YAML are read as ``Decimal`` (``0.05`` stays exactly 0.05), never through ``float``.
"""

from __future__ import annotations

__all__ = [
    "BirthdayCoupon",
    "Coupons",
    "Discount",
    "EarnRule",
    "FreeProductThreshold",
    "FreeProducts",
    "Level",
    "Levels",
    "Lifecycle",
    "NextPurchaseCoupon",
    "Points",
    "PointsBonus",
    "Program",
    "Referrals",
    "ReferrerReward",
    "SourceConfig",
    "TierBreak",
    "TierPriceRule",
    "load_program",
    "parse_program",
    "program_json_schema",
]

import json
import os
import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .domain import OrderStatus, minor_unit
from .errors import ConfigurationError, ProgramIssue, ProgramValidationError

RuleId = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$",
        description="Stable id of the rule: lower-case letters, digits, '-' and '_'. It is part of every "
        "ledger idempotency key, so never reuse an id for a different rule.",
    ),
]
EnvVarName = Annotated[
    str,
    Field(
        pattern=r"^[A-Z_][A-Z0-9_]*$",
        description="Name of an environment variable holding the secret (never the secret itself).",
    ),
]
PositiveDecimal = Annotated[Decimal, Field(gt=0)]
NonNegativeDecimal = Annotated[Decimal, Field(ge=0)]
Percent = Annotated[Decimal, Field(gt=0, le=100, description="Percent, e.g. 5 for 5 %.")]
Groups = Annotated[
    list[str] | Literal["all"],
    Field(description="Shop customer-group codes the rule applies to, or 'all'."),
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceConfig(_Model):
    """One shop to sync with. ``credentials`` maps each credential to the *name* of an env variable."""

    adapter: str = Field(description="Adapter name as registered, e.g. 'magento' or 'shopware'.")
    base_url: str = Field(description="The shop's base URL, e.g. https://shop.example.com")
    settings: dict[str, Any] = Field(
        default_factory=dict, description="Adapter settings (store_code, auth, page_size, ...); no secrets."
    )
    credentials: dict[str, EnvVarName] = Field(
        default_factory=dict,
        description="Credential name -> environment variable name, e.g. client_secret: SHOPWARE_SECRET.",
    )
    enabled: bool = True

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("expected an http:// or https:// URL")
        return value.rstrip("/")

    def resolve_credentials(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """Read each credential from its environment variable; name every missing one in the error."""
        env = os.environ if environ is None else environ
        missing = sorted(name for name in self.credentials.values() if not env.get(name))
        if missing:
            raise ConfigurationError(
                f"missing credentials for the {self.adapter} source: set the environment variable(s) "
                + ", ".join(missing)
            )
        return {key: env[name] for key, name in self.credentials.items()}


class Discount(_Model):
    """A discount: either ``percent`` off or a fixed ``amount`` in the programme currency."""

    percent: Percent | None = None
    amount: PositiveDecimal | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Discount:
        if (self.percent is None) == (self.amount is None):
            raise ValueError("give exactly one of percent or amount")
        return self

    def describe(self, currency: str) -> str:
        return f"{self.percent} %" if self.percent is not None else f"{self.amount} {currency}"


class TierBreak(_Model):
    """A quantity break: from ``min_qty`` units on, a fixed ``unit_price`` or ``percent_off``."""

    min_qty: PositiveDecimal
    unit_price: NonNegativeDecimal | None = None
    percent_off: Percent | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> TierBreak:
        if (self.unit_price is None) == (self.percent_off is None):
            raise ValueError("give exactly one of unit_price or percent_off")
        return self


class TierPriceRule(_Model):
    """Quantity breaks for some SKUs or categories, for some customer groups. The best break wins."""

    id: RuleId
    description: str | None = None
    skus: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    customer_groups: Groups = "all"
    breaks: list[TierBreak] = Field(min_length=1)

    @model_validator(mode="after")
    def _targets(self) -> TierPriceRule:
        if not self.skus and not self.categories:
            raise ValueError("give at least one of skus or categories")
        qtys = [b.min_qty for b in self.breaks]
        if len(set(qtys)) != len(qtys):
            raise ValueError("breaks must have distinct min_qty")
        return self


class FreeProductThreshold(_Model):
    """Add ``gift_qty`` x ``gift_sku`` at zero price when the qualifying subtotal reaches ``threshold``."""

    id: RuleId
    description: str | None = None
    threshold: PositiveDecimal
    gift_sku: str
    gift_qty: int = Field(default=1, ge=1)
    customer_groups: Groups = "all"
    valid_from: date | None = Field(default=None, description="First day (programme timezone), inclusive.")
    valid_until: date | None = Field(default=None, description="Last day (programme timezone), inclusive.")
    once_per_customer: bool = False

    @model_validator(mode="after")
    def _window(self) -> FreeProductThreshold:
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValueError("valid_until is before valid_from")
        return self


class FreeProducts(_Model):
    """Free-product thresholds. ``highest`` gives only the best reached gift; ``stacked`` gives all."""

    mode: Literal["highest", "stacked"] = "highest"
    base: Literal["before_discounts", "after_discounts"] = Field(
        default="after_discounts",
        description="Subtotal before or after discounts; tax, shipping and gifts never count.",
    )
    thresholds: list[FreeProductThreshold] = Field(min_length=1)


B2BCheck = Literal["vat_id", "company", "email_domain"]
_ALL_B2B_CHECKS: tuple[B2BCheck, ...] = ("vat_id", "company", "email_domain")


class ReferrerReward(_Model):
    """What the referrer earns once the referee's first order qualifies: points or a coupon amount."""

    points: int | None = Field(default=None, gt=0)
    coupon_amount: PositiveDecimal | None = None
    coupon_valid_days: int = Field(default=90, gt=0)

    @model_validator(mode="after")
    def _exactly_one(self) -> ReferrerReward:
        if (self.points is None) == (self.coupon_amount is None):
            raise ValueError("give exactly one of points or coupon_amount")
        return self


class Referrals(_Model):
    """Refer-a-business: the referee's first order is discounted; the referrer earns once it qualifies."""

    id: RuleId = "referral"
    referee_discount: Discount
    referrer_reward: ReferrerReward
    qualifying_status: OrderStatus = OrderStatus.COMPLETE
    min_subtotal: NonNegativeDecimal = Decimal(0)
    cap_per_referrer: int | None = Field(
        default=None, gt=0, description="Most rewards per referrer per period."
    )
    cap_period_days: int = Field(default=365, gt=0)
    code_prefix: str = Field(default="REF-", pattern=r"^[A-Z0-9-]{0,8}$")
    code_length: int = Field(default=10, ge=8, le=24)
    code_secret_env: EnvVarName = Field(
        default="LOYALTY_REFERRAL_SECRET",
        description="Environment variable with the secret that makes referral codes unguessable.",
    )
    b2b_checks: list[B2BCheck] = Field(
        default_factory=lambda: list(_ALL_B2B_CHECKS),
        description="B2B self-referral checks: same VAT id, same company name, same company email domain.",
    )
    free_email_domains: list[str] = Field(
        default_factory=lambda: ["gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "yahoo.com",
                                 "gmx.de", "web.de", "icloud.com", "proton.me"],
        description="Mail providers whose domain says nothing about the company (skipped by email_domain).",
    )  # fmt: skip


class EarnRule(_Model):
    """Points per currency unit spent, on a qualifying status, after an optional holding period."""

    id: RuleId
    description: str | None = None
    rate: PositiveDecimal = Field(description="Points per unit of the programme currency.")
    base: Literal["subtotal_after_discounts", "subtotal_before_discounts"] = "subtotal_after_discounts"
    rounding: Literal["floor", "round", "ceil"] = "floor"
    exclude_customer_groups: list[str] = Field(default_factory=list)
    exclude_skus: list[str] = Field(default_factory=list)
    qualifying_status: OrderStatus = OrderStatus.COMPLETE
    pending_days: int = Field(default=0, ge=0, description="Points become available this many days after.")
    reversal: Literal["proportional", "all_or_nothing"] = "proportional"


class PointsBonus(_Model):
    """A fixed bonus, e.g. for the first order. Reversed all-or-nothing by default."""

    id: RuleId
    description: str | None = None
    points: int = Field(gt=0)
    trigger: Literal["first_order", "every_order"] = "first_order"
    min_subtotal: NonNegativeDecimal = Decimal(0)
    qualifying_status: OrderStatus = OrderStatus.COMPLETE
    reversal: Literal["proportional", "all_or_nothing"] = "all_or_nothing"


class Points(_Model):
    """Reward points: how they are earned, when they expire, what they are worth."""

    earn: list[EarnRule] = Field(default_factory=list)
    bonuses: list[PointsBonus] = Field(default_factory=list)
    expiry_days: int | None = Field(default=365, gt=0, description="FIFO expiry after N days; null: never.")
    points_per_currency_unit: PositiveDecimal = Field(
        default=Decimal(100), description="Redemption rate: this many points are worth 1 unit of currency."
    )


class Level(_Model):
    """A loyalty level. A customer holds the highest level whose every set criterion they meet."""

    id: RuleId
    name: str
    customer_group: str = Field(description="Shop customer-group code members of this level are put in.")
    min_spend: NonNegativeDecimal = Decimal(0)
    min_orders: int = Field(default=0, ge=0)
    min_membership_days: int = Field(default=0, ge=0)
    points_multiplier: PositiveDecimal = Decimal(1)


class Levels(_Model):
    """Levels by spend and/or order count over a rolling window; upgrade at once, downgrade after grace."""

    window_days: int = Field(default=365, gt=0)
    grace_days: int = Field(default=30, ge=0)
    qualifying_status: OrderStatus = OrderStatus.COMPLETE
    levels: list[Level] = Field(min_length=1, description="Lowest first.")

    @model_validator(mode="after")
    def _ordered(self) -> Levels:
        for lower, higher in zip(self.levels, self.levels[1:], strict=False):
            if (higher.min_spend, higher.min_orders, higher.min_membership_days) < (
                lower.min_spend,
                lower.min_orders,
                lower.min_membership_days,
            ):
                raise ValueError(f"levels must be listed lowest first: {higher.id} comes after {lower.id}")
        groups = [level.customer_group for level in self.levels]
        if len(set(groups)) != len(groups):
            raise ValueError("each level needs its own customer_group")
        return self


class NextPurchaseCoupon(_Model):
    """A single-use discount for the next order, issued after a qualifying order."""

    id: RuleId
    discount: Discount
    valid_days: int = Field(gt=0)
    min_subtotal: NonNegativeDecimal = Decimal(0)
    qualifying_status: OrderStatus = OrderStatus.COMPLETE


class BirthdayCoupon(_Model):
    """Once a year, a coupon valid from ``days_before`` to ``days_after`` the birthday (29 Feb -> 28 Feb)."""

    id: RuleId
    discount: Discount
    days_before: int = Field(default=7, ge=0)
    days_after: int = Field(default=7, ge=0)
    min_days_since_birthday_set: int = Field(
        default=30, ge=0, description="No coupon when the birthday was entered fewer days before it."
    )
    customer_groups: Groups = "all"


class Coupons(_Model):
    """Time-limited coupons: next-purchase and birthday."""

    next_purchase: list[NextPurchaseCoupon] = Field(default_factory=list)
    birthday: BirthdayCoupon | None = None


class Lifecycle(_Model):
    """Order counts that move a customer along the lifecycle: first purchase, repeat, committed, loyal."""

    repeat_orders: int = Field(default=2, ge=2, description="Repeat from this many orders ever.")
    committed_orders: int = Field(default=4, ge=2, description="Committed: this many orders in the window.")
    loyal_orders: int = Field(default=8, ge=2, description="Loyal: this many orders in the window ...")
    loyal_min_days: int = Field(default=365, ge=0, description="... and a first order this many days ago.")
    window_days: int = Field(default=365, gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> Lifecycle:
        if not self.repeat_orders <= self.committed_orders <= self.loyal_orders:
            raise ValueError("expected repeat_orders <= committed_orders <= loyal_orders")
        return self


class Reports(_Model):
    """Definitions behind the KPIs of ``loyalty-connector report`` (see docs/reports.md)."""

    active_days: int | None = Field(
        default=365,
        gt=0,
        description="A customer is 'at the start' of a period when they bought within this many days before "
        "it; null counts everyone who ever bought.",
    )
    relationship_years: PositiveDecimal | None = Field(
        default=None, description="Expected relationship length for CLV; null estimates it as 1 / churn."
    )
    lifecycle: Lifecycle = Field(default_factory=Lifecycle)


class Program(_Model):
    """The whole loyalty programme, as declared in ``loyalty.yaml``."""

    version: Literal[1] = 1
    name: str
    currency: str = Field(description="ISO 4217 code all rewards are computed in, e.g. EUR.")
    timezone: str = Field(default="UTC", description="IANA zone for day boundaries, e.g. Europe/Berlin.")
    exchange_rates: dict[str, PositiveDecimal] = Field(
        default_factory=dict, description="1 unit of the key currency = this many programme-currency units."
    )
    foreign_currency: Literal["convert", "exclude"] = Field(
        default="exclude",
        description="Orders in another currency: convert with exchange_rates, or leave out of rewards.",
    )
    sources: dict[str, SourceConfig] = Field(default_factory=dict)
    levels: Levels | None = None
    tier_prices: list[TierPriceRule] = Field(default_factory=list)
    free_products: FreeProducts | None = None
    referrals: Referrals | None = None
    points: Points | None = None
    coupons: Coupons | None = None
    reports: Reports = Field(default_factory=Reports)

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        minor_unit(value)
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}; expected an IANA name such as Europe/Berlin"
            ) from None
        return value

    @field_validator("exchange_rates")
    @classmethod
    def _rates(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        for code in value:
            minor_unit(code)
        return value

    @model_validator(mode="after")
    def _unique_rule_ids(self) -> Program:
        seen: set[str] = set()
        for rule_id in self.rule_ids():
            if rule_id in seen:
                raise ValueError(f"rule id {rule_id!r} is used twice; every rule needs its own id")
            seen.add(rule_id)
        if self.foreign_currency == "convert" and not self.exchange_rates:
            raise ValueError("foreign_currency is 'convert' but no exchange_rates are given")
        return self

    def rule_ids(self) -> list[str]:
        """Every rule id in the programme, in file order."""
        ids = [rule.id for rule in self.tier_prices]
        if self.free_products:
            ids += [t.id for t in self.free_products.thresholds]
        if self.referrals:
            ids.append(self.referrals.id)
        if self.points:
            ids += [r.id for r in self.points.earn] + [b.id for b in self.points.bonuses]
        if self.levels:
            ids += [level.id for level in self.levels.levels]
        if self.coupons:
            ids += [c.id for c in self.coupons.next_purchase]
            if self.coupons.birthday:
                ids.append(self.coupons.birthday.id)
        return ids

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class _DecimalLoader(yaml.SafeLoader):
    """Safe YAML loader that reads floats as Decimal so money never passes through float."""


def _decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Decimal:
    text = str(loader.construct_scalar(node)).replace("_", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise yaml.constructor.ConstructorError(
            None, None, f"{text!r} is not a finite number", node.start_mark
        )
    return value


_DecimalLoader.add_constructor("tag:yaml.org,2002:float", _decimal)
# YAML 1.2 booleans: only true/false. YAML 1.1 also reads on/off/yes/no/y/n as booleans, which turns
# a key like `on:` or a country code `NO` into True/False behind the operator's back.
_DecimalLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_DecimalLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _line_index(text: str) -> dict[tuple[str, ...], int]:
    """Map each path in the document to its 1-based line, for error messages."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    index: dict[tuple[str, ...], int] = {}

    def walk(node: yaml.Node, path: tuple[str, ...]) -> None:
        index[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                child = (*path, str(key.value))
                index[child] = key.start_mark.line + 1
                walk(value, child)
                index[child] = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*path, str(i)))

    if root is not None:
        walk(root, ())
    return index


def _issues(error: ValidationError, lines: dict[tuple[str, ...], int]) -> list[ProgramIssue]:
    issues = []
    for err in error.errors(include_url=False):
        loc = tuple(str(part) for part in err["loc"])
        # pydantic adds the union member or validator name to the location; keep only document keys
        path = tuple(p for p in loc if not p.startswith(("function-", "literal[", "list[")) and p != "str")
        line = None
        for depth in range(len(path), -1, -1):
            if path[:depth] in lines:
                line = lines[path[:depth]]
                break
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown field (check the spelling; see `loyalty-connector rules schema`)"
        elif err["type"] == "missing":
            message = "required field is missing"
        issues.append(ProgramIssue(path=".".join(path) or "<root>", message=message, line=line))
    return issues


def parse_program(text: str, *, file: str | None = None, fmt: Literal["yaml", "json"] = "yaml") -> Program:
    """Parse and validate programme text; raise :class:`ProgramValidationError` listing every problem."""
    try:
        if fmt == "json":
            data = json.loads(text, parse_float=Decimal)
        else:
            data = yaml.load(text, Loader=_DecimalLoader)  # noqa: S506 - a SafeLoader subclass
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        line = None
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            line = mark.line + 1
        elif isinstance(exc, json.JSONDecodeError):
            line = exc.lineno
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ProgramValidationError(
            [ProgramIssue("<root>", f"not valid {fmt.upper()}: {problem}", line)], file
        ) from None
    if not isinstance(data, dict):
        raise ProgramValidationError(
            [ProgramIssue("<root>", "expected a mapping of programme settings", 1)], file
        )
    try:
        return Program.model_validate(data)
    except ValidationError as exc:
        raise ProgramValidationError(_issues(exc, _line_index(text)), file) from None


def load_program(path: str | os.PathLike[str]) -> Program:
    """Load ``loyalty.yaml`` (or ``.json``) from ``path``; errors name the file, line and field."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigurationError(f"programme file {file} does not exist; pass --config FILE") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"cannot read programme file {file}: {exc}") from None
    fmt: Literal["yaml", "json"] = "json" if file.suffix.lower() == ".json" else "yaml"
    return parse_program(text, file=str(file), fmt=fmt)


def program_json_schema() -> dict[str, Any]:
    """The JSON Schema of the programme file, for editors (``loyalty-connector rules schema``)."""
    schema = Program.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "loyalty-connector programme"
    return schema
