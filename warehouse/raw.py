"""Raw pages as fetched, gzip-compressed and stored once per content hash (internal only).

Compression is gzip's fastest level: the archive is read back rarely (an
unchanged listing page, a new extractor) and level 1 costs a fraction of the
default level's (9) CPU on HTML for about 13 % more bytes.
"""

from __future__ import annotations

import gzip
import os
import tempfile
import zlib
from pathlib import Path

# gzip's fastest level (see the module's docstring).
ARCHIVE_LEVEL = 1


def raw_path(root: Path, content_hash: str) -> Path:
    return root / content_hash[:2] / f"{content_hash}.html.gz"


def archive_raw_page(root: Path, content_hash: str, body: bytes) -> Path:
    """Store a body under its hash unless it is already there; written atomically."""
    path = raw_path(root, content_hash)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
    try:
        with (
            os.fdopen(handle, "wb") as out,
            gzip.GzipFile(fileobj=out, mode="wb", compresslevel=ARCHIVE_LEVEL, mtime=0) as packed,
        ):
            packed.write(body)  # compressed straight into the file: no second copy of the page in memory
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def read_raw_page(root: Path, content_hash: str) -> bytes:
    return gzip.decompress(raw_path(root, content_hash).read_bytes())


def stored_raw_page(root: Path, content_hash: str) -> bytes | None:
    """The archived body for a hash, or None when it is missing or unreadable (then refetch)."""
    try:
        return read_raw_page(root, content_hash)
    except (OSError, EOFError, zlib.error):
        return None
