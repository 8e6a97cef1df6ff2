"""Read-only SQL against the published snapshot, printed as a table, CSV or JSON.

CSV is for spreadsheets and scripts: ISO 8601 dates, times and date-times
(with their offset), `true`/`false`, numbers as numbers, empty for NULL and
lists joined with ';' (the published catalogue's convention), so DuckDB's
`read_csv`, pandas and spreadsheets read each column back with its type.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb


class QueryError(RuntimeError):
    """The snapshot is missing or the SQL failed; the message says which."""


def run_query(snapshot: str | Path, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and rows of a query on the snapshot, opened read-only."""
    path = Path(snapshot)
    if not sql.strip():
        raise QueryError('no SQL given: e.g. kommundialog query "SELECT * FROM upcoming_meetings"')
    if not path.is_file():
        raise QueryError(f"no warehouse snapshot at {path}: run `kommundialog run` or `demo` first")
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            con.execute("SET TimeZone='Europe/Stockholm'")
            cursor = con.execute(sql)
            if cursor is None or cursor.description is None:  # a comment only, or a statement without rows
                return [], []
            return [d[0] for d in cursor.description], cursor.fetchall()
    except duckdb.Error as exc:
        raise QueryError(str(exc).splitlines()[0]) from exc


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


LIST_SEPARATOR = ";"


def csv_cell(value: Any) -> Any:
    """One CSV cell: booleans true/false, lists ';'-joined, dates ISO 8601, NULL empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return LIST_SEPARATOR.join("" if v is None else str(csv_cell(v)) for v in value)
    if isinstance(value, dict):
        return json.dumps(_plain(value), ensure_ascii=False, sort_keys=True)
    return _plain(value)


def format_rows(columns: list[str], rows: list[tuple[Any, ...]], style: str = "table") -> str:
    """Rows as an aligned text table, CSV or JSON records."""
    plain = [[_plain(v) for v in row] for row in rows]
    if style == "json":
        return json.dumps(
            [dict(zip(columns, row, strict=True)) for row in plain], ensure_ascii=False, indent=2
        )
    if style == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([csv_cell(v) for v in row] for row in rows)
        return buffer.getvalue().rstrip("\n")
    cells = [columns, *[["" if v is None else str(v) for v in row] for row in plain]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines)
