"""Fault injection: a damaged block, a full file system, kills at named steps, invalid UTF-8.

Each case asserts that nothing was lost (the served catalogue and the
analysts' snapshot stay byte-identical, a restore or a rerun brings back what
an undisturbed run gives) and that the message is the documented one.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.catalogue_support import load_seed_pages, served_state
from tests.fault_support import (
    cli,
    corrupt_block_of,
    dangling_root_links,
    file_digest,
    no_leftovers,
    table_digests,
)
from warehouse.faults import KILL_ENV

# -- a damaged block ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real warehouse (the seed pages, loaded as the flow loads them), checkpointed to its file."""
    db = tmp_path_factory.mktemp("seeded") / "kd.duckdb"
    load_seed_pages(db)
    return db


def fresh_copy(seeded: Path, folder: Path) -> Path:
    data = folder / "data"
    data.mkdir(parents=True)
    shutil.copy(seeded, data / "kommundialog.duckdb")
    return data / "kommundialog.duckdb"


def test_a_damaged_meetings_block_keeps_the_catalogue_and_restore_brings_the_warehouse_back(
    seeded: Path, tmp_path: Path
) -> None:
    db = fresh_copy(seeded, tmp_path)
    out, snapshot_dir = tmp_path / "data" / "catalogue", tmp_path / "data" / "snapshot"
    published = cli("publish", "--db", str(db), "--out", str(out), cwd=tmp_path)
    assert published.returncode == 0, published.stderr
    backup = cli("backup", str(tmp_path / "backup"), "--db", str(db), cwd=tmp_path)
    assert backup.returncode == 0, backup.stderr
    from warehouse.snapshot import publish_snapshot

    publish_snapshot(db, snapshot_dir)
    before = table_digests(db)
    catalogue, snapshot = served_state(out), file_digest(snapshot_dir / "kommundialog.duckdb")

    corrupt_block_of(db, "meetings")
    damaged = cli("publish", "--db", str(db), "--out", str(out), cwd=tmp_path)
    assert damaged.returncode == 5, damaged.stdout + damaged.stderr
    assert "warehouse damaged" in damaged.stderr and "checksum" in damaged.stderr
    assert f"kommundialog restore {snapshot_dir / 'kommundialog.duckdb'} --db {db}" in damaged.stderr
    assert "Traceback" not in damaged.stderr
    from warehouse.integrity import WarehouseDamaged

    with pytest.raises(WarehouseDamaged, match="warehouse damaged"):
        publish_snapshot(db, snapshot_dir)
    assert served_state(out) == catalogue
    assert file_digest(snapshot_dir / "kommundialog.duckdb") == snapshot
    assert no_leftovers(out, snapshot_dir) == []

    restored = cli("restore", str(tmp_path / "backup"), "--db", str(db), cwd=tmp_path)
    assert restored.returncode == 0, restored.stderr
    assert table_digests(db) == before
    assert [p.name.split(".damaged-")[0] for p in db.parent.glob("*.damaged-*")] == ["kommundialog.duckdb"]
    again = cli("publish", "--db", str(db), "--out", str(out), cwd=tmp_path)
    assert again.returncode == 0 and "Unchanged" in again.stdout, again.stderr


