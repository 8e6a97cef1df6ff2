"""The fetcher against a real misbehaving server on 127.0.0.1 (no mocked requests).

Every fault ends in a recorded outcome with a plain-words error, never an
exception. Timeouts and delays are tiny so the whole file stays quick.
"""

from __future__ import annotations

import http.server
import itertools
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

import tasks.fetch
from tasks.charset import decode_text
from tasks.fetch import Fetcher, FetchLimits, content_hash
from tasks.records import FetchedPage, PreviousFetch
from tasks.registry import Source
from tests.faulty_server import ETAG, LAST_MODIFIED, PAGE, faulty_server
from tests.loopback_http import send, serve_on_loopback

LIMITS = FetchLimits(
    connect_timeout=1,
    read_timeout=0.3,
    total_deadline=1.0,
    max_bytes=100_000,
    retries=2,
    backoff_seconds=0.02,
    max_retry_wait=2,
    retry_budget=3,
)
USER_AGENT = "kommundialog-test/1.0 (+https://example.org/kommundialog)"


def source_for(origin: str, *, private: bool = True, delay: float = 0.0, concurrency: int = 1) -> Source:
    return Source(
        id="test",
        municipality="Exempelby",
        municipality_code="9999",
        start_urls=(origin + "/ok",),
        allow_private_network=private,
        min_delay_seconds=delay,
        max_concurrency=concurrency,
    )


@pytest.fixture
def server():
    with faulty_server() as served:
        yield served


def fetch(origin: str, path: str, previous: PreviousFetch | None = None, **kw) -> FetchedPage:
    fetcher = Fetcher(USER_AGENT, LIMITS)
    try:
        return fetcher.fetch(origin + path, source_for(origin, **kw), previous=previous)
    finally:
        fetcher.close()


def previous_of(page: FetchedPage) -> PreviousFetch:
    return PreviousFetch(
        url=page.url,
        final_url=page.final_url,
        content_hash=page.content_hash,
        etag=page.etag,
        last_modified=page.last_modified,
        checked_at=page.fetched_at,
    )


# -- every fault class ends in a recorded outcome, worded for people ------------------------------

FAULTS = [
    # path, outcome, reason, start of the error
    ("/missing", "failed", "HTTP 404", "HTTP 404 Not Found"),
    ("/gone", "failed", "HTTP 410", "HTTP 410 Gone"),
    ("/forbidden", "failed", "HTTP 403", "HTTP 403 Forbidden"),
    ("/always-503", "failed", "HTTP 503", "HTTP 503 Service Unavailable"),
    ("/rate-limited-long", "failed", "HTTP 429", "HTTP 429 Too Many Requests; server asked to wait 86400 s"),
    ("/slow-body", "failed", "deadline", "no complete response within 1 s (total deadline)"),
    ("/slow-headers", "failed", "deadline", "no complete response within 1 s (total deadline)"),
    ("/loop", "failed", "redirects", "too many redirects (more than 5)"),
    ("/to-other-host", "out_of_scope", "other host", "out of scope: host 'example.org'"),
    ("/to-private", "out_of_scope", "other host", "out of scope: host '10.0.0.1'"),
    ("/to-link-local", "out_of_scope", "other host", "out of scope: host '169.254.169.254'"),
    ("/to-localhost", "out_of_scope", "other host", "out of scope: host 'localhost:"),
    ("/to-ftp", "out_of_scope", "scheme", "out of scope: scheme 'ftp' is not http(s)"),
    ("/to-disallowed", "robots", "disallowed", "robots.txt disallows this URL (redirect to"),
    ("/bad-redirect", "failed", "redirect", "redirect to an invalid address"),
    ("/no-location", "failed", "HTTP 302", "HTTP 302 Found"),
    ("/huge", "failed", "too large", "body larger than 100,000 bytes (300,007 announced): not read"),
    ("/huge-unannounced", "failed", "too large", "body larger than 100,000 bytes: not read further"),
    ("/gzip-bomb", "failed", "too large", "body larger than 100,000 bytes: not read further"),
    ("/image", "failed", "content type", "unexpected content type 'image/png'"),
    ("/binary-html", "failed", "binary body", "binary content labelled 'text/html': not a text document"),
    ("/nul-html", "failed", "binary body", "binary content labelled 'text/html'"),
    ("/reset-mid-body", "failed", "connection broken", "connection broken while reading the body"),
    ("/close-at-once", "failed", "connection failed", "connection failed: "),
    ("/not-http", "failed", "connection failed", "connection failed: "),
    ("/private/page", "robots", "disallowed", "robots.txt disallows this URL"),
]


