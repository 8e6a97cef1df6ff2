"""The fetcher: the only code that talks HTTP. Polite, bounded, and it never raises.

Every fetch returns a FetchedPage whose `outcome` says what became of the URL
(fetched, unchanged, robots, out_of_scope, failed) and, when it was not
fetched, a plain-words `error` ("robots.txt disallows this URL", "timed out
waiting for the server (0.5 s read timeout)") and a short `reason` class. One
bad URL or host never stops a run.

Guarantees, per request: connect and read timeouts and a hard total deadline
(a watchdog cuts the socket, so a server trickling bytes cannot hold us); a
body-size cap enforced while streaming; content types allowed per use; the
scope, address and robots rules checked again on every redirect hop; the
connected peer re-checked against private ranges (DNS rebinding). Per host: at
most N requests at once and a minimum delay between them, Retry-After obeyed,
and a host that keeps failing is left alone for the rest of the run.
"""

from __future__ import annotations

import email.utils
import hashlib
import http.client
import http.cookiejar
import logging
import random
import socket
import threading
import time as clock
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.hooks import default_hooks
from requests.sessions import merge_setting
from requests.structures import CaseInsensitiveDict
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from tasks.charset import looks_binary
from tasks.records import FetchedPage, PreviousFetch
from tasks.registry import RegistryError, Source
from tasks.robots import ROBOTS_MAX_BYTES, RobotsRules, rules_for_response
from tasks.scope import allowed_hosts, host_key, is_public_address, scope_refusal
from tasks.watchdog import WATCHDOG

log = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")
TEXT_TYPES = ("text/plain",)
XML_TYPES = ("application/xml", "text/xml")
GZIP_TYPES = ("application/gzip", "application/x-gzip", "application/octet-stream")
# Sitemaps come plain or gzip-compressed ('.xml.gz'); discovery inflates the latter, capped.
SITEMAP_TYPES = (*XML_TYPES, *TEXT_TYPES, *GZIP_TYPES)
GZIP_MAGIC = b"\x1f\x8b"
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", *XML_TYPES)
ICALENDAR_TYPES = ("text/calendar",)
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
# Failure classes that say something about the host rather than the URL.
HOST_FAILURES = ("timeout", "deadline", "connection failed", "connection broken")
# A response rest up to this size is read and dropped so its connection can be reused.
DRAIN_LIMIT = 64 * 1024


@dataclass(frozen=True)
class FetchLimits:
    """Bounds on every request; defaults suit municipal sites."""

    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    total_deadline: float = 30.0  # per response, headers and body together
    max_bytes: int = 5_000_000
    max_redirects: int = 5
    retries: int = 2
    backoff_seconds: float = 0.5
    max_retry_wait: float = 10.0  # longest single wait; a longer Retry-After means give up
    retry_budget: float = 30.0  # total seconds spent waiting to retry one URL
    max_crawl_delay: float = 30.0  # a robots.txt Crawl-delay above this is capped
    host_failure_limit: int = 5  # URLs failing in a row (timeouts, 5xx) before a host is left alone


def limits_from_settings(settings: Any) -> FetchLimits:
    """FetchLimits from a registry's `settings.fetch` mapping; unknown keys and bad values are errors."""
    if settings is None:
        return FetchLimits()
    if not isinstance(settings, dict):
        raise RegistryError("settings.fetch must be a mapping of limit names to numbers")
    names = {f.name for f in fields(FetchLimits)}
    unknown = sorted(set(settings) - names)
    if unknown:
        raise RegistryError(
            f"settings.fetch: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(names))}"
        )
    values = {}
    for key, value in settings.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise RegistryError(f"settings.fetch.{key} must be a number >= 0, not {value!r}")
        kind = type(getattr(FetchLimits, key))
        if kind is int and value != int(value):
            raise RegistryError(f"settings.fetch.{key} must be a whole number >= 0, not {value!r}")
        values[key] = kind(value)
    return FetchLimits(**values)


class FetchRefused(Exception):
    """A URL the rules say not to fetch; carries the outcome and reason class to record."""

    def __init__(self, message: str, outcome: str = "out_of_scope", reason: str = "scope") -> None:
        super().__init__(message)
        self.outcome = outcome
        self.reason = reason


