"""A local Prefect API server for scheduling: Prefect's temporary server cannot run schedules."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SERVER_START_TIMEOUT_SECONDS = 180


class ServerStartError(RuntimeError):
    """A Prefect server we started did not become healthy in time."""


def prefect_healthy(api_url: str) -> bool:
    """True when a Prefect API answers its health check at this URL."""
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def wait_until_healthy(
    process: subprocess.Popen, api_url: str, timeout_seconds: float, what: str, poll_seconds: float
) -> None:
    """Wait for the server `process` to answer at api_url; raise ServerStartError if it dies or is late."""
    deadline = time.monotonic() + timeout_seconds
    while not prefect_healthy(api_url):
        if process.poll() is not None:
            raise ServerStartError(f"{what} exited with code {process.returncode}")
        if time.monotonic() > deadline:
            raise ServerStartError(f"{what} not healthy after {timeout_seconds:.0f} s")
        time.sleep(poll_seconds)


@contextmanager
def local_prefect_server(port: int, log_path: Path) -> Iterator[str]:
    """Start `prefect server start` on 127.0.0.1:port, wait until healthy, yield its API URL."""
    api_url = f"http://127.0.0.1:{port}/api"
    if prefect_healthy(api_url):
        yield api_url  # an operator's server is already there: use it, leave it running
        return
    prefect = Path(sys.executable).parent / "prefect"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port), "--analytics-off"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=os.environ.copy(),
        )
    try:
        wait_until_healthy(
            process, api_url, SERVER_START_TIMEOUT_SECONDS, f"Prefect server (log: {log_path})", 1.0
        )
        yield api_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
