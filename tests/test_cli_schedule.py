"""`kommundialog schedule`: a local Prefect server and a deployment on the registry's cron."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CLI = Path(sys.executable).parent / "kommundialog"

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_schedule_serves_collect_on_the_registry_cron(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    log = tmp_path / "schedule.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(CLI), "schedule", "--db", str(tmp_path / "data" / "kd.duckdb"), "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=tmp_path,
        )
    try:
        deadline = time.monotonic() + 240
        while "being served" not in log.read_text() and time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            time.sleep(1)
        assert "being served" in log.read_text(), log.read_text()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/deployments/filter",
            data=b"{}",
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            deployments = json.load(response)
        (deployment,) = deployments
        assert deployment["name"] == "collect"
        assert [s["schedule"]["cron"] for s in deployment["schedules"]] == ["0 6 * * *"]
        assert deployment["schedules"][0]["schedule"]["timezone"] == "Europe/Stockholm"
        assert deployment["parameters"]["sources_file"].endswith("config/sources.yaml")
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
    with pytest.raises(OSError):  # the server it started is gone with it
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2)