@pytest.mark.parametrize(("path", "outcome", "reason", "error"), FAULTS, ids=[f[0] for f in FAULTS])
def test_each_fault_ends_in_a_recorded_outcome(server, path, outcome, reason, error) -> None:
    origin, _ = server
    page = fetch(origin, path)
    assert (page.outcome, page.reason) == (outcome, reason), page.error
    assert page.error.startswith(error), page.error
    assert not page.ok and page.body == b"" and page.content_hash is None


# -- success and what we send ------------------------------------------------------------------------


def test_ok_page_has_body_hash_and_request_facts(server) -> None:
    origin, _ = server
    page = fetch(origin, "/ok")
    assert page.ok and page.status == 200 and page.outcome == "fetched"
    assert b"dialogm" in page.body and page.content_hash == content_hash(PAGE.encode())
    assert page.size == len(PAGE.encode()) and page.attempts == 1 and page.elapsed_seconds > 0


def test_requests_carry_the_configured_user_agent_and_accept(server) -> None:
    origin, handler = server
    fetch(origin, "/ok")
    (headers,) = handler.seen_headers["/ok"]
    assert headers["User-Agent"] == USER_AGENT
    assert headers["Accept"].startswith("text/html")
    assert handler.seen_headers["/robots.txt"][0]["User-Agent"] == USER_AGENT


def test_same_host_redirect_is_followed_and_final_url_kept(server) -> None:
    origin, _ = server
    page = fetch(origin, "/to-ok")
    assert page.ok and page.final_url == origin + "/ok"


def test_page_without_content_type_is_accepted_when_it_is_text(server) -> None:
    origin, _ = server
    assert fetch(origin, "/no-content-type").ok


# -- retries ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/missing", "/gone", "/forbidden", "/rate-limited-long"])
def test_permanent_errors_are_not_retried(server, path: str) -> None:
    origin, handler = server
    page = fetch(origin, path)
    assert page.attempts == 1 and handler.hits[path] == 1


def test_server_error_then_success_is_retried(server) -> None:
    origin, handler = server
    page = fetch(origin, "/flaky-500")
    assert page.ok and page.attempts == 2
    assert handler.hits["/flaky-500"] == 2


def test_persistent_server_error_is_retried_then_recorded(server) -> None:
    origin, handler = server
    page = fetch(origin, "/always-503")
    assert page.attempts == 3 and handler.hits["/always-503"] == 3


def test_rate_limit_honours_retry_after(server) -> None:
    origin, handler = server
    page = fetch(origin, "/rate-limited")
    assert page.ok
    first, second = handler.times["/rate-limited"]
    assert second - first >= 1.0


def test_connection_reset_mid_body_is_retried_and_can_succeed(server) -> None:
    origin, handler = server
    page = fetch(origin, "/reset-once")
    assert page.ok and handler.hits["/reset-once"] == 2


def test_retry_budget_caps_total_waiting(server) -> None:
    origin, handler = server
    fetcher = Fetcher(USER_AGENT, FetchLimits(retries=10, backoff_seconds=0.05, retry_budget=0.1))
    page = fetcher.fetch(origin + "/always-503", source_for(origin))
    assert "retry budget of 0.1 s used up" in page.error
    assert handler.hits["/always-503"] < 10


