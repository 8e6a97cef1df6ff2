"""The pure rules under the crawler: scope, addresses, charsets, robots.txt, sitemaps, feeds, Retry-After.

No network: bytes and strings in, decisions out.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import UTC, datetime

import pytest

from tasks.charset import decode_text, looks_binary, sniff_charset
from tasks.crawl import CrawlResult, count_outcomes, describe_counts
from tasks.discovery import parse_feed, parse_lastmod, parse_sitemap
from tasks.fetch import HostPacer, has_contact, limits_from_settings, parse_retry_after
from tasks.records import FetchedPage
from tasks.registry import RegistryError, load_registry
from tasks.robots import ALLOW_ALL, parse_robots, rules_for_response
from tasks.scope import allowed_hosts, host_key, is_public_address, scope_refusal
from tests.conftest import PROJECT_ROOT

SWEDISH = "Dialogmöte på Åsgården"

# -- scope ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://www.umea.se/a", "www.umea.se"),
        ("https://WWW.Umea.se:443/a", "www.umea.se"),
        ("http://www.umea.se:80/", "www.umea.se"),
        ("http://127.0.0.1:8701/x", "127.0.0.1:8701"),
        ("http://[::1]:8080/", "[::1]:8080"),
        ("http://[::1/broken", ""),
    ],
)
def test_host_key_ignores_case_and_default_ports(url: str, key: str) -> None:
    assert host_key(url) == key


@pytest.mark.parametrize(
    ("url", "refusal"),
    [
        ("https://www.umea.se/socialtjanst/dialog.html", None),
        (
            "https://www.umea.se/kultur/",
            "out of scope: path '/kultur/' is outside the source's path prefixes",
        ),
        (
            "https://evil.example/socialtjanst/",
            "out of scope: host 'evil.example' is not one of the source's hosts",
        ),
        (
            "https://www.umea.se@evil.example/socialtjanst/",
            "out of scope: URL carries a user name or password",
        ),
        ("javascript:alert(1)", "out of scope: scheme 'javascript' is not http(s)"),
        ("https://www.umea.se:99999/socialtjanst/", "out of scope: URL is malformed"),
    ],
)
def test_scope_refusals_name_the_rule(url: str, refusal: str | None) -> None:
    hosts = allowed_hosts(["https://www.umea.se/socialtjanst/"])
    assert scope_refusal(url, hosts, ("/socialtjanst/",)) == refusal


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2a00:1450:4001:81c::200e", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("224.0.0.1", False),
    ],
)
def test_only_globally_routable_addresses_are_public(address: str, public: bool) -> None:
    assert is_public_address(address) is public


# -- charsets and binary bodies ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "codec"),
    [
        (SWEDISH.encode("cp1252"), "text/html", "cp1252"),
        (SWEDISH.encode("cp1252"), "text/html; charset=ISO-8859-1", "cp1252"),
        (SWEDISH.encode("cp1252"), "text/html; charset=utf-8", "cp1252"),
        (SWEDISH.encode(), "text/html; charset=iso-8859-1", "utf-8"),
        (SWEDISH.encode(), "text/html; charset=utf-16", "utf-8"),
        (SWEDISH.encode(), 'text/html; charset="nonsense"', "utf-8"),
        (b'<meta charset="windows-1252">' + SWEDISH.encode("cp1252"), None, "cp1252"),
        (b"\xef\xbb\xbf" + SWEDISH.encode(), "text/html; charset=iso-8859-1", "utf-8-sig"),
        (b"\x81\x8d" + SWEDISH.encode("latin-1"), None, "latin-1"),
    ],
)
def test_charset_from_header_then_meta_then_detection(
    body: bytes, content_type: str | None, codec: str
) -> None:
    assert sniff_charset(body, content_type) == codec
    assert "Åsgården" in decode_text(body, content_type)


@pytest.mark.parametrize(
    ("body", "binary"),
    [
        (b"\x89PNG\r\n\x1a\n", True),
        (b"%PDF-1.7\n", True),
        (b"PK\x03\x04zip", True),
        (b"<html>\x00</html>", True),
        (bytes(range(1, 32)) * 10, True),
        (SWEDISH.encode("cp1252"), False),
        ("\ufeff<html>".encode("utf-16"), False),
        (b"", False),
    ],
)
def test_binary_bodies_are_recognised_whatever_the_label(body: bytes, binary: bool) -> None:
    assert looks_binary(body) is binary


# -- robots.txt ----------------------------------------------------------------------------------------

ROBOTS = """User-agent: *
Disallow: /sok
Allow: /sok/dialog
Crawl-delay: 2

