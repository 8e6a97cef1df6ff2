"""History in the warehouse: a site on 127.0.0.1 that changes between real flow runs."""

from __future__ import annotations

import http.server
from collections.abc import Iterator
from datetime import date, time
from pathlib import Path

import duckdb
import pytest
import yaml

from tests.loopback_http import send, serve_on_loopback

pytestmark = pytest.mark.integration

HEAD = "<html lang='sv'><head><meta charset='utf-8'><title>{title}</title></head><body><main>"
TAIL = "</main></body></html>"


def article(title: str, body: str) -> str:
    return HEAD.format(title=title) + f"<h1>{title}</h1>{body}" + TAIL


LISTING = article(
    "Nyheter",
    "".join(f"<p><a href='/{name}.html'>Sida {name}</a></p>" for name in ("a", "b", "c", "d")),
)
FIRST = {
    "a": article(
        "Dialogmöten om äldreomsorgen 2030",
        "<ul><li>4 mars 2030 kl 18-20</li><li>8 april 2030 kl 18-20</li></ul><p>Plats: Stadshuset</p>",
    ),
    "b": article(
        "Brukarråd för hemtjänsten", "<p>Brukarrådet träffas tisdag 5 mars 2030 kl 13.00-15.00.</p>"
    ),
    "c": article(
        "Kommunala pensionärsrådet", "<p>Rådet sammanträder 10 maj 2030 kl 10-12 i Kommunhuset.</p>"
    ),
    "d": article("Dialogmöte om ekonomiskt bistånd", "<p>Dialogmöte 20 juni 2030 kl 18 i Biblioteket.</p>"),
}
SECOND = {
    "a": article(
        "Dialogmöten om äldreomsorgen 2030",
        "<ul><li>4 mars 2030 kl 18-20</li><li>8 april 2030 kl 19-21</li><li>6 maj 2030 kl 18-20</li></ul>"
        "<p>Plats: Stadshuset</p>",
    ),
    "b": article(
        "Brukarråd för hemtjänsten",
        "<p>Brukarrådet träffas tisdag 5 mars 2030 kl 13.00-15.00.</p><p>OBS! Mötet är inställt.</p>",
    ),
    "c": article(
        "Kommunala pensionärsrådet", "<p>Rådet sammanträder 12 maj 2030 kl 10-12 i Kommunhuset.</p>"
    ),
}
BROKEN = {
    name: article("Sidan kunde inte visas", "<p>Aktivera JavaScript för att se sidan.</p>") for name in "abc"
}


