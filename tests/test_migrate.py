"""Schema migrations on a real DuckDB file: order, ledger, idempotence, refusal of edits."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from warehouse.migrate import MigrationError, load_migrations, migrate, schema_version

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def write(folder: Path, name: str, sql: str) -> None:
    (folder / name).write_text(sql, encoding="utf-8")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "migrations"
    path.mkdir()
    write(path, "0001_first.sql", "CREATE TABLE t (x INTEGER); COMMENT ON TABLE t IS 'a table';")
    write(path, "0002_second.sql", "ALTER TABLE t ADD COLUMN y VARCHAR;")
    return path


def test_applies_in_order_once_and_records_them(folder: Path, tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        assert migrate(con, NOW, load_migrations(folder)) == [1, 2]
        assert migrate(con, NOW, load_migrations(folder)) == []
        assert schema_version(con) == 2
        assert [c[0] for c in con.execute("DESCRIBE t").fetchall()] == ["x", "y"]


def test_edited_applied_migration_is_refused(folder: Path, tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        migrate(con, NOW, load_migrations(folder))
        write(folder, "0002_second.sql", "ALTER TABLE t ADD COLUMN z VARCHAR;")
        with pytest.raises(MigrationError, match="0002_second was changed after it was applied"):
            migrate(con, NOW, load_migrations(folder))


def test_two_migrations_with_one_number_are_refused(folder: Path) -> None:
    write(folder, "0002_other.sql", "SELECT 1;")
    with pytest.raises(MigrationError, match="more than one migration numbered 0002"):
        load_migrations(folder)


def test_numbers_handed_to_parallel_branches_may_skip(folder: Path, tmp_path: Path) -> None:
    write(folder, "0006_sixth.sql", "ALTER TABLE t ADD COLUMN z VARCHAR;")
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        assert migrate(con, NOW, load_migrations(folder)) == [1, 2, 6]
        write(folder, "0004_fourth.sql", "ALTER TABLE t ADD COLUMN w VARCHAR;")
        assert migrate(con, NOW, load_migrations(folder)) == [4]
        assert schema_version(con) == 6


def test_failed_migration_leaves_the_schema_as_it_was(folder: Path, tmp_path: Path) -> None:
    write(folder, "0003_broken.sql", "CREATE TABLE u (x INTEGER); SELECT * FROM no_such_table;")
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        with pytest.raises(MigrationError, match="0003_broken failed"):
            migrate(con, NOW, load_migrations(folder))
        assert schema_version(con) == 2
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert "u" not in tables


def test_project_migrations_are_well_formed() -> None:
    migrations = load_migrations()
    assert migrations, "warehouse/migrations/ holds the schema"