def content_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _failure(
    url: str,
    final_url: str,
    started: datetime,
    error: str,
    *,
    reason: str,
    outcome: str = "failed",
    status: int | None = None,
    content_type: str | None = None,
    size: int = 0,
) -> FetchedPage:
    """A FetchedPage for a URL that yielded no usable body."""
    return FetchedPage(
        url, final_url, status, started, content_type, b"", None,
        error=error, outcome=outcome, reason=reason, size=size,
    )  # fmt: skip


# -- the per-request guard: total deadline and connect-time address check ----------------------

_GUARD = threading.local()


class _Guard:
    """Watches one request: cuts its socket at the deadline, refuses a non-public peer.

    The deadline is kept by the one shared watchdog thread, not a timer thread per request.
    """

    def __init__(self, deadline: float, allow_private: bool) -> None:
        self.allow_private = allow_private
        self.expired = False
        self.refused_peer: str | None = None
        self._sock: socket.socket | None = None
        self._deadline = deadline
        self._lock = threading.Lock()
        self._done = False
        self._ticket: int | None = None

    def __enter__(self) -> _Guard:
        _GUARD.current = self
        self._ticket = WATCHDOG.watch(self._deadline, self._expire)
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:  # a late expiry must not cut a pooled socket the next request uses
            self._done = True
        if self._ticket is not None:
            WATCHDOG.cancel(self._ticket)
        _GUARD.current = None

    def watch(self, sock: socket.socket | None) -> None:
        """The socket this request uses (kept here: http.client drops it from the connection early)."""
        if sock is not None:
            self._sock = sock
            if self.expired:
                self._cut()

    def _expire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.expired = True
            self._cut()

    def _cut(self) -> None:
        if self._sock is not None:  # wakes a blocked recv(): the reader sees the connection end
            with suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)


def _current_guard() -> _Guard | None:
    return getattr(_GUARD, "current", None)


class _GuardedConnectionMixin:
    """Hands the connection's socket to the current guard and checks the address it reached."""

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        guard = _current_guard()
        if guard is None:
            return
        guard.watch(self.sock)  # type: ignore[attr-defined]
        if not guard.allow_private:
            peer = self.sock.getpeername()[0]  # type: ignore[attr-defined]
            if not is_public_address(peer):
                guard.refused_peer = peer
                self.close()  # type: ignore[attr-defined]
                raise OSError(f"connected to non-public address {peer}")

    def request(self, *args: Any, **kwargs: Any) -> None:
        guard = _current_guard()
        if guard is not None:
            guard.watch(self.sock)  # type: ignore[attr-defined]  # a reused, already open connection
        super().request(*args, **kwargs)  # type: ignore[misc]


