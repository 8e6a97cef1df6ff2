"""The collect flow on a local Dask cluster (two worker processes) loads the same warehouse as the default runner."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.integration

# Columns that do not depend on when or by which run a row was written.
STABLE = {
    "sources": "source_id, municipality, municipality_code, profile, start_urls",
    "pages": "url, source_id, final_url, http_status, content_type, content_hash, error, kind, title, published",
    "meetings": (
        "meeting_id, extracted_id, source_id, municipality_code, page_url, title, meeting_date, month_day,"
        " year_basis, start_time, end_time, place, address, attendance, status, topics, theme, organiser,"
        " state, version, last_change, content_hash"
    ),
    "meeting_versions": "meeting_id, version, change_kind, title, meeting_date, start_time, place, status",
    "summaries": (
        "summary_id, source_id, municipality_code, page_url, body, meeting_date, start_time, end_time,"
        " item_count, confidential_item_count, next_meeting_date, content_hash"
    ),
}


def warehouse_rows(db: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {
            table: sorted(con.execute(f"SELECT {columns} FROM {table}").fetchall(), key=repr)
            for table, columns in STABLE.items()
        }


def test_dask_runner_loads_the_same_warehouse_as_the_default(
    prefect_server, demo_registry_file: Path, tmp_path: Path
) -> None:
    pytest.importorskip("prefect_dask", reason="prefect-dask is not installed")
    from flows.collect import collect
    from flows.runners import collect_flow

    on_dask = collect_flow("dask")
    assert type(on_dask.task_runner).__name__ == "DaskTaskRunner"
    runs = {}
    for name, flow, runner in (("threads", collect, "threads"), ("dask", on_dask, "dask")):
        workdir = tmp_path / name
        runs[name] = flow(
            sources_file=str(demo_registry_file),
            db_path=str(workdir / "kd.duckdb"),
            out_dir=str(workdir / "catalogue"),
            task_runner=runner,
        )
    assert runs["dask"].errors == runs["threads"].errors == []
    assert runs["dask"].meetings == runs["threads"].meetings == 6
    threads, dask = (
        warehouse_rows(tmp_path / "threads" / "kd.duckdb"),
        warehouse_rows(tmp_path / "dask" / "kd.duckdb"),
    )
    assert all(threads[t] for t in ("sources", "pages", "meetings", "summaries"))
    assert dask == threads
