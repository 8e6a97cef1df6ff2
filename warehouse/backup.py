"""Backup and restore: a portable copy of the whole warehouse, and a warehouse rebuilt from one.

A backup is DuckDB's EXPORT DATABASE as Parquet: one Parquet file per table,
`schema.sql` and `load.sql` (DuckDB 1.x and 2.x read it with IMPORT DATABASE,
any Parquet tool reads the tables), plus `backup.json`, our manifest: the row
count of every table and the schema version. It is written into a hidden
folder beside the target and renamed into place, so a backup folder is
complete or absent.

Restore rebuilds the warehouse from a backup folder or from a snapshot file:
a new file gets the schema from our migrations (so every comment and view is
as the code defines it), the rows are loaded table by table, the counts are
checked against the source, and only then is the file moved into place; the
file it replaces is kept beside it as `<name>.damaged-<time>`.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from warehouse.db import WarehouseError, open_warehouse
from warehouse.diskspace import as_no_space, ensure_free_space
from warehouse.integrity import (
    attach_read_only,
    base_tables,
    sql_path,
    verify_warehouse,
)
from warehouse.migrate import latest_version, load_migrations, migrate, schema_version

MANIFEST = "backup.json"
BACKUP_FORMAT = 1


class BackupError(WarehouseError):
    """A backup cannot be written, or a folder is not a backup this code can restore."""


@dataclass(frozen=True)
class BackupResult:
    """Where the copy went and what it holds."""

    path: Path
    tables: dict[str, int]
    schema_version: int


def backup_warehouse(db_path: str | Path, target: str | Path) -> BackupResult:
    """Check the warehouse whole and export it to `target` (a new or empty folder)."""
    db, target = Path(db_path), Path(target)
    if not db.is_file():
        raise BackupError(f"no warehouse at {db}")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} exists and is not an empty folder: give a new folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    ensure_free_space([target.parent], extra_bytes=db.stat().st_size)
    temporary = target.parent / f".backup-{uuid.uuid4().hex}"
    con = duckdb.connect(config={"autoinstall_known_extensions": False})
    try:
        attach_read_only(con, db, "warehouse")
        counts = verify_warehouse(con, db, "warehouse")
        version = con.execute("SELECT coalesce(max(version), 0) FROM warehouse.schema_migrations").fetchone()[
            0
        ]
        con.execute(
            f"EXPORT DATABASE warehouse TO '{sql_path(temporary)}' (FORMAT parquet, COMPRESSION zstd)"
        )
        manifest = {
            "format": BACKUP_FORMAT,
            "made_by": "kommundialog backup",
            "duckdb_version": duckdb.__version__,
            "schema_version": version,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "tables": counts,
        }
        _point_load_script_at(temporary, target)
        (temporary / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        _make_readable(temporary)
        if target.exists():
            target.rmdir()
        os.rename(temporary, target)
    except Exception as exc:
        shutil.rmtree(temporary, ignore_errors=True)
        full = as_no_space(exc, target)
        if full is not None:
            raise full from exc
        raise
    finally:
        con.close()
    return BackupResult(target, counts, version)


def _point_load_script_at(temporary: Path, target: Path) -> None:
    """EXPORT writes the temporary folder's path into load.sql: name the final folder instead."""
    script = temporary / "load.sql"
    text = script.read_text(encoding="utf-8")
    script.write_text(text.replace(sql_path(temporary), sql_path(target.resolve())), encoding="utf-8")


def _make_readable(folder: Path) -> None:
    folder.chmod(0o755)
    for path in folder.iterdir():
        path.chmod(0o644)