class _GuardedHTTPConnection(_GuardedConnectionMixin, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedConnectionMixin, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    """A pooling adapter whose connections answer to the request guard."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}


def build_session(user_agent: str) -> requests.Session:
    """The one pooled session of a run: honest User-Agent, no cookies, no proxies from the environment."""
    session = requests.Session()
    session.trust_env = False  # a proxy would defeat the address checks; the crawler picks its own route
    session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    adapter = _GuardedAdapter(pool_connections=32, pool_maxsize=8, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers.update({"User-Agent": user_agent, "Accept-Language": "sv,en;q=0.5"})
    return session


def _get_request(session: requests.Session, url: str, headers: dict[str, str]) -> requests.PreparedRequest:
    """A GET with the session's headers, prepared without `Session.request`'s other merging.

    The crawler's session keeps no cookies (its jar's policy refuses them),
    has no auth and ignores the environment, and URLs with credentials are
    out of scope (tasks/scope.py): that merging only cost time, about 0.1 ms
    of CPU a request, a second of a national run where every page answers 304.
    """
    prepared = requests.PreparedRequest()
    prepared.prepare_method("GET")
    prepared.prepare_url(url, None)
    prepared.prepare_headers(merge_setting(headers, session.headers, dict_class=CaseInsensitiveDict))
    prepared.prepare_body(None, None)
    prepared.prepare_cookies(session.cookies)  # the session's jar, whose policy refuses every cookie
    prepared.hooks = default_hooks()
    return prepared


# -- politeness -------------------------------------------------------------------------------


class HostPacer:
    """Per host: at most `limit` requests in flight, and `delay` seconds after one starts or ends."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._in_flight: Counter[str] = Counter()
        self._ready_at: dict[str, float] = {}

    def acquire(self, host: str, delay: float, limit: int) -> None:
        """Block until the host may be asked again."""
        with self._cond:
            while True:
                now = clock.monotonic()
                ready = self._ready_at.get(host, 0.0)
                if self._in_flight[host] < limit and now >= ready:
                    self._in_flight[host] += 1
                    self._ready_at[host] = now + delay
                    return
                self._cond.wait(None if self._in_flight[host] >= limit else ready - now)

    def release(self, host: str, delay: float) -> None:
        with self._cond:
            self._in_flight[host] -= 1
            self._ready_at[host] = max(self._ready_at.get(host, 0.0), clock.monotonic() + delay)
            self._cond.notify_all()

    def hold(self, host: str, seconds: float) -> None:
        """Keep every request off a host for a while (it asked us to, with Retry-After)."""
        with self._cond:
            self._ready_at[host] = max(self._ready_at.get(host, 0.0), clock.monotonic() + seconds)

    @contextmanager
    def turn(self, host: str, delay: float, limit: int) -> Iterator[None]:
        self.acquire(host, delay, limit)
        try:
            yield
        finally:
            self.release(host, delay)


# -- the fetcher ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Want:
    """What one fetch accepts: content types (None: any), size cap and purpose."""

    accept: tuple[str, ...] | None
    max_bytes: int
    purpose: str
    truncate: bool = False  # keep the first max_bytes of a longer body instead of refusing it


@dataclass
class _Attempt:
    """One try at a URL (redirects followed): the page, and whether and when to try again."""

    page: FetchedPage
    transient: bool = False
    retry_after: float | None = None


@dataclass
class _RobotsEntry:
    """A robots.txt fetch: its rules, or the refusal every URL of the origin gets instead."""

    rules: RobotsRules | None
    refusal: FetchRefused | None
    record: FetchedPage
    claimed: bool = False


def has_contact(user_agent: str) -> bool:
    """Does the User-Agent tell a site owner how to reach us (a URL or an e-mail address)?"""
    return "http://" in user_agent or "https://" in user_agent or "@" in user_agent


def resolve_addresses(host: str) -> list[str]:
    """The addresses a host name resolves to (raises socket.gaierror)."""
    return [info[4][0] for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)]