def test_slow_first_byte_times_out_and_is_not_asked_again(server) -> None:
    origin, handler = server
    page = fetch(origin, "/slow-first-byte")
    assert (page.outcome, page.reason) == ("failed", "timeout")
    assert page.error == "timed out waiting for the server (0.3 s read timeout)"
    assert page.attempts == 1 and handler.hits["/slow-first-byte"] == 1


def test_a_failing_host_is_left_alone_for_the_rest_of_the_run(server) -> None:
    origin, handler = server
    fetcher = Fetcher(USER_AGENT, FetchLimits(retries=0, host_failure_limit=2))
    source = source_for(origin)
    for _ in range(2):
        fetcher.fetch(origin + "/always-503", source)
    page = fetcher.fetch(origin + "/ok", source)
    assert (page.outcome, page.reason) == ("failed", "host failing")
    assert page.error.startswith("host not asked again this run after 2 failures in a row")
    assert handler.hits["/ok"] == 0


# -- robots.txt -----------------------------------------------------------------------------------------


def test_robots_disallow_is_recorded_and_not_fetched(server) -> None:
    origin, handler = server
    page = fetch(origin, "/private/page")
    assert page.outcome == "robots" and page.error == "robots.txt disallows this URL"
    assert handler.hits["/private/page"] == 0


def test_robots_group_for_our_user_agent_wins_over_the_star_group() -> None:
    robots = "User-agent: *\nAllow: /\n\nUser-agent: kommundialog-test\nDisallow: /ok2\n"
    with faulty_server(robots=robots) as (origin, handler):
        assert fetch(origin, "/ok2").outcome == "robots"
        assert fetch(origin, "/ok").ok
        assert handler.hits["/ok2"] == 0


def test_robots_is_fetched_once_per_host_and_run(server) -> None:
    origin, handler = server
    fetcher = Fetcher(USER_AGENT, LIMITS)
    for path in ("/ok", "/ok2", "/ok3"):
        fetcher.fetch(origin + path, source_for(origin))
    assert handler.hits["/robots.txt"] == 1
    (record,) = fetcher.take_robots_records(frozenset({origin.removeprefix("http://")}))
    assert (record.purpose, record.status) == ("robots", 200)
    assert fetcher.take_robots_records(frozenset({origin.removeprefix("http://")})) == []


def test_missing_robots_txt_allows_everything() -> None:
    with faulty_server(robots_status=404) as (origin, _):
        assert fetch(origin, "/private/page").ok


def test_failing_robots_txt_means_the_host_is_not_crawled() -> None:
    with faulty_server(robots_status=500) as (origin, handler):
        page = fetch(origin, "/ok")
        assert (page.outcome, page.reason) == ("failed", "robots.txt unavailable")
        assert page.error.startswith("robots.txt unavailable (HTTP 500")
        assert handler.hits["/ok"] == 0


def test_robots_crawl_delay_spaces_requests() -> None:
    with faulty_server(robots="User-agent: *\nCrawl-delay: 0.2\n") as (origin, handler):
        fetcher = Fetcher(USER_AGENT, LIMITS)
        for path in ("/ok", "/ok2", "/ok3"):
            assert fetcher.fetch(origin + path, source_for(origin, delay=0)).ok
        stamps = sorted(t for path in ("/ok", "/ok2", "/ok3") for t in handler.times[path])
        assert min(b - a for a, b in itertools.pairwise(stamps)) >= 0.195


# -- scope and addresses -------------------------------------------------------------------------------


def test_private_address_is_refused_unless_allowed(server) -> None:
    origin, handler = server
    page = fetch(origin, "/ok", private=False)
    assert page.outcome == "out_of_scope" and "non-public address 127.0.0.1" in page.error
    assert handler.hits["/ok"] == 0 and handler.hits["/robots.txt"] == 0


def test_address_is_checked_again_at_connect_time(server, monkeypatch) -> None:
    """DNS rebinding: the name looked public when checked, the connection lands on loopback."""
    origin, handler = server
    monkeypatch.setattr(tasks.fetch, "resolve_addresses", lambda host: ["93.184.216.34"])
    page = fetch(origin, "/ok", private=False)
    assert (page.outcome, page.reason) == ("out_of_scope", "private address")
    assert page.error.startswith("refused: connected to non-public address 127.0.0.1")
    assert handler.hits["/ok"] == 0


