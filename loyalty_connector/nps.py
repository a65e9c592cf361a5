"""Net Promoter Score: survey answers read from CSV, and the score computed from them.

A CSV file has a header row with the columns ``email`` and ``score`` and optionally
``answered_at`` (column order free, names case-insensitive, other columns ignored). Scores are whole
numbers from 0 to 10: promoters answer 9–10, passives 7–8, detractors 0–6, and
NPS = % promoters − % detractors (70 % / 10 % / 20 % -> 50). A row that cannot be read is reported
with its line number and why — never skipped silently.

``answered_at`` is an ISO date or timestamp; a date or a timestamp without an offset is read in the
programme's time zone. Without it the answer is dated when it is imported.
"""

from __future__ import annotations

__all__ = [
    "NpsAnswer",
    "NpsParse",
    "NpsResult",
    "NpsRowError",
    "classify",
    "latest_answers",
    "nps",
    "parse_nps_csv",
]

import csv
import io
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from .domain import normalize_email

_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
_REQUIRED = ("email", "score")


@dataclass(frozen=True, slots=True)
class NpsAnswer:
    """One survey answer: who (normalized email), the 0–10 score, and when."""

    email: str
    score: int
    answered_at: datetime
    """Timezone-aware UTC; the import instant when the file did not say."""
    dated: bool = True
    """False when the file gave no ``answered_at`` and the answer is dated at its import."""

    def __post_init__(self) -> None:
        if not 0 <= self.score <= 10:
            raise ValueError(f"an NPS score is 0 to 10, not {self.score}")
        if self.answered_at.tzinfo is None:
            raise ValueError("answered_at must be timezone-aware")


def classify(score: int) -> Literal["promoter", "passive", "detractor"]:
    """Promoters answer 9–10, passives 7–8, detractors 0–6."""
    if score >= 9:
        return "promoter"
    if score >= 7:
        return "passive"
    return "detractor"


@dataclass(frozen=True)
class NpsResult:
    """The NPS of a set of answers (one per respondent), and how many matched a customer."""

    answers: int
    promoters: int
    passives: int
    detractors: int
    matched: int
    """Answers whose email belongs to a registered customer."""
    unmatched: int
    """Answers whose email matches no customer: they still count toward the score."""

    @property
    def score(self) -> Decimal | None:
        """% promoters − % detractors, from −100 to 100, to one decimal place; ``None`` without answers."""
        if not self.answers:
            return None
        value = Decimal(self.promoters - self.detractors) * 100 / self.answers
        return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    def share(self, kind: Literal["promoter", "passive", "detractor"]) -> Decimal | None:
        """The fraction of answers of one kind (``Decimal('0.7')`` for 70 %); ``None`` without answers."""
        if not self.answers:
            return None
        count = {"promoter": self.promoters, "passive": self.passives, "detractor": self.detractors}[kind]
        return Decimal(count) / self.answers


def latest_answers(
    answers: Iterable[NpsAnswer], *, since: datetime | None = None, until: datetime | None = None
) -> dict[str, NpsAnswer]:
    """Each respondent's latest answer in ``[since, until)``: one voice per email, however often asked."""
    latest: dict[str, NpsAnswer] = {}
    for answer in answers:
        if (since is not None and answer.answered_at < since) or (
            until is not None and answer.answered_at >= until
        ):
            continue
        known = latest.get(answer.email)
        if known is None or (answer.answered_at, answer.score) > (known.answered_at, known.score):
            latest[answer.email] = answer
    return latest


def nps(
    answers: Mapping[str, NpsAnswer] | Iterable[NpsAnswer], customer_emails: Collection[str]
) -> NpsResult:
    """The NPS of ``answers`` (use :func:`latest_answers` for one per respondent).

    ``customer_emails`` (normalized) tells which answers came from registered customers; the others
    count toward the score all the same and are reported as unmatched.
    """
    items = list(answers.values()) if isinstance(answers, Mapping) else list(answers)
    kinds = [classify(a.score) for a in items]
    matched = sum(1 for a in items if a.email in customer_emails)
    return NpsResult(
        answers=len(items),
        promoters=kinds.count("promoter"),
        passives=kinds.count("passive"),
        detractors=kinds.count("detractor"),
        matched=matched,
        unmatched=len(items) - matched,
    )