class ChangingSite:
    """Serves whatever pages the test sets; a missing page is a 404."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format, *args):
                pass

            def do_GET(self) -> None:
                if self.path == "/robots.txt":
                    body, status, kind = b"User-agent: *\nAllow: /\n", 200, "text/plain"
                elif self.path == "/nyheter.html":
                    body, status, kind = LISTING.encode(), 200, "text/html; charset=utf-8"
                elif self.path.removeprefix("/").removesuffix(".html") in site.pages:
                    page = site.pages[self.path.removeprefix("/").removesuffix(".html")]
                    body, status, kind = page.encode(), 200, "text/html; charset=utf-8"
                else:
                    body, status, kind = b"<h1>Sidan finns inte</h1>", 404, "text/html; charset=utf-8"
                send(self, status, kind, body)

        self.server, self.origin = serve_on_loopback(Handler)


@pytest.fixture(scope="module")
def site() -> Iterator[ChangingSite]:
    served = ChangingSite()
    yield served
    served.server.shutdown()
    served.server.server_close()


@pytest.fixture(scope="module")
def runs(prefect_server, site, tmp_path_factory):
    """Three runs: the first state, a changed state, then a site whose markup broke."""
    from flows.collect import collect

    workdir = tmp_path_factory.mktemp("history")
    registry = workdir / "sources.yaml"
    entry = {
        "id": "exempel-dialog",
        "municipality": "Nordmaling",
        "municipality_code": "2401",
        "start_urls": [f"{site.origin}/nyheter.html"],
        "follow": {"links": "main a"},
        "allow_private_network": True,
        "min_delay_seconds": 0,
    }
    registry.write_text(yaml.safe_dump({"sources": [entry]}), encoding="utf-8")
    summaries = []
    for pages in (FIRST, SECOND, BROKEN):
        site.pages = dict(pages)
        summaries.append(collect(str(registry), str(workdir / "kd.duckdb"), str(workdir / "catalogue")))
    return workdir, summaries


def query(workdir: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(workdir / "snapshot" / "kommundialog.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def versions_of(workdir: Path, day: date) -> list[tuple]:
    return query(
        workdir,
        "SELECT v.version, v.change_kind, v.changed_fields, v.meeting_date, v.start_time, v.status, v.state "
        "FROM meeting_versions v JOIN meetings m USING (meeting_id) "
        f"WHERE m.meeting_date = DATE '{day.isoformat()}' ORDER BY v.version",
    )


def test_first_run_sees_every_meeting_as_new(runs) -> None:
    _, summaries = runs
    assert summaries[0].changes["new"] == 5


def test_a_new_meeting(runs) -> None:
    workdir, summaries = runs
    assert versions_of(workdir, date(2030, 5, 6)) == [
        (1, "new", [], date(2030, 5, 6), time(18, 0), "scheduled", "active")
    ]
    assert summaries[1].changes["new"] == 1


def test_a_changed_time_is_an_update_with_history(runs) -> None:
    workdir, _ = runs
    history = versions_of(workdir, date(2030, 4, 8))
    assert [(v[0], v[1], v[2], v[4]) for v in history] == [
        (1, "new", [], time(18, 0)),
        (2, "updated", ["start_time", "end_time"], time(19, 0)),
    ]
    (closed,) = query(
        workdir,
        "SELECT count(*) FROM meeting_versions v JOIN meetings m USING (meeting_id) "
        "WHERE m.meeting_date = DATE '2030-04-08' AND v.version = 1 AND v.valid_to IS NOT NULL",
    )
    assert closed == (1,)


def test_a_cancellation(runs) -> None:
    workdir, _ = runs
    history = versions_of(workdir, date(2030, 3, 5))
    assert [(v[1], v[5]) for v in history] == [("new", "scheduled"), ("cancelled", "cancelled")]


def test_a_reschedule_keeps_the_id_and_the_previous_start(runs) -> None:
    workdir, _ = runs
    rows = query(
        workdir,
        "SELECT meeting_id, extracted_id, meeting_date, last_change, previous_starts_at FROM meetings "
        "WHERE page_url LIKE '%/c.html'",
    )
    ((meeting_id, extracted_id, day, last_change, previous),) = rows
    assert (day, last_change) == (date(2030, 5, 12), "rescheduled")
    assert meeting_id != extracted_id
    assert previous.astimezone().replace(tzinfo=None).date() == date(2030, 5, 10)
    assert query(
        workdir, f"SELECT meeting_id FROM meeting_aliases WHERE extracted_id = '{extracted_id}'"
    ) == [(meeting_id,)]


def test_a_removed_page_makes_its_meeting_disappear_not_cancelled(runs) -> None:
    workdir, _ = runs
    history = versions_of(workdir, date(2030, 6, 20))
    assert [(v[1], v[5], v[6]) for v in history] == [
        ("new", "scheduled", "active"),
        ("disappeared", "scheduled", "disappeared"),
    ]
    assert query(
        workdir, "SELECT count(*) FROM upcoming_meetings WHERE meeting_date = DATE '2030-06-20'"
    ) == [(0,)]


def test_a_collapsed_source_is_suspect_and_loses_nothing(runs) -> None:
    workdir, summaries = runs
    assert any("exempel-dialog: suspect" in w for w in summaries[2].warnings)
    ((suspect, reason),) = query(
        workdir, "SELECT suspect, suspect_reason FROM source_runs ORDER BY run_id DESC LIMIT 1"
    )
    assert suspect and "collapsed" in reason
    assert query(workdir, "SELECT count(*) FROM meetings WHERE state = 'active'") == [(5,)]
    assert query(workdir, "SELECT suspect FROM source_health") == [(True,)]


def test_every_record_carries_its_provenance(runs) -> None:
    workdir, _ = runs
    missing = query(
        workdir,
        "SELECT count(*) FROM meetings m JOIN meeting_versions v USING (meeting_id) "
        "WHERE m.source_id IS NULL OR v.page_url IS NULL OR v.content_hash IS NULL OR v.fetched_at IS NULL "
        "OR v.extractor_version IS NULL OR v.year_basis IS NULL",
    )
    assert missing == [(0,)]
    hashes = {h for (h,) in query(workdir, "SELECT content_hash FROM meeting_versions")}
    assert hashes <= {h for (h,) in query(workdir, "SELECT content_hash FROM raw_snapshots")}
