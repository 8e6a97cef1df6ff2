"""A run's own temporary Prefect server: what flow runs under it send.

A real server process on 127.0.0.1, real flow runs, and its event store read
back over HTTP, all in a fresh process (tests/heartbeat_probe.py), as a run is.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.integration
def test_flow_runs_under_the_runs_own_server_send_no_heartbeats(tmp_path: Path) -> None:
    env = {
        k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"
    }  # the run's own server, not the suite's
    env["PREFECT_HOME"] = str(tmp_path / "prefect")
    probe = subprocess.run(
        [sys.executable, "-m", "tests.heartbeat_probe", str(tmp_path / "servers")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env=env,
    )
    assert probe.returncode == 0, probe.stderr[-3000:]
    counts = json.loads(probe.stdout.strip().splitlines()[-1])
    assert counts["control"] >= 1  # heartbeats switched on do reach this server's event store
    assert counts["run"] == 0
