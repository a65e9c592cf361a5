"""The programme file: loading, exact decimals, clear errors with line and field, fuzzing."""

from __future__ import annotations

import contextlib
import json
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loyalty_connector.errors import ConfigurationError, ProgramValidationError
from loyalty_connector.program import Program, load_program, parse_program, program_json_schema

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "loyalty.yaml"
MINIMAL = "name: Test\ncurrency: EUR\n"


def _issues(text: str, fmt: str = "yaml") -> list[tuple[int | None, str, str]]:
    with pytest.raises(ProgramValidationError) as caught:
        parse_program(text, file="p.yaml", fmt=fmt)  # type: ignore[arg-type]
    return [(i.line, i.path, i.message) for i in caught.value.issues]


def test_example_programme_is_valid_and_complete() -> None:
    program = load_program(EXAMPLE)
    assert program.currency == "EUR"
    assert len(program.rule_ids()) == len(set(program.rule_ids())) == 12
    assert program.tier_prices[0].breaks[1].percent_off == Decimal(5)


def test_numbers_are_read_as_exact_decimals_never_floats() -> None:
    program = parse_program(MINIMAL + "exchange_rates: {USD: 0.1}\n")
    assert program.exchange_rates["USD"] == Decimal("0.1")
    assert str(program.exchange_rates["USD"]) == "0.1"


def test_yaml_1_1_booleans_are_plain_strings() -> None:
    text = MINIMAL + "levels:\n  levels:\n    - {id: no, name: NO, customer_group: on}\n"
    level = parse_program(text).levels.levels[0]  # type: ignore[union-attr]
    assert (level.id, level.name, level.customer_group) == ("no", "NO", "on")


def test_every_problem_is_listed_with_line_and_dotted_path() -> None:
    text = (
        "name: x\n"
        "currency: EUO\n"
        "tier_prices:\n"
        "  - id: paper\n"
        "    skus: [A]\n"
        "    breaks:\n"
        "      - {min_qty: 5}\n"
        "    colour: red\n"
    )
    issues = _issues(text)
    assert (2, "currency", "unknown currency code 'EUO'; expected an ISO 4217 code such as EUR") in issues
    assert (7, "tier_prices.0.breaks.0", "give exactly one of unit_price or percent_off") in issues
    assert any(
        line == 8 and path == "tier_prices.0.colour" and "unknown field" in msg for line, path, msg in issues
    )


def test_missing_required_field_is_named() -> None:
    assert _issues("currency: EUR\n") == [(1, "name", "required field is missing")]


def test_bad_yaml_names_the_line() -> None:
    [(line, path, message)] = _issues("name: x\ncurrency: [EUR\n")
    assert path == "<root>"
    assert line is not None
    assert message.startswith("not valid YAML")


def test_json_programmes_are_accepted_and_checked() -> None:
    assert parse_program(json.dumps({"name": "x", "currency": "JPY"}), fmt="json").currency == "JPY"
    [(line, _, message)] = _issues('{"name": "x",\n "currency": }', fmt="json")
    assert line == 2
    assert "not valid JSON" in message


def test_secrets_must_be_environment_variable_names() -> None:
    text = MINIMAL + (
        "sources:\n  shop:\n    adapter: magento\n    base_url: https://shop.example\n"
        "    credentials: {access_token: 'sk_live_123abc'}\n"
    )
    [(_, path, message)] = _issues(text)
    assert path == "sources.shop.credentials.access_token"
    assert "pattern" in message
    assert "sk_live_123abc" not in message


def test_missing_credentials_name_the_variable_not_the_value() -> None:
    text = MINIMAL + (
        "sources:\n  shop:\n    adapter: magento\n    base_url: https://shop.example/\n"
        "    credentials: {access_token: SHOP_TOKEN, other: OTHER}\n"
    )
    source = parse_program(text).sources["shop"]
    assert source.base_url == "https://shop.example"
    with pytest.raises(ConfigurationError, match="SHOP_TOKEN"):
        source.resolve_credentials({"OTHER": "x"})
    assert source.resolve_credentials({"SHOP_TOKEN": "t", "OTHER": "o"}) == {
        "access_token": "t",
        "other": "o",
    }


def test_rule_ids_must_be_unique_across_sections() -> None:
    text = MINIMAL + (
        "tier_prices:\n  - {id: same, skus: [A], breaks: [{min_qty: 1, percent_off: 1}]}\n"
        "coupons:\n  next_purchase:\n    - {id: same, discount: {percent: 5}, valid_days: 3}\n"
    )
    [(_, path, message)] = _issues(text)
    assert path == "<root>"
    assert "'same' is used twice" in message


def test_levels_must_be_listed_lowest_first() -> None:
    text = MINIMAL + (
        "levels:\n  levels:\n"
        "    - {id: gold, name: Gold, customer_group: G, min_spend: 1000}\n"
        "    - {id: silver, name: Silver, customer_group: S, min_spend: 100}\n"
    )
    [(_, path, message)] = _issues(text)
    assert path == "levels"
    assert "lowest first" in message


def test_unknown_time_zone_is_named() -> None:
    [(_, path, message)] = _issues(MINIMAL + "timezone: Europe/Hamburg\n")
    assert path == "timezone"
    assert "Europe/Hamburg" in message


def test_convert_without_rates_is_refused() -> None:
    [(_, _, message)] = _issues(MINIMAL + "foreign_currency: convert\n")
    assert "exchange_rates" in message


def test_missing_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_program(tmp_path / "nope.yaml")


def test_json_schema_describes_every_section() -> None:
    schema = program_json_schema()
    assert schema["title"] == "loyalty-connector programme"
    for section in ("sources", "levels", "tier_prices", "free_products", "referrals", "points", "coupons"):
        assert section in schema["properties"]
    json.dumps(schema)


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.text(max_size=12),
    st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-1000, max_value=1000).map(str),
)
_KEYS = st.sampled_from(
    [
        "name",
        "currency",
        "timezone",
        "levels",
        "tier_prices",
        "points",
        "coupons",
        "referrals",
        "free_products",
        "sources",
        "id",
        "breaks",
        "min_qty",
        "percent_off",
        "earn",
        "rate",
        "thresholds",
        "threshold",
        "gift_sku",
        "customer_groups",
        "discount",
        "percent",
        "amount",
        "valid_days",
        "bogus",
    ]
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_KEYS, _VALUES, max_size=6))
def test_fuzzed_programmes_fail_only_with_a_clean_validation_error(data: dict[str, object]) -> None:
    text = yaml.safe_dump(data, allow_unicode=True)
    error: ProgramValidationError | None = None
    try:
        program = parse_program(text, file="fuzz.yaml")
    except ProgramValidationError as exc:
        error = exc
    if error is None:
        assert isinstance(program, Program)
        return
    assert error.issues
    assert all(issue.path and issue.message and "Traceback" not in issue.message for issue in error.issues)
    assert str(error).startswith("fuzz.yaml is not a valid loyalty programme")


@settings(max_examples=200)
@given(st.text(max_size=200))
def test_arbitrary_text_never_escapes_as_anything_but_a_validation_error(text: str) -> None:
    with contextlib.suppress(ProgramValidationError):
        parse_program(text, file="junk.yaml")