class Fetcher:
    """One pooled session, robots cache, pacer and host health shared by every fetch of a run."""

    def __init__(self, user_agent: str, limits: FetchLimits | None = None) -> None:
        self.limits = limits or FetchLimits()
        self.user_agent = user_agent
        if not has_contact(user_agent):
            log.warning(
                "User-Agent %r names no contact URL or address: site owners cannot reach us", user_agent
            )
        self.session = build_session(user_agent)
        self.pacer = HostPacer()
        self._lock = threading.Lock()
        self._robots: dict[str, _RobotsEntry] = {}
        self._origin_locks: dict[str, threading.Lock] = {}
        self._host_failures: dict[str, tuple[int, str]] = {}
        self._closed = threading.Event()

    def close(self) -> None:
        """End the run's fetching: requests not yet started fail at once (an interrupted run ends quickly)."""
        self._closed.set()
        self.session.close()

    # -- public --------------------------------------------------------------------------------
    def fetch(
        self,
        url: str,
        source: Source,
        accept: tuple[str, ...] | None = HTML_TYPES,
        previous: PreviousFetch | None = None,
        purpose: str = "page",
        conditional: bool = True,
    ) -> FetchedPage:
        """Fetch a URL within the source's rules; never raises.

        With `previous`, the request is conditional (unless told otherwise) and
        a 304 or an identical body comes back as outcome 'unchanged'.
        """
        want = _Want(accept, self.limits.max_bytes, purpose)
        headers = _conditional_headers(previous) if conditional else {}
        started = _now()
        if self._closed.is_set():
            return _failure(url, url, started, "not fetched: the run was stopped", reason="stopped")
        try:
            self._check_url(url, source, purpose)
            page = self._fetch_with_retries(url, source, want, headers)
        except FetchRefused as exc:
            page = _failure(url, url, started, str(exc), outcome=exc.outcome, reason=exc.reason)
        except Exception as exc:  # the last line of defence: a fetch must never stop a run
            log.exception("[%s] %s: unexpected error", source.id, url)
            page = _failure(
                url, url, started, f"internal error: {type(exc).__name__}: {exc}", reason="internal"
            )
        page = _compare_with_previous(page, previous)
        return replace(page, fetched_at=started, purpose=purpose)

    def robots_rules(self, url: str, source: Source) -> RobotsRules | None:
        """The robots.txt rules of the URL's origin (fetched once per run), or None when unavailable."""
        try:
            self._check_url(url, source, "robots")
            return self._robots_for(url, source)
        except FetchRefused:
            return None

    def take_robots_records(self, hosts: frozenset[str]) -> list[FetchedPage]:
        """The robots.txt fetches of these hosts not yet handed out (for the fetch log)."""
        with self._lock:
            entries = [e for o, e in self._robots.items() if host_key(o) in hosts and not e.claimed]
            for entry in entries:
                entry.claimed = True
        return [e.record for e in entries]

    # -- rules ---------------------------------------------------------------------------------
    def _check_url(self, url: str, source: Source, purpose: str) -> None:
        """Raise FetchRefused unless scope, address, host health and robots.txt all allow the URL."""
        prefixes = source.path_prefixes if purpose == "page" else ()
        refusal = scope_refusal(url, allowed_hosts(source.start_urls), prefixes)
        if refusal:
            raise FetchRefused(refusal, "out_of_scope", _scope_reason(refusal))
        if not source.allow_private_network:
            self._check_address(url)
        gave_up = self._host_given_up(host_key(url))
        if gave_up:
            raise FetchRefused(gave_up, "failed", "host failing")
        if purpose != "robots":
            rules = self._robots_for(url, source)
            if not rules.allows(url, self.user_agent):
                raise FetchRefused("robots.txt disallows this URL", "robots", "disallowed")

    def _check_address(self, url: str) -> None:
        host = urlsplit(url).hostname or ""
        try:
            addresses = resolve_addresses(host)
        except (socket.gaierror, UnicodeError) as exc:
            raise FetchRefused(f"DNS lookup failed for '{host}': {exc}", "failed", "dns") from exc
        for address in addresses:
            if not is_public_address(address):
                raise FetchRefused(
                    f"refused: '{host}' resolves to non-public address {address}",
                    "out_of_scope",
                    "private address",
                )

    def _robots_for(self, url: str, source: Source) -> RobotsRules:
        """The robots.txt rules of the URL's origin, fetched once per run; refuses when unavailable."""
        origin = _origin(url)
        with self._lock:
            origin_lock = self._origin_locks.setdefault(origin, threading.Lock())
        with origin_lock:  # one fetch per origin; other origins never wait on it
            if origin not in self._robots:
                self._robots[origin] = self._load_robots(origin, source)
            entry = self._robots[origin]
        if entry.rules is not None:
            return entry.rules
        refusal = entry.refusal or _robots_refusal(entry.record)
        # A fresh exception per URL: one instance raised in many threads would share its traceback.
        raise FetchRefused(str(refusal), refusal.outcome, refusal.reason)

    def _load_robots(self, origin: str, source: Source) -> _RobotsEntry:
        started = _now()
        want = _Want(None, ROBOTS_MAX_BYTES, "robots", truncate=True)  # RFC 9309: parse the first 500 KiB
        record = self._fetch_with_retries(origin + "/robots.txt", source, want, {})
        record = replace(record, purpose="robots", fetched_at=started)
        rules = None
        if record.outcome != "out_of_scope":
            rules = rules_for_response(record.status, record.body, record.content_type)
        return _RobotsEntry(rules, None if rules else _robots_refusal(record), replace(record, body=b""))

    def _delay_for(self, url: str, source: Source) -> float:
        """Seconds between requests to the URL's host: the source's, or robots.txt's if longer."""
        entry = self._robots.get(_origin(url))
        stated = entry.rules.delay(self.user_agent) if entry and entry.rules else None
        return max(source.min_delay_seconds, min(stated or 0.0, self.limits.max_crawl_delay))

    # -- host health ---------------------------------------------------------------------------
    def _host_given_up(self, host: str) -> str | None:
        count, last = self._host_failures.get(host, (0, ""))
        if count < self.limits.host_failure_limit:
            return None
        return f"host not asked again this run after {count} failures in a row (last: {last})"

    def _note_host_result(self, host: str, page: FetchedPage) -> None:
        failing = page.reason in HOST_FAILURES or (
            page.status is not None and _is_retryable_status(page.status)
        )
        with self._lock:
            if failing:
                count, _ = self._host_failures.get(host, (0, ""))
                self._host_failures[host] = (count + 1, page.error or "")
            elif page.status is not None:
                self._host_failures.pop(host, None)

    # -- requests ------------------------------------------------------------------------------
    def _fetch_with_retries(
        self, url: str, source: Source, want: _Want, headers: dict[str, str]
    ) -> FetchedPage:
        """Try, and after connection errors, 429 and 5xx try again after a backoff.

        A read timeout or a missed deadline is not retried: a server that was
        that slow once is slow again, and asking again triples the cost.
        """
        attempts, waited, spent = 0, 0.0, 0.0
        host = host_key(url)
        while True:
            attempts += 1
            attempt = self._exchange(url, source, want, headers)
            spent += attempt.page.elapsed_seconds
            if not attempt.transient or attempts > self.limits.retries:
                break
            wait, give_up = self._retry_wait(attempt, attempts, waited)
            if give_up:
                attempt.page = replace(attempt.page, error=f"{attempt.page.error}; {give_up}")
                break
            if attempt.retry_after is not None:
                self.pacer.hold(host_key(attempt.page.final_url), wait)
            log.info("[%s] retrying %s in %.1f s after: %s", source.id, url, wait, attempt.page.error)
            clock.sleep(wait)
            waited += wait
        self._note_host_result(host, attempt.page)
        return replace(attempt.page, attempts=attempts, elapsed_seconds=spent)

    def _retry_wait(self, attempt: _Attempt, attempts: int, waited: float) -> tuple[float, str | None]:
        """Seconds to wait before the next try, or why not to try again."""
        limits = self.limits
        if attempt.retry_after is not None:
            if attempt.retry_after > limits.max_retry_wait:
                return 0.0, (
                    f"server asked to wait {attempt.retry_after:g} s (Retry-After), "
                    f"more than the {limits.max_retry_wait:g} s allowed: not retried"
                )
            wait = attempt.retry_after * random.uniform(1.0, 1.1)
        else:
            wait = min(limits.max_retry_wait, limits.backoff_seconds * 2 ** (attempts - 1))
            wait *= random.uniform(0.5, 1.0)  # jitter, so many crawlers do not retry in step
        if waited + wait > limits.retry_budget:
            return 0.0, f"retry budget of {limits.retry_budget:g} s used up after {attempts} tries"
        return wait, None

    def _exchange(self, url: str, source: Source, want: _Want, headers: dict[str, str]) -> _Attempt:
        """One try: request, follow redirects hop by hop (each hop checked), read the body."""
        started, current, spent = _now(), url, 0.0
        for hop in range(self.limits.max_redirects + 1):
            if hop:
                try:
                    self._check_url(current, source, want.purpose)
                except FetchRefused as exc:
                    error = f"{exc} (redirect to {current})"
                    page = _failure(url, current, started, error, outcome=exc.outcome, reason=exc.reason)
                    return _Attempt(replace(page, elapsed_seconds=spent))
            result, seconds = self._hop(url, current, source, want, headers, started)
            spent += seconds
            if isinstance(result, _Attempt):
                result.page = replace(result.page, elapsed_seconds=spent)
                return result
            current = result
        error = f"too many redirects (more than {self.limits.max_redirects})"
        return _Attempt(
            replace(_failure(url, current, started, error, reason="redirects"), elapsed_seconds=spent)
        )

    def _hop(
        self, url: str, current: str, source: Source, want: _Want, headers: dict[str, str], started: datetime
    ) -> tuple[_Attempt | str, float]:
        """One paced, guarded request: the final attempt or the next hop's URL, and the seconds it took."""
        with self.pacer.turn(host_key(current), self._delay_for(current, source), source.max_concurrency):
            began = clock.monotonic()
            with _Guard(self.limits.total_deadline, source.allow_private_network) as guard:
                try:
                    response = self.session.send(
                        _get_request(
                            self.session, current, {**headers, "Accept": _accept_header(want.accept)}
                        ),
                        timeout=(self.limits.connect_timeout, self.limits.read_timeout),
                        allow_redirects=False,
                        stream=True,
                    )
                    with _released(response):
                        target = _redirect_target(response, current)
                        if target is None:
                            result: _Attempt | str = self._read(
                                url, current, response, want, bool(headers), started
                            )
                        elif target:
                            result = target
                        else:
                            error = f"HTTP {response.status_code} redirect to an invalid address"
                            status = response.status_code
                            result = _Attempt(
                                _failure(url, current, started, error, status=status, reason="redirect")
                            )
                except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
                    error, reason, transient = self._classify(exc, guard)
                    outcome = "out_of_scope" if guard.refused_peer else "failed"
                    result = _Attempt(
                        _failure(url, current, started, error, outcome=outcome, reason=reason), transient
                    )
                except ValueError as exc:  # requests parses a Location header even when not following it
                    error = f"redirect to an invalid address ({_short(exc)})"
                    result = _Attempt(_failure(url, current, started, error, reason="redirect"))
            if guard.expired and (isinstance(result, str) or result.page.ok):
                # The watchdog cut the socket and the server's answer merely looked complete.
                error = f"no complete response within {self.limits.total_deadline:g} s (total deadline)"
                result = _Attempt(_failure(url, current, started, error, reason="deadline"))
            return result, clock.monotonic() - began

    def _read(
        self,
        url: str,
        final_url: str,
        response: requests.Response,
        want: _Want,
        conditional: bool,
        started: datetime,
    ) -> _Attempt:
        """Turn a non-redirect response into a page: status, type and size checks, then the body."""
        status, content_type = response.status_code, response.headers.get("content-type")
        media_type = (content_type or "").split(";")[0].strip().lower()
        validators = {
            "etag": response.headers.get("etag"),
            "last_modified": response.headers.get("last-modified"),
        }

        def failed(error: str, reason: str, size: int = 0) -> _Attempt:
            return _Attempt(
                _failure(
                    url, final_url, started, error,
                    status=status, content_type=content_type, reason=reason, size=size,
                )
            )  # fmt: skip

        if status == 304 and conditional:
            page = FetchedPage(
                url, final_url, 304, started, content_type, b"", None,
                outcome="unchanged", reason="not modified", **validators,
            )  # fmt: skip
            return _Attempt(page)
        if status != 200:
            attempt = failed(f"HTTP {status} {response.reason or ''}".strip(), f"HTTP {status}")
            attempt.transient = _is_retryable_status(status)
            attempt.retry_after = parse_retry_after(response.headers.get("retry-after"), _now())
            return attempt
        if want.accept is not None and media_type and media_type not in want.accept:
            return failed(f"unexpected content type '{media_type}'", "content type")
        announced = _content_length(response)
        if announced is not None and announced > want.max_bytes and not want.truncate:
            return failed(
                f"body larger than {want.max_bytes:,} bytes ({announced:,} announced): not read", "too large"
            )
        body = _read_capped(response, want.max_bytes, want.truncate)
        if body is None:
            limit = want.max_bytes
            return failed(f"body larger than {limit:,} bytes: not read further", "too large", size=limit)
        if want.accept is not None and looks_binary(body) and not _is_gzip_sitemap(want, body):
            label = media_type or "no content type"
            return failed(
                f"binary content labelled '{label}': not a text document", "binary body", size=len(body)
            )
        page = FetchedPage(
            url, final_url, 200, started, content_type, body, content_hash(body), size=len(body), **validators
        )
        return _Attempt(page)

    def _classify(self, exc: Exception, guard: _Guard) -> tuple[str, str, bool]:
        """A failed request in words: (error, reason class, worth retrying)."""
        limits = self.limits
        if guard.refused_peer:
            return f"refused: connected to non-public address {guard.refused_peer}", "private address", False
        if guard.expired:
            return (
                f"no complete response within {limits.total_deadline:g} s (total deadline)",
                "deadline",
                False,
            )
        if isinstance(exc, requests.exceptions.SSLError):
            return f"TLS error: {_plain_cause(exc)}", "tls", False
        if isinstance(exc, requests.ConnectTimeout):
            return f"timed out connecting ({limits.connect_timeout:g} s connect timeout)", "timeout", True
        if isinstance(exc, requests.ReadTimeout) or _caused_by_read_timeout(exc):
            return (
                f"timed out waiting for the server ({limits.read_timeout:g} s read timeout)",
                "timeout",
                False,
            )
        if isinstance(exc, requests.exceptions.ChunkedEncodingError):
            return f"connection broken while reading the body: {_plain_cause(exc)}", "connection broken", True
        if isinstance(exc, requests.exceptions.ContentDecodingError):
            return f"body could not be decompressed: {_plain_cause(exc)}", "bad encoding", False
        if isinstance(exc, requests.ConnectionError | urllib3.exceptions.ProtocolError):
            return f"connection failed: {_plain_cause(exc)}", "connection failed", True
        if isinstance(exc, requests.RequestException | urllib3.exceptions.HTTPError):
            return f"request failed: {_plain_cause(exc)}", "request failed", False
        return f"connection failed: {_plain_cause(exc)}", "connection failed", True


