"""One writer at a time: a lock file beside the warehouse, held for a run's (or publish's) whole life.

DuckDB's own file lock only covers the moments a connection is open; a run
also crawls and publishes around its writes, and a second writer slipping in
between would lose loads or publish a half-loaded release. The lock file
`<warehouse>.lock` is held with flock(2), which the kernel releases when the
holder dies (a stale lock from a dead PID is simply taken over), and names the
holder, PID and start time so the next writer can say who is writing.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

POLL_SECONDS = 0.2


class WarehouseBusy(RuntimeError):
    """Another process is writing the warehouse and did not finish within the wait."""


@dataclass(frozen=True)
class LockHolder:
    """Who holds (or last held) the lock, as written in the lock file."""

    holder: str
    pid: int
    started_at: str
    host: str

    def describe(self) -> str:
        since = self.started_at.replace("T", " ").split(".")[0].removesuffix("+00:00")
        return f"another {self.holder} (PID {self.pid}, since {since} UTC)"


_held: dict[Path, int] = {}  # lock path -> nesting depth within this process
_held_guard = threading.Lock()


def lock_path(db_path: str | Path) -> Path:
    """The lock file beside a warehouse: data/kommundialog.duckdb.lock."""
    path = Path(db_path).resolve()
    return path.with_name(path.name + ".lock")


def read_holder(path: Path) -> LockHolder | None:
    """The holder recorded in a lock file (None when empty or unreadable)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "null")
        return LockHolder(str(data["holder"]), int(data["pid"]), str(data["started_at"]), str(data["host"]))
    except (OSError, ValueError, TypeError, KeyError):
        return None


def pid_alive(pid: int) -> bool:
    """True when a process with this PID exists on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _try_flock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES):
            return False
        raise
    return True


def _write_holder(fd: int, holder: str) -> LockHolder:
    me = LockHolder(
        holder, os.getpid(), datetime.now(UTC).isoformat(timespec="seconds"), socket.gethostname()
    )
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(me.__dict__).encode("utf-8"), 0)
        os.fsync(fd)
    except OSError as exc:  # a full disk: the flock still excludes others, only the note of who is missing
        if exc.errno != errno.ENOSPC:
            raise
    return me


def _busy_message(path: Path, db_path: str | Path, waited: float) -> str:
    other = read_holder(path)
    who = other.describe() if other else "another process"
    if other and not pid_alive(other.pid):
        who += " — that PID is gone, but a process it started still holds the lock"
    waited_text = f" after waiting {waited:.0f} s" if waited >= 1 else ""
    return (
        f"{who} is writing {db_path}{waited_text}; "
        "wait for it to finish, or retry with --wait SECONDS (analysts: query the snapshot)"
    )


@contextmanager
def writer_lock(db_path: str | Path, holder: str, wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold the warehouse's writer lock for the block; re-entrant within one process.

    Waits up to `wait_seconds` for another writer, then raises WarehouseBusy
    naming it. A lock left by a dead process is taken over at once.
    """
    path = lock_path(db_path)
    with _held_guard:
        if _held.get(path):
            _held[path] += 1
            nested = True
        else:
            nested = False
    if nested:
        try:
            yield
        finally:
            with _held_guard:
                _held[path] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        started = time.monotonic()
        while not _try_flock(fd):
            waited = time.monotonic() - started
            if waited >= wait_seconds:
                raise WarehouseBusy(_busy_message(path, db_path, waited))
            time.sleep(min(POLL_SECONDS, max(0.01, wait_seconds - waited)))
        _write_holder(fd, holder)
        with _held_guard:
            _held[path] = 1
        try:
            yield
        finally:
            with _held_guard:
                _held.pop(path, None)
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
