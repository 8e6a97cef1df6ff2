"""What a release was built from, so that a publish with the same inputs need not build it again.

Building every file of a release (a calendar and a page per municipality,
Parquet, RDF) takes seconds at national scale, and on most scheduled runs
nothing changed: the build then only proved that. The release's output is a
function of its inputs alone (no wall clock): the rows read from the
warehouse, the catalogue settings, the served release's identity and the code
and configuration that turn them into files. Their digest is kept beside the
served release; the same digest means the same files.

Anything whose change could change a byte is in the digest: every project
source file, template and configuration file, and the versions of Python
and of the libraries that write the files. An upgrade therefore always
rebuilds once.
"""

from __future__ import annotations

import hashlib
import sys
from functools import cache
from importlib import metadata
from pathlib import Path

from warehouse.catalogue.config import CatalogueConfig
from warehouse.catalogue.history import ReleaseMeta
from warehouse.catalogue.rows import Snapshot

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Where the code and configuration that shape a release live.
_SHAPING_FOLDERS = ("config", "flows", "tasks", "warehouse")
_SHAPING_SUFFIXES = (".py", ".yaml", ".csv", ".j2", ".html", ".css", ".js", ".json", ".svg", ".txt")
_WRITING_LIBRARIES = ("pyarrow", "icalendar", "jinja2", "duckdb", "rdflib")
# Kept in the catalogue folder, beside `latest`: '<release id> <digest>'.
INPUTS_FILE = ".release-inputs"


@cache
def code_digest() -> str:
    """The project's code and configuration and the writing libraries' versions, as one digest."""
    digest = hashlib.sha256(sys.version.encode())
    for library in _WRITING_LIBRARIES:
        try:
            digest.update(f"{library} {metadata.version(library)}\n".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{library} absent\n".encode())
    for folder in _SHAPING_FOLDERS:
        for path in sorted((PROJECT_ROOT / folder).rglob("*")):
            if path.suffix in _SHAPING_SUFFIXES and path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(PROJECT_ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def inputs_digest(config: CatalogueConfig, snapshot: Snapshot, previous: ReleaseMeta | None) -> str:
    """The digest of everything a release built now would be made from."""
    digest = hashlib.sha256(code_digest().encode())
    for part in (config, snapshot, previous):
        digest.update(repr(part).encode() + b"\0")
    return digest.hexdigest()


def built_from(out: Path) -> tuple[str, str] | None:
    """(release id, inputs digest) recorded when the served release was last built or confirmed."""
    try:
        release_id, digest = (out / INPUTS_FILE).read_text(encoding="utf-8").split()
    except (OSError, ValueError):
        return None
    return release_id, digest


def record_built_from(out: Path, release_id: str, digest: str) -> None:
    """Remember what the served release was built from (written whole, then renamed into place)."""
    temporary = out / f"{INPUTS_FILE}.tmp"
    temporary.write_text(f"{release_id} {digest}\n", encoding="utf-8")
    temporary.replace(out / INPUTS_FILE)