# -- small pure helpers ------------------------------------------------------------------------


def _is_gzip_sitemap(want: _Want, body: bytes) -> bool:
    """A gzip-compressed sitemap is binary on the wire and text once inflated: let it through."""
    return want.purpose == "sitemap" and body.startswith(GZIP_MAGIC)


def _origin(url: str) -> str:
    return f"{urlsplit(url).scheme}://{host_key(url)}"


def _scope_reason(refusal: str) -> str:
    for key, reason in (("host", "other host"), ("path", "path"), ("scheme", "scheme"), ("URL", "url")):
        if f"out of scope: {key}" in refusal:
            return reason
    return "scope"


def _robots_refusal(record: FetchedPage) -> FetchRefused:
    """What every URL of a host gets when its robots.txt gave no rules, in words."""
    if record.reason in (*HOST_FAILURES, "dns", "host failing"):
        message = f"host unreachable: robots.txt could not be fetched ({record.error})"
        return FetchRefused(message, "failed", record.reason or "connection failed")
    if record.outcome == "out_of_scope":
        return FetchRefused(f"{record.error} (fetching robots.txt)", "out_of_scope", record.reason or "scope")
    message = f"robots.txt unavailable ({record.error}): host not crawled, as RFC 9309 asks"
    return FetchRefused(message, "failed", "robots.txt unavailable")


