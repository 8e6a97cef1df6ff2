"""Bad bytes: invalid UTF-8 in a page labelled UTF-8, and files that are not HTML at all."""

from __future__ import annotations

import csv
import http.server
import io
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import yaml

from tasks.charset import decode_text, looks_like_html, mostly_utf8
from tests.fault_support import cli
from tests.loopback_http import send, serve_on_loopback

TITLE = "Inbjudan till dialogmöte med socialtjänsten"
# Seven bytes that are not UTF-8, as a cut-and-paste from an old system leaves them.
INVALID = b"\xe5\xe4\xf6\xff\x80\xc3\x28"
PAGE = (
    "<!DOCTYPE html><html lang='sv'><head><meta charset='utf-8'>"
    f"<title>{TITLE} - Exempelby kommun</title></head><body><main>"
    f"<h1>{TITLE}</h1>"
    "<p>Välkommen till ett öppet dialogmöte om äldreomsorgen och socialtjänstens stöd.</p>"
    "<p>Tisdag 28 maj 2030 kl 17.30 - 20.00 i Årsta föreningsgård, Storgatan 4.</p>"
    "<p>Fika serveras. Anmälan senast fredag 24 maj till socialtjänsten.</p>"
    "</main></body></html>"
)


def damaged_page() -> bytes:
    """The page in UTF-8 with the invalid bytes in the middle of a sentence."""
    body = PAGE.encode("utf-8")
    cut = body.index(b"Fika serveras")
    return body[:cut] + INVALID + body[cut:]


def test_invalid_bytes_in_a_utf8_page_are_replaced_where_they_stand() -> None:
    text = decode_text(damaged_page(), "text/html; charset=utf-8")
    assert TITLE in text
    assert "Årsta föreningsgård" in text and "äldreomsorgen" in text
    assert text.replace("\ufffd", "").replace("(", "") == PAGE.replace("(", "")
    assert decode_text(damaged_page()) == text  # the <meta> label alone gives the same


def test_a_page_mostly_in_latin1_is_still_read_as_latin1_whatever_its_label() -> None:
    body = PAGE.encode("cp1252")
    assert not mostly_utf8(body)
    assert TITLE in decode_text(body, "text/html; charset=utf-8")


def test_only_html_counts_as_html() -> None:
    assert looks_like_html(PAGE.encode("utf-8"))
    assert looks_like_html(damaged_page())
    assert not looks_like_html(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    assert not looks_like_html("Mötesanteckningar utan markup, bara text.\n".encode())


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 16, "binary data"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\n", "binary data"),
        ("Dialogmöte tisdag 28 maj kl 17.30, utan en enda tagg.\n".encode(), "text without any HTML element"),
    ],
)
def test_extract_refuses_a_file_that_is_not_a_web_page(tmp_path: Path, content: bytes, kind: str) -> None:
    saved = tmp_path / "page.html"
    saved.write_bytes(content)
    result = cli("extract", str(saved), "--url", "https://www.exempelby.se/a.html", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert (
        result.stderr.strip()
        == f"kommundialog extract: {saved} is not an HTML page ({kind}): give a saved web page"
    )


def test_extract_keeps_the_title_of_a_page_with_invalid_bytes(tmp_path: Path) -> None:
    saved = tmp_path / "page.html"
    saved.write_bytes(damaged_page())
    result = cli("extract", str(saved), "--url", "https://www.exempelby.se/a.html", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f'"title": "{TITLE}' in result.stdout


class OnePageSite:
    """A listing and the damaged page, both labelled UTF-8 in the header and in <meta>."""

    def __init__(self) -> None:
        listing = b"<html><head><meta charset='utf-8'></head><body><main><a href='/inbjudan.html'>Inbjudan</a></main></body></html>"
        pages = {"/nyheter.html": listing, "/inbjudan.html": damaged_page()}

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format, *args):
                pass

            def do_GET(self) -> None:
                if self.path == "/robots.txt":
                    body, status, kind = b"User-agent: *\nAllow: /\n", 200, "text/plain"
                elif self.path in pages:
                    body, status, kind = pages[self.path], 200, "text/html; charset=utf-8"
                else:
                    body, status, kind = b"<h1>Sidan finns inte</h1>", 404, "text/html; charset=utf-8"
                send(self, status, kind, body)

        self.server, self.origin = serve_on_loopback(Handler)


@pytest.fixture
def site() -> Iterator[OnePageSite]:
    served = OnePageSite()
    yield served
    served.server.shutdown()
    served.server.server_close()


@pytest.mark.integration
def test_the_title_survives_crawl_warehouse_and_csv(
    prefect_server, site: OnePageSite, tmp_path: Path
) -> None:
    from flows.collect import collect

    registry = tmp_path / "sources.yaml"
    entry = {
        "id": "exempelby-dialog",
        "municipality": "Nordmaling",
        "municipality_code": "2401",
        "start_urls": [f"{site.origin}/nyheter.html"],
        "follow": {"links": "main a"},
        "allow_private_network": True,
        "min_delay_seconds": 0,
    }
    registry.write_text(yaml.safe_dump({"sources": [entry]}), encoding="utf-8")
    summary = collect(str(registry), str(tmp_path / "kd.duckdb"), str(tmp_path / "catalogue"))
    assert summary.fatal is None and summary.meetings == 1, summary.errors
    with duckdb.connect(str(tmp_path / "kd.duckdb"), read_only=True) as con:
        assert con.execute("SELECT title, place FROM meetings").fetchall()[0][0] == TITLE
        page_titles = [
            t for (t,) in con.execute("SELECT title FROM pages WHERE url LIKE '%inbjudan%'").fetchall()
        ]
    assert page_titles and all(title.startswith(TITLE) for title in page_titles)
    text = (tmp_path / "catalogue" / "meetings.csv").read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["title"] for row in rows] == [TITLE]
    assert "Ã" not in text