User-agent: kommundialog
Disallow: /intern/
Request-rate: 1/5s

Sitemap: https://www.umea.se/sitemap.xml
"""


def test_robots_rules_follow_the_most_specific_group_and_rule() -> None:
    rules = parse_robots(ROBOTS)
    ours, other = "kommundialog/0.1 (+https://example.org)", "SomeBot/1.0"
    assert rules.allows("https://www.umea.se/sok/dialog", other)
    assert not rules.allows("https://www.umea.se/sok", other)
    assert rules.allows("https://www.umea.se/sok", ours)  # our own group replaces '*'
    assert not rules.allows("https://www.umea.se/intern/a", ours)
    assert rules.delay(other) == 2.0 and rules.delay(ours) == 5.0
    assert rules.sitemaps() == ["https://www.umea.se/sitemap.xml"]


@pytest.mark.parametrize("status", [404, 410, 401, 403])
def test_a_missing_robots_txt_allows_everything(status: int) -> None:
    assert rules_for_response(status, b"", None) is ALLOW_ALL


@pytest.mark.parametrize("status", [None, 429, 500, 503])
def test_an_unavailable_robots_txt_allows_nothing(status: int | None) -> None:
    assert rules_for_response(status, b"", None) is None


def test_garbage_robots_txt_is_parsed_without_rules() -> None:
    rules = rules_for_response(200, bytes(range(256)) * 100, "application/octet-stream")
    assert rules is not None and rules.allows("https://x.se/a", "kommundialog")


# -- sitemaps and feeds ----------------------------------------------------------------------------------


def test_sitemap_urlset_gives_pages_with_lastmod() -> None:
    body = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <url><loc> https://x.se/a </loc><lastmod>2024-06-01</lastmod></url><url><loc>/rel</loc></url>
      <url><lastmod>2024-01-01</lastmod></url></urlset>"""
    content = parse_sitemap(body, "https://x.se/sitemap.xml")
    assert [(u.url, u.lastmod) for u in content.pages] == [
        ("https://x.se/a", datetime(2024, 6, 1, 23, 59, 59, 999999, tzinfo=UTC)),
        ("https://x.se/rel", None),
    ]
    assert content.sitemaps == ()


def test_sitemap_index_gives_child_sitemaps() -> None:
    body = b"<sitemapindex><sitemap><loc>https://x.se/s1.xml</loc></sitemap></sitemapindex>"
    assert [s.url for s in parse_sitemap(body, "https://x.se/").sitemaps] == ["https://x.se/s1.xml"]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not xml at all",
        b"<html><body>Sidan finns inte</body></html>",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><urlset><url><loc>&e;</loc></url></urlset>',
        b'<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><urlset><url><loc>&c;</loc></url></urlset>',
    ],
)
def test_hostile_or_broken_sitemaps_yield_nothing_harmful(body: bytes) -> None:
    content = parse_sitemap(body, "https://x.se/")
    assert all("passwd" not in u.url and "aaaa" not in u.url for u in content.pages)


