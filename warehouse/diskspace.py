"""Free disk space: checked before a run and a publish, and a full disk named in one message.

A full disk used to surface as a DuckDB rollback error, a traceback and a run
left `running`. Here the run checks the free space first (a configurable
minimum), and when a write still fails for lack of space the error becomes
one line naming the device and the path: "no space left on DEVICE (PATH)".
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from warehouse.db import WarehouseError

MIN_FREE_ENV = "KOMMUNDIALOG_MIN_FREE_MB"
DEFAULT_MIN_FREE_MB = 100
_DUCKDB_NO_SPACE = ("No space left on device", "could not write all bytes", "disk is full")


class NoSpaceLeft(WarehouseError):
    """A file system the run writes to is full (or below the configured minimum)."""

    def __init__(self, path: str | Path, detail: str = "") -> None:
        self.path = Path(path)
        self.device = device_of(self.path)
        super().__init__(f"no space left on {self.device} ({self.path})" + (f": {detail}" if detail else ""))


def min_free_bytes() -> int:
    """The configured minimum of free space (KOMMUNDIALOG_MIN_FREE_MB, default 100 MB)."""
    raw = os.environ.get(MIN_FREE_ENV, "").strip()
    if not raw:
        return DEFAULT_MIN_FREE_MB * 1024 * 1024
    try:
        megabytes = float(raw)
    except ValueError as exc:
        raise WarehouseError(f"{MIN_FREE_ENV}={raw!r}: expected a number of megabytes") from exc
    return max(0, int(megabytes * 1024 * 1024))


def _existing(path: Path) -> Path:
    """The path itself, or its nearest ancestor that exists (what will hold it once created)."""
    path = Path(os.path.abspath(path))
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _mounts() -> list[tuple[str, str]]:
    """(mount point, device) pairs from /proc/self/mounts; empty where there is none."""
    try:
        lines = Path("/proc/self/mounts").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    pairs = []
    for line in lines:
        fields = line.split()
        if len(fields) >= 2:
            pairs.append((fields[1].replace("\\040", " "), fields[0]))
    return pairs


def device_of(path: str | Path) -> str:
    """The device (or file system name) holding a path, e.g. /dev/sda1 or tmpfs."""
    real = os.path.realpath(_existing(Path(path)))
    best = ("", "")
    for mount_point, device in _mounts():
        inside = real == mount_point or real.startswith(mount_point.rstrip("/") + "/")
        if inside and len(mount_point) >= len(best[0]):
            best = (mount_point, device)
    return best[1] or best[0] or "an unknown device"


def ensure_free_space(paths: Iterable[str | Path], extra_bytes: int = 0) -> None:
    """Raise NoSpaceLeft when a path's file system has less than the minimum (plus extra) free."""
    needed = min_free_bytes() + extra_bytes
    for path in paths:
        free = shutil.disk_usage(_existing(Path(path))).free
        if free < needed:
            raise NoSpaceLeft(
                path,
                f"{free / 1048576:.1f} MB free, {needed / 1048576:.1f} MB needed "
                f"(set {MIN_FREE_ENV} to change the minimum)",
            )


def _chain(exc: BaseException) -> Iterable[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def as_no_space(exc: BaseException, path: str | Path) -> NoSpaceLeft | None:
    """The NoSpaceLeft an exception (or one it was raised from) stands for, else None."""
    for link in _chain(exc):
        if isinstance(link, NoSpaceLeft):
            return link
        if isinstance(link, OSError) and link.errno in (errno.ENOSPC, errno.EDQUOT):
            return NoSpaceLeft(link.filename or path)
        if any(marker in str(link) for marker in _DUCKDB_NO_SPACE):
            return NoSpaceLeft(path)
    return None
