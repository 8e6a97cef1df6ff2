"""Prefect's temporary API server, started and stopped by us so it never outlives a run.

Left to itself, Prefect starts this server (uvicorn, ~230 MB) as a child that
shares the terminal's process group: Ctrl-C kills it first and Prefect then
retries it for minutes, and `kill -9` of the run leaves it orphaned. Here it
runs in its own session (Ctrl-C reaches only the run, which stops it last),
dies with its parent (Linux parent-death signal), and is recorded in a state
file so the next run stops any orphan it finds.
"""

from __future__ import annotations

import ctypes
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from flows.server import wait_until_healthy
from warehouse.lock import pid_alive

STATE_DIR_NAME = "temporary-servers"
STOP_GRACE_SECONDS = 5.0
_PR_SET_PDEATHSIG = 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the parent dies (Linux), and never Ctrl-C."""
    with suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _command(port: int) -> list[str]:
    spec = importlib.util.find_spec("prefect")  # where Prefect is installed, without importing it
    if spec is None or spec.origin is None:
        raise RuntimeError("Prefect is not installed in this environment")
    return [
        sys.executable, "-m", "uvicorn", "--app-dir", str(Path(spec.origin).parent.parent),
        "--factory", "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(port),
        "--log-level", "error", "--lifespan", "on",
    ]  # fmt: skip


def _environment() -> dict[str, str]:
    """Our environment: the server reads the same PREFECT_HOME, profile and settings files as we would."""
    return {
        **os.environ,
        "PREFECT_UI_ENABLED": "0",
        "PREFECT__SERVER_EPHEMERAL": "1",
        "PREFECT__SERVER_FINAL": "1",
    }


def _cmdline(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return [part.decode("utf-8", "replace") for part in raw.split(b"\0") if part]


def stop_process_group(pid: int, grace: float = STOP_GRACE_SECONDS) -> None:
    """SIGTERM a server's process group, then SIGKILL what is left after `grace` seconds."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 2.0)):
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                finished, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:  # not our child: poll for it instead
                finished = 0 if pid_alive(pid) else pid
            if finished:
                return
            time.sleep(0.05)


def stop_orphans(state_dir: Path, include_own: bool = False) -> list[int]:
    """Stop temporary servers whose run (the PID that started them) is gone; return their PIDs.

    `include_own` also stops this process's own server (the Ctrl-C watchdog's last resort).
    """
    stopped = []
    for record_path in sorted(state_dir.glob("*.json")):
        try:
            record = json.loads(record_path.read_text(encoding="utf-8"))
            owner, pid, command = int(record["owner_pid"]), int(record["server_pid"]), list(record["command"])
        except (OSError, ValueError, KeyError, TypeError):
            record_path.unlink(missing_ok=True)
            continue
        mine = owner == os.getpid()
        if (mine and not include_own) or (not mine and pid_alive(owner)):
            continue
        if _cmdline(pid) == command:  # the PID is still our server, not a reused number
            stop_process_group(pid, grace=1.0 if mine else STOP_GRACE_SECONDS)
            stopped.append(pid)
        record_path.unlink(missing_ok=True)
    return stopped


@dataclass(frozen=True)
class LaunchedServer:
    """A temporary server process we started, perhaps not answering yet."""

    process: subprocess.Popen
    api_url: str
    record: Path

    def stop(self) -> None:
        stop_server(self.process.pid)
        self.record.unlink(missing_ok=True)


def launch_temporary_server(state_dir: Path) -> LaunchedServer:
    """Start the server process and return at once: it boots (~3 s) while the caller imports Prefect.

    Nothing here imports Prefect, so a run's own imports and the server's
    start overlap on two cores instead of following each other.
    """
    state_dir.mkdir(parents=True, exist_ok=True)
    stop_orphans(state_dir)
    port = _free_port()
    command = _command(port)
    process = subprocess.Popen(
        command,
        env=_environment(),
        start_new_session=True,
        preexec_fn=_die_with_parent,
        stdin=subprocess.DEVNULL,
    )
    record = state_dir / f"{os.getpid()}.json"
    record.write_text(
        json.dumps({"owner_pid": os.getpid(), "server_pid": process.pid, "command": command}),
        encoding="utf-8",
    )
    return LaunchedServer(process, f"http://127.0.0.1:{port}/api", record)


@contextmanager
def serving(server: LaunchedServer, startup_timeout: float = 180.0) -> Iterator[str]:
    """Wait until a launched server answers, point Prefect at it, yield its URL; stop it on every way out."""
    try:
        from prefect.settings import PREFECT_API_URL, PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

        wait_until_healthy(server.process, server.api_url, startup_timeout, "Prefect's temporary server", 0.1)
        # No flow-run heartbeats: they let a standing server mark a dead run crashed, but this one
        # dies with the run, and their thread held up the end of every run by up to a second.
        updates = {PREFECT_API_URL: server.api_url, PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}
        with temporary_settings(updates=updates):
            yield server.api_url
    finally:
        server.stop()


def drain_prefect_workers(timeout: float = 3.0) -> None:
    """Send Prefect's pending events and logs while the server is still up (never at exit, when it is gone)."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        with suppress(Exception):
            worker.drain_all(timeout=timeout)


def stop_server(pid: int) -> None:
    """Stop the temporary server (and anything it started)."""
    stop_process_group(pid)
