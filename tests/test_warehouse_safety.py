"""The warehouse under stress: a load killed halfway, analysts querying while a writer holds the file,
re-extraction from the raw archive, and a schema that documents itself."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from tests.conftest import PROJECT_ROOT
from warehouse.db import open_warehouse

CLI = Path(sys.executable).parent / "kommundialog"
NOW = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)

# Loads synthetic sources one transaction each, saying when each starts and commits.
LOADER = """
import sys
from datetime import UTC, datetime
sys.path.insert(0, {root!r})
from benchmarks.bench_load import synthetic_source
from warehouse.db import open_warehouse
from warehouse.load import load_source_run
now = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
with open_warehouse(sys.argv[1]) as con:
    for index in range(int(sys.argv[2])):
        source, pages, extractions = synthetic_source(index, 20000, now)
        print("loading", index, flush=True)
        load_source_run(con, source, pages, extractions, "run-1", now, "test")
        print("committed", index, flush=True)
"""

CONTENT_SQL = {
    "meetings": "SELECT meeting_id, source_id, meeting_date, start_time, place, status, state, version FROM meetings",
    "versions": "SELECT meeting_id, version, change_kind, valid_to IS NULL FROM meeting_versions",
    "pages": "SELECT url, content_hash, kind FROM pages",
    "source_runs": "SELECT source_id, new, unchanged, suspect FROM source_runs",
}


def content(db: Path) -> dict[str, list[tuple]]:
    """What the warehouse says, without load times."""
    with duckdb.connect(str(db), read_only=True) as con:
        return {name: sorted(con.execute(sql).fetchall()) for name, sql in CONTENT_SQL.items()}


def run_loader(db: Path, sources: int, kill_after: str | None = None) -> None:
    code = LOADER.format(root=str(PROJECT_ROOT))
    process = subprocess.Popen(
        [sys.executable, "-c", code, str(db), str(sources)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=PROJECT_ROOT,
    )
    if kill_after is None:
        assert process.wait(timeout=300) == 0
        return
    for line in process.stdout:
        if line.startswith(kill_after):
            time.sleep(0.2)  # inside this source's transaction: 20,000 meetings take seconds to load
            os.kill(process.pid, signal.SIGKILL)
            break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL


@pytest.mark.integration
def test_a_load_killed_halfway_and_run_again_equals_an_uninterrupted_load(tmp_path: Path) -> None:
    whole = tmp_path / "whole.duckdb"
    run_loader(whole, 3)
    broken = tmp_path / "broken.duckdb"
    run_loader(broken, 3, kill_after="loading 1")
    partial = content(broken)
    assert {row[1] for row in partial["meetings"]} == {"kommun-0"}  # the half-done source left no trace
    run_loader(broken, 3)
    again = content(broken)
    expected = content(whole)
    assert again["meetings"] == expected["meetings"]
    assert again["pages"] == expected["pages"]
    assert again["versions"] == expected["versions"]


@pytest.mark.integration
def test_analysts_query_the_snapshot_while_a_writer_holds_the_warehouse(tmp_path: Path) -> None:
    from warehouse.snapshot import publish_snapshot

    db = tmp_path / "kd.duckdb"
    with open_warehouse(db) as con:
        con.execute("INSERT INTO runs (run_id, started_at, status) VALUES ('r1', now(), 'ok')")
    snapshot = publish_snapshot(db, tmp_path / "snapshot")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(db)!r}); print('holding', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(duckdb.IOException, match="lock"):
            duckdb.connect(str(db), read_only=True)
        result = subprocess.run(
            [
                str(CLI),
                "query",
                "SELECT run_id, status FROM runs",
                "--snapshot",
                str(snapshot),
                "--format",
                "csv",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().splitlines() == ["run_id,status", "r1,ok"]
    finally:
        holder.kill()
        holder.wait()


def test_query_on_a_missing_snapshot_says_what_to_do(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(CLI), "query", "SELECT 1", "--snapshot", str(tmp_path / "none.duckdb")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "no warehouse snapshot" in result.stderr and "kommundialog run" in result.stderr


def test_reextraction_improves_old_data_from_the_raw_archive(tmp_path: Path) -> None:
    """A page read by an 'older extractor' that missed its meeting gains it when read again."""
    from tasks.records import FetchedPage, PageExtraction
    from tasks.reextract import reextract
    from tasks.registry import load_registry, source_for_url
    from tests.conftest import seed_path, seed_url
    from warehouse.load import load_source_run
    from warehouse.raw import archive_raw_page

    body = seed_path("000").read_bytes()
    url = seed_url("000")
    digest = __import__("hashlib").sha256(body).hexdigest()
    archive_raw_page(tmp_path / "raw", digest, body)
    source = source_for_url(load_registry(PROJECT_ROOT / "config" / "sources.yaml"), url)
    page = FetchedPage(url, url, 200, NOW, "text/html; charset=utf-8", body, digest)
    missed = PageExtraction(url=url, title="Inbjudan", kind="other", published=None)
    db = tmp_path / "kd.duckdb"
    with open_warehouse(db) as con:
        load_source_run(con, source, [page], [missed], "old", NOW, "0.0.1")
        assert con.execute("SELECT count(*) FROM meetings").fetchone() == (0,)
        result = reextract(con, tmp_path / "raw", "re", NOW, progress=lambda _line: None)
        rows = con.execute("SELECT meeting_date, start_time, place, last_change FROM meetings").fetchall()
        version = con.execute("SELECT DISTINCT extractor_version FROM pages").fetchall()
    assert result.pages == 1 and result.per_source[source.id].changes["new"] == 1
    assert [(str(r[0]), str(r[1]), r[2], r[3]) for r in rows] == [("2024-05-28", "17:30:00", "Oasen", "new")]
    assert version != [("0.0.1",)]


def test_every_table_view_and_column_is_documented() -> None:
    from warehouse.migrate import migrate

    with duckdb.connect() as con:
        migrate(con, NOW)
        tables = con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE comment IS NULL "
            "UNION ALL SELECT view_name FROM duckdb_views() WHERE NOT internal AND comment IS NULL"
        ).fetchall()
        columns = con.execute(
            "SELECT c.table_name, c.column_name FROM duckdb_columns() c JOIN duckdb_tables() t "
            "ON c.table_name = t.table_name WHERE c.comment IS NULL"
        ).fetchall()
    assert tables == [] and columns == []


def test_the_data_dictionary_in_docs_is_up_to_date() -> None:
    result = subprocess.run([str(CLI), "dictionary"], capture_output=True, text=True, check=True)
    committed = (PROJECT_ROOT / "docs" / "warehouse-dictionary.md").read_text(encoding="utf-8")
    assert committed == result.stdout, "run: kommundialog dictionary --output docs/warehouse-dictionary.md"


def test_a_read_only_open_refuses_an_unmigrated_file(tmp_path: Path) -> None:
    from warehouse.db import WarehouseError

    db = tmp_path / "old.duckdb"
    duckdb.connect(str(db)).close()
    with pytest.raises(WarehouseError, match="older schema"), open_warehouse(db, read_only=True):
        pass


def test_the_warehouse_connection_caps_duckdbs_memory(tmp_path: Path, monkeypatch) -> None:
    """A run keeps one connection for its whole life: its buffer pool must not grow with the run."""
    from warehouse.db import DEFAULT_MEMORY_LIMIT, MEMORY_LIMIT_ENV, WarehouseError

    def limit_in_bytes(setting: str) -> int:
        with duckdb.connect() as con:
            con.execute(f"SET memory_limit = '{setting}'")
            return con.execute("SELECT current_setting('memory_limit')").fetchone()[0]

    db = tmp_path / "kd.duckdb"
    with open_warehouse(db) as con:
        assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == limit_in_bytes(
            DEFAULT_MEMORY_LIMIT
        )
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "2GB")
    with open_warehouse(db, read_only=True) as con:
        assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == limit_in_bytes("2GB")
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "lots")
    with pytest.raises(WarehouseError, match="expected a size such as 512MB"), open_warehouse(db):
        pass
