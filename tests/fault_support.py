"""Test support for fault injection: the CLI in a fresh process, table digests, a damaged block, leftovers."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import duckdb

CLI = Path(sys.executable).parent / "kommundialog"
HEADER_BYTES = 3 * 4096  # DuckDB's file headers, before block 0


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    environment.update(env or {})
    return subprocess.run(
        [str(CLI), *args], capture_output=True, text=True, timeout=300, cwd=cwd, env=environment
    )


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def table_digests(db: Path, content_only: bool = False) -> dict[str, str]:
    """One digest per table over all its rows, computed by DuckDB (order-independent).

    `content_only` leaves out what every run changes by design: times and run ids.
    """
    with duckdb.connect(str(db), read_only=True) as con:
        columns: dict[str, list[str]] = {}
        for table, column, data_type in con.execute(
            "SELECT c.table_name, c.column_name, c.data_type FROM duckdb_columns() c "
            "JOIN duckdb_tables() t USING (database_name, schema_name, table_name) "
            "WHERE c.database_name = current_database() AND c.schema_name = 'main' "
            "ORDER BY c.table_name, c.column_index"
        ).fetchall():
            volatile = data_type.startswith("TIMESTAMP") or column.endswith("run_id")
            if not (content_only and volatile):
                columns.setdefault(table, []).append(f'"{column}"')
        return {
            table: con.execute(
                f"SELECT count(*) || ':' || coalesce(md5(string_agg(r::VARCHAR, '|' ORDER BY r::VARCHAR)), '') "
                f'FROM (SELECT {", ".join(names)} FROM "{table}") r'
            ).fetchone()[0]
            for table, names in columns.items()
        }


def corrupt_block_of(db: Path, table: str) -> int:
    """Write 4 kB of garbage into the block that holds the table's first column segment; return its id."""
    with duckdb.connect(str(db), read_only=True) as con:
        block_size = con.execute("SELECT block_size FROM pragma_database_size()").fetchone()[0]
        block = con.execute(
            f"SELECT min(block_id) FROM pragma_storage_info('{table}') WHERE persistent AND block_id >= 0"
        ).fetchone()[0]
    assert block is not None, f"{table} has no block on disk"
    with db.open("r+b") as handle:
        handle.seek(HEADER_BYTES + block * block_size + 1024)
        handle.write(os.urandom(4096))
    return block


def no_leftovers(*folders: Path) -> list[str]:
    return [
        str(p)
        for folder in folders
        if folder.is_dir()
        for p in folder.iterdir()
        if p.name.startswith((".snapshot-", ".staging-", ".link-", ".backup-", ".restore-"))
    ]


def dangling_root_links(out: Path) -> list[str]:
    return [p.name for p in out.iterdir() if p.is_symlink() and not p.exists()]