def _conditional_headers(previous: PreviousFetch | None) -> dict[str, str]:
    """If-None-Match / If-Modified-Since from the last good fetch, so unchanged pages cost a 304."""
    if previous is None:
        return {}
    headers = {}
    if previous.etag:
        headers["If-None-Match"] = previous.etag
    if previous.last_modified:
        headers["If-Modified-Since"] = previous.last_modified
    return headers


def _compare_with_previous(page: FetchedPage, previous: PreviousFetch | None) -> FetchedPage:
    """Mark a page unchanged (304, or the same bytes) and carry the previous validators and hash."""
    if previous is None:
        return page
    if page.status == 304 and page.outcome == "unchanged":
        return replace(
            page,
            content_hash=previous.content_hash,
            etag=page.etag or previous.etag,
            last_modified=page.last_modified or previous.last_modified,
        )
    if page.ok and page.content_hash == previous.content_hash:
        return replace(page, outcome="unchanged", reason="same content")
    return page


def _accept_header(accept: tuple[str, ...] | None) -> str:
    return ", ".join(accept) + ", */*;q=0.1" if accept else "*/*"


def _redirect_target(response: requests.Response, current: str) -> str | None:
    """The next hop of a redirect ('' for an unusable Location), or None for other responses."""
    if response.status_code not in REDIRECT_STATUSES or "location" not in response.headers:
        return None
    try:
        return urljoin(current, response.headers["location"].strip())
    except ValueError:
        return ""


