"""The DuckDB warehouse file: opening it (with migrations), and run bookkeeping.

One writer per file: a run holds the writer lock (warehouse/lock.py) and ONE
connection for its whole life, loading each source's batch in its own
transaction (warehouse/load.py). Analysts query the published snapshot
(warehouse/snapshot.py), never this file: DuckDB refuses their opens while a
run holds it.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from warehouse.lock import WarehouseBusy
from warehouse.migrate import latest_version, migrate, schema_version
from warehouse.reference import load_reference_data


class WarehouseError(RuntimeError):
    """The warehouse file cannot be opened or written (locked, corrupt, unwritable)."""


# A run keeps its connection for hours: DuckDB's buffer pool (80 % of RAM by default) would
# grow with every source loaded. The loads are small batches; this is plenty, and it is a cap.
MEMORY_LIMIT_ENV = "KOMMUNDIALOG_DUCKDB_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "512MB"


def memory_limit() -> str:
    """DuckDB's memory_limit for the warehouse's connections (KOMMUNDIALOG_DUCKDB_MEMORY_LIMIT)."""
    value = os.environ.get(MEMORY_LIMIT_ENV, "").strip() or DEFAULT_MEMORY_LIMIT
    if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", value, re.IGNORECASE):
        raise WarehouseError(f"{MEMORY_LIMIT_ENV}={value!r}: expected a size such as 512MB or 2GB")
    return value


# How often a writer retries a file another process has open.
OPEN_RETRY_SECONDS = 0.5


def _connect(path: Path, read_only: bool, wait_seconds: float) -> duckdb.DuckDBPyConnection:
    """Connect, retrying for up to `wait_seconds` while another process has the file open."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return duckdb.connect(
                str(path), read_only=read_only, config={"autoinstall_known_extensions": False}
            )
        except duckdb.Error as exc:
            if not isinstance(exc, duckdb.IOException) or "lock" not in str(exc).lower():
                raise classify_error(exc, path, f"cannot open warehouse {path}: {exc}") from exc
            if time.monotonic() >= deadline:
                raise WarehouseBusy(
                    f"another process has {path} open (an analyst's connection?); it must close it — "
                    "analysts query the snapshot (kommundialog query), never the live file"
                ) from exc
            time.sleep(OPEN_RETRY_SECONDS)


@contextmanager
def open_warehouse(
    path: str | Path, read_only: bool = False, wait_seconds: float = 0.0
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse file; for writing, create it and apply pending migrations first.

    Read-only opens never migrate: they refuse a file older than this code.
    A file another process holds is retried for `wait_seconds`, then WarehouseBusy.
    """
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = _connect(path, read_only, wait_seconds)
    try:
        try:
            con.execute("SET TimeZone='Europe/Stockholm'")
            con.execute(f"SET memory_limit = '{memory_limit()}'")
            if read_only:
                if schema_version(con) < latest_version():
                    raise WarehouseError(
                        f"{path} has an older schema: open it once for writing to migrate it"
                    )
            else:
                migrate(con, datetime.now(UTC))
                load_reference_data(con)
        except (duckdb.Error, OSError) as exc:
            classified = classify_error(exc, path, None)
            if classified is exc:
                raise
            raise classified from exc
        yield con
    finally:
        con.close()


def classify_error(exc: BaseException, path: Path, fallback: str | None) -> BaseException:
    """A damaged file or a full disk as the error that names it; else `fallback` (or `exc` itself)."""
    from warehouse.diskspace import as_no_space
    from warehouse.integrity import WarehouseDamaged, looks_damaged

    full = as_no_space(exc, path)
    if full is not None:
        return full
    if looks_damaged(exc):
        return WarehouseDamaged(path, str(exc).strip().splitlines()[0])
    return WarehouseError(fallback) if fallback else exc


def insert_rows(con: duckdb.DuckDBPyConnection, into: str, rows: Sequence[Sequence[object]]) -> None:
    """`into` ('INSERT OR REPLACE INTO t') with all rows in one VALUES list: a statement each costs ~1.5 ms."""
    if not rows:
        return
    row = "(" + ", ".join("?" for _ in rows[0]) + ")"
    con.execute(f"{into} VALUES {', '.join(row for _ in rows)}", [value for r in rows for value in r])


def start_run(con: duckdb.DuckDBPyConnection, run_id: str, started_at: datetime) -> None:
    con.execute(
        "INSERT INTO runs (run_id, started_at, status) VALUES (?, ?, 'running') ON CONFLICT DO NOTHING",
        [run_id, started_at],
    )


def mark_crashed_runs(con: duckdb.DuckDBPyConnection, now: datetime) -> list[str]:
    """Runs still `running` belong to a dead process (the caller holds the writer lock): mark them `crashed`."""
    crashed = [r[0] for r in con.execute("SELECT run_id FROM runs WHERE status = 'running'").fetchall()]
    if crashed:
        con.execute("UPDATE runs SET status = 'crashed', finished_at = ? WHERE status = 'running'", [now])
    return crashed


def finish_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    finished_at: datetime,
    status: str,
    totals: dict[str, int],
    errors: Sequence[str],
) -> None:
    con.execute(
        """UPDATE runs SET finished_at = ?, status = ?, sources = ?, pages = ?, meetings = ?,
           summaries = ?, errors = ?, error_messages = ? WHERE run_id = ?""",
        [
            finished_at,
            status,
            totals.get("sources", 0),
            totals.get("pages", 0),
            totals.get("meetings", 0),
            totals.get("summaries", 0),
            len(errors),
            list(errors),
            run_id,
        ],
    )


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row counts of the main tables, for summaries and tests."""
    return {
        name: con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
        for name in ("sources", "pages", "meetings", "meeting_versions", "summaries", "invitations", "runs")
    }
