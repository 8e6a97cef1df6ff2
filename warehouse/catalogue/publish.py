"""Publish the catalogue: read the warehouse, build a release, validate it, switch it in.

No network and no wall clock: `as_of` is the time of the data (the run that
loaded it), and when the data did not change since the served release the
publish changes nothing at all, so files and checksums stay byte-identical.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import duckdb

from warehouse.catalogue.build import Release, build_release, table_rows
from warehouse.catalogue.config import CatalogueConfig, load_catalogue_config
from warehouse.catalogue.history import (
    PreviousRelease,
    ReleaseMeta,
    apply_history,
    count_changes,
    next_meta,
    read_previous_release,
)
from warehouse.catalogue.inputs import built_from, inputs_digest, record_built_from
from warehouse.catalogue.privacy import guard_rows
from warehouse.catalogue.release import (
    LATEST,
    add_root_links,
    install_release,
    link_root,
    prune,
    publish_lock,
    remove_leftovers,
    repair_root_links,
    stage,
    switch_latest,
    taken_release_ids,
)
from warehouse.catalogue.rows import Snapshot, iso_utc, read_snapshot
from warehouse.catalogue.validate import validate_release
from warehouse.diskspace import as_no_space, ensure_free_space
from warehouse.integrity import verify_warehouse


def _sizes(release: Release) -> dict[str, int]:
    """Top-level files and their sizes: what the flow reports."""
    return {name: len(content) for name, content in release.files.items() if "/" not in name}


def _switch_in(out: Path, release: Release, release_id: str) -> None:
    """Stage, validate, move into releases/ and make it `latest`; any failure leaves `latest` as it was."""
    staging = stage(out, release.files)
    try:
        validate_release(staging, release.row_counts)
        installed = install_release(out, staging, release_id)
        try:
            add_root_links(out, release.top_level)
            switch_latest(out, release_id)
        except BaseException:
            shutil.rmtree(installed, ignore_errors=True)
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def publish_catalogue(
    con: duckdb.DuckDBPyConnection,
    out_dir: str | Path,
    as_of: datetime,
    config: CatalogueConfig | None = None,
) -> dict[str, int]:
    """Publish a new release when the data changed; return the served top-level files and sizes.

    First the warehouse is read whole (a damaged one raises WarehouseDamaged),
    a killed publish's leftovers are cleared and the root links repaired, and
    the free space is checked; a full disk raises NoSpaceLeft. In every failure
    the served release stays as it was.
    """
    config = config or load_catalogue_config()
    out = Path(out_dir)
    if not out.is_dir():
        out.mkdir(parents=True)
        out.chmod(0o755)
    verify_warehouse(con, _database_path(con))
    with publish_lock(out):
        remove_leftovers(out)
        repair_root_links(out)
        ensure_free_space([out])
        try:
            return _publish_locked(con, out, as_of, config)
        except Exception as exc:
            full = as_no_space(exc, out)
            if full is not None:
                raise full from exc
            raise


def _database_path(con: duckdb.DuckDBPyConnection) -> str:
    """The file behind a connection, for messages."""
    row = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    return (row[0] if row else None) or "the warehouse"


def _publish_locked(
    con: duckdb.DuckDBPyConnection, out: Path, as_of: datetime, config: CatalogueConfig
) -> dict[str, int]:
    """Build, validate and switch in a release (or keep the served one when nothing changed)."""
    snapshot = read_snapshot(con, config.base_url)
    previous = read_previous_release(out / LATEST)
    when = iso_utc(as_of)
    snapshot = replace(
        snapshot, meetings=apply_history(snapshot.meetings, previous.meetings, config.host, when)
    )
    guard_rows(table_rows(snapshot))
    if previous.meta is not None and previous.checksums is not None:
        inputs = inputs_digest(config, snapshot, previous.meta)
        if built_from(out) == (previous.meta.release_id, inputs):
            return _keep_served(out, config, previous.meta)  # built from these very inputs: the same files
        unchanged = build_release(config, snapshot, previous.meta)
        if unchanged.files["SHA256SUMS"] == previous.checksums:
            record_built_from(out, previous.meta.release_id, inputs)
            link_root(out, unchanged.top_level)
            prune(out, config.releases_kept, unchanged.newest_first)
            return _sizes(unchanged)
    release = _new_release(out, config, snapshot, previous, when)
    record_built_from(out, release.meta.release_id, inputs_digest(config, snapshot, release.meta))
    link_root(out, release.top_level)
    prune(out, config.releases_kept, release.newest_first)
    return _sizes(release)


def _keep_served(out: Path, config: CatalogueConfig, meta: ReleaseMeta) -> dict[str, int]:
    """Leave the served release as it is (links repaired, old releases pruned); its top-level files and sizes."""
    served = out / LATEST
    link_root(out, sorted(p.name for p in served.iterdir()))
    prune(out, config.releases_kept, [entry["release"] for entry in meta.history])
    return {p.name: p.stat().st_size for p in served.iterdir() if p.is_file()}


def _new_release(
    out: Path, config: CatalogueConfig, snapshot: Snapshot, previous: PreviousRelease, when: str
) -> Release:
    """Give the changed data a new identity, build it and switch it in."""
    counts = {name: len(rows) for name, rows in table_rows(snapshot).items()}
    changes = count_changes(snapshot.meetings, previous, {s["summary_id"] for s in snapshot.summaries})
    meta = next_meta(previous, when, taken_release_ids(out), counts, changes)
    release = build_release(config, snapshot, meta)
    _switch_in(out, release, meta.release_id)
    return release
