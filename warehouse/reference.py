"""Reference data every warehouse holds: the 290 municipalities and the topic vocabulary."""

from __future__ import annotations

import csv

import duckdb

from tasks.extract.vocabulary import CONFIG_DIR, default_vocabulary
from warehouse.coverage import BODY_COLUMNS, body_rows, load_bodies


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
    bodies = body_rows()
    if (
        _held(con, "municipalities") == sorted(municipalities)
        and _held(con, "topics") == sorted(topics)
        and _sorted(_held_rows(con, "bodies", BODY_COLUMNS)) == _sorted(bodies)
    ):
        return False
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM municipalities")
        con.executemany("INSERT INTO municipalities VALUES (?, ?, ?, ?)", municipalities)
        con.execute("DELETE FROM topics")
        con.executemany("INSERT INTO topics VALUES (?, ?, ?)", topics)
        load_bodies(con, bodies)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return True
