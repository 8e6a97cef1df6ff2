"""A read-only copy of the warehouse for analysts, published after each run.

DuckDB lets one process hold a file for writing, and then nobody else may
open it, not even read-only. Analysts therefore query a snapshot: the writer
copies the warehouse table by table into a temporary file beside the snapshot
(which reads every block, so a damaged warehouse fails here and never
replaces the last good copy) and renames it into place, so a reader sees the
old or the new copy, never half.

The copy is written in DuckDB 1.0's storage format (SNAPSHOT_STORAGE_VERSION),
so DuckDB 1.0 and later, 1.x and 2.x alike, open it. The last N snapshots stay
in snapshot/history/ (KOMMUNDIALOG_SNAPSHOTS_KEPT, default 3) as a good copy
to restore from.
"""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from warehouse.db import WarehouseError
from warehouse.diskspace import as_no_space, ensure_free_space
from warehouse.faults import kill_point
from warehouse.integrity import WarehouseDamaged, attach_read_only, looks_damaged, sql_path, verify_warehouse

SNAPSHOT_NAME = "kommundialog.duckdb"
HISTORY = "history"
TEMPORARY_PREFIX = ".snapshot-"
SNAPSHOT_STORAGE_VERSION = "v1.0.0"
KEPT_ENV = "KOMMUNDIALOG_SNAPSHOTS_KEPT"
DEFAULT_KEPT = 3
READABLE = 0o644


def snapshot_path(snapshot_dir: str | Path) -> Path:
    return Path(snapshot_dir) / SNAPSHOT_NAME


def snapshots_kept() -> int:
    """How many snapshots stay in snapshot/history/ (KOMMUNDIALOG_SNAPSHOTS_KEPT, at least 1)."""
    raw = os.environ.get(KEPT_ENV, "").strip()
    if not raw:
        return DEFAULT_KEPT
    if not raw.isdigit() or int(raw) < 1:
        raise WarehouseError(f"{KEPT_ENV}={raw!r}: expected a whole number of snapshots, 1 or more")
    return int(raw)


def remove_snapshot_leftovers(snapshot_dir: str | Path) -> list[Path]:
    """Delete temporary snapshot files a killed run left behind; return what was removed."""
    folder = Path(snapshot_dir)
    removed = []
    for path in folder.glob(f"{TEMPORARY_PREFIX}*") if folder.is_dir() else []:
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def publish_snapshot(
    db_path: str | Path, snapshot_dir: str | Path, con: duckdb.DuckDBPyConnection | None = None
) -> Path:
    """Check the warehouse, copy it into the snapshot folder atomically; return the snapshot's path.

    `con` is the writer's own open connection (a run keeps one for its whole
    life, so nobody else can open the file): the check and the copy go
    through it. Without it the closed file is attached read-only here.

    Raises WarehouseDamaged (the previous snapshot stays) or NoSpaceLeft
    (nothing half-written is left).
    """
    source = Path(db_path)
    target = snapshot_path(snapshot_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.parent.chmod(0o755)
    remove_snapshot_leftovers(target.parent)
    ensure_free_space([target.parent], extra_bytes=source.stat().st_size)
    temporary = target.parent / f"{TEMPORARY_PREFIX}{uuid.uuid4().hex}.duckdb"
    try:
        _copy_checked(source, temporary, con)
        temporary.chmod(READABLE)
        kill_point("snapshot-written")
        _keep_in_history(temporary, target.parent)
        os.replace(temporary, target)
    except BaseException as exc:
        temporary.unlink(missing_ok=True)
        Path(f"{temporary}.wal").unlink(missing_ok=True)
        full = as_no_space(exc, target.parent) if isinstance(exc, Exception) else None
        if full is not None:
            raise full from exc
        raise
    return target


def _copy_checked(source: Path, temporary: Path, writer: duckdb.DuckDBPyConnection | None = None) -> None:
    """Read the warehouse whole (checksums), then copy every table, view and comment to `temporary`."""
    if writer is not None:
        database = writer.execute("SELECT current_database()").fetchone()[0]
        _verify_and_copy(writer, source, database, temporary)
        return
    con = duckdb.connect(config={"autoinstall_known_extensions": False})
    try:
        attach_read_only(con, source, "warehouse")
        _verify_and_copy(con, source, "warehouse", temporary)
    finally:
        con.close()


def _verify_and_copy(con: duckdb.DuckDBPyConnection, source: Path, database: str, temporary: Path) -> None:
    """Read `database` whole through `con`, then copy it into a new file in the snapshot's storage format."""
    verify_warehouse(con, source, database)
    con.execute(f"ATTACH '{sql_path(temporary)}' AS snapshot (STORAGE_VERSION '{SNAPSHOT_STORAGE_VERSION}')")
    try:
        con.execute(f'COPY FROM DATABASE "{database}" TO snapshot')
    except duckdb.Error as exc:
        if looks_damaged(exc):
            raise WarehouseDamaged(source, str(exc).splitlines()[0]) from exc
        raise
    finally:
        con.execute("DETACH snapshot")


def _keep_in_history(snapshot: Path, folder: Path) -> None:
    """Link the new snapshot into history/ under its time, and drop all but the newest N there."""
    history = folder / HISTORY
    history.mkdir(exist_ok=True)
    history.chmod(0o755)
    name = history / f"kommundialog-{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}.duckdb"
    try:
        os.link(snapshot, name)
    except OSError:  # a file system without hard links: a copy costs space but works
        try:
            shutil.copyfile(snapshot, name)
        except BaseException:
            name.unlink(missing_ok=True)
            raise
    for old in sorted(history.glob("kommundialog-*.duckdb"))[: -snapshots_kept()]:
        old.unlink(missing_ok=True)


def snapshot_history(snapshot_dir: str | Path) -> list[Path]:
    """The kept snapshots, newest first."""
    history = Path(snapshot_dir) / HISTORY
    return sorted(history.glob("kommundialog-*.duckdb"), reverse=True) if history.is_dir() else []
