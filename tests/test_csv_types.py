"""CSV that spreadsheets and scripts read: `query --format csv` and the published CSV files
read back into DuckDB (auto-detected types) as dates, times, booleans, numbers and ';' lists.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.catalogue_support import LOADED_AT, catalogue_config, load_seed_pages
from warehouse.catalogue.publish import publish_catalogue
from warehouse.db import open_warehouse
from warehouse.query import format_rows

CLI = Path(sys.executable).parent / "kommundialog"
TYPED_QUERY = """
SELECT m.meeting_id, m.meeting_date, m.start_time, m.starts_at, m.topics, m.version,
       m.status = 'cancelled' AS cancelled, m.activity
FROM meetings m WHERE m.meeting_date IS NOT NULL ORDER BY m.meeting_id
"""


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("csv") / "kd.duckdb"
    load_seed_pages(db)
    return db


def _read_back(path: Path) -> tuple[dict[str, str], list[tuple]]:
    """Column types DuckDB detects in a CSV file, and its rows."""
    with duckdb.connect() as con:
        relation = con.sql(f"SELECT * FROM read_csv('{path}')")
        types = {name: str(kind) for name, kind in zip(relation.columns, relation.types, strict=True)}
        return types, relation.fetchall()


def _query_csv(db: Path, sql: str, target: Path) -> Path:
    result = subprocess.run(
        [str(CLI), "query", sql, "--snapshot", str(db), "--format", "csv"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    target.write_text(result.stdout + "\n", encoding="utf-8")
    return target


def test_query_csv_reads_back_into_duckdb_with_the_right_types(warehouse: Path, tmp_path: Path) -> None:
    path = _query_csv(warehouse, TYPED_QUERY, tmp_path / "meetings.csv")
    types, rows = _read_back(path)
    assert types == {
        "meeting_id": "VARCHAR",
        "meeting_date": "DATE",
        "start_time": "TIME",
        "starts_at": "TIMESTAMP WITH TIME ZONE",
        "topics": "VARCHAR",
        "version": "BIGINT",
        "cancelled": "BOOLEAN",
        "activity": "VARCHAR",
    }
    with duckdb.connect(str(warehouse), read_only=True) as con:
        expected = con.execute(TYPED_QUERY).fetchall()
    assert len(rows) == len(expected) >= 5
    for got, want in zip(rows, expected, strict=True):
        assert got[:2] == want[:2] and got[5:] == want[5:]
        assert got[2] == want[2]
        assert got[3] == want[3]  # the same moment, offset kept
        assert (got[4] or "").split(";") == (want[4] or [""])  # ';'-joined list


def test_month_columns_of_the_views_are_dates(warehouse: Path, tmp_path: Path) -> None:
    path = _query_csv(warehouse, "SELECT * FROM meetings_by_month", tmp_path / "by_month.csv")
    types, rows = _read_back(path)
    assert (
        types["month"] == "DATE" and types["meetings"] == "BIGINT" and types["dialogue_meetings"] == "BIGINT"
    )
    assert all(row[2].day == 1 for row in rows)


def test_format_rows_writes_lists_booleans_and_nulls_plainly() -> None:
    text = format_rows(["a", "b", "c"], [(["x", "y"], True, None), ([], False, 1.5)], "csv")
    assert text.splitlines() == ["a,b,c", "x;y,true,", ",false,1.5"]


def test_every_published_csv_reads_back_with_its_declared_types(warehouse: Path, tmp_path: Path) -> None:
    out = tmp_path / "catalogue"
    with open_warehouse(warehouse) as con:
        publish_catalogue(con, out, LOADED_AT, catalogue_config())
    meetings, _ = _read_back(out / "meetings.csv")
    assert meetings["date"] == "DATE" and meetings["revision"] == "BIGINT"
    assert meetings["start"] == "TIME" and meetings["start_at"] == "TIMESTAMP WITH TIME ZONE"
    assert meetings["first_seen_at"] == "TIMESTAMP WITH TIME ZONE"
    items, _ = _read_back(out / "agenda_items.csv")
    assert items["confidential"] == "BOOLEAN" and items["position"] == "BIGINT"
    invitations, rows = _read_back(out / "invitations.csv")
    assert invitations["published"] == "DATE"
    assert set(rows[0][5].split(";")) == {"e_service", "phone", "sms", "email"}
