"""Reference data every warehouse holds: the 290 municipalities, the 21 regions and the topic vocabulary."""

from __future__ import annotations

import csv

import duckdb
import pyarrow as pa

from tasks.extract.vocabulary import CONFIG_DIR, default_vocabulary
from tasks.national import bodies


def _reference_rows() -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    with (CONFIG_DIR / "municipalities.csv").open(encoding="utf-8", newline="") as handle:
        municipalities = [
            (r["municipality_code"], r["municipality"], r["county_code"], r["county"])
            for r in csv.DictReader(handle)
        ]
    topics = [(t.id, t.label_sv, t.label_en) for t in default_vocabulary().topics]
    return municipalities, topics


def _held(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, ...]]:
    return sorted(tuple(r) for r in con.execute(f"SELECT * FROM {table}").fetchall())


def _held_rows(con: duckdb.DuckDBPyConnection, table: str, columns: tuple[str, ...]) -> list[tuple]:
    return [tuple(r) for r in con.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()]


def _sorted(rows: list[tuple]) -> list[tuple]:
    return sorted(rows, key=lambda row: tuple("" if v is None else v for v in row))


def load_reference_data(con: duckdb.DuckDBPyConnection) -> bool:
    """Write municipalities, topics and bodies from config/ when they differ from what the file holds.

    Idempotent, and a no-op (a read of ~300 rows) when nothing changed, so
    opening the warehouse costs milliseconds. Returns True when it wrote.
    """
    municipalities, topics = _reference_rows()
    registered = body_rows()
    if (
        _held(con, "municipalities") == sorted(municipalities)
        and _held(con, "topics") == sorted(topics)
        and _sorted(_held_rows(con, "bodies", BODY_COLUMNS)) == _sorted(registered)
    ):
        return False
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM municipalities")
        con.executemany("INSERT INTO municipalities VALUES (?, ?, ?, ?)", municipalities)
        con.execute("DELETE FROM topics")
        con.executemany("INSERT INTO topics VALUES (?, ?, ?)", topics)
        load_bodies(con, registered)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return True


BODY_COLUMNS = ("body_code", "kind", "name", "county", "origin", "origin_source")


def body_rows() -> list[tuple[str | None, ...]]:
    """The bodies table as config/ describes it."""
    return [(b.code, b.kind, b.name, b.county, b.origin or None, b.origin_source) for b in bodies()]


def load_bodies(con: duckdb.DuckDBPyConnection, rows: list[tuple[str | None, ...]] | None = None) -> None:
    """Rewrite the bodies table from config/ (the caller holds the transaction)."""
    columns = BODY_COLUMNS
    rows = body_rows() if rows is None else rows
    batch = pa.table({c: [r[i] for r in rows] for i, c in enumerate(columns)})  # one statement, not 311
    con.execute("DELETE FROM bodies")
    con.register("bodies_batch", batch)
    try:
        con.execute(f"INSERT INTO bodies ({', '.join(columns)}) SELECT * FROM bodies_batch")
    finally:
        con.unregister("bodies_batch")
