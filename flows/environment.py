"""Prefect settings for running without a server: state under the data dir, quiet, offline.

Must run before `import prefect`; values already set by the operator win.
"""

from __future__ import annotations

import os
from pathlib import Path

PREFECT_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    # Flow and task logs at INFO still reach the API (the Prefect UI); the console shows
    # warnings only (`--verbose` lowers it at run time).
    "PREFECT_LOGGING_LOGGERS_PREFECT_FLOW_RUNS_LEVEL": "INFO",
    "PREFECT_LOGGING_LOGGERS_PREFECT_TASK_RUNS_LEVEL": "INFO",
    "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "WARNING",
    "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
    # The temporary API server's first start on a fresh machine takes ~30 s.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
}


def configure_prefect(data_dir: Path) -> Path:
    """Point Prefect's home at data_dir/prefect and set quiet, offline-safe defaults."""
    home = data_dir.resolve() / "prefect"
    home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_HOME", str(home))
    for key, value in PREFECT_DEFAULTS.items():
        os.environ.setdefault(key, value)
    return Path(os.environ["PREFECT_HOME"])


def prefect_is_fresh() -> bool:
    """True when Prefect has no database yet: its first start will be slow."""
    home = Path(os.environ.get("PREFECT_HOME", Path.home() / ".prefect"))
    return not (home / "prefect.db").exists()
