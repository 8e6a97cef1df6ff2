"""`kommundialog demo` with ports 8701–8704 taken gives the same meetings, ids and row counts.

Three real `demo` processes share one data folder (one Prefect home): a run on
the usual ports, the same warehouse again with those ports held by this test,
and a fresh warehouse with the ports held. The data must not tell them apart.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from flows.demo_site import DEMO_PORTS

CLI = Path(sys.executable).parent / "kommundialog"
pytestmark = pytest.mark.integration

# What a meeting is, as published and queried: everything but the address it was read from and times.
MEETING = "meeting_id, source_id, title, meeting_date, start_time, end_time, place, status, state, version"
RECORD_TABLES = ("meetings", "meeting_versions", "meeting_aliases", "summaries", "agenda_items", "sources")


def demo(data: Path, name: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    result = subprocess.run(
        [str(CLI), "demo", "--db", str(data / f"{name}.duckdb"), "--out", str(data / f"{name}-catalogue")],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=data,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def served_ports(stdout: str) -> set[int]:
    return {int(p) for p in re.findall(r"serving at http://127\.0\.0\.1:(\d+)/", stdout)}


@pytest.fixture
def usual_ports_taken() -> Iterator[None]:
    """Hold 8701–8704 (one already held by another program is just as taken)."""
    held = []
    for port in DEMO_PORTS.values():
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
            sock.listen()
            held.append(sock)
        except OSError:
            sock.close()
    yield
    for sock in held:
        sock.close()


def facts(db: Path) -> dict[str, object]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {
            "meetings": con.execute(f"SELECT {MEETING} FROM meetings ORDER BY meeting_id").fetchall(),
            "summaries": con.execute(
                "SELECT summary_id, body, meeting_date FROM summaries ORDER BY 1"
            ).fetchall(),
            "counts": {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in RECORD_TABLES},
        }


def test_demo_on_other_ports_finds_the_same_meetings(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    data = tmp_path / "data"
    data.mkdir()
    usual = demo(data, "usual")
    after_usual = facts(data / "usual.duckdb")
    assert len(after_usual["meetings"]) == 6 and len(after_usual["summaries"]) == 1

    request.getfixturevalue("usual_ports_taken")
    again = demo(data, "usual")  # the same warehouse, the sites now on other ports
    fresh = demo(data, "fresh")  # a new warehouse, sites on other ports from the start

    for stdout in (again, fresh):
        assert not served_ports(stdout) & set(DEMO_PORTS.values()), stdout
        assert "Meetings: 6  Summaries: 1  Errors: 0" in stdout
    assert "Meeting changes: 6 unchanged" in again
    assert served_ports(usual) != served_ports(again)
    assert facts(data / "usual.duckdb") == after_usual
    assert facts(data / "fresh.duckdb") == after_usual
    with duckdb.connect(str(data / "usual.duckdb"), read_only=True) as con:
        (stale,) = con.execute(
            "SELECT count(*) FROM meetings WHERE state = 'active' AND page_url NOT IN "
            "(SELECT url FROM pages WHERE run_id = (SELECT max(run_id) FROM runs))"
        ).fetchone()
    assert stale == 0  # every meeting points at the address it was last read from
