"""Field checks for the source registry: cron expressions, CSS selectors, URLs, regexes.

Each check returns None when the value is fine, or a short phrase saying what
is wrong, so the registry can put file, entry and field in front of it. They
run before Prefect is imported: a broken registry must fail in a second, not
after a server has started.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import soupsieve

# Five cron fields: name, lowest value, highest value, names allowed instead of numbers.
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
CRON_FIELDS: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 7, _WEEKDAYS),
)
_CRON_PART = re.compile(r"^(?P<range>\*|[0-9a-z]+(?:-[0-9a-z]+)?)(?:/(?P<step>[0-9]+))?$")


def _cron_value(text: str, low: int, high: int, names: tuple[str, ...]) -> int | None:
    """A cron field value as a number (names like 'mon' count from `low`), None when unknown."""
    if text.isdigit():
        return int(text)
    if text in names:
        return names.index(text) + low
    return None


def _cron_field_problem(text: str, name: str, low: int, high: int, names: tuple[str, ...]) -> str | None:
    for part in text.lower().split(","):
        match = _CRON_PART.match(part)
        if not match:
            return f"{name} '{text}' is not a number, range, list or step"
        if match["step"] is not None and int(match["step"]) == 0:
            return f"{name} '{text}' has a step of 0"
        if match["range"] == "*":
            continue
        bounds = [_cron_value(v, low, high, names) for v in match["range"].split("-")]
        if any(b is None or not low <= b <= high for b in bounds):
            return f"{name} '{text}' is outside {low}-{high}"
        if len(bounds) == 2 and bounds[0] > bounds[1]:
            return f"{name} '{text}' is a range that runs backwards"
    return None


def cron_problem(expression: str) -> str | None:
    """Why a 5-field cron expression (minute hour day month weekday) is invalid, or None."""
    fields = str(expression).split()
    if len(fields) != 5:
        return f"'{expression}' is not a 5-field cron expression (minute hour day month weekday)"
    for text, (name, low, high, names) in zip(fields, CRON_FIELDS, strict=True):
        problem = _cron_field_problem(text, name, low, high, names)
        if problem:
            return f"'{expression}': {problem}"
    return None


def selector_problem(selector: object) -> str | None:
    """Why a CSS selector would not compile (as BeautifulSoup's soupsieve reads it), or None."""
    if not isinstance(selector, str) or not selector.strip():
        return "must be a non-empty CSS selector"
    try:
        soupsieve.compile(selector)
    except soupsieve.SelectorSyntaxError as exc:
        return f"'{selector}' is not a valid CSS selector: {str(exc).splitlines()[0]}"
    return None


def regex_problem(pattern: object) -> str | None:
    """Why a regular expression would not compile, or None."""
    if not isinstance(pattern, str):
        return "must be a regular expression in quotes"
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"'{pattern}' is not a valid regular expression: {exc}"
    return None


def url_problem(url: object) -> str | None:
    """Why a URL is not an absolute http(s) address with a host and a valid port, or None."""
    if not isinstance(url, str):
        return f"{url!r} is not a URL in quotes"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - reading it validates the port
    except ValueError as exc:
        return f"'{url}' is not a valid URL: {exc}"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"'{url}' is not an absolute http(s) URL"
    if parts.port == 0:
        return f"'{url}' is not a valid URL: port 0"
    return None
