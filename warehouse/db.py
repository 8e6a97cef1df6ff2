"""The DuckDB warehouse file: opening it (with migrations), and run bookkeeping.

One writer per file (DuckDB locks it): the flow opens the file, loads each
source's batch in its own transaction (warehouse/load.py), and closes it.
Analysts query the published snapshot (warehouse/snapshot.py), never this file.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from warehouse.migrate import load_migrations, migrate, schema_version
from warehouse.reference import load_reference_data


class WarehouseError(RuntimeError):
    """The warehouse file cannot be opened or written (locked, corrupt, unwritable)."""


@contextmanager
def open_warehouse(path: str | Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse file; for writing, create it and apply pending migrations first.

    Read-only opens never migrate: they refuse a file older than this code.
    """
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only, config={"autoinstall_known_extensions": False})
    except duckdb.IOException as exc:
        raise WarehouseError(f"cannot open warehouse {path}: {exc}") from exc
    try:
        con.execute("SET TimeZone='Europe/Stockholm'")
        if read_only:
            if schema_version(con) < len(load_migrations()):
                raise WarehouseError(f"{path} has an older schema: open it once for writing to migrate it")
        else:
            migrate(con, datetime.now(UTC))
            load_reference_data(con)
        yield con
    finally:
        con.close()


def start_run(con: duckdb.DuckDBPyConnection, run_id: str, started_at: datetime) -> None:
    con.execute(
        "INSERT INTO runs (run_id, started_at, status) VALUES (?, ?, 'running') ON CONFLICT DO NOTHING",
        [run_id, started_at],
    )


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