def test_out_of_scope_url_is_refused_before_any_request(server) -> None:
    origin, handler = server
    fetcher = Fetcher(USER_AGENT, LIMITS)
    for url in (
        "http://example.org/x",
        "http://[::1/broken",
        "file:///etc/passwd",
        origin + "/" + "a" * 3000,
    ):
        page = fetcher.fetch(url, source_for(origin))
        assert page.outcome == "out_of_scope" and page.error.startswith("out of scope"), url
    assert sum(handler.hits.values()) == 0


def test_path_prefixes_limit_the_pages_of_a_source(server) -> None:
    origin, handler = server
    source = Source(
        id="test",
        municipality="Exempelby",
        municipality_code="9999",
        start_urls=(origin + "/ok",),
        allow_private_network=True,
        min_delay_seconds=0,
        path_prefixes=("/ok",),
    )
    fetcher = Fetcher(USER_AGENT, LIMITS)
    assert fetcher.fetch(origin + "/ok2", source).ok
    page = fetcher.fetch(origin + "/missing", source)
    assert page.error == "out of scope: path '/missing' is outside the source's path prefixes"
    assert handler.hits["/missing"] == 0


# -- charsets ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/latin1", "/wrong-charset", "/utf8-labelled-latin1", "/bogus-charset"])
def test_swedish_letters_survive_missing_or_wrong_charsets(server, path: str) -> None:
    origin, _ = server
    page = fetch(origin, path)
    assert "Dialogmöte på Åsgården i Älvdalen" in decode_text(page.body, page.content_type)


# -- incremental: validators, 304 and unchanged content --------------------------------------------------


def test_etag_revalidation_gets_304_and_keeps_the_previous_hash(server) -> None:
    origin, handler = server
    first = fetch(origin, "/etag")
    assert first.ok and first.etag == ETAG
    second = fetch(origin, "/etag", previous=previous_of(first))
    assert (second.status, second.outcome, second.reason) == (304, "unchanged", "not modified")
    assert second.content_hash == first.content_hash and second.etag == ETAG and second.body == b""
    assert handler.seen_headers["/etag"][1]["If-None-Match"] == ETAG


def test_last_modified_revalidation_gets_304(server) -> None:
    origin, handler = server
    first = fetch(origin, "/last-modified")
    second = fetch(origin, "/last-modified", previous=previous_of(first))
    assert (second.status, second.outcome) == (304, "unchanged")
    assert handler.seen_headers["/last-modified"][1]["If-Modified-Since"] == LAST_MODIFIED


def test_same_body_without_304_counts_as_unchanged(server) -> None:
    origin, _ = server
    first = fetch(origin, "/ok")
    second = fetch(origin, "/ok", previous=previous_of(first))
    assert (second.status, second.outcome, second.reason) == (200, "unchanged", "same content")
    assert not second.changed


def test_changed_body_is_fetched_again(server) -> None:
    origin, _ = server
    stale = PreviousFetch(origin + "/ok", origin + "/ok", "0" * 64, None, None, datetime.now(UTC))
    page = fetch(origin, "/ok", previous=stale)
    assert page.outcome == "fetched" and page.changed


# -- politeness ------------------------------------------------------------------------------------------


def test_per_host_delay_and_single_request_at_a_time(server) -> None:
    origin, handler = server
    fetcher = Fetcher(USER_AGENT, LIMITS)
    source = source_for(origin, delay=0.15)
    with ThreadPoolExecutor(max_workers=4) as pool:
        pages = list(pool.map(lambda p: fetcher.fetch(origin + p, source), ["/ok", "/ok2", "/ok", "/ok2"]))
    assert all(p.ok for p in pages)
    stamps = sorted(t for path in ("/ok", "/ok2") for t in handler.times[path])
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert min(gaps) >= 0.145
    assert handler.in_flight[1] == 1


