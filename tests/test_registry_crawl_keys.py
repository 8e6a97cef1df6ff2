"""Registry keys for crawling: per-host concurrency, path prefixes, depth, sitemaps and feeds."""

from __future__ import annotations

import pytest

from tasks.registry import RegistryError, parse_registry, rebase_registry, registry_to_data

GOOD = {
    "id": "umea-socialtjansten",
    "municipality": "Umeå",
    "municipality_code": "2480",
    "start_urls": ["https://www.umea.se/socialtjanst/nyheter.html"],
}


def parse(**changes: object):
    (source,) = parse_registry({"sources": [{**GOOD, **changes}]}, "sources.yaml").sources
    return source


def test_crawl_keys_have_polite_defaults() -> None:
    source = parse()
    assert (source.max_concurrency, source.min_delay_seconds, source.max_depth) == (1, 1.0, 1)
    assert (source.path_prefixes, source.sitemaps, source.feeds) == ((), (), ())


def test_crawl_keys_are_read() -> None:
    source = parse(
        max_concurrency=2,
        path_prefixes=["/socialtjanst/"],
        max_depth=2,
        sitemaps=["https://www.umea.se/sitemap.xml"],
        feeds=["https://www.umea.se/socialtjanst/nyheter.rss"],
    )
    assert (
        source.max_concurrency == 2 and source.path_prefixes == ("/socialtjanst/",) and source.max_depth == 2
    )
    assert source.sitemaps == ("https://www.umea.se/sitemap.xml",)
    assert source.feeds == ("https://www.umea.se/socialtjanst/nyheter.rss",)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"max_concurrency": 0}, "max_concurrency must be a whole number from 1 to 8"),
        ({"max_concurrency": 20}, "max_concurrency must be a whole number from 1 to 8"),
        ({"max_concurrency": True}, "max_concurrency must be a whole number from 1 to 8"),
        ({"max_depth": -1}, "max_depth must be a whole number from 0 to 5"),
        ({"path_prefixes": "socialtjanst"}, "path_prefixes must be a list of paths starting with '/'"),
        (
            {"path_prefixes": ["/kultur/"]},
            "start_urls: 'https://www.umea.se/socialtjanst/nyheter.html' is outside path_prefixes",
        ),
        ({"sitemaps": ["ftp://www.umea.se/s.xml"]}, "sitemaps: 'ftp://www.umea.se/s.xml' is not an absolute"),
        (
            {"sitemaps": ["https://evil.example/s.xml"]},
            "sitemaps: 'https://evil.example/s.xml' is not on a host",
        ),
        ({"feeds": []}, "feeds must be a non-empty list of http(s) URLs"),
    ],
)
def test_bad_crawl_keys_name_the_entry_and_field(change: dict, message: str) -> None:
    with pytest.raises(RegistryError) as caught:
        parse(**change)
    assert str(caught.value).startswith("sources.yaml: entry 'umea-socialtjansten': ")
    assert message in str(caught.value)


def test_crawl_keys_survive_writing_and_rebasing() -> None:
    data = {
        "sources": [
            {
                **GOOD,
                "start_urls": ["http://127.0.0.1:8701/nyheter.html"],
                "max_concurrency": 2,
                "path_prefixes": ["/"],
                "sitemaps": ["http://127.0.0.1:8701/sitemap.xml"],
                "feeds": ["http://127.0.0.1:8701/feed.rss"],
            }
        ]
    }
    registry = rebase_registry(
        parse_registry(data, "r.yaml"), {"http://127.0.0.1:8701": "http://127.0.0.1:9999"}
    )
    (written,) = registry_to_data(registry)["sources"]
    assert written["sitemaps"] == ["http://127.0.0.1:9999/sitemap.xml"]
    assert written["feeds"] == ["http://127.0.0.1:9999/feed.rss"]
    assert written["max_concurrency"] == 2 and written["path_prefixes"] == ["/"]
    assert parse_registry({"sources": [written]}, "again.yaml").sources == registry.sources
