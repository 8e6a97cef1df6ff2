"""The fetcher against a real misbehaving server on 127.0.0.1 (no mocked requests)."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor

import pytest

from tasks.extract.document import decode_html
from tasks.fetch import Fetcher, FetchLimits
from tasks.registry import Source
from tests.faulty_server import faulty_server

LIMITS = FetchLimits(
    connect_timeout=1,
    read_timeout=0.5,
    total_deadline=5,
    max_bytes=100_000,
    retries=2,
    backoff_seconds=0.05,
    max_retry_wait=2,
)


def source_for(origin: str, *, private: bool = True, delay: float = 0.0) -> Source:
    return Source(
        id="test",
        municipality="Exempelby",
        municipality_code="9999",
        start_urls=(origin + "/ok",),
        allow_private_network=private,
        min_delay_seconds=delay,
    )


@pytest.fixture
def server():
    with faulty_server() as served:
        yield served


def fetch(origin: str, path: str, **kw) -> object:
    fetcher = Fetcher("kommundialog-test/1.0", LIMITS)
    try:
        return fetcher.fetch(origin + path, source_for(origin, **kw))
    finally:
        fetcher.close()


def test_ok_page_has_body_and_hash(server) -> None:
    origin, _ = server
    page = fetch(origin, "/ok")
    assert page.ok and page.status == 200
    assert b"dialogm" in page.body and len(page.content_hash) == 64


def test_robots_disallow_is_recorded_and_not_fetched(server) -> None:
    origin, handler = server
    page = fetch(origin, "/private/page")
    assert page.error == "robots.txt disallows this URL"
    assert handler.hits["/private/page"] == 0


@pytest.mark.parametrize(("path", "status"), [("/missing", 404), ("/gone", 410)])
def test_permanent_errors_are_not_retried(server, path: str, status: int) -> None:
    origin, handler = server
    page = fetch(origin, path)
    assert (page.status, page.ok) == (status, False)
    assert page.error.startswith(f"HTTP {status}")
    assert handler.hits[path] == 1


def test_server_error_then_success_is_retried(server) -> None:
    origin, handler = server
    page = fetch(origin, "/flaky-500")
    assert page.ok
    assert handler.hits["/flaky-500"] == 2


def test_rate_limit_honours_retry_after(server) -> None:
    origin, handler = server
    page = fetch(origin, "/rate-limited")
    assert page.ok
    first, second = handler.times["/rate-limited"]
    assert second - first >= 1.0


def test_slow_first_byte_times_out(server) -> None:
    origin, _ = server
    page = fetch(origin, "/slow-first-byte")
    assert not page.ok and page.error.startswith("timed out")


def test_redirect_loop_is_capped(server) -> None:
    origin, _ = server
    assert "too many redirects" in fetch(origin, "/loop").error


def test_redirect_to_another_host_is_refused(server) -> None:
    origin, _ = server
    page = fetch(origin, "/to-other-host")
    assert page.error.startswith("out of scope: host 'example.org'")


def test_private_address_is_refused_unless_allowed(server) -> None:
    origin, handler = server
    page = fetch(origin, "/ok", private=False)
    assert "non-public address 127.0.0.1" in page.error
    assert handler.hits["/ok"] == 0


def test_oversized_body_is_cut_off(server) -> None:
    origin, _ = server
    page = fetch(origin, "/huge")
    assert not page.ok and page.error.startswith("body larger than 100,000 bytes")
    assert page.body == b""


def test_unexpected_content_type_is_refused(server) -> None:
    origin, _ = server
    assert fetch(origin, "/image").error == "unexpected content type 'image/png'"


def test_page_without_charset_keeps_swedish_letters(server) -> None:
    origin, _ = server
    page = fetch(origin, "/latin1")
    assert "Dialogmöte på Åsgården" in decode_html(page.body, page.content_type)


def test_out_of_scope_url_is_refused_before_any_request(server) -> None:
    origin, _ = server
    fetcher = Fetcher("kommundialog-test/1.0", LIMITS)
    page = fetcher.fetch("http://example.org/x", source_for(origin))
    assert page.error.startswith("out of scope")


def test_per_host_delay_and_single_request_at_a_time(server) -> None:
    origin, handler = server
    fetcher = Fetcher("kommundialog-test/1.0", LIMITS)
    source = source_for(origin, delay=0.3)
    with ThreadPoolExecutor(max_workers=4) as pool:
        pages = list(pool.map(lambda p: fetcher.fetch(origin + p, source), ["/ok", "/ok2", "/ok", "/ok2"]))
    assert all(p.ok for p in pages)
    stamps = sorted(t for path in ("/ok", "/ok2") for t in handler.times[path])
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert min(gaps) >= 0.29