def test_restore_from_the_kept_snapshot_gives_the_warehouse_back(seeded: Path, tmp_path: Path) -> None:
    from warehouse.snapshot import publish_snapshot, snapshot_history

    db = fresh_copy(seeded, tmp_path)
    snapshot = publish_snapshot(db, tmp_path / "snapshot")
    assert [p.stat().st_ino for p in snapshot_history(tmp_path / "snapshot")] == [snapshot.stat().st_ino]
    before = table_digests(db)
    corrupt_block_of(db, "meetings")
    result = cli("restore", str(snapshot), "--db", str(db), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert table_digests(db) == before


def test_a_truncated_warehouse_is_named_damaged_not_a_traceback(seeded: Path, tmp_path: Path) -> None:
    db = fresh_copy(seeded, tmp_path)
    with db.open("r+b") as handle:
        handle.truncate(db.stat().st_size // 2)
    result = cli("publish", "--db", str(db), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 5, result.stdout + result.stderr
    assert "warehouse damaged" in result.stderr and "kommundialog restore" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.integration
def test_a_run_on_a_damaged_warehouse_fails_and_publishes_nothing(
    prefect_server, demo_registry_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from flows.cli import main

    data = tmp_path / "data"
    db, out = data / "kommundialog.duckdb", data / "catalogue"
    args = ["run", "--sources", str(demo_registry_file), "--db", str(db), "--out", str(out)]
    assert main(args) == 0
    catalogue, snapshot = served_state(out), file_digest(data / "snapshot" / "kommundialog.duckdb")
    capsys.readouterr()
    corrupt_block_of(db, "meetings")
    assert main(args) == 5
    stderr = capsys.readouterr().err
    assert "warehouse damaged" in stderr
    assert f"kommundialog restore {data / 'snapshot' / 'kommundialog.duckdb'} --db {db}" in stderr
    assert served_state(out) == catalogue
    assert file_digest(data / "snapshot" / "kommundialog.duckdb") == snapshot
    with duckdb.connect(str(db), read_only=True) as con:  # the runs table lives in another block
        failed = con.execute("SELECT error_messages FROM runs WHERE status = 'failed'").fetchall()
    assert len(failed) == 1 and failed[0][0][-1].startswith("warehouse damaged: ")
    assert main(["restore", str(data / "snapshot" / "kommundialog.duckdb"), "--db", str(db)]) == 0
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM meetings").fetchone() == (6,)


# -- a full file system ------------------------------------------------------------------------------


@pytest.fixture
def small_filesystem(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of 48 MB mounted for the test (root only); skipped, saying why, where it cannot be."""
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root and mount(8)")
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(mount_point)], capture_output=True, text=True
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(folder: Path) -> Path:
    """Write a file until the file system is full; return it (deleting it frees the space)."""
    filler = folder / f"filler-{uuid.uuid4().hex}"
    with filler.open("wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError:
            pass
    return filler


@pytest.mark.integration
def test_a_full_disk_is_named_keeps_what_is_served_and_a_rerun_equals_an_undisturbed_run(
    prefect_server,
    demo_registry_file: Path,
    small_filesystem: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flows.cli import main

    data = small_filesystem / "data"
    db, out, snapshot = (
        data / "kommundialog.duckdb",
        data / "catalogue",
        data / "snapshot" / "kommundialog.duckdb",
    )
    args = ["run", "--sources", str(demo_registry_file), "--db", str(db), "--out", str(out)]
    monkeypatch.setenv("KOMMUNDIALOG_MIN_FREE_MB", "1")
    assert main(args) == 0
    assert main(args) == 0  # an undisturbed second run
    undisturbed = table_digests(db, content_only=True)
    catalogue, snapshot_digest = served_state(out), file_digest(snapshot)
    capsys.readouterr()

    filler = fill(small_filesystem)
    monkeypatch.setenv("KOMMUNDIALOG_MIN_FREE_MB", "0")  # past the check: the writes themselves fail
    assert main(args) == 5
    stderr = capsys.readouterr().err
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("kommundialog: run ") and ": no space left on tmpfs (" in last, stderr
    assert str(small_filesystem) in last
    assert served_state(out) == catalogue
    assert file_digest(snapshot) == snapshot_digest
    assert no_leftovers(out, snapshot.parent) == []

    monkeypatch.setenv("KOMMUNDIALOG_MIN_FREE_MB", "1")
    assert main(args) == 5  # the check before the run refuses a full disk at once
    assert "no space left on tmpfs (" in capsys.readouterr().err

    filler.unlink()
    assert main(args) == 0, capsys.readouterr().err
    again = table_digests(db, content_only=True)
    for per_run in (
        "runs",
        "fetch_log",
        "crawl_summaries",
        "source_runs",
        "source_coverage",
        "source_checks",
        "health_alerts",
    ):  # per run or request
        again.pop(per_run, None), undisturbed.pop(per_run, None)
    assert again == undisturbed
    assert served_state(out)["files"] == catalogue["files"]
    assert no_leftovers(out, snapshot.parent) == []


def test_publish_refuses_to_start_below_the_free_space_minimum(seeded: Path, tmp_path: Path) -> None:
    db = fresh_copy(seeded, tmp_path)
    result = cli(
        "publish",
        "--db",
        str(db),
        "--out",
        str(tmp_path / "out"),
        cwd=tmp_path,
        env={"KOMMUNDIALOG_MIN_FREE_MB": str(10**9)},
    )
    assert result.returncode == 5
    assert result.stderr.startswith("kommundialog publish: no space left on ")
    assert f"({tmp_path / 'out'})" in result.stderr and "KOMMUNDIALOG_MIN_FREE_MB" in result.stderr
    assert not (tmp_path / "out" / "latest").exists()


def test_opening_an_up_to_date_warehouse_writes_nothing(seeded: Path, tmp_path: Path) -> None:
    from warehouse.db import open_warehouse

    db = fresh_copy(seeded, tmp_path)
    digest, modified = file_digest(db), db.stat().st_mtime_ns
    with open_warehouse(db) as con:
        con.execute("SELECT count(*) FROM meetings").fetchone()
    assert file_digest(db) == digest and db.stat().st_mtime_ns == modified
    assert not Path(f"{db}.wal").exists()


# -- kills at named steps ----------------------------------------------------------------------------


CATALOGUE_POINTS = ("release-staged", "release-installed", "latest-switched")


@pytest.mark.parametrize("point", CATALOGUE_POINTS)
def test_a_publish_killed_at_a_named_step_leaves_nothing_and_a_rerun_equals_an_undisturbed_one(
    seeded: Path, tmp_path: Path, point: str
) -> None:
    db = fresh_copy(seeded, tmp_path)
    reference, out = tmp_path / "reference", tmp_path / "data" / "catalogue"
    assert cli("publish", "--db", str(db), "--out", str(reference), cwd=tmp_path).returncode == 0
    killed = cli("publish", "--db", str(db), "--out", str(out), cwd=tmp_path, env={KILL_ENV: point})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    if (out / "latest").exists():  # root links are complete whenever `latest` exists
        assert dangling_root_links(out) == []
        assert (out / "meetings.csv").read_bytes() == (reference / "meetings.csv").read_bytes()
    rerun = cli("publish", "--db", str(db), "--out", str(out), cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    assert no_leftovers(out) == []
    assert dangling_root_links(out) == []
    assert served_state(out)["files"] == served_state(reference)["files"]


def test_a_snapshot_killed_before_its_rename_leaves_the_old_one_and_the_next_run_clears_the_leftover(
    seeded: Path, tmp_path: Path
) -> None:
    db = fresh_copy(seeded, tmp_path)
    snapshot_dir = tmp_path / "data" / "snapshot"
    from warehouse.snapshot import publish_snapshot

    publish_snapshot(db, snapshot_dir)
    before = file_digest(snapshot_dir / "kommundialog.duckdb")
    out = tmp_path / "data" / "catalogue"
    killed = cli(
        "reextract",
        "--db",
        str(db),
        "--out",
        str(out),
        "--snapshot-dir",
        str(snapshot_dir),
        cwd=tmp_path,
        env={KILL_ENV: "snapshot-written"},
    )
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    assert [p.name[:10] for p in snapshot_dir.glob(".snapshot-*")] == [".snapshot-"]  # killed mid-step
    assert file_digest(snapshot_dir / "kommundialog.duckdb") == before
    rerun = cli(
        "reextract", "--db", str(db), "--out", str(out), "--snapshot-dir", str(snapshot_dir), cwd=tmp_path
    )
    assert rerun.returncode == 0, rerun.stderr
    assert no_leftovers(out, snapshot_dir) == []
    assert dangling_root_links(out) == []
    snapshot = snapshot_dir / "kommundialog.duckdb"
    assert oct(snapshot.stat().st_mode & 0o777) == "0o644"
    assert table_digests(snapshot) == table_digests(db)


def test_published_files_and_the_snapshot_are_world_readable_under_a_strict_umask(
    seeded: Path, tmp_path: Path
) -> None:
    db = fresh_copy(seeded, tmp_path)
    out, snapshot_dir = tmp_path / "data" / "catalogue", tmp_path / "data" / "snapshot"
    code = (
        "import os, sys; os.umask(0o077); from flows.cli import main; "
        f"sys.exit(main(['reextract', '--db', {str(db)!r}, '--out', {str(out)!r}, "
        f"'--snapshot-dir', {str(snapshot_dir)!r}]))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    unreadable = [
        str(p)
        for p in [snapshot_dir, *snapshot_dir.rglob("*"), *(out / "latest").resolve().rglob("*")]
        if not p.stat().st_mode & 0o004 or (p.is_dir() and not p.stat().st_mode & 0o001)
    ]
    assert unreadable == []


def test_only_the_configured_number_of_snapshots_is_kept(
    seeded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from warehouse.snapshot import publish_snapshot, snapshot_history

    db = fresh_copy(seeded, tmp_path)
    monkeypatch.setenv("KOMMUNDIALOG_SNAPSHOTS_KEPT", "2")
    made = [publish_snapshot(db, tmp_path / "snapshot").stat().st_ino for _ in range(4)]
    kept = snapshot_history(tmp_path / "snapshot")
    assert [p.stat().st_ino for p in kept] == [made[3], made[2]]  # newest first, the served one among them
    assert all(table_digests(p) == table_digests(db) for p in kept)


@pytest.mark.integration
def test_runs_killed_at_the_first_switch_and_before_the_snapshot_rename_leave_nothing_behind(
    prefect_server, demo_registry_file: Path, tmp_path: Path
) -> None:
    """`kommundialog run` in its own process, killed where the issue saw leftovers, then run again."""
    from prefect.settings import PREFECT_API_URL

    data = tmp_path / "data"
    db, out, snapshot_dir = data / "kommundialog.duckdb", data / "catalogue", data / "snapshot"
    args = ("run", "--sources", str(demo_registry_file), "--db", str(db), "--out", str(out))
    api = {"PREFECT_API_URL": str(PREFECT_API_URL.value()), "PREFECT_HOME": str(tmp_path / "prefect")}

    first = cli(*args, cwd=tmp_path, env={**api, KILL_ENV: "latest-switched"})
    assert first.returncode == -signal.SIGKILL, first.stdout + first.stderr
    assert (out / "latest").is_symlink()
    assert dangling_root_links(out) == [] and (out / "meetings.csv").is_file()  # complete at once

    second = cli(*args, cwd=tmp_path, env={**api, KILL_ENV: "snapshot-written"})
    assert second.returncode == -signal.SIGKILL, second.stdout + second.stderr
    assert len(list(snapshot_dir.glob(".snapshot-*"))) == 1

    third = cli(*args, cwd=tmp_path, env=api)
    assert third.returncode == 0, third.stdout + third.stderr
    assert no_leftovers(out, snapshot_dir) == []
    assert dangling_root_links(out) == []
    assert table_digests(snapshot_dir / "kommundialog.duckdb") == table_digests(db)