def test_oversized_robots_txt_is_read_up_to_its_first_500_kib() -> None:
    robots = "User-agent: *\nDisallow: /ok2\n" + "# padding\n" * 60_000
    with faulty_server(robots=robots) as (origin, _):
        assert fetch(origin, "/ok2").outcome == "robots"
        assert fetch(origin, "/ok").ok


# -- connections are reused: a 304 or a short error page does not cost a new one ---------------------


class _KeepAliveHandler(http.server.BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive; counts the TCP connections clients open."""

    protocol_version = "HTTP/1.1"
    connections = 0

    def setup(self) -> None:
        super().setup()
        type(self).connections += 1

    def do_GET(self) -> None:
        if self.path == "/missing":
            send(self, 404, "text/html; charset=utf-8", b"<p>Sidan finns inte</p>")
        elif self.headers.get("If-None-Match") == '"v1"':
            self.send_response(304)
            self.send_header("ETag", '"v1"')
            self.end_headers()
        else:
            self.send_response(200)
            self.send_header("ETag", '"v1"')
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(PAGE.encode())))
            self.end_headers()
            self.wfile.write(PAGE.encode())

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_revalidations_and_short_error_pages_reuse_one_connection() -> None:
    handler = type("Counting", (_KeepAliveHandler,), {"connections": 0})
    server, origin = serve_on_loopback(handler)
    fetcher = Fetcher(USER_AGENT, LIMITS)
    try:
        source = source_for(origin)
        first = fetcher.fetch(origin + "/page", source)
        pages = [fetcher.fetch(origin + "/page", source, previous=previous_of(first)) for _ in range(3)]
        missing = fetcher.fetch(origin + "/missing", source)
        again = fetcher.fetch(origin + "/page", source)
    finally:
        fetcher.close()
        server.shutdown()
    assert first.ok and again.ok and [p.status for p in pages] == [304, 304, 304]
    assert (missing.status, missing.reason) == (404, "HTTP 404")
    # robots.txt (a 404 here) and six page requests, all over the first connection
    assert handler.connections == 1


def test_requests_carry_our_headers_and_never_a_cookie_a_site_set() -> None:
    seen: list[dict[str, str]] = []

    class CookieSetter(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            seen.append({**dict(self.headers), "path": self.path})
            if self.path == "/hop":  # a redirect that sets a cookie, then the page that sets another
                self.send_response(302)
                self.send_header("Location", "/sida")
                self.send_header("Set-Cookie", "hop=1; Path=/")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Set-Cookie", "session=abc; Path=/")
            self.send_header("Content-Type", "text/html; charset=utf-8")
            body = "<html><body><p>Dialogmöte</p></body></html>".encode()
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server, origin = serve_on_loopback(CookieSetter)
    fetcher = Fetcher(USER_AGENT, LIMITS)
    url = origin + "/sida"
    previous = PreviousFetch(
        url, url, "abc", '"v1"', "Mon, 06 Jan 2025 08:00:00 GMT", datetime(2025, 1, 6, tzinfo=UTC)
    )
    try:
        first = fetcher.fetch(origin + "/hop", source_for(origin))
        again = fetcher.fetch(url, source_for(origin), previous=previous)
    finally:
        fetcher.close()
        server.shutdown()
    assert first.final_url == url and first.status == 200 and again.status == 200
    pages = [h for h in seen if h["path"] != "/robots.txt"]
    assert [h["path"] for h in pages] == ["/hop", "/sida", "/sida"]
    assert not [h for h in seen if "Cookie" in h]  # neither cookie was ever sent back
    assert all(h["User-Agent"] == USER_AGENT and h["Accept-Language"] == "sv,en;q=0.5" for h in pages)
    assert {h["Accept"] for h in pages} == {"text/html, application/xhtml+xml, */*;q=0.1"}
    assert (pages[2]["If-None-Match"], pages[2]["If-Modified-Since"]) == (
        '"v1"',
        "Mon, 06 Jan 2025 08:00:00 GMT",
    )
    assert "If-None-Match" not in pages[0] and "If-None-Match" not in pages[1]
