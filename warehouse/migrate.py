"""Versioned schema migrations, applied on open and recorded in `schema_migrations`.

Migrations are SQL files `warehouse/migrations/NNNN_name.sql`, applied in
order, each in its own transaction. An applied migration must never change:
its checksum is recorded, and a mismatch stops the open with a clear error.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_FILE_NAME = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")
LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL,
    checksum VARCHAR NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE schema_migrations IS 'Schema migrations applied to this warehouse file, one row each (warehouse/migrations/).';
COMMENT ON COLUMN schema_migrations.version IS 'Migration number (NNNN in its file name).';
COMMENT ON COLUMN schema_migrations.name IS 'Migration name.';
COMMENT ON COLUMN schema_migrations.checksum IS 'SHA-256 of the SQL applied: an applied migration must never change.';
COMMENT ON COLUMN schema_migrations.applied_at IS 'When it was applied.';
"""


class MigrationError(RuntimeError):
    """Migrations are missing, out of order, edited after being applied, or failed."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


def load_migrations(folder: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migration files of a folder, checked to be numbered in increasing order, each number once.

    Numbers may skip: they are handed out to branches that work in parallel, and
    a branch holds only its own. Each migration is applied once, in number order.
    """
    migrations = []
    for path in sorted(folder.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path}: migration files are named NNNN_lowercase_name.sql")
        migrations.append(Migration(int(match["version"]), match["name"], path.read_text(encoding="utf-8")))
    versions = [m.version for m in migrations]
    duplicates = sorted({v for v in versions if versions.count(v) > 1})
    if duplicates:
        raise MigrationError(f"{folder}: more than one migration numbered {duplicates[0]:04d}")
    if versions and versions[0] != 1:
        raise MigrationError(f"{folder}: expected migration 0001 first, found {versions[0]:04d}")
    return migrations


def latest_version(migrations: list[Migration] | None = None) -> int:
    """The highest migration number this code knows."""
    migrations = load_migrations() if migrations is None else migrations
    return max((m.version for m in migrations), default=0)


def applied(con: duckdb.DuckDBPyConnection) -> dict[int, str]:
    """Applied migration versions and their checksums (the ledger is created once, on a new file)."""
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND table_name = 'schema_migrations'"
    ).fetchone()[0]
    if not exists:  # an open of an up-to-date file writes nothing
        con.execute(LEDGER)
    return dict(con.execute("SELECT version, checksum FROM schema_migrations").fetchall())


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    try:
        return con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0]
    except duckdb.CatalogException:
        return 0


def migrate(
    con: duckdb.DuckDBPyConnection, now: datetime, migrations: list[Migration] | None = None
) -> list[int]:
    """Apply pending migrations in order; return the versions applied now."""
    migrations = load_migrations() if migrations is None else migrations
    done = applied(con)
    for migration in migrations:
        recorded = done.get(migration.version)
        if recorded is not None and recorded != migration.checksum:
            raise MigrationError(
                f"migration {migration.version:04d}_{migration.name} was changed after it was applied; "
                "add a new migration instead of editing an applied one"
            )
    newer = [v for v in done if v > latest_version(migrations)]
    if newer:
        raise MigrationError(
            f"this warehouse has migration {max(newer):04d}, newer than this version of kommundialog knows"
        )
    applied_now = []
    for migration in migrations:
        if migration.version in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(migration.sql)
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?, ?)",
                [migration.version, migration.name, migration.checksum, now],
            )
            con.execute("COMMIT")
        except duckdb.Error as exc:
            con.execute("ROLLBACK")
            raise MigrationError(f"migration {migration.version:04d}_{migration.name} failed: {exc}") from exc
        applied_now.append(migration.version)
    return applied_now
