"""The data dictionary, generated from the schema's own comments (COMMENT ON)."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb

from warehouse.migrate import migrate


def render_dictionary(con: duckdb.DuckDBPyConnection) -> str:
    """Markdown describing every table, view and column of the warehouse."""
    lines = [
        "# Warehouse data dictionary",
        "",
        "Generated from the schema comments by `kommundialog dictionary`; do not edit by hand.",
        "",
    ]
    objects = con.execute(
        "SELECT table_name, comment, 'table' FROM duckdb_tables() WHERE schema_name = 'main' "
        "UNION ALL SELECT view_name, comment, 'view' FROM duckdb_views() WHERE schema_name = 'main' AND NOT internal "
        "ORDER BY 3, 1"
    ).fetchall()
    for name, comment, kind in objects:
        lines += [
            f"## {name} ({kind})",
            "",
            comment or "(no description)",
            "",
            "| column | type | meaning |",
            "|---|---|---|",
        ]
        columns = con.execute(
            "SELECT column_name, data_type, comment FROM duckdb_columns() "
            "WHERE schema_name = 'main' AND table_name = ? ORDER BY column_index",
            [name],
        ).fetchall()
        lines += [f"| {c} | {t} | {(m or '').replace('|', '/')} |" for c, t, m in columns]
        lines.append("")
    return "\n".join(lines)


def render_schema_dictionary() -> str:
    """The dictionary of the schema this code creates (an empty in-memory warehouse, fully migrated)."""
    with duckdb.connect() as con:
        migrate(con, datetime.now(UTC))
        return render_dictionary(con)
