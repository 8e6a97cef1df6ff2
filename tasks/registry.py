"""The source registry (config/sources.yaml): typed, validated on load.

Key names are a contract shared with operators' registry files:
id, municipality, municipality_code, start_urls, follow, profile, schedule,
allow_private_network. Extra keys listed in OPTIONAL_KEYS tune one source.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from tasks.extract.tree import supported_selector
from tasks.extract.vocabulary import CONFIG_DIR, ConfigError, Profile, default_profiles
from tasks.registry_checks import cron_problem, regex_problem, selector_problem, url_problem

REQUIRED_KEYS = ("id", "municipality", "municipality_code", "start_urls")
OPTIONAL_KEYS = (
    "follow",
    "profile",
    "schedule",
    "allow_private_network",
    "max_pages",
    "min_delay_seconds",
    "max_concurrency",
    "path_prefixes",
    "max_depth",
    "sitemaps",
    "feeds",
    "discover",
)
# 'discover: auto': pages are found from the site's own indexes (tasks/site_discovery.py)
# rather than by a follow rule, and each page's CMS is detected (profile 'auto').
DISCOVER_VALUES = ("auto",)
AUTO_PROFILE = "auto"
DEFAULT_USER_AGENT = "kommundialog/0.1 (open-data crawler of municipal dialogue meetings)"
DEFAULT_MAX_PAGES = 50
DEFAULT_MIN_DELAY_SECONDS = 1.0
DEFAULT_MAX_CONCURRENCY = 1
MAX_CONCURRENCY_LIMIT = 8
DEFAULT_MAX_DEPTH = 1
MAX_DEPTH_LIMIT = 5
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_SCB_CODE = re.compile(r"^\d{4}$")
# Top-level keys and `settings:` keys a registry may hold; anything else is a typo.
TOP_LEVEL_KEYS = ("settings", "sources")
SETTINGS_KEYS = ("user_agent", "fetch", "alert_webhook", "stale_after_days", "national")


MUNICIPALITIES_FILE = CONFIG_DIR / "municipalities.csv"
# The registry the commands read when no --sources is given.
BUNDLED_REGISTRY = CONFIG_DIR / "sources.yaml"


@cache
def scb_municipalities() -> dict[str, str]:
    """The 290 municipality codes (SCB kommunkod) and names, from config/municipalities.csv."""
    with MUNICIPALITIES_FILE.open(encoding="utf-8", newline="") as handle:
        return {row["municipality_code"]: row["municipality"] for row in csv.DictReader(handle)}


class RegistryError(ConfigError):
    """The registry file is malformed; the message names the entry and field."""


@dataclass(frozen=True)
class FollowRule:
    """How to find candidate pages on a start page."""

    links: str = "a"
    match: str | None = None


@dataclass(frozen=True)
class Source:
    """One municipal site (or part of one) to crawl."""

    id: str
    municipality: str
    municipality_code: str
    start_urls: tuple[str, ...]
    follow: FollowRule | None = None
    profile: str = "generic"
    schedule: str | None = None
    allow_private_network: bool = False
    max_pages: int = DEFAULT_MAX_PAGES
    min_delay_seconds: float = DEFAULT_MIN_DELAY_SECONDS
    # Politeness and scope (issue 4): requests at once per host, allowed path prefixes,
    # how many link steps from a start page, and sitemaps/feeds to discover pages from.
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    path_prefixes: tuple[str, ...] = ()
    max_depth: int = DEFAULT_MAX_DEPTH
    sitemaps: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    discover: bool = False

    @property
    def hosts(self) -> frozenset[str]:
        """Hosts (with port) this source may fetch from: those of its start URLs."""
        return frozenset(urlsplit(u).netloc.lower() for u in self.start_urls)


@dataclass(frozen=True)
class Registry:
    sources: tuple[Source, ...]
    user_agent: str = DEFAULT_USER_AGENT
    path: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _fail(path: str, entry: str, message: str) -> RegistryError:
    return RegistryError(f"{path}: entry '{entry}': {message}")


def _parse_follow(value: Any, path: str, entry: str) -> FollowRule | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _fail(path, entry, "follow must be a mapping with 'links' and optional 'match'")
    unknown = set(value) - {"links", "match"}
    if unknown:
        raise _fail(path, entry, f"follow has unknown keys {sorted(unknown)}")
    links = value.get("links", "a")
    problem = selector_problem(links)
    if problem:
        raise _fail(path, entry, f"follow.links {problem}")
    match = value.get("match")
    if match is not None and (problem := regex_problem(match)):
        raise _fail(path, entry, f"follow.match {problem}")
    return FollowRule(links=links, match=match)


def _parse_urls(value: Any, path: str, entry: str, key: str = "start_urls") -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise _fail(path, entry, f"{key} must be a non-empty list of http(s) URLs")
    for url in value:
        problem = url_problem(url)
        if problem:
            raise _fail(path, entry, f"{key}: {problem}")
    return tuple(value)


def _parse_int(raw: dict, key: str, default: int, low: int, high: int, path: str, entry: str) -> int:
    value = raw.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise _fail(path, entry, f"{key} must be a whole number from {low} to {high}")
    return value


def _parse_prefixes(value: Any, starts: tuple[str, ...], path: str, entry: str) -> tuple[str, ...]:
    """Path prefixes ('/socialtjanst/'); every start URL must lie inside them."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(p, str) and p.startswith("/") for p in value):
        raise _fail(path, entry, "path_prefixes must be a list of paths starting with '/'")
    for url in starts:
        if not any((urlsplit(url).path or "/").startswith(p) for p in value):
            raise _fail(path, entry, f"start_urls: '{url}' is outside path_prefixes {value}")
    return tuple(value)


