"""A fault-injection hook: kill the process at a named step, so tests can prove nothing is lost.

Set KOMMUNDIALOG_KILL_AT to one of KILL_POINTS and the process sends itself
SIGKILL when it reaches that step (no clean-up runs, as in a power cut or an
OOM kill). Unset, the hook costs one environment lookup.
"""

from __future__ import annotations

import os
import signal

KILL_ENV = "KOMMUNDIALOG_KILL_AT"
KILL_POINTS = (
    "snapshot-written",  # the new snapshot is complete under its temporary name, not yet renamed
    "release-staged",  # the new catalogue release is in out/.staging-*, not yet validated
    "release-installed",  # the release is in releases/<id>, `latest` not yet switched
    "latest-switched",  # `latest` points at the new release, the root links not yet updated
)


def kill_point(name: str) -> None:
    """Die here, at once, when KOMMUNDIALOG_KILL_AT names this step."""
    if name not in KILL_POINTS:
        raise ValueError(f"unknown kill point {name!r}")
    if os.environ.get(KILL_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
