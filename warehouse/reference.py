"""Reference data every warehouse holds: the 290 municipalities and the topic vocabulary."""

from __future__ import annotations

import csv

import duckdb

from tasks.extract.vocabulary import CONFIG_DIR, default_vocabulary
from warehouse.coverage import load_bodies


def load_reference_data(con: duckdb.DuckDBPyConnection) -> None:
    """Write municipalities and topics from config/ (idempotent: rows are replaced, not added)."""
    with (CONFIG_DIR / "municipalities.csv").open(encoding="utf-8", newline="") as handle:
        municipalities = [
            (r["municipality_code"], r["municipality"], r["county_code"], r["county"])
            for r in csv.DictReader(handle)
        ]
    topics = [(t.id, t.label_sv, t.label_en) for t in default_vocabulary().topics]
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM municipalities")
        con.executemany("INSERT INTO municipalities VALUES (?, ?, ?, ?)", municipalities)
        con.execute("DELETE FROM topics")
        con.executemany("INSERT INTO topics VALUES (?, ?, ?)", topics)
        load_bodies(con)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