def _parse_discovery_urls(
    raw: dict, key: str, starts: tuple[str, ...], path: str, entry: str
) -> tuple[str, ...]:
    """Sitemap or feed URLs: absolute http(s), on the hosts of the start URLs."""
    if raw.get(key) is None:
        return ()
    urls = _parse_urls(raw[key], path, entry, key)
    hosts = {urlsplit(u).netloc.lower() for u in starts}
    for url in urls:
        if urlsplit(url).netloc.lower() not in hosts:
            raise _fail(path, entry, f"{key}: '{url}' is not on a host of start_urls")
    return urls


def parse_source(raw: Any, path: str, index: int) -> Source:
    """Validate one registry entry; every error names the entry and the field."""
    if not isinstance(raw, dict):
        raise RegistryError(f"{path}: entry #{index + 1}: expected a mapping")
    entry = str(raw.get("id", f"#{index + 1}"))
    missing = [k for k in REQUIRED_KEYS if k not in raw]
    if missing:
        raise _fail(path, entry, f"missing required field(s) {', '.join(missing)}")
    unknown = set(raw) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS)
    if unknown:
        raise _fail(path, entry, f"unknown field(s) {', '.join(sorted(unknown))}")
    if not _ID.match(entry):
        raise _fail(path, entry, "id must be lowercase letters, digits and dashes")
    if not isinstance(raw["municipality"], str):
        raise _fail(path, entry, "municipality must be the municipality's name in text")
    code = raw["municipality_code"]
    if not isinstance(code, str) or not _SCB_CODE.match(code):
        raise _fail(path, entry, f"municipality_code {code!r} is not a 4-digit SCB code in quotes")
    known = scb_municipalities()
    if code not in known:
        raise _fail(path, entry, f"municipality_code '{code}' is not one of the 290 SCB codes")
    if known[code] != raw["municipality"]:
        raise _fail(path, entry, f"municipality_code '{code}' is {known[code]}, not {raw['municipality']!r}")
    discover = _parse_discover(raw, path, entry)
    profile = str(raw.get("profile", AUTO_PROFILE if discover else "generic"))
    if profile not in default_profiles() and profile != AUTO_PROFILE:
        known = sorted([*default_profiles(), AUTO_PROFILE])
        raise _fail(path, entry, f"profile '{profile}' is not one of {known}")
    schedule = raw.get("schedule")
    if schedule is not None and (problem := cron_problem(str(schedule))):
        raise _fail(path, entry, f"schedule {problem}")
    allow_private = raw.get("allow_private_network", False)
    if not isinstance(allow_private, bool):
        raise _fail(path, entry, "allow_private_network must be true or false")
    max_pages = raw.get("max_pages", DEFAULT_MAX_PAGES)
    if not isinstance(max_pages, int) or isinstance(max_pages, bool) or max_pages < 1:
        raise _fail(path, entry, "max_pages must be a positive whole number")
    delay = raw.get("min_delay_seconds", DEFAULT_MIN_DELAY_SECONDS)
    if not isinstance(delay, int | float) or isinstance(delay, bool) or delay < 0:
        raise _fail(path, entry, "min_delay_seconds must be a number >= 0")
    start_urls = _parse_urls(raw["start_urls"], path, entry)
    return Source(
        id=entry,
        municipality=str(raw["municipality"]),
        municipality_code=code,
        start_urls=start_urls,
        follow=_parse_follow(raw.get("follow"), path, entry),
        profile=profile,
        schedule=str(schedule) if schedule is not None else None,
        allow_private_network=allow_private,
        max_pages=max_pages,
        min_delay_seconds=float(delay),
        max_concurrency=_parse_int(
            raw, "max_concurrency", DEFAULT_MAX_CONCURRENCY, 1, MAX_CONCURRENCY_LIMIT, path, entry
        ),
        path_prefixes=_parse_prefixes(raw.get("path_prefixes"), start_urls, path, entry),
        max_depth=_parse_int(raw, "max_depth", DEFAULT_MAX_DEPTH, 0, MAX_DEPTH_LIMIT, path, entry),
        sitemaps=_parse_discovery_urls(raw, "sitemaps", start_urls, path, entry),
        feeds=_parse_discovery_urls(raw, "feeds", start_urls, path, entry),
        discover=discover,
    )


