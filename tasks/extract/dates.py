"""Swedish dates, clock times and year inference.

Pages write "Tisdag 28 maj kl 17.30 - 20.00", "28:e maj 17:30-20.00",
"17/3 kl. 18.30-21", "2024-05-28" and "28.5.2024". This module finds such
mentions in a line of text and works out the year when the text leaves it out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time, timedelta
from functools import cache, lru_cache
from urllib.parse import urlsplit

from tasks.extract.vocabulary import Vocabulary

# How far before/after a reference date a year-less date may fall.
WINDOW_BEFORE = timedelta(days=120)
WINDOW_AFTER = timedelta(days=245)
# How many years either side the weekday check may move a date.
WEEKDAY_SEARCH_YEARS = 6
# How far after a date its clock time may stand.
TIME_WINDOW_CHARS = 60
# Years a page's date may have: older ones are history or typos, later ones typos ('28 maj 9999').
# The page check narrows the upper bound to the fetch year plus YEARS_AHEAD.
EARLIEST_YEAR = 1990
LATEST_YEAR = 2099
YEARS_AHEAD = 10
# A leap year, to tell possible days ('29 februari') from impossible ones ('31 februari').
LEAP_YEAR = 2000


@dataclass(frozen=True)
class DateMention:
    """A day and month (and maybe year and weekday) found in text."""

    start: int
    end: int
    day: int
    month: int
    year: int | None
    weekday: int | None


@dataclass(frozen=True)
class TimeRange:
    start: time | None
    end: time | None


@cache
def _date_patterns(vocab: Vocabulary) -> tuple[re.Pattern[str], ...]:
    weekday = rf"(?:(?P<weekday>(?:{vocab.weekday_pattern})(?:en|ar)?\.?)(?!\w),?\s+(?:den\s+)?)?"
    textual = re.compile(
        rf"{weekday}(?:den\s+)?(?<![\d/.:])(?<!kl )(?<!kl\. )(?<!klockan )(?P<day>[0-3]?\d)(?::?(?:e|a)\b|\.)?"
        r"(?:\s*(?:[-–]|och)\s*[0-3]?\d)?\s*"
        rf"(?P<month>{vocab.month_pattern})\.?(?!\w)(?:,?\s+(?P<year>\d{{4}})(?!\d))?",
        re.IGNORECASE,
    )
    numeric = re.compile(
        rf"{weekday}(?:den\s+)?(?<![\d/.:,-])(?P<day>[0-3]?\d)/(?P<month>1[0-2]|0?[1-9])"
        r"(?:[/-](?P<year>(?:20)?\d{2}))?(?![\d/])",
        re.IGNORECASE,
    )
    iso = re.compile(
        r"(?<![\d-])(?P<year>(?:19|20)\d{2})-(?P<month>0[1-9]|1[0-2])-(?P<day>0[1-9]|[12]\d|3[01])(?!\d)"
    )
    dotted = re.compile(
        r"(?<![\d.])(?P<day>[0-3]?\d)\.(?P<month>1[0-2]|0?[1-9])\.(?P<year>(?:19|20)\d{2})(?!\d)"
    )
    return textual, numeric, iso, dotted


def _mention_from(match: re.Match[str], vocab: Vocabulary) -> DateMention | None:
    groups = match.groupdict()
    month_text = groups["month"]
    month = int(month_text) if month_text.isdigit() else vocab.month_number(month_text)
    day = int(groups["day"])
    year_text = groups.get("year")
    year = int(year_text) if year_text else None
    if year is not None and year < 100:
        year += 2000
    weekday_text = groups.get("weekday")
    weekday = vocab.weekday_number(weekday_text) if weekday_text else None
    if month is None or not possible_day(month, day):
        return None
    if year is not None and not (EARLIEST_YEAR <= year <= LATEST_YEAR and _valid(year, month, day)):
        return None
    return DateMention(match.start(), match.end(), day, month, year, weekday)


def possible_day(month: int, day: int) -> bool:
    """A day some year has in that month ('29 februari' yes, '31 februari' never)."""
    return _valid(LEAP_YEAR, month, day)


def rejected_dates(text: str, vocab: Vocabulary, latest_year: int) -> list[str]:
    """Date-like text that is not a date: an impossible day or a year outside EARLIEST_YEAR..latest_year.

    Pure: the caller passes the last sane year (the fetch date's year plus YEARS_AHEAD).
    """
    problems: list[str] = []
    if _DIGIT.search(text) is None:
        return problems
    for pattern in _date_patterns(vocab):
        for match in pattern.finditer(text):
            groups = match.groupdict()
            month = int(groups["month"]) if groups["month"].isdigit() else vocab.month_number(groups["month"])
            day = int(groups["day"])
            year = int(groups["year"]) if groups.get("year") else None
            if year is not None and year < 100:
                year += 2000
            if month is None:
                continue
            if not possible_day(month, day) or (year is not None and not _valid(year, month, day)):
                problems.append(f"'{match.group(0).strip()}': no such day; not read as a date")
            elif year is not None and not EARLIEST_YEAR <= year <= latest_year:
                problems.append(
                    f"'{match.group(0).strip()}': year {year} outside {EARLIEST_YEAR}..{latest_year}; not read as a date"
                )
    return problems


def _valid(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


_DIGIT = re.compile(r"\d")


def find_dates(text: str, vocab: Vocabulary) -> list[DateMention]:
    """All date mentions in text, left to right, overlaps resolved to the longer one."""
    if _DIGIT.search(text) is None:
        return []  # every date form has a digit; most lines have none
    return list(_find_dates(text, vocab))


@lru_cache(maxsize=4096)
def _find_dates(text: str, vocab: Vocabulary) -> tuple[DateMention, ...]:
    """find_dates, remembered: the rules ask about the same lines several times."""
    found: list[DateMention] = []
    for pattern in _date_patterns(vocab):
        for match in pattern.finditer(text):
            mention = _mention_from(match, vocab)
            if mention is not None:
                found.append(mention)
    found.sort(key=lambda m: (m.start, -(m.end - m.start)))
    kept: list[DateMention] = []
    for mention in found:
        if kept and mention.start < kept[-1].end:
            continue
        kept.append(mention)
    return tuple(kept)


@cache
def _time_pattern(vocab: Vocabulary) -> re.Pattern[str]:
    return re.compile(
        rf"(?P<between>(?<!\w)mellan\s+)?(?P<prefix>(?<!\w)(?:{vocab.time_prefix_pattern})\s*)?"
        r"(?<![\d.:/])(?P<h1>[0-2]?\d)(?:[.:](?P<m1>[0-5]\d))?"
        r"(?:\s*(?:[-–—]|till|(?(between)och|(?!)))\s*(?:ca\.?\s*|cirka\s*)?(?:kl\.?\s*)?"
        r"(?P<h2>[0-2]?\d)(?:[.:](?P<m2>[0-5]\d))?)?"
        r"(?![\d/])",
        re.IGNORECASE,
    )


def _clock(hours: str | None, minutes: str | None) -> time | None:
    if hours is None:
        return None
    h, m = int(hours), int(minutes or 0)
    if h == 24 and m == 0:
        return time(23, 59)
    if not (0 <= h <= 23 and 0 <= m <= 59):
        return None
    return time(h, m)


def find_time_range(text: str, vocab: Vocabulary) -> TimeRange | None:
    """The first clock time or range in text: 'kl 18', '17.30 - 20.00', 'klockan 10 – 13'.

    A bare number counts only with minutes ('17.30') or a 'kl'/'klockan' prefix,
    so counts and day numbers are not read as times.
    """
    for match in _time_pattern(vocab).finditer(text):
        if not match.group("prefix") and not match.group("m1"):
            continue
        start = _clock(match.group("h1"), match.group("m1"))
        if start is None:
            continue
        end = _clock(match.group("h2"), match.group("m2"))
        return TimeRange(start, end)
    return None


def time_after(
    text: str, mention: DateMention, next_start: int | None, vocab: Vocabulary
) -> TimeRange | None:
    """The clock time written right after a date, before the next date in the same line."""
    stop = min(next_start if next_start is not None else len(text), mention.end + TIME_WINDOW_CHARS)
    return find_time_range(text[mention.end : stop], vocab)


def parse_date_value(value: str, vocab: Vocabulary) -> date | None:
    """A full date from metadata or a 'Publicerad 9 maj 2024' line; None without a year."""
    value = value.strip()
    iso = re.match(r"(\d{4})-(\d{2})-(\d{2})", value)
    if iso:
        y, m, d = (int(x) for x in iso.groups())
        return date(y, m, d) if _valid(y, m, d) else None
    for mention in find_dates(value, vocab):
        if mention.year is not None:
            return date(mention.year, mention.month, mention.day)
    return None


def year_in_text(text: str) -> int | None:
    """A four-digit year standing alone in a heading ('Sammanträdesdagar 2025')."""
    match = re.search(r"(?<![\d-])((?:19|20)\d{2})(?![\d-])", text)
    return int(match.group(1)) if match else None


def url_date_hints(url: str) -> tuple[date | None, int | None]:
    """A date ('/2017/06/22/', '/2024-05-09-slug') or a year ('/2024/') in the URL path."""
    path = urlsplit(url).path
    for pattern in (r"/((?:19|20)\d{2})/(\d{2})/(\d{2})(?:/|$)", r"/((?:19|20)\d{2})-(\d{2})-(\d{2})"):
        match = re.search(pattern, path)
        if match:
            y, m, d = (int(x) for x in match.groups())
            if _valid(y, m, d):
                return date(y, m, d), y
    match = re.search(r"/((?:19|20)\d{2})(?:/|-|$)", path)
    return None, int(match.group(1)) if match else None


def year_near(month: int, day: int, reference: date) -> int:
    """The year that puts month/day closest after (or shortly before) a reference date."""
    for year in (reference.year, reference.year + 1, reference.year - 1):
        if _valid(year, month, day):
            candidate = date(year, month, day)
            if reference - WINDOW_BEFORE <= candidate <= reference + WINDOW_AFTER:
                return year
    return reference.year


def _fits_weekday(year: int, month: int, day: int, weekday: int) -> bool:
    return _valid(year, month, day) and date(year, month, day).weekday() == weekday


def _year_for_weekday(year: int, month: int, day: int, weekday: int) -> int | None:
    for offset in range(WEEKDAY_SEARCH_YEARS + 1):
        for candidate in (year + offset, year - offset):
            if _fits_weekday(candidate, month, day, weekday):
                return candidate
    return None


@dataclass(frozen=True)
class YearEvidence:
    """What a page says about years, strongest first (see `infer_year`)."""

    section_year: int | None = None
    published: date | None = None
    url_date: date | None = None
    url_year: int | None = None
    text_year: int | None = None
    fetched: date | None = None


def infer_year(
    month: int, day: int, *, weekday: int | None, evidence: YearEvidence
) -> tuple[int | None, str | None]:
    """Pick the year for a date written without one; return it and its basis.

    Trust order: a heading/section year, the publication date, a date or year
    in the URL, the most-mentioned year in the page text, the fetch date. A
    stated weekday then moves the year to the nearest one it fits.
    """
    year: int | None = None
    basis: str | None = None
    if evidence.section_year is not None:
        year, basis = evidence.section_year, "heading"
    elif evidence.published is not None:
        year, basis = year_near(month, day, evidence.published), "published"
    elif evidence.url_date is not None:
        year, basis = year_near(month, day, evidence.url_date), "url"
    elif evidence.url_year is not None:
        year, basis = evidence.url_year, "url"
    elif evidence.text_year is not None:
        year, basis = evidence.text_year, "page_text"
    elif evidence.fetched is not None:
        year, basis = year_near(month, day, evidence.fetched), "fetched"
    if year is None:
        return None, None
    if weekday is not None and not _fits_weekday(year, month, day, weekday):
        fitted = _year_for_weekday(year, month, day, weekday)
        if fitted is not None:
            return fitted, "weekday"
    if not _valid(year, month, day):
        return None, None
    return year, basis
