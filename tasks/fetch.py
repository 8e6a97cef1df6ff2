"""The fetcher: the only code that talks HTTP. Polite, bounded, and it never raises.

Every fetch returns a FetchedPage; failures carry a plain-words `error`
("robots.txt disallows this URL", "timed out after 15 s", ...), so one bad
URL or host never stops a run.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import random
import socket
import threading
import time as clock
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import requests

from tasks.records import FetchedPage
from tasks.registry import Source

log = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")
TEXT_TYPES = ("text/plain",)
XML_TYPES = ("application/xml", "text/xml")


@dataclass(frozen=True)
class FetchLimits:
    """Bounds on every request; defaults suit municipal sites."""

    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    total_deadline: float = 30.0
    max_bytes: int = 5_000_000
    max_redirects: int = 5
    retries: int = 2
    backoff_seconds: float = 0.5
    max_retry_wait: float = 10.0


class FetchRefused(Exception):
    """A URL the rules say not to fetch (scope, robots, private address)."""


def content_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def check_scope(url: str, source: Source) -> None:
    """Raise FetchRefused unless the URL is http(s) on one of the source's hosts."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchRefused(f"out of scope: scheme '{parts.scheme}' is not http(s)")
    if parts.netloc.lower() not in source.hosts:
        raise FetchRefused(f"out of scope: host '{parts.netloc}' is not one of the source's hosts")


def check_address(url: str, source: Source) -> None:
    """Refuse loopback, private and link-local targets unless the source allows them."""
    host = urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror as exc:
        raise FetchRefused(f"DNS lookup failed for '{host}': {exc}") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        internal = (
            address.is_private
            or address.is_loopback
            or address.is_link_local
            or address.is_reserved
            or address.is_multicast
            or address.is_unspecified
        )
        if internal and not source.allow_private_network:
            raise FetchRefused(f"refused: '{host}' resolves to non-public address {address}")


