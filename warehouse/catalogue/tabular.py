"""Table files: Excel-friendly CSV, JSON Lines, a JSON array and typed Parquet.

Each writer takes published rows and a Table definition, so the column order
and types are the same in every format. All output is byte-reproducible.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from warehouse.catalogue.schema import Column, Table

# Cells starting with these run as formulas in spreadsheets: prefix them with an apostrophe.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
ARROW_TYPES = {
    "string": pa.string(),
    "integer": pa.int32(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "time": pa.time32("ms"),  # Parquet keeps milliseconds; seconds come back as ms
    "datetime": pa.timestamp("ms", tz="UTC"),
    "list": pa.list_(pa.string()),
}


def safe_cell(value: Any) -> str:
    """A CSV cell that spreadsheets will not run as a formula; lists joined with ';'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        value = ";".join(str(v) for v in value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def render_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> bytes:
    """UTF-8 with BOM (so Excel shows å, ä, ö), one header row, CRLF, formula-safe cells."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(row.get(c)) for c in columns])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def render_jsonl(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> bytes:
    """One JSON object per line, columns in table order."""
    lines = [json.dumps({c: row.get(c) for c in columns}, ensure_ascii=False) for row in rows]
    return "".join(line + "\n" for line in lines).encode("utf-8")


def render_json(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> bytes:
    """A JSON array of objects (the catalogue's original format, kept for existing users)."""
    records = [{c: row.get(c) for c in columns} for row in rows]
    return (json.dumps(records, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _arrow_value(column: Column, value: Any) -> Any:
    """Published text back to the typed value Parquet stores."""
    if value is None:
        return None
    if column.type == "date":
        return date.fromisoformat(value)
    if column.type == "time":
        return time.fromisoformat(value)
    if column.type == "datetime":
        return datetime.fromisoformat(value)
    return value


def arrow_schema(table: Table) -> pa.Schema:
    return pa.schema(
        [
            pa.field(
                c.name, ARROW_TYPES[c.type], nullable=not c.required, metadata={"description": c.description}
            )
            for c in table.columns
        ]
    )


def render_parquet(rows: Sequence[dict[str, Any]], table: Table) -> bytes:
    """Typed Parquet (dates, times, UTC timestamps, lists), zstd-compressed."""
    columns = {
        c.name: pa.array([_arrow_value(c, row.get(c.name)) for row in rows], type=ARROW_TYPES[c.type])
        for c in table.columns
    }
    data = pa.Table.from_arrays(list(columns.values()), schema=arrow_schema(table))
    sink = pa.BufferOutputStream()
    pq.write_table(data, sink, compression="zstd")
    return sink.getvalue().to_pybytes()
