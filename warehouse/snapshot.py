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


def publish_snapshot(db_path: str | Path, snapshot_dir: str | Path) -> Path:
    """Copy the (closed) warehouse file into the snapshot folder atomically; return its path."""
    source = Path(db_path)
    target = snapshot_path(snapshot_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(source)) as con:
        con.execute("CHECKPOINT")
    handle, temporary = tempfile.mkstemp(prefix=".snapshot-", suffix=".duckdb", dir=target.parent)
    os.close(handle)
    try:
        shutil.copyfile(source, temporary)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