def _is_retryable_status(status: int) -> bool:
    return status == 429 or 500 <= status <= 599


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


@contextmanager
def _released(response: requests.Response) -> Iterator[requests.Response]:
    """Close the response, handing its connection back to the pool when what is left is small.

    requests closes a streamed response's socket unless its body was read to
    the end, so every 304, redirect and short error page would cost a new TCP
    connection (a run with nothing changed is almost all 304s). A short rest is
    read and dropped instead; a large one is not worth reading.
    """
    try:
        yield response
    finally:
        length = _content_length(response)
        bodiless = response.status_code in (204, 304) or response.request.method == "HEAD"
        if not response._content_consumed and (bodiless or (length is not None and length <= DRAIN_LIMIT)):
            with suppress(requests.RequestException, urllib3.exceptions.HTTPError, OSError):
                for _chunk in response.iter_content(chunk_size=DRAIN_LIMIT):
                    pass
        response.close()


def _content_length(response: requests.Response) -> int | None:
    value = response.headers.get("content-length", "")
    return int(value) if value.strip().isdigit() else None


def _read_capped(response: requests.Response, max_bytes: int, truncate: bool = False) -> bytes | None:
    """The (decompressed) body; past max_bytes, None (or its first max_bytes when truncating)."""
    chunks, size = [], 0
    for chunk in response.iter_content(chunk_size=65536):
        chunks.append(chunk)
        size += len(chunk)
        if size > max_bytes:
            return b"".join(chunks)[:max_bytes] if truncate else None
    return b"".join(chunks)  # one copy of the body, not one per chunk


