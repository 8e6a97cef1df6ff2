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


def _healthy(api_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def local_prefect_server(port: int, log_path: Path) -> Iterator[str]:
    """Start `prefect server start` on 127.0.0.1:port, wait until healthy, yield its API URL."""
    api_url = f"http://127.0.0.1:{port}/api"
    if _healthy(api_url):
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
        deadline = time.monotonic() + SERVER_START_TIMEOUT_SECONDS
        while not _healthy(api_url):
            if process.poll() is not None:
                raise RuntimeError(f"Prefect server exited with code {process.returncode}; see {log_path}")
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"Prefect server not healthy after {SERVER_START_TIMEOUT_SECONDS} s; see {log_path}"
                )
            time.sleep(1)
        yield api_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
