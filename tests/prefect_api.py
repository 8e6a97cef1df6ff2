"""Reading a Prefect server's REST API from tests that run it in another process (plain HTTP on 127.0.0.1)."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

FINAL_STATES = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def api_post(api_url: str, path: str, body: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(
        f"{api_url}{path}",
        data=json.dumps(body or {}).encode(),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=15) as response:
        return json.load(response)


def deployments(api_url: str) -> dict[str, dict[str, Any]]:
    """Every deployment on the server, by name."""
    return {d["name"]: d for d in api_post(api_url, "/deployments/filter")}


def flow_runs_of(api_url: str, deployment_id: str) -> list[dict[str, Any]]:
    body = {"flow_runs": {"deployment_id": {"any_": [deployment_id]}}}
    return api_post(api_url, "/flow_runs/filter", body)


def wait_for_finished_run(
    api_url: str,
    deployment_id: str,
    timeout: float,
    alive: subprocess.Popen | None = None,
    log: Path | None = None,
) -> dict[str, Any]:
    """Wait until a run of the deployment reaches a final state and return it.

    `alive` is the process that should pick the run up: if it dies, stop waiting and say why.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        finished = [r for r in flow_runs_of(api_url, deployment_id) if r["state_type"] in FINAL_STATES]
        if finished:
            return finished[0]
        if alive is not None and alive.poll() is not None:
            raise AssertionError(f"process exited with {alive.returncode}: {log.read_text() if log else ''}")
        time.sleep(2)
    runs = [(r["name"], r["state_type"]) for r in flow_runs_of(api_url, deployment_id)]
    raise AssertionError(
        f"no run finished within {timeout} s; runs: {runs}; {log.read_text() if log else ''}"
    )


def stop(process: subprocess.Popen, grace: float = 30) -> None:
    """Ask a process to stop (as Ctrl-C does), kill it after `grace` seconds."""
    if process.poll() is not None:
        return
    process.send_signal(2)  # SIGINT
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