def _backup_manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupError(
            f"{folder} is not a kommundialog backup (no {MANIFEST}): make one with `kommundialog backup`"
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{path}: not readable JSON: {exc}") from exc
    if manifest.get("format") != BACKUP_FORMAT or not isinstance(manifest.get("tables"), dict):
        raise BackupError(f"{path}: unknown backup format {manifest.get('format')!r}")
    missing = [t for t in manifest["tables"] if not (folder / f"{t}.parquet").is_file()]
    if missing:
        raise BackupError(f"{folder}: missing table files: {', '.join(sorted(missing))}")
    return manifest


def restore_warehouse(source: str | Path, db_path: str | Path) -> dict[str, int]:
    """Rebuild the warehouse at `db_path` from a backup folder or a snapshot file; return its row counts."""
    source, db = Path(source), Path(db_path)
    if not source.exists():
        raise BackupError(f"{source} does not exist: give a backup folder or a snapshot .duckdb file")
    db.parent.mkdir(parents=True, exist_ok=True)
    size = sum(p.stat().st_size for p in source.iterdir()) if source.is_dir() else source.stat().st_size
    ensure_free_space([db.parent], extra_bytes=size * 3)
    temporary = db.parent / f".restore-{uuid.uuid4().hex}.duckdb"
    try:
        expected = _build(source, temporary)
        with open_warehouse(temporary) as con:  # applies migrations newer than the source
            counts = verify_warehouse(con, temporary)
        wrong = {t: (n, counts.get(t)) for t, n in expected.items() if counts.get(t) != n}
        wrong.pop("schema_migrations", None)  # newer migrations add their rows
        if wrong:
            raise BackupError(f"restore from {source} lost rows (expected, found): {wrong}")
        _set_aside(db)
        os.replace(temporary, db)
    except Exception as exc:
        temporary.unlink(missing_ok=True)
        Path(f"{temporary}.wal").unlink(missing_ok=True)
        full = as_no_space(exc, db)
        if full is not None:
            raise full from exc
        raise
    return counts


def _build(source: Path, temporary: Path) -> dict[str, int]:
    """Create the schema up to the source's version and copy every table's rows; return the source counts."""
    con = duckdb.connect(str(temporary), config={"autoinstall_known_extensions": False})
    try:
        con.execute("SET TimeZone='Europe/Stockholm'")
        if source.is_dir():
            manifest = _backup_manifest(source)
            version, expected = manifest["schema_version"], manifest["tables"]
            relations = {t: f"read_parquet('{sql_path(source / f'{t}.parquet')}')" for t in expected}
        else:
            try:
                attach_read_only(con, source, "source")
                expected = verify_warehouse(con, source, "source")
            except WarehouseError as exc:  # WarehouseDamaged too: it is the source that is bad, not --db
                raise BackupError(
                    f"{source} is not a backup folder or a readable DuckDB snapshot: {exc}"
                ) from exc
            version = con.execute(
                "SELECT coalesce(max(version), 0) FROM source.schema_migrations"
            ).fetchone()[0]
            relations = {t: f'source.main."{t}"' for t in expected}
        migrations = load_migrations()
        if version > latest_version(migrations):
            raise BackupError(f"{source} has schema version {version}, newer than this kommundialog knows")
        migrate(con, datetime.now(UTC), [m for m in migrations if m.version <= version])
        unknown = sorted(set(expected) - set(base_tables(con)))
        if unknown:
            raise BackupError(f"{source}: tables this schema does not have: {', '.join(unknown)}")
        con.execute("BEGIN TRANSACTION")
        for table, relation in relations.items():
            con.execute(f'DELETE FROM main."{table}"')
            con.execute(f'INSERT INTO main."{table}" BY NAME SELECT * FROM {relation}')
        con.execute("COMMIT")
        if schema_version(con) != version:
            raise BackupError(f"{source}: schema_migrations does not match schema version {version}")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return expected


def _set_aside(db: Path) -> None:
    """Keep the file being replaced (and its WAL) as <name>.damaged-<time>: nothing is deleted."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for path in (db, Path(f"{db}.wal")):
        if path.exists():
            os.replace(path, path.with_name(f"{path.name}.damaged-{stamp}"))
