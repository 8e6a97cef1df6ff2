"""The warehouse writer lock and orphaned temporary servers, with real processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT
from warehouse.lock import WarehouseBusy, lock_path, read_holder, writer_lock

HOLDER = """
import sys, time
sys.path.insert(0, {root!r})
from warehouse.lock import writer_lock
with writer_lock(sys.argv[1], "run"):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def hold(db: Path, seconds: float) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER.format(root=str(PROJECT_ROOT)), str(db), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout.readline().strip() == "held"
    return process


def test_a_second_writer_is_told_who_is_writing(tmp_path: Path) -> None:
    db = tmp_path / "kd.duckdb"
    holder = hold(db, 30)
    try:
        with (
            pytest.raises(
                WarehouseBusy,
                match=rf"another run \(PID {holder.pid}, since \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d UTC\) is writing",
            ),
            writer_lock(db, "publish"),
        ):
            pass
        started = time.monotonic()
        with (
            pytest.raises(WarehouseBusy, match="after waiting 1 s"),
            writer_lock(db, "publish", wait_seconds=1.0),
        ):
            pass
        assert time.monotonic() - started >= 1.0
        recorded = read_holder(lock_path(db))
        assert (recorded.holder, recorded.pid) == ("run", holder.pid)
    finally:
        holder.kill()
        holder.wait()


def test_a_waiting_writer_gets_the_lock_when_the_first_finishes(tmp_path: Path) -> None:
    db = tmp_path / "kd.duckdb"
    holder = hold(db, 1.5)
    with writer_lock(db, "publish", wait_seconds=30):
        assert holder.poll() is not None  # it only got the lock after the holder ended
        assert read_holder(lock_path(db)).pid == os.getpid()
    assert holder.wait() == 0


def test_a_lock_left_by_a_killed_process_is_taken_over(tmp_path: Path) -> None:
    db = tmp_path / "kd.duckdb"
    holder = hold(db, 60)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert read_holder(lock_path(db)).pid == holder.pid  # the dead holder's record is still there
    with writer_lock(db, "run"):
        assert read_holder(lock_path(db)).pid == os.getpid()


def test_the_lock_is_reentrant_within_one_process(tmp_path: Path) -> None:
    db = tmp_path / "kd.duckdb"
    with writer_lock(db, "run"), writer_lock(db, "run"):
        assert read_holder(lock_path(db)).pid == os.getpid()
    with writer_lock(db, "publish"):  # released after the outer block
        pass


def test_a_new_run_stops_the_temporary_server_an_old_run_left_behind(tmp_path: Path) -> None:
    from flows.temporary_server import stop_orphans

    command = [sys.executable, "-c", "import time; time.sleep(120)", "orphaned-server"]
    orphan = subprocess.Popen(command, start_new_session=True)
    dead_owner = subprocess.Popen([sys.executable, "-c", "pass"])
    dead_owner.wait()
    live_owner_server = subprocess.Popen([*command[:-1], "kept-server"], start_new_session=True)
    state = tmp_path / "temporary-servers"
    state.mkdir()
    (state / "1.json").write_text(
        json.dumps({"owner_pid": dead_owner.pid, "server_pid": orphan.pid, "command": command})
    )
    (state / "2.json").write_text(
        json.dumps(
            {
                "owner_pid": os.getppid(),
                "server_pid": live_owner_server.pid,
                "command": [*command[:-1], "kept-server"],
            }
        )
    )
    try:
        assert stop_orphans(state) == [orphan.pid]
        assert orphan.wait(timeout=10) is not None
        assert live_owner_server.poll() is None  # its run is alive: left alone
        assert sorted(p.name for p in state.iterdir()) == ["2.json"]
    finally:
        for process in (orphan, live_owner_server):
            process.kill()
            process.wait()
