"""A read-only copy of the warehouse for analysts, published after each run.

DuckDB lets one process hold a file for writing, and then nobody else may
open it, not even read-only. Analysts therefore query a snapshot: the writer
checkpoints, copies the file to a temporary name beside the snapshot and
renames it into place, so a reader sees the old or the new copy, never half.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import duckdb

SNAPSHOT_NAME = "kommundialog.duckdb"


def snapshot_path(snapshot_dir: str | Path) -> Path:
    return Path(snapshot_dir) / SNAPSHOT_NAME


def publish_snapshot(
    db_path: str | Path, snapshot_dir: str | Path, con: duckdb.DuckDBPyConnection | None = None
) -> Path:
    """Copy the warehouse file into the snapshot folder atomically; return its path.

    `con` is the writer's own open connection (a run keeps one for its whole
    life): it checkpoints, so the file on disk is complete while it is copied.
    Without it the file is opened (and closed) here.
    """
    source = Path(db_path)
    target = snapshot_path(snapshot_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    if con is not None:
        con.execute("CHECKPOINT")
    else:
        with duckdb.connect(str(source)) as own:
            own.execute("CHECKPOINT")
    handle, temporary = tempfile.mkstemp(prefix=".snapshot-", suffix=".duckdb", dir=target.parent)
    os.close(handle)
    try:
        shutil.copyfile(source, temporary)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