class HostPacer:
    """At most one request at a time per host, and a minimum delay between them."""

    def __init__(self) -> None:
        self._locks: dict[str, threading.Lock] = {}
        self._last: dict[str, float] = {}
        self._guard = threading.Lock()

    def _lock_for(self, host: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(host, threading.Lock())

    def wait_turn(self, host: str, delay: float) -> threading.Lock:
        """Block until this host may be asked again; return the held lock to release."""
        lock = self._lock_for(host)
        lock.acquire()
        elapsed = clock.monotonic() - self._last.get(host, float("-inf"))
        if elapsed < delay:
            clock.sleep(delay - elapsed)
        return lock

    def done(self, host: str, lock: threading.Lock) -> None:
        self._last[host] = clock.monotonic()
        lock.release()


class Fetcher:
    """One requests.Session shared by every fetch of a run."""

    def __init__(self, user_agent: str, limits: FetchLimits | None = None) -> None:
        self.limits = limits or FetchLimits()
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": user_agent, "Accept-Language": "sv,en;q=0.5"})
        self.pacer = HostPacer()
        self._robots: dict[str, tuple[RobotFileParser | None, str | None]] = {}
        self._robots_lock = threading.Lock()
        self._robots_locks: dict[str, threading.Lock] = {}
        self.user_agent = user_agent

    def close(self) -> None:
        self.session.close()

    # -- robots.txt -------------------------------------------------------
    def _load_robots(self, origin: str, source: Source) -> tuple[RobotFileParser | None, str | None]:
        """robots.txt for an origin, or None and the reason it could not be read."""
        parser = RobotFileParser()
        result = self._request(urljoin(origin, "/robots.txt"), source, accept=(*TEXT_TYPES, *HTML_TYPES))
        if result.status is not None and 400 <= result.status < 500:
            parser.parse([])  # no robots.txt: everything is allowed
            return parser, None
        if result.error is not None:
            return None, result.error
        parser.parse(result.body.decode("utf-8", errors="replace").splitlines())
        return parser, None

    def robots_for(self, url: str, source: Source) -> RobotFileParser:
        """The parsed robots.txt for the URL's origin; raises FetchRefused when unreadable."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._robots_lock:  # one lock per origin, so hosts never wait on each other
            origin_lock = self._robots_locks.setdefault(origin, threading.Lock())
        with origin_lock:
            if origin not in self._robots:
                self._robots[origin] = self._load_robots(origin, source)
            parser, reason = self._robots[origin]
        if parser is None:
            raise FetchRefused(f"robots.txt could not be read ({reason}): not fetching this host")
        return parser

    # -- fetching -----------------------------------------------------------
    def fetch(self, url: str, source: Source, accept: tuple[str, ...] = HTML_TYPES) -> FetchedPage:
        """Fetch a page within the source's rules; never raises."""
        try:
            check_scope(url, source)
            check_address(url, source)
            robots = self.robots_for(url, source)
            if not robots.can_fetch(self.user_agent, url):
                raise FetchRefused("robots.txt disallows this URL")
        except FetchRefused as exc:
            return FetchedPage(url, url, None, _now(), None, b"", None, error=str(exc))
        return self._request(url, source, accept)

    def _request(self, url: str, source: Source, accept: tuple[str, ...]) -> FetchedPage:
        attempt = 0
        while True:
            page, retry_after = self._request_once(url, source, accept)
            if not _is_transient(page) or attempt >= self.limits.retries:
                return page
            attempt += 1
            wait = retry_after if retry_after is not None else self.limits.backoff_seconds * 2**attempt
            wait = min(wait * (1 + random.random() * 0.2), self.limits.max_retry_wait)
            log.info("retrying %s in %.1f s after: %s", url, wait, page.error)
            clock.sleep(wait)

    def _request_once(
        self, url: str, source: Source, accept: tuple[str, ...]
    ) -> tuple[FetchedPage, float | None]:
        started = _now()
        current = url
        for _hop in range(self.limits.max_redirects + 1):
            try:
                check_scope(current, source)
                check_address(current, source)
            except FetchRefused as exc:
                return FetchedPage(url, current, None, started, None, b"", None, error=str(exc)), None
            host = urlsplit(current).netloc.lower()
            lock = self.pacer.wait_turn(host, self._crawl_delay_cached(current, source))
            try:
                response = self.session.get(
                    current,
                    timeout=(self.limits.connect_timeout, self.limits.read_timeout),
                    allow_redirects=False,
                    stream=True,
                )
                try:
                    if response.is_redirect and "location" in response.headers:
                        current = urljoin(current, response.headers["location"])
                        continue
                    return self._read_response(url, current, response, started, accept), _retry_after(
                        response
                    )
                finally:
                    response.close()
            except requests.Timeout:
                error = f"timed out (connect {self.limits.connect_timeout:g} s / read {self.limits.read_timeout:g} s)"
            except requests.ConnectionError as exc:
                error = f"connection failed: {_short(exc)}"
            except requests.RequestException as exc:
                error = f"request failed: {_short(exc)}"
            finally:
                self.pacer.done(host, lock)
            return FetchedPage(url, current, None, started, None, b"", None, error=error), None
        error = f"too many redirects (more than {self.limits.max_redirects})"
        return FetchedPage(url, current, None, started, None, b"", None, error=error), None

    def _crawl_delay_cached(self, url: str, source: Source) -> float:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        robots, _reason = self._robots.get(origin, (None, None))
        stated = robots.crawl_delay(self.user_agent) if robots else None
        return max(source.min_delay_seconds, float(stated or 0))

    def _read_response(
        self,
        url: str,
        final_url: str,
        response: requests.Response,
        started: datetime,
        accept: tuple[str, ...],
    ) -> FetchedPage:
        content_type = response.headers.get("content-type", "")
        media_type = content_type.split(";")[0].strip().lower()
        if response.status_code != 200:
            return FetchedPage(
                url,
                final_url,
                response.status_code,
                started,
                content_type,
                b"",
                None,
                error=f"HTTP {response.status_code} {response.reason or ''}".strip(),
            )
        if media_type and media_type not in accept:
            return FetchedPage(
                url,
                final_url,
                200,
                started,
                content_type,
                b"",
                None,
                error=f"unexpected content type '{media_type}'",
            )
        body = bytearray()
        deadline = clock.monotonic() + self.limits.total_deadline
        for chunk in response.iter_content(chunk_size=65536):
            body.extend(chunk)
            if len(body) > self.limits.max_bytes:
                return FetchedPage(
                    url,
                    final_url,
                    200,
                    started,
                    content_type,
                    b"",
                    None,
                    error=f"body larger than {self.limits.max_bytes:,} bytes: not read further",
                )
            if clock.monotonic() > deadline:
                return FetchedPage(
                    url,
                    final_url,
                    200,
                    started,
                    content_type,
                    b"",
                    None,
                    error=f"body not complete within {self.limits.total_deadline:g} s",
                )
        data = bytes(body)
        return FetchedPage(url, final_url, 200, started, content_type, data, content_hash(data))


def _is_transient(page: FetchedPage) -> bool:
    """Worth another try: timeouts, dropped connections, 429 and 5xx."""
    if page.error is None:
        return False
    if page.status is not None:
        return page.status == 429 or page.status >= 500
    return page.error.startswith(("timed out", "connection failed"))


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value and value.strip().isdigit():
        return float(value.strip())
    return None


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) <= 200 else text[:197] + "..."
