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
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from warehouse.faults import kill_point

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
    """Write files (relative paths, folders created) readable by everyone and read-only: releases never change."""
    for name, content in files.items():
        path = root / name
        for folder in reversed(path.relative_to(root).parents[:-1]):
            (root / folder).mkdir(exist_ok=True)
            (root / folder).chmod(0o755)  # whatever the umask: a web server must read it
        path.write_bytes(content)
        path.chmod(0o444)


def stage(out: Path, files: Mapping[str, bytes]) -> Path:
    """Build the release in a hidden folder next to the others (same file system: rename is atomic)."""
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out))
    try:
        write_tree(staging, files)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # e.g. a full disk: no half-written release stays
        raise
    staging.chmod(0o755)
    kill_point("release-staged")
    return staging


def install_release(out: Path, staging: Path, release_id: str) -> Path:
    """Move the validated staging folder to releases/<id>; refuse to overwrite a release."""
    releases = out / RELEASES
    releases.mkdir(exist_ok=True)
    releases.chmod(0o755)
    target = releases / release_id
    if target.exists():
        raise CatalogueError(f"{target} already exists: releases are never overwritten")
    os.rename(staging, target)
    kill_point("release-installed")
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
    kill_point("latest-switched")


def add_root_links(out: Path, names: Sequence[str]) -> None:
    """Create the root links of a release before it is switched in, removing none.

    A link through `latest` to a name the served release lacks dangles for a
    moment; the switch makes it resolve. So when `latest` exists, the root
    links are complete, even if the process dies right after the switch.
    """
    for name in names:
        _replace_with_link(out / name, f"{LATEST}/{name}")


def repair_root_links(out: Path) -> list[str]:
    """Give every entry of the served release its root link (after a run killed mid-publish)."""
    latest = out / LATEST
    if not latest.is_dir():
        return []
    names = sorted(p.name for p in latest.iterdir())
    link_root(out, names)
    return names


def remove_leftovers(out: Path) -> list[str]:
    """Delete staging folders, temporary links and never-served releases a killed publish left behind.

    A release that the served one's history does not name (any, when none is
    served) was installed by a publish that died before its switch: nobody
    ever read it.
    """
    removed = []
    ever_served = _ever_served(out)
    releases = out / RELEASES
    for path in sorted(releases.iterdir()) if releases.is_dir() else []:
        if path.name not in ever_served:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(f"{RELEASES}/{path.name}")
    for path in out.iterdir() if out.is_dir() else []:
        if path.name.startswith(STAGING_PREFIX) and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path.name)
        elif path.name.startswith(LINK_PREFIX) and path.is_symlink():
            path.unlink()
            removed.append(path.name)
    return removed


def _ever_served(out: Path) -> set[str]:
    """The served release and every release its history names (release.json)."""
    served = served_release(out)
    if served is None:
        return set()
    try:
        meta = json.loads((out / LATEST / "release.json").read_text(encoding="utf-8"))
        named = {entry["release"] for entry in meta["history"]}
    except (OSError, ValueError, KeyError, TypeError):
        return {p.name for p in (out / RELEASES).iterdir()}  # no readable history: remove nothing
    return named | {served}


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
    remove_leftovers(out)
    return removed


def taken_release_ids(out: Path) -> set[str]:
    releases = out / RELEASES
    return {p.name for p in releases.iterdir()} if releases.is_dir() else set()
