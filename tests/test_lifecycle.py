"""Runs that cannot trip each other: real `kommundialog` processes, a real DuckDB file, a slow site on 127.0.0.1.

An analyst's read-only connection, a `publish` and a second `run` during a
run; Ctrl-C; kill -9 and a new run; exit codes and health per source; an
alert delivered once to a webhook receiver.
"""

from __future__ import annotations

import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import yaml

from tests.loopback_http import send, serve_on_loopback
from warehouse.catalogue.release import served_release

pytestmark = pytest.mark.integration

CLI = Path(sys.executable).parent / "kommundialog"
RUN_TIMEOUT = 240
HEAD = "<html lang='sv'><head><meta charset='utf-8'><title>{title}</title></head><body><main>"
TAIL = "</main></body></html>"
PAGES = ("stadshuset", "biblioteket", "folkets-hus", "traffpunkten", "ungdomens-hus", "kulturhuset")


def article(title: str, body: str) -> str:
    return HEAD.format(title=title) + f"<h1>{title}</h1>{body}" + TAIL


def dialogue_page(index: int, place: str) -> str:
    return article(
        f"Dialogmöte om socialtjänsten i {place.title()}",
        f"<p>Välkommen på dialogmöte {index + 3} mars 2031 kl 18.00-20.00.</p><p>Plats: {place.title()}</p>",
    )


# The one-meeting page, and the same template after its content was lost.
ONE_MEETING = article(
    "Brukarråd för hemtjänsten",
    "<p>Brukarrådet träffas tisdag 14 oktober 2031 kl 13.00-15.00 i Stadshuset.</p>",
)
CONTENT_LOST = article("Brukarråd för hemtjänsten", "<p>Sidan uppdateras.</p>")


class Site:
    """A municipal site on 127.0.0.1: a listing and dialogue pages, each page `delay` seconds slow."""

    def __init__(self) -> None:
        self.delay = 0.0
        self.down = False
        self.pages = {name: dialogue_page(i, name) for i, name in enumerate(PAGES)}
        self.first_page = threading.Event()
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format, *args):
                pass

            def do_GET(self) -> None:
                name = self.path.strip("/").removesuffix(".html")
                if site.down:
                    body, status, kind = b"Tillfalligt fel", 503, "text/plain"
                elif self.path == "/robots.txt":
                    body, status, kind = b"User-agent: *\nAllow: /\n", 200, "text/plain"
                elif name == "nyheter":
                    links = "".join(f"<p><a href='/{n}.html'>{n}</a></p>" for n in site.pages)
                    body, status, kind = article("Nyheter", links).encode(), 200, "text/html; charset=utf-8"
                elif name in site.pages:
                    site.first_page.set()
                    time.sleep(site.delay)
                    body, status, kind = site.pages[name].encode(), 200, "text/html; charset=utf-8"
                else:
                    body, status, kind = b"Sidan finns inte", 404, "text/plain"
                send(self, status, kind, body)

        self.server, self.origin = serve_on_loopback(Handler)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class WebhookReceiver:
    """Collects the JSON bodies POSTed to it."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format, *args):
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                receiver.received.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

        self.server, origin = serve_on_loopback(Handler)
        self.url = f"{origin}/hooks/kommundialog"


@pytest.fixture
def site() -> Iterator[Site]:
    served = Site()
    yield served
    served.close()


def source_entry(source_id: str, origin: str) -> dict:
    return {
        "id": source_id,
        "municipality": "Nordmaling",
        "municipality_code": "2401",
        "start_urls": [f"{origin}/nyheter.html"],
        "follow": {"links": "main a"},
        "allow_private_network": True,
        "min_delay_seconds": 0,
        "max_concurrency": 2,
    }


def write_registry(path: Path, entries: list[dict], **settings: object) -> Path:
    data = {"settings": {"user_agent": "kommundialog-test (lifecycle tests on 127.0.0.1)", **settings}}
    data["sources"] = entries
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PREFECT_API_URL", None)  # each run starts (and stops) its own temporary server
    return env


def start(workdir: Path, *args: str) -> subprocess.Popen:
    """Start `kommundialog <args>` with the work folder's warehouse and catalogue."""
    command = [str(CLI), *args, "--db", str(workdir / "kd.duckdb"), "--out", str(workdir / "catalogue")]
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env(), cwd=workdir
    )


def finish(process: subprocess.Popen, timeout: float = RUN_TIMEOUT) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def run(workdir: Path, registry: Path, *args: str) -> tuple[int, str, str]:
    return finish(start(workdir, "run", "--sources", str(registry), *args))