def test_rss_atom_and_rdf_feeds_give_item_links() -> None:
    rss = b"""<rss><channel><item><link>https://x.se/1</link><pubDate>Tue, 14 May 2024 08:00:00 +0200</pubDate></item>
        <item><title>no link</title></item></channel></rss>"""
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry><link rel="self" href="/self"/>
        <link href="/2"/><updated>2024-05-20T12:00:00Z</updated></entry></feed>"""
    rdf = b"""<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
        <item><link>https://x.se/3</link></item></rdf:RDF>"""
    assert [(u.url, u.lastmod) for u in parse_feed(rss, "https://x.se/")] == [
        ("https://x.se/1", datetime(2024, 5, 14, 6, 0, tzinfo=UTC))
    ]
    assert [u.url for u in parse_feed(atom, "https://x.se/feed")] == ["https://x.se/2"]
    assert [u.url for u in parse_feed(rdf, "https://x.se/")] == ["https://x.se/3"]
    assert parse_feed(b"<html/>", "https://x.se/") == []


@pytest.mark.parametrize("value", ["", "yesterday", "2024-13-45", None])
def test_unreadable_lastmod_is_none(value: str | None) -> None:
    assert parse_lastmod(value) is None


# -- Retry-After, limits, pacing --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["sources.yaml", "demo-sources.yaml"])
def test_bundled_registries_send_a_user_agent_with_a_contact(name: str) -> None:
    assert has_contact(load_registry(PROJECT_ROOT / "config" / name).user_agent)
    assert not has_contact("python-requests/2.32")


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2024, 5, 14, 8, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120
    assert parse_retry_after("Tue, 14 May 2024 08:00:30 GMT", now) == 30
    assert parse_retry_after("Tue, 14 May 2024 07:00:00 GMT", now) == 0
    assert parse_retry_after("soon", now) is None and parse_retry_after(None, now) is None


def test_fetch_limits_come_from_settings_and_bad_ones_are_named() -> None:
    limits = limits_from_settings({"read_timeout": 2, "max_bytes": 1000.0})
    assert limits.read_timeout == 2.0 and limits.max_bytes == 1000 and isinstance(limits.max_bytes, int)
    with pytest.raises(RegistryError, match=r"settings\.fetch: unknown key"):
        limits_from_settings({"read_timout": 2})
    with pytest.raises(RegistryError, match=r"settings\.fetch\.retries must be a number >= 0, not 'many'"):
        limits_from_settings({"retries": "many"})


def test_pacer_never_lets_more_than_the_limit_in_at_once() -> None:
    pacer, lock, state = HostPacer(), threading.Lock(), {"now": 0, "most": 0}

    def visit() -> None:
        with pacer.turn("h", 0.0, 2):
            with lock:
                state["now"] += 1
                state["most"] = max(state["most"], state["now"])
            time.sleep(0.02)
            with lock:
                state["now"] -= 1

    threads = [threading.Thread(target=visit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert state["most"] == 2


# -- the run summary -------------------------------------------------------------------------------------


def test_counts_and_their_line_for_people() -> None:
    def page(outcome: str, reason: str | None = None) -> FetchedPage:
        return FetchedPage("u", "u", None, datetime.now(UTC), None, b"", None, outcome=outcome, reason=reason)

    result = CrawlResult(
        "s",
        pages=[
            page("fetched"),
            page("unchanged"),
            page("robots", "disallowed"),
            page("failed", "timeout"),
            page("failed", "HTTP 404"),
            page("failed", "timeout"),
        ],
        links_out_of_scope=2,
        links_over_limit=3,
    )
    assert describe_counts(count_outcomes(result)) == (
        "6 pages: 1 fetched, 1 unchanged, 1 skipped by robots, 2 out of scope, "
        "3 failed (HTTP 404: 1, timeout: 2), 3 over the page limit"
    )


def test_crawl_rules_are_pure() -> None:
    code = (
        "import sys\n"
        "for name in ('tasks.scope', 'tasks.charset', 'tasks.robots', 'tasks.discovery', 'tasks.links'):\n"
        "    __import__(name)\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('prefect', 'requests', 'duckdb', 'pyarrow', 'urllib3'))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT, check=True
    )
    assert result.stdout.strip() == ""
