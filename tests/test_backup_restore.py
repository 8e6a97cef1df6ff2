"""`kommundialog backup` and `restore`: a portable copy every Parquet tool and DuckDB 1.x read, and back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.catalogue_support import load_seed_pages
from tests.fault_support import cli, corrupt_block_of, table_digests


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("backup") / "data" / "kommundialog.duckdb"
    load_seed_pages(db)
    return db


@pytest.fixture(scope="module")
def backup(warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("backups") / "2024-06-01"
    result = cli("backup", str(folder), "--db", str(warehouse), cwd=folder.parent)
    assert result.returncode == 0, result.stderr
    assert f"kommundialog restore {folder} --db {warehouse}" in result.stdout
    return folder


def test_restore_from_a_backup_gives_every_table_back_row_for_row(
    warehouse: Path, backup: Path, tmp_path: Path
) -> None:
    target = tmp_path / "restored.duckdb"
    result = cli("restore", str(backup), "--db", str(target), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    original, restored = table_digests(warehouse), table_digests(target)
    assert restored == original
    assert int(original["meetings"].split(":")[0]) > 0  # the comparison covers real rows


def test_the_backup_is_parquet_any_tool_reads_with_the_schema_beside_it(
    warehouse: Path, backup: Path
) -> None:
    manifest = json.loads((backup / "backup.json").read_text(encoding="utf-8"))
    counts = {table: pq.read_table(backup / f"{table}.parquet").num_rows for table in manifest["tables"]}
    assert counts == manifest["tables"]
    assert counts == {t: int(d.split(":")[0]) for t, d in table_digests(warehouse).items()}
    assert "CREATE TABLE meetings" in (backup / "schema.sql").read_text(encoding="utf-8")
    assert str(backup) in (backup / "load.sql").read_text(encoding="utf-8")  # the final folder, not a temp
    titles = pq.read_table(backup / "meetings.parquet", columns=["title"]).column("title").to_pylist()
    assert any("ö" in (title or "") for title in titles)
    assert not [p for p in backup.iterdir() if not p.stat().st_mode & 0o004]


def test_backup_and_snapshot_open_in_duckdb_1x(warehouse: Path, backup: Path, tmp_path: Path) -> None:
    """A throwaway venv with a DuckDB 1.x wheel imports the backup and opens the analysts' snapshot."""
    from warehouse.snapshot import publish_snapshot

    snapshot = publish_snapshot(warehouse, tmp_path / "snapshot")
    venv = tmp_path / "duckdb1"
    made = subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot create a venv: {made.stderr.strip()[-200:]}")
    installed = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "duckdb>=1.1,<2"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    if installed.returncode != 0:
        pytest.skip(f"pip cannot install a DuckDB 1.x wheel here: {installed.stderr.strip()[-300:]}")
    script = (
        "import duckdb, sys\n"
        "assert duckdb.__version__.startswith('1.'), duckdb.__version__\n"
        "con = duckdb.connect()\n"
        "con.execute(f\"IMPORT DATABASE '{sys.argv[1]}'\")\n"
        "imported = con.execute('SELECT count(*), count(DISTINCT title) FROM meetings').fetchone()\n"
        "snap = duckdb.connect(sys.argv[2], read_only=True)\n"
        "held = snap.execute('SELECT count(*), count(DISTINCT title) FROM meetings').fetchone()\n"
        "views = snap.execute('SELECT count(*) FROM upcoming_meetings').fetchone()[0] >= 0\n"
        "print(duckdb.__version__, imported, held, views)\n"
    )
    result = subprocess.run(
        [str(venv / "bin" / "python"), "-c", script, str(backup), str(snapshot)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    version, rest = result.stdout.split(" ", 1)
    expected = int(table_digests(warehouse)["meetings"].split(":")[0])
    assert version.startswith("1.")
    assert rest.count(f"({expected}, ") == 2 and rest.strip().endswith("True"), result.stdout


def test_backup_refuses_a_folder_that_holds_files(warehouse: Path, tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine", encoding="utf-8")
    result = cli("backup", str(tmp_path / "full"), "--db", str(warehouse), cwd=tmp_path)
    assert result.returncode == 2
    assert "exists and is not an empty folder" in result.stderr
    assert sorted(p.name for p in (tmp_path / "full").iterdir()) == ["notes.txt"]


def test_restore_refuses_a_folder_that_is_no_backup_and_keeps_the_warehouse(
    warehouse: Path, tmp_path: Path
) -> None:
    (tmp_path / "empty").mkdir()
    target = tmp_path / "kd.duckdb"
    target.write_bytes(warehouse.read_bytes())
    result = cli("restore", str(tmp_path / "empty"), "--db", str(target), cwd=tmp_path)
    assert result.returncode == 2
    assert "is not a kommundialog backup" in result.stderr
    assert target.read_bytes() == warehouse.read_bytes()


def test_a_damaged_warehouse_is_not_backed_up(warehouse: Path, tmp_path: Path) -> None:
    damaged = tmp_path / "kd.duckdb"
    damaged.write_bytes(warehouse.read_bytes())
    corrupt_block_of(damaged, "meetings")
    result = cli("backup", str(tmp_path / "copy"), "--db", str(damaged), cwd=tmp_path)
    assert result.returncode == 5
    assert "warehouse damaged" in result.stderr
    assert not (tmp_path / "copy").exists() and not list(tmp_path.glob(".backup-*"))


def test_backup_and_restore_refuse_while_a_run_writes_the_warehouse(
    warehouse: Path, backup: Path, tmp_path: Path
) -> None:
    """A restore swapping the file under a run's connection would lose the run's loads: exit 3 instead."""
    import shutil

    from warehouse.lock import writer_lock

    target = tmp_path / "kommundialog.duckdb"
    shutil.copyfile(warehouse, target)
    with writer_lock(target, "run"):
        for args in (("restore", str(backup)), ("backup", str(tmp_path / "copy"))):
            result = cli(*args, "--db", str(target), cwd=tmp_path)
            assert result.returncode == 3, result.stdout + result.stderr
            assert "is writing" in result.stderr
    assert not (tmp_path / "copy").exists()
    assert table_digests(target) == table_digests(warehouse)  # the restore did not swap the file


def test_restore_from_a_file_that_is_no_database_names_the_source_and_exits_2(tmp_path: Path) -> None:
    not_a_snapshot = tmp_path / "notes.duckdb"
    not_a_snapshot.write_bytes(b"these are meeting notes, not a database\n" * 200)
    result = cli("restore", str(not_a_snapshot), "--db", str(tmp_path / "kommundialog.duckdb"), cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{not_a_snapshot} is not a backup folder or a readable DuckDB snapshot" in result.stderr
    assert not (tmp_path / "kommundialog.duckdb").exists()
