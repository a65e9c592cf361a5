"""NPS: classification, the score, one voice per respondent, and CSV import with line-numbered errors."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from loyalty_connector.nps import NpsAnswer, classify, latest_answers, nps, parse_nps_csv

UTC = timezone.utc
IMPORTED = datetime(2025, 6, 1, 8, tzinfo=UTC)


def answer(email: str, score: int, day: int = 1) -> NpsAnswer:
    return NpsAnswer(email, score, datetime(2025, 5, day, tzinfo=UTC))


def test_seventy_promoters_ten_passives_twenty_detractors_give_nps_50() -> None:
    answers = [answer(f"p{n}@x.example", 9 + n % 2) for n in range(70)]
    answers += [answer(f"n{n}@x.example", 7 + n % 2) for n in range(10)]
    answers += [answer(f"d{n}@x.example", n % 7) for n in range(20)]
    result = nps(answers, customer_emails=set())
    assert (result.promoters, result.passives, result.detractors) == (70, 10, 20)
    assert result.score == Decimal(50)
    assert result.share("promoter") == Decimal("0.7")
    assert result.share("detractor") == Decimal("0.2")


SCALE = [
    (10, "promoter"),
    (9, "promoter"),
    (8, "passive"),
    (7, "passive"),
    (6, "detractor"),
    (0, "detractor"),
]


@pytest.mark.parametrize(("score", "kind"), SCALE)
def test_scores_are_classified_on_the_0_to_10_scale(score: int, kind: str) -> None:
    assert classify(score) == kind


def test_answers_from_unknown_emails_count_and_are_reported_as_unmatched() -> None:
    result = nps([answer("known@x.example", 10), answer("stranger@x.example", 0)], {"known@x.example"})
    assert (result.answers, result.matched, result.unmatched) == (2, 1, 1)
    assert result.score == Decimal(0)


def test_no_answers_is_no_data() -> None:
    result = nps([], set())
    assert result.score is None
    assert result.share("promoter") is None


def test_a_respondent_counts_once_with_their_latest_answer_in_the_window() -> None:
    answers = [answer("a@x.example", 3, 1), answer("a@x.example", 10, 5), answer("b@x.example", 9, 20)]
    latest = latest_answers(answers, until=datetime(2025, 5, 10, tzinfo=UTC))
    assert {e: a.score for e, a in latest.items()} == {"a@x.example": 10}
    assert nps(latest, set()).score == Decimal(100)


def test_csv_with_header_reads_scores_dates_and_reports_bad_rows_by_line() -> None:
    text = (
        "Email,Score,answered_at,comment\n"
        "Anna@Firma.example ,10,2025-03-31,great\n"
        "\n"
        "bob@firma.example,7,2025-03-31T14:05:00,\n"
        "carl@firma.example,11,,\n"
        "not-an-email,5,,\n"
        'dora@firma.example,"8",2025-04-01T10:00:00+00:00,"multi\nline"\n'
        "eve@firma.example,9.5,,\n"
        "fred@firma.example,4,yesterday,\n"
        "gina@firma.example,6\n"
    )
    parsed = parse_nps_csv(text, timezone_name="Europe/Berlin", imported_at=IMPORTED)
    assert [(a.email, a.score) for a in parsed.answers] == [
        ("anna@firma.example", 10),
        ("bob@firma.example", 7),
        ("dora@firma.example", 8),
        ("gina@firma.example", 6),
    ]
    assert parsed.answers[0].answered_at == datetime(2025, 3, 30, 22, tzinfo=UTC)  # midnight in Berlin
    assert parsed.answers[1].answered_at == datetime(2025, 3, 31, 12, 5, tzinfo=UTC)
    assert parsed.answers[3].answered_at == IMPORTED
    assert not parsed.answers[3].dated
    assert parsed.answers[0].dated
    assert [(e.line, e.message.split(" ")[0]) for e in parsed.errors] == [
        (5, "score"),
        (6, "email"),
        (9, "score"),
        (10, "answered_at"),
    ]
    assert "0 to 10" in parsed.errors[0].message
    assert str(parsed.errors[1]).startswith("line 6: email 'not-an-email'")
    assert parsed.rows == 8


def test_csv_without_the_required_columns_is_one_error_on_the_header_line() -> None:
    parsed = parse_nps_csv("mail,rating\na@x.example,9\n", imported_at=IMPORTED)
    assert parsed.answers == ()
    assert len(parsed.errors) == 1
    assert parsed.errors[0].line == 1
    assert "email and score" in parsed.errors[0].message
    assert parse_nps_csv("", imported_at=IMPORTED).errors[0].line == 1


def test_csv_with_semicolons_and_a_byte_order_mark_is_read() -> None:
    parsed = parse_nps_csv("\ufeffemail;score\na@x.example;9\n", imported_at=IMPORTED)
    assert [(a.email, a.score) for a in parsed.answers] == [("a@x.example", 9)]
    assert parsed.errors == ()


def test_an_answer_outside_the_scale_cannot_be_built() -> None:
    with pytest.raises(ValueError, match="0 to 10"):
        NpsAnswer("a@x.example", 11, IMPORTED)