def query(workdir: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(workdir / "kd.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def descendants(pid: int) -> list[int]:
    """Every live process below `pid` (children, grandchildren, ...)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def meetings_csv_rows(workdir: Path) -> int:
    lines = (workdir / "catalogue" / "meetings.csv").read_text(encoding="utf-8-sig").strip().splitlines()
    return len(lines) - 1


CONTENT_SQL = {
    "meetings": "SELECT meeting_id, meeting_date, start_time, place, status, state, version FROM meetings",
    "versions": "SELECT meeting_id, version, change_kind, valid_to IS NULL FROM meeting_versions",
    "pages": "SELECT url, content_hash, kind, extractor_version FROM pages",
}


def content(workdir: Path) -> dict[str, list[tuple]]:
    return {name: sorted(query(workdir, sql)) for name, sql in CONTENT_SQL.items()}


def run_here(
    workdir: Path, registry: Path, capsys: pytest.CaptureFixture[str], *command: str
) -> tuple[int, str]:
    """`kommundialog run` (or another command) in this process, under the tests' Prefect server."""
    from flows.cli import main

    storage = ["--db", str(workdir / "kd.duckdb"), "--out", str(workdir / "catalogue")]
    code = main([*(command or ("run", "--sources", str(registry))), *storage])
    return code, capsys.readouterr().out


def test_an_analyst_a_publish_and_a_second_run_during_a_run_break_nothing(site: Site, tmp_path: Path) -> None:
    registry = write_registry(tmp_path / "sources.yaml", [source_entry("exempel-dialog", site.origin)])
    site.delay = 2.5
    first = start(tmp_path, "run", "--sources", str(registry))
    assert site.first_page.wait(RUN_TIMEOUT), "the run never fetched a page"

    # An analyst opening the live file read-only is refused; the run goes on.
    with pytest.raises(duckdb.IOException, match="lock"):
        duckdb.connect(str(tmp_path / "kd.duckdb"), read_only=True)
    # A publish and a second run say who is writing and exit 3 at once ...
    for args in (("publish",), ("run", "--sources", str(registry))):
        code, _, err = finish(start(tmp_path, *args), timeout=60)
        assert code == 3, err
        assert f"another run (PID {first.pid}, since " in err and "is writing" in err
    # ... or wait for it with --wait, and then publish the whole data.
    waiting = start(tmp_path, "publish", "--wait", "300")

    code, out, err = finish(first)
    assert code == 0, out + err
    assert query(tmp_path, "SELECT status, meetings FROM runs") == [("ok", 6)]
    assert query(tmp_path, "SELECT count(*) FROM meetings WHERE state = 'active'") == [(6,)]
    assert "health exempel-dialog: ok" in out
    code, out, err = finish(waiting)
    assert code == 0, err
    assert meetings_csv_rows(tmp_path) == 6  # never a release from a half-loaded warehouse
    snapshot = tmp_path / "snapshot" / "kommundialog.duckdb"
    with duckdb.connect(str(snapshot), read_only=True) as con:  # analysts get the whole run there
        assert con.execute("SELECT count(*) FROM meetings").fetchone() == (6,)


def test_ctrl_c_ends_the_run_within_10_s_marked_interrupted_with_no_child_left(
    site: Site, tmp_path: Path
) -> None:
    registry = write_registry(tmp_path / "sources.yaml", [source_entry("exempel-dialog", site.origin)])
    site.delay = 3.0
    process = start(tmp_path, "run", "--sources", str(registry))
    assert site.first_page.wait(RUN_TIMEOUT), "the run never fetched a page"
    children = descendants(process.pid)
    assert children, "the run has its temporary Prefect server as a child"
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    code, _, err = finish(process, timeout=30)
    elapsed = time.monotonic() - sent
    assert code == 130, err
    assert elapsed < 10, f"took {elapsed:.1f} s"
    assert wait_until(lambda: not any(alive(pid) for pid in children), 5), "a child outlived the run"
    assert query(tmp_path, "SELECT status, finished_at IS NOT NULL FROM runs") == [("interrupted", True)]
    assert query(tmp_path, "SELECT count(*) FROM meetings") == [(0,)]  # the load in progress rolled back


def test_kill_9_then_a_new_run_marks_the_old_one_crashed_and_equals_an_uninterrupted_run(
    prefect_server, site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = write_registry(tmp_path / "sources.yaml", [source_entry("exempel-dialog", site.origin)])
    killed = tmp_path / "killed"
    reference = tmp_path / "reference"
    killed.mkdir()
    reference.mkdir()
    site.delay = 3.0
    process = start(killed, "run", "--sources", str(registry))
    assert site.first_page.wait(RUN_TIMEOUT), "the run never fetched a page"
    children = descendants(process.pid)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert wait_until(lambda: not any(alive(pid) for pid in children), 10), (
        "the temporary server was orphaned"
    )
    assert query(killed, "SELECT status FROM runs") == [("running",)]

    site.delay = 0.0
    code, out, err = run(killed, registry)
    assert code == 0, out + err
    assert "was left running by a process that died: marked crashed" in out
    assert [status for (status,) in query(killed, "SELECT status FROM runs ORDER BY started_at")] == [
        "crashed",
        "ok",
    ]
    code, out = run_here(reference, registry, capsys)  # uninterrupted, in this process
    assert code == 0, out
    assert content(killed) == content(reference)


def test_exit_codes_health_and_one_alert_per_change(
    prefect_server, site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    receiver = WebhookReceiver()
    closed = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    dead_origin = f"http://127.0.0.1:{closed.server_address[1]}"
    closed.server_close()  # nothing listens there any more: every fetch is refused
    site.pages = {"brukarrad": ONE_MEETING}
    small = source_entry("ett-mote", site.origin)
    dead = source_entry("nere", dead_origin)
    settings = {"alert_webhook": receiver.url}
    only_small = write_registry(tmp_path / "small.yaml", [small], **settings)
    both = write_registry(tmp_path / "both.yaml", [small, dead], **settings)
    try:
        # 0: every source ok.
        code, out = run_here(tmp_path, only_small, capsys)
        assert code == 0, out
        assert "health ett-mote: ok" in out and receiver.received == []

        # 1: one source broken (partial); one alert for it.
        code, out = run_here(tmp_path, both, capsys)
        assert code == 1, out
        assert "health nere: broken (fetch failures: all" in out
        assert [(a["source_id"], a["health"]) for a in receiver.received] == [("nere", "broken")]
        assert "is broken" in receiver.received[0]["text"]

        # The one-meeting page keeps its template but loses its content: the meeting
        # stays, the source is degraded; 'nere' is still broken: no second alert.
        site.pages = {"brukarrad": CONTENT_LOST}
        code, out = run_here(tmp_path, both, capsys)
        assert code == 1, out
        assert query(tmp_path, "SELECT state FROM meetings") == [("active",)]
        assert query(tmp_path, "SELECT sum(disappeared) FROM source_runs") == [(0,)]
        health = dict(query(tmp_path, "SELECT source_id, health FROM source_health"))
        assert health == {"ett-mote": "degraded", "nere": "broken"}
        (reasons,) = query(tmp_path, "SELECT health_reasons FROM source_health WHERE source_id = 'ett-mote'")[
            0
        ]
        assert "page lost its meetings" in reasons[0] and "brukarrad.html" in reasons[0]
        assert len(receiver.received) == 1

        # 4: every source failed; the catalogue's data-as-of does not move.
        release = served_release(tmp_path / "catalogue")
        site.down = True
        code, out = run_here(tmp_path, both, capsys)
        assert code == 4, out
        assert "no page was read: the catalogue keeps its release" in out
        assert query(tmp_path, "SELECT status FROM runs ORDER BY started_at DESC LIMIT 1") == [("failed",)]
        assert served_release(tmp_path / "catalogue") == release
        code, out = run_here(tmp_path, both, capsys, "publish")
        assert code == 0 and served_release(tmp_path / "catalogue") == release, out
        assert [(a["source_id"], a["health"]) for a in receiver.received][1:] == [("ett-mote", "broken")]

        # The site is back with its content: 'ett-mote' recovers (one alert), 'nere' stays quiet.
        site.down = False
        site.pages = {"brukarrad": ONE_MEETING}
        code, out = run_here(tmp_path, both, capsys)
        assert code == 1, out
        assert [(a["source_id"], a["health"]) for a in receiver.received][2:] == [("ett-mote", "ok")]
        assert "recovered" in receiver.received[2]["text"]
        assert query(
            tmp_path, "SELECT source_id, health, delivered FROM health_alerts ORDER BY sent_at, source_id"
        ) == [("nere", "broken", True), ("ett-mote", "broken", True), ("ett-mote", "ok", True)]
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
