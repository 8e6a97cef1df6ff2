"""Reference data every warehouse holds: the 290 municipalities and the topic vocabulary."""

from __future__ import annotations

import csv

import duckdb

from tasks.extract.vocabulary import CONFIG_DIR, default_vocabulary
from warehouse.coverage import load_bodies


def load_reference_data(con: duckdb.DuckDBPyConnection) -> None:
    """Write municipalities and topics from config/ when they differ from what the file holds.

    Idempotent (rows are replaced, not added), and an open of an up-to-date
    warehouse writes nothing: a read-mostly step needs no free space.
    """
    with (CONFIG_DIR / "municipalities.csv").open(encoding="utf-8", newline="") as handle:
        municipalities = [
            (r["municipality_code"], r["municipality"], r["county_code"], r["county"])
            for r in csv.DictReader(handle)
        ]
    topics = [(t.id, t.label_sv, t.label_en) for t in default_vocabulary().topics]
    held_municipalities = con.execute("SELECT * FROM municipalities ORDER BY ALL").fetchall()
    held_topics = con.execute("SELECT * FROM topics ORDER BY ALL").fetchall()
    if held_municipalities == sorted(municipalities) and held_topics == sorted(topics):
        return
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
