"""The catalogue folder on disk: dated releases, an atomic `latest` link and stable root names.

    out/
      releases/<id>/   complete, never rewritten releases (the last N kept)
      latest -> releases/<id>        switched with one rename(2): atomic
      index.html -> latest/index.html, meetings.csv -> latest/meetings.csv, ...

A release is built in out/.staging-*, validated, renamed into releases/ and
only then made `latest`. Every root name is a link through `latest`, so the
switch changes all of them at once, and a failure at any earlier step leaves
the previous release served unchanged.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

RELEASES = "releases"
LATEST = "latest"
STAGING_PREFIX = ".staging-"
LINK_PREFIX = ".link-"
LOCK_FILE = ".publish.lock"
RESERVED = {RELEASES, LATEST, LOCK_FILE}


class CatalogueError(RuntimeError):
    """The catalogue folder is busy or not in a state this publisher can update safely."""


@contextmanager
def publish_lock(out: Path) -> Iterator[None]:
    """One publisher per catalogue folder at a time (an advisory lock file)."""
    with open(out / LOCK_FILE, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise CatalogueError(f"{out}: another publish is running (lock {LOCK_FILE})") from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_tree(root: Path, files: Mapping[str, bytes]) -> None:
    """Write files (relative paths, folders created) and make them read-only: releases never change."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        path.chmod(0o444)


def stage(out: Path, files: Mapping[str, bytes]) -> Path:
    """Build the release in a hidden folder next to the others (same file system: rename is atomic)."""
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out))
    write_tree(staging, files)
    staging.chmod(0o755)
    return staging


def install_release(out: Path, staging: Path, release_id: str) -> Path:
    """Move the validated staging folder to releases/<id>; refuse to overwrite a release."""
    releases = out / RELEASES
    releases.mkdir(exist_ok=True)
    target = releases / release_id
    if target.exists():
        raise CatalogueError(f"{target} already exists: releases are never overwritten")
    os.rename(staging, target)
    return target


def served_release(out: Path) -> str | None:
    """The release id `latest` points at, if any."""
    latest = out / LATEST
    return Path(os.readlink(latest)).name if latest.is_symlink() else None


def _replace_with_link(path: Path, target: str) -> None:
    """Point `path` at `target` with one rename: readers see the old or the new, never nothing."""
    if path.is_symlink() and os.readlink(path) == target:
        return
    if path.is_dir() and not path.is_symlink():
        raise CatalogueError(f"{path} is a folder, not a link this publisher made: move it away")
    temporary = path.parent / f"{LINK_PREFIX}{uuid.uuid4().hex}"
    os.symlink(target, temporary)
    try:
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise


def switch_latest(out: Path, release_id: str) -> None:
    """Make `latest` point at releases/<id> atomically."""
    _replace_with_link(out / LATEST, f"{RELEASES}/{release_id}")


def link_root(out: Path, names: Sequence[str]) -> None:
    """Stable root names: each top-level entry of the release as a link through `latest`.

    Also replaces the plain files older versions wrote at the root, and
    removes links to entries the served release no longer has.
    """
    for name in names:
        _replace_with_link(out / name, f"{LATEST}/{name}")
    for path in out.iterdir():
        ours = path.is_symlink() and path.name not in RESERVED and os.readlink(path).startswith(f"{LATEST}/")
        if ours and not path.exists():
            path.unlink()


def prune(out: Path, keep: int, newest_first: Sequence[str]) -> list[str]:
    """Delete releases beyond the newest `keep` (never the served one) and leftovers of crashed runs."""
    served = served_release(out)
    kept = set(list(newest_first)[:keep]) | ({served} if served else set())
    removed = []
    releases = out / RELEASES
    for path in sorted(releases.iterdir()) if releases.is_dir() else []:
        if path.name not in kept:
            shutil.rmtree(path)
            removed.append(path.name)
    for path in out.iterdir():
        if path.name.startswith(STAGING_PREFIX):
            shutil.rmtree(path, ignore_errors=True)
        elif path.name.startswith(LINK_PREFIX) and path.is_symlink():
            path.unlink()
    return removed


def taken_release_ids(out: Path) -> set[str]:
    releases = out / RELEASES
    return {p.name for p in releases.iterdir()} if releases.is_dir() else set()