def _parse_discover(raw: dict, path: str, entry: str) -> bool:
    """'discover: auto' turns on discovery; a follow rule and discovery exclude each other."""
    value = raw.get("discover")
    if value is None:
        return False
    if value not in DISCOVER_VALUES:
        raise _fail(path, entry, f"discover must be one of {list(DISCOVER_VALUES)}, not {value!r}")
    if raw.get("follow") is not None:
        raise _fail(path, entry, "discover: auto finds pages by itself; remove the follow rule")
    return True


PROFILES_FILE = CONFIG_DIR / "profiles.yaml"


def check_profile_selectors(profiles: dict[str, Profile], path: Path = PROFILES_FILE) -> None:
    """Every CSS selector of the CMS profiles compiles and is one the page tree reads; else it is named.

    Profiles are read on lxml's tree (tasks/extract/tree.py), which takes the
    simple selectors CMS markup needs, not pseudo-classes or sibling combinators.
    """
    for profile in profiles.values():
        for field_name in ("content", "title", "drop"):
            for selector in getattr(profile, field_name):
                problem = selector_problem(selector) or _page_tree_problem(selector)
                if problem:
                    raise ConfigError(f"{path}: profile '{profile.name}': {field_name} {problem}")


def _page_tree_problem(selector: str) -> str | None:
    if supported_selector(selector):
        return None
    return (
        f"'{selector}' is not supported in profiles; use tag names, .class, #id, [attribute] and"
        " [attribute=value] (also *=, ^=, $=, ~=, |=), joined by spaces (descendant) or '>' (child)"
    )


@cache
def _bundled_profiles_checked() -> bool:
    check_profile_selectors(default_profiles())
    return True


def _unknown_keys(found: Any, known: tuple[str, ...]) -> str | None:
    """'unknown key(s) setings (known: settings, sources)' or None."""
    unknown = sorted(str(k) for k in found if k not in known)
    if not unknown:
        return None
    return f"unknown key(s) {', '.join(unknown)} (known: {', '.join(known)})"


def _parse_settings(data: dict, path: str) -> dict[str, Any]:
    """The `settings:` mapping, every key known and every value checked (fetch limits included)."""
    settings = data.get("settings") or {}
    if not isinstance(settings, dict):
        raise RegistryError(f"{path}: settings: must be a mapping")
    problem = _unknown_keys(settings, SETTINGS_KEYS)
    if problem:
        raise RegistryError(f"{path}: settings: {problem}")
    agent = settings.get("user_agent", DEFAULT_USER_AGENT)
    if not isinstance(agent, str) or not agent.strip() or "\n" in agent:
        raise RegistryError(f"{path}: settings: user_agent must be one line of text")
    from tasks.fetch import limits_from_settings  # tasks.fetch imports this module

    try:
        limits_from_settings(settings.get("fetch"))
    except RegistryError as exc:
        raise RegistryError(f"{path}: {exc}") from exc
    return settings


def parse_registry(data: Any, path: str) -> Registry:
    """Validate a whole registry: top-level keys, settings, then every source."""
    if not isinstance(data, dict) or not isinstance(data.get("sources"), list):
        raise RegistryError(f"{path}: expected a top-level 'sources:' list")
    problem = _unknown_keys(data, TOP_LEVEL_KEYS)
    if problem:
        raise RegistryError(f"{path}: top level: {problem}")
    settings = _parse_settings(data, path)
    _bundled_profiles_checked()
    sources = tuple(parse_source(raw, path, i) for i, raw in enumerate(data["sources"]))
    ids = [s.id for s in sources]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        first = duplicates[0]
        raise _fail(path, first, f"id: duplicate source id, used by {ids.count(first)} entries")
    _check_health_settings(settings, path)
    if settings.get("national") is not None:
        from tasks.national import national_sources  # the national registry builds on parse_source

        sources += national_sources(settings["national"], sources, path)
    return Registry(
        sources=sources,
        user_agent=str(settings.get("user_agent", DEFAULT_USER_AGENT)),
        path=path,
        extra={k: v for k, v in settings.items() if k != "user_agent"},
    )