def _caused_by_read_timeout(exc: Exception) -> bool:
    return any(isinstance(arg, urllib3.exceptions.ReadTimeoutError) for arg in exc.args) or (
        "Read timed out" in str(exc)
    )


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception and what it wraps (args, cause, context, urllib3's `reason`), outermost first."""
    found: list[BaseException] = []
    queue = [exc]
    while queue and len(found) < 30:
        current = queue.pop(0)
        if any(current is seen for seen in found):
            continue
        found.append(current)
        inner = [a for a in current.args if isinstance(a, BaseException)]
        inner += [c for c in (current.__cause__, current.__context__, getattr(current, "reason", None)) if c]
        queue.extend(c for c in inner if isinstance(c, BaseException))
    return found


def _plain_cause(exc: BaseException) -> str:
    """What went wrong underneath a library's layered exception, in words."""
    causes = _causes(exc)
    for cause in causes:
        if isinstance(cause, http.client.RemoteDisconnected):
            return "the server closed the connection without answering"
    for kind, words in (
        (ConnectionRefusedError, "connection refused"),
        (ConnectionResetError, "connection reset by the server"),
        (http.client.BadStatusLine, "the server did not answer in HTTP"),
        (http.client.LineTooLong, "a header line is too long"),
        (socket.gaierror, "the host name could not be resolved"),
        (urllib3.exceptions.NameResolutionError, "the host name could not be resolved"),
    ):
        if any(isinstance(cause, kind) for cause in causes):
            return words
    for cause in causes:
        partial, expected = getattr(cause, "partial", None), getattr(cause, "expected", None)
        if isinstance(cause, http.client.IncompleteRead | urllib3.exceptions.IncompleteRead):
            got = len(partial) if isinstance(partial, bytes) else partial
            return f"the body ended after {got} bytes, {expected} more were announced"
    return _short(causes[-1] if len(causes) > 1 else exc)


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) <= 200 else text[:197] + "..."
