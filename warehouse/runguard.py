"""What a run does before it starts and when the machine, not a source, fails it.

Before a run: enough free space where it writes, and no leftovers of a killed
run (temporary snapshot files, staging folders, half-made links; the root
links of the served catalogue repaired). During a run, a damaged warehouse or
a full disk is not one source's problem: the run stops, is marked `failed`,
and nothing is published from it (the previous catalogue and snapshot stay).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from warehouse.catalogue.release import CatalogueError, publish_lock, remove_leftovers, repair_root_links
from warehouse.db import finish_run, open_warehouse, start_run
from warehouse.diskspace import as_no_space, ensure_free_space
from warehouse.integrity import WarehouseDamaged, looks_damaged, recovery_hint
from warehouse.snapshot import remove_snapshot_leftovers, snapshot_path

FAILED = "failed"


def prepare_run(db_path: str | Path, out_dir: str | Path, snapshot_dir: str | Path) -> None:
    """Check free space where the run writes, and clear what a killed run left behind."""
    out = Path(out_dir)
    ensure_free_space([Path(db_path).parent, out, Path(snapshot_dir)])
    remove_snapshot_leftovers(snapshot_dir)
    if out.is_dir():
        try:
            with publish_lock(out):
                remove_leftovers(out)
                repair_root_links(out)
        except CatalogueError:
            pass  # another publish holds the folder; it clears and repairs the same way


def fatal_error(exc: BaseException, db_path: str | Path, snapshot_dir: str | Path) -> str | None:
    """The one-line message when `exc` means the whole run must stop (damaged warehouse, full disk)."""
    full = as_no_space(exc, db_path)
    if full is not None:
        return str(full)
    hint = recovery_hint(db_path, snapshot_path(snapshot_dir))
    for link in (exc, exc.__cause__, exc.__context__):
        if isinstance(link, WarehouseDamaged):
            return f"warehouse damaged: {link.path}: {link.detail}. {hint}"
        if link is not None and looks_damaged(link):
            return f"warehouse damaged: {db_path}: {str(link).strip().splitlines()[0]}. {hint}"
    return None


def mark_failed(
    db_path: str | Path,
    run_id: str,
    started_at: datetime,
    message: str,
    totals: dict[str, int],
    errors: Sequence[str],
) -> bool:
    """Record the run as `failed` with the reason, if the warehouse still takes a write."""
    try:
        with open_warehouse(db_path) as con:
            start_run(con, run_id, started_at)  # a run stopped before it was recorded
            finish_run(con, run_id, datetime.now(UTC), FAILED, totals, [*errors, message])
    except Exception:  # a full disk or a damaged file may refuse even this; the message is printed anyway
        return False
    return True