def _check_health_settings(settings: dict[str, Any], path: str) -> None:
    """settings.alert_webhook is an http(s) URL with a host; settings.stale_after_days a whole number >= 1."""
    webhook = settings.get("alert_webhook")
    if webhook is not None:
        parts = urlsplit(str(webhook)) if isinstance(webhook, str) else None
        try:
            port_ok = parts is not None and (parts.port is None or 0 < parts.port < 65536)
        except ValueError:
            port_ok = False
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
            raise RegistryError(f"{path}: settings.alert_webhook must be an http(s) URL, got {webhook!r}")
    stale = settings.get("stale_after_days")
    if stale is not None and (isinstance(stale, bool) or not isinstance(stale, int) or stale < 1):
        raise RegistryError(
            f"{path}: settings.stale_after_days must be a whole number of days >= 1, got {stale!r}"
        )


def load_registry(path: str | Path) -> Registry:
    """Read and validate a registry file."""
    path = Path(path)
    try:
        data = _parse_yaml(path.read_bytes().decode("utf-8"))
    except FileNotFoundError as exc:
        raise RegistryError(f"{path}: file not found") from exc
    except IsADirectoryError as exc:
        raise RegistryError(f"{path}: is a directory, not a registry file") from exc
    except OSError as exc:
        raise RegistryError(f"{path}: cannot read: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise RegistryError(
            f"{path}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} on line {line}); save it as UTF-8"
        ) from exc
    except yaml.YAMLError as exc:
        raise RegistryError(f"{path}: not valid YAML: {_yaml_problem(exc)}") from exc
    return parse_registry(data, str(path))


def _parse_yaml(text: str) -> Any:
    """libyaml's parser when PyYAML has it (a national registry: 0.02 s, not 0.13 s); PyYAML's own for errors.

    Both read YAML alike; a file libyaml rejects is read again by PyYAML, whose
    message says what it expected where.
    """
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        try:
            return yaml.load(text, Loader=fast)  # CSafeLoader: safe
        except yaml.YAMLError:
            pass
    return yaml.safe_load(text)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """A YAML error on one line: what and where (PyYAML's own text spans several lines)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    return f"{where}{problem}"


def rebase_registry(registry: Registry, origins: dict[str, str]) -> Registry:
    """Point sources at other origins ('http://127.0.0.1:8701' -> a test server's)."""

    def move(url: str) -> str:
        for old, new in origins.items():
            if url.startswith(old):
                return new + url[len(old) :]
        return url

    sources = tuple(
        replace(
            s,
            start_urls=tuple(move(u) for u in s.start_urls),
            sitemaps=tuple(move(u) for u in s.sitemaps),
            feeds=tuple(move(u) for u in s.feeds),
        )
        for s in registry.sources
    )
    return replace(registry, sources=sources)


def source_for_url(registry: Registry, url: str) -> Source | None:
    """The source whose hosts include the URL's host (for one-off extraction)."""
    host = urlsplit(url).netloc.lower()
    bare = host.removeprefix("www.")
    for source in registry.sources:
        if host in source.hosts or bare in {h.removeprefix("www.") for h in source.hosts}:
            return source
    return None


def registry_to_data(registry: Registry) -> dict[str, Any]:
    """The registry as YAML-ready data, using the contract's key names."""
    sources = []
    for s in registry.sources:
        entry: dict[str, Any] = {
            "id": s.id,
            "municipality": s.municipality,
            "municipality_code": s.municipality_code,
            "profile": s.profile,
            "start_urls": list(s.start_urls),
            "allow_private_network": s.allow_private_network,
            "max_pages": s.max_pages,
            "min_delay_seconds": s.min_delay_seconds,
        }
        if s.follow:
            entry["follow"] = {
                "links": s.follow.links,
                **({"match": s.follow.match} if s.follow.match else {}),
            }
        if s.schedule:
            entry["schedule"] = s.schedule
        optional = {
            "max_concurrency": (s.max_concurrency, DEFAULT_MAX_CONCURRENCY),
            "path_prefixes": (list(s.path_prefixes), []),
            "max_depth": (s.max_depth, DEFAULT_MAX_DEPTH),
            "sitemaps": (list(s.sitemaps), []),
            "feeds": (list(s.feeds), []),
            "discover": ("auto" if s.discover else None, None),
        }
        entry.update({key: value for key, (value, default) in optional.items() if value != default})
        sources.append(entry)
    # `national` is left out: the sources it adds are already written out above, each one.
    settings = {k: v for k, v in registry.extra.items() if k != "national"}
    return {"settings": {"user_agent": registry.user_agent, **settings}, "sources": sources}


def write_registry(registry: Registry, path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(registry_to_data(registry), allow_unicode=True, sort_keys=False), "utf-8")
