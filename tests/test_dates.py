"""Swedish dates, clock times and year inference."""

from __future__ import annotations

from datetime import date, time

import pytest

from tasks.extract.dates import (
    YearEvidence,
    find_dates,
    find_time_range,
    infer_year,
    parse_date_value,
    url_date_hints,
)
from tasks.extract.vocabulary import default_vocabulary

VOCAB = default_vocabulary()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tisdag 28 maj kl 17.30 - 20.00", (28, 5, None, 1)),
        ("När? 28:e maj 17:30-20.00", (28, 5, None, None)),
        ("Torsdagen den 12 november", (12, 11, None, 3)),
        ("den 2:a april", (2, 4, None, None)),
        ("Onsdag 13 september 2023 klockan 10 – 13", (13, 9, 2023, 2)),
        ("Datum: 07 mars 2024", (7, 3, 2024, None)),
        ("17/3 kl. 18.30-21", (17, 3, None, None)),
        ("Mötet 2024-05-28 i Oasen", (28, 5, 2024, None)),
        ("Mötet 28.5.2024 i Oasen", (28, 5, 2024, None)),
        ("måndagen den 9 februari klockan 8.30-10", (9, 2, None, 0)),
    ],
)
def test_find_dates_reads_swedish_forms(text: str, expected: tuple) -> None:
    (mention,) = find_dates(text, VOCAB)
    assert (mention.day, mention.month, mention.year, mention.weekday) == expected


def test_find_dates_reads_a_list_of_numeric_dates() -> None:
    mentions = find_dates("Vi träffas 5/2, 9/4, 3/9 och 5/11.", VOCAB)
    assert [(m.day, m.month) for m in mentions] == [(5, 2), (9, 4), (3, 9), (5, 11)]


def test_find_dates_ignores_years_and_counts() -> None:
    assert find_dates("Under 2017 kom 25 ärenden in, 17 av dem med sekretess.", VOCAB) == []


def test_weekday_word_that_is_a_street_is_not_a_weekday() -> None:
    (mention,) = find_dates("Torget 12 maj", VOCAB)
    assert mention.weekday is None


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("kl 17.30 - 20.00", time(17, 30), time(20, 0)),
        ("17:30-20.00", time(17, 30), time(20, 0)),
        ("klockan 10 – 13", time(10, 0), time(13, 0)),
        ("kl. 18", time(18, 0), None),
        ("17.30-20", time(17, 30), time(20, 0)),
        ("kl 18—20", time(18, 0), time(20, 0)),
        ("kl. 15.00 till 17.00", time(15, 0), time(17, 0)),
    ],
)
def test_find_time_range(text: str, start: time, end: time | None) -> None:
    found = find_time_range(text, VOCAB)
    assert found is not None
    assert (found.start, found.end) == (start, end)


def test_bare_numbers_are_not_times() -> None:
    assert find_time_range("om privatekonomi, del 2", VOCAB) is None
    assert find_time_range("för ungdomar (mellan 13 och 20 år)", VOCAB) is None


def test_weekday_decides_between_candidate_years() -> None:
    # 28 May was a Tuesday in 2024 and 2019; the fetch date alone says 2025.
    year, basis = infer_year(5, 28, weekday=1, evidence=YearEvidence(fetched=date(2025, 4, 1)))
    assert (year, basis) == (2024, "weekday")


def test_heading_year_beats_publication_date() -> None:
    evidence = YearEvidence(section_year=2024, published=date(2023, 12, 1))
    assert infer_year(9, 16, weekday=None, evidence=evidence) == (2024, "heading")


def test_publication_in_december_puts_january_in_next_year() -> None:
    evidence = YearEvidence(published=date(2024, 12, 10))
    assert infer_year(1, 15, weekday=None, evidence=evidence) == (2025, "published")


def test_summary_reports_yesterday_in_same_year() -> None:
    evidence = YearEvidence(published=date(2017, 6, 22))
    assert infer_year(6, 21, weekday=None, evidence=evidence) == (2017, "published")


def test_nothing_supports_a_year() -> None:
    assert infer_year(5, 28, weekday=1, evidence=YearEvidence()) == (None, None)


def test_url_year_is_used_when_nothing_else() -> None:
    date_hint, year_hint = url_date_hints("https://example.se/nyheter/2025/2025-02-13-dialog")
    assert (date_hint, year_hint) == (date(2025, 2, 13), 2025)
    assert url_date_hints("https://oppnasoc.helsingborg.se/2017/06/22/x/") == (date(2017, 6, 22), 2017)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-09T08:00:00+02:00", date(2024, 5, 9)),
        ("Artikeln publicerades 9 maj 2024", date(2024, 5, 9)),
        ("Publicerad 9 maj", None),
    ],
)
def test_parse_date_value(value: str, expected: date | None) -> None:
    assert parse_date_value(value, VOCAB) == expected
