"""Is the warehouse whole? Read every table through before anything is copied from it.

DuckDB keeps a checksum per block and fails loudly when a block it reads does
not match; a count(*) may not read a block at all. Before the snapshot and the
catalogue are made from the warehouse, every column of every table is read,
so a damaged file stops the run instead of replacing the last good copy.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse.db import WarehouseError

# Words DuckDB uses when a file's bytes are not what it wrote.
_DAMAGE_MARKERS = (
    "checksum",
    "corrupt",
    "could not read enough bytes",
    "not a valid duckdb database",
    "the file is not a valid",
    "failed to read database header",
    "database file with version number",
    "invalid block",
    "serialization error",
    "deserializ",
)
BATCH_ROWS = 65536


class WarehouseDamaged(WarehouseError):
    """The warehouse file cannot be read back: damaged blocks, truncated, not a DuckDB file."""

    def __init__(self, path: str | Path, detail: str, recovery: str = "") -> None:
        self.path = Path(path)
        self.detail = detail
        self.recovery = recovery or recovery_hint(path)
        super().__init__(f"warehouse damaged: {self.path}: {detail}. {self.recovery}")


def recovery_hint(db_path: str | Path, snapshot: str | Path | None = None) -> str:
    """How an operator gets a good warehouse back: the restore command, from the snapshot or a backup."""
    source = snapshot or (Path(db_path).parent / "snapshot" / "kommundialog.duckdb")
    return (
        f"To recover: kommundialog restore {source} --db {db_path}  "
        f"(or from a backup folder: kommundialog restore DIR --db {db_path}); "
        "the damaged file is kept beside it"
    )


def looks_damaged(exc: BaseException) -> bool:
    """True for the DuckDB errors a damaged file produces (not for a lock or a full disk)."""
    text = str(exc).lower()
    if "lock" in text and "could not set lock" in text:
        return False
    return isinstance(exc, duckdb.Error) and any(marker in text for marker in _DAMAGE_MARKERS)


def base_tables(con: duckdb.DuckDBPyConnection, database: str | None = None) -> list[str]:
    """The warehouse's tables (not views), by name."""
    database = database or con.execute("SELECT current_database()").fetchone()[0]
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main' "
        "ORDER BY table_name",
        [database],
    ).fetchall()
    return [name for (name,) in rows]


def read_through(con: duckdb.DuckDBPyConnection, table: str, database: str | None = None) -> int:
    """Read every row and column of a table (so every block is checksummed); return the row count."""
    qualified = f'"{database}".main."{table}"' if database else f'main."{table}"'
    relation = con.sql(f"SELECT * FROM {qualified}")
    stream = getattr(relation, "to_arrow_reader", None) or relation.fetch_arrow_reader  # DuckDB 2.x or 1.x
    return sum(batch.num_rows for batch in stream(BATCH_ROWS))


def verify_warehouse(
    con: duckdb.DuckDBPyConnection, path: str | Path, database: str | None = None
) -> dict[str, int]:
    """Read the whole warehouse; return row counts per table, or raise WarehouseDamaged."""
    counts = {}
    try:
        for table in base_tables(con, database):
            counts[table] = read_through(con, table, database)
    except duckdb.Error as exc:
        raise WarehouseDamaged(path, f"{type(exc).__name__}: {_first_line(exc)}") from exc
    return counts


def verify_file(path: str | Path) -> dict[str, int]:
    """Open a closed warehouse (or snapshot) file read-only and read it whole."""
    try:
        con = duckdb.connect(str(path), read_only=True, config={"autoinstall_known_extensions": False})
    except duckdb.Error as exc:
        if looks_damaged(exc):
            raise WarehouseDamaged(path, _first_line(exc)) from exc
        raise WarehouseError(f"cannot open {path}: {_first_line(exc)}") from exc
    try:
        return verify_warehouse(con, path)
    finally:
        con.close()


def sql_path(path: str | Path) -> str:
    """A file path as the inside of a SQL string literal (quotes doubled)."""
    return str(path).replace("'", "''")


def attach_read_only(con: duckdb.DuckDBPyConnection, path: str | Path, alias: str) -> None:
    """Attach a warehouse (or snapshot) file read-only as `alias`; a damaged file raises WarehouseDamaged."""
    try:
        con.execute(f"ATTACH '{sql_path(path)}' AS {alias} (READ_ONLY)")
    except duckdb.Error as exc:
        if looks_damaged(exc):
            raise WarehouseDamaged(path, _first_line(exc)) from exc
        raise WarehouseError(f"cannot open {path}: {_first_line(exc)}") from exc


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
