"""`kommundialog schedule`: one deployment per registry schedule, and a scheduled run that really fires.

The command starts its own Prefect server (no PREFECT_API_URL, as for a new
operator), serves the deployments, and the every-minute one must create a run
that completes and loads its sources, and only those, into a real DuckDB file.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from tasks.registry import load_registry, write_registry
from tests.prefect_api import deployments, free_port, wait_for_finished_run

CLI = Path(sys.executable).parent / "kommundialog"
EVERY_MINUTE = "* * * * *"
MINUTE_SOURCES = ("nordmaling-socialtjansten", "helsingborg-oppnasoc")

pytestmark = pytest.mark.integration


def _registry_with_two_schedules(demo_registry_file: Path, folder: Path) -> Path:
    """Two sources every minute, the other two on the default (daily) schedule."""
    registry = load_registry(demo_registry_file)
    sources = tuple(
        replace(s, schedule=EVERY_MINUTE if s.id in MINUTE_SOURCES else None) for s in registry.sources
    )
    path = folder / "scheduled-sources.yaml"
    write_registry(replace(registry, sources=sources), path)
    return path


def _wait_for_text(log: Path, text: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while text not in log.read_text():
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(1)


def test_schedule_fires_one_deployment_per_schedule_and_loads_its_sources(
    demo_registry_file: Path, tmp_path: Path
) -> None:
    registry = _registry_with_two_schedules(demo_registry_file, tmp_path)
    db = tmp_path / "data" / "kd.duckdb"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_RUNNER_POLL_FREQUENCY"] = "2"  # the serving process looks for due runs every 2 s
    log = tmp_path / "schedule.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(CLI), "schedule", "--sources", str(registry), "--db", str(db), "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=tmp_path,
        )
    api_url = f"http://127.0.0.1:{port}/api"
    try:
        _wait_for_text(log, "being served", process, timeout=240)
        served = deployments(api_url)
        assert sorted(served) == ["collect", "collect (* * * * *)"]
        daily, minutely = served["collect"], served["collect (* * * * *)"]
        assert [s["schedule"]["cron"] for s in daily["schedules"]] == ["0 6 * * *"]
        assert daily["schedules"][0]["schedule"]["timezone"] == "Europe/Stockholm"
        assert daily["parameters"]["schedule"] == "0 6 * * *"
        assert [s["schedule"]["cron"] for s in minutely["schedules"]] == [EVERY_MINUTE]
        assert minutely["parameters"]["schedule"] == EVERY_MINUTE
        assert minutely["parameters"]["db_path"] == str(db.resolve())

        run = wait_for_finished_run(api_url, minutely["id"], timeout=200, alive=process, log=log)
        assert run["state_type"] == "COMPLETED", (run["state_name"], log.read_text())
        assert run["auto_scheduled"] is True  # made by the server's scheduler, not by the test
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
    with pytest.raises(OSError):  # the server it started is gone with it
        urllib.request.urlopen(f"{api_url}/health", timeout=2)

    with duckdb.connect(str(db), read_only=True) as con:
        crawled = {row[0] for row in con.execute("SELECT DISTINCT source_id FROM pages").fetchall()}
        meetings = con.execute(
            "SELECT municipality_code, count(*) FROM meetings GROUP BY 1 ORDER BY 1"
        ).fetchall()
        runs = con.execute("SELECT status, sources FROM runs").fetchall()
    assert crawled == set(MINUTE_SOURCES)  # the daily deployment's sources were not crawled
    assert meetings == [("1283", 5), ("2401", 1)]
    assert ("ok", 2) in runs