# -- CSV -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NpsRowError:
    """A line of the file that could not be read, and why."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class NpsParse:
    """What a CSV file held: the answers read and the rows that could not be read."""

    answers: tuple[NpsAnswer, ...]
    errors: tuple[NpsRowError, ...]
    rows: int
    """Data rows seen (blank lines not counted)."""


def _instant(text: str, zone: ZoneInfo, imported_at: datetime) -> datetime:
    text = text.strip()
    if not text:
        return imported_at
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        if len(text) == 10:
            moment = datetime.combine(date.fromisoformat(text), time(0), tzinfo=zone)
        else:
            moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"answered_at {text!r} is not an ISO date or timestamp "
            "(e.g. 2025-03-31 or 2025-03-31T14:05:00+02:00)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(timezone.utc)


def _score(text: str) -> int:
    value = text.strip()
    if not re.fullmatch(r"\d{1,2}", value) or int(value) > 10:
        raise ValueError(f"score {text.strip()!r} is not a whole number from 0 to 10")
    return int(value)


def _row(row: list[str], columns: Mapping[str, int], zone: ZoneInfo, imported_at: datetime) -> NpsAnswer:
    def cell(name: str) -> str:
        index = columns.get(name)
        return row[index] if index is not None and index < len(row) else ""

    email = normalize_email(cell("email"))
    if not email:
        raise ValueError("email is empty")
    if not _EMAIL.match(email):
        raise ValueError(f"email {cell('email').strip()!r} is not an email address")
    when = cell("answered_at")
    return NpsAnswer(
        email, _score(cell("score")), _instant(when, zone, imported_at), dated=bool(when.strip())
    )


def parse_nps_csv(text: str, *, timezone_name: str = "UTC", imported_at: datetime) -> NpsParse:
    """Read survey answers from CSV ``text``; bad rows become :class:`NpsRowError` with their line numbers.

    A missing or incomplete header is one error on line 1 and no answers. Delimiters ``,`` and ``;``
    are recognised (spreadsheets in many European locales write ``;``).
    """
    if imported_at.tzinfo is None:
        raise ValueError("imported_at must be timezone-aware")
    zone = ZoneInfo(timezone_name)
    text = text.removeprefix("\ufeff")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    line = 1
    for candidate in reader:
        if any(c.strip() for c in candidate):
            header = candidate
            break
        line = reader.line_num + 1
    if header is None:
        return NpsParse((), (NpsRowError(1, "the file is empty; expected a header row: email,score"),), 0)
    columns = {name.strip().lower(): i for i, name in enumerate(header)}
    missing = [name for name in _REQUIRED if name not in columns]
    if missing:
        found = ", ".join(c.strip() for c in header) or "nothing"
        return NpsParse(
            (),
            (NpsRowError(line, f"the header lacks {' and '.join(missing)} (found: {found}); "
                               "expected columns email,score and optionally answered_at"),),
            0,
        )  # fmt: skip
    answers: list[NpsAnswer] = []
    errors: list[NpsRowError] = []
    rows = 0
    start = reader.line_num + 1
    try:
        for row in reader:
            at, start = start, reader.line_num + 1
            if not any(c.strip() for c in row):
                continue
            rows += 1
            try:
                answers.append(_row(row, columns, zone, imported_at))
            except ValueError as exc:
                errors.append(NpsRowError(at, str(exc)))
    except csv.Error as exc:
        errors.append(NpsRowError(start, f"not valid CSV: {exc}"))
    return NpsParse(tuple(answers), tuple(errors), rows)
