"""Running the collect flow from the command line: Prefect's server, Ctrl-C, and nothing left behind.

Ctrl-C (or SIGTERM) raises KeyboardInterrupt in the flow, which marks the run
`interrupted` and rolls back the load in progress; the temporary server is
stopped last. A watchdog makes sure the process is gone within
INTERRUPT_DEADLINE_SECONDS even if a crawl thread is stuck in a request.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

from flows.temporary_server import (
    STATE_DIR_NAME,
    drain_prefect_workers,
    launch_temporary_server,
    serving,
    stop_orphans,
)

if TYPE_CHECKING:
    from flows.collect import RunSummary

# Ctrl-C must end the process within 10 s: the clean path gets this long.
INTERRUPT_DEADLINE_SECONDS = 7.0
EXIT_INTERRUPTED = 130


def _hard_exit(cleanup: Callable[[], None]) -> None:
    """The clean path took too long: stop what we started, then leave at once."""
    try:
        cleanup()
    finally:
        print("interrupted: stopped without waiting for the crawl threads", file=sys.stderr, flush=True)
        os._exit(EXIT_INTERRUPTED)


@contextmanager
def interruptible(cleanup: Callable[[], None]) -> Iterator[None]:
    """SIGINT and SIGTERM raise KeyboardInterrupt here, and arm a watchdog that exits 130 if cleanup hangs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    armed: list[threading.Timer] = []

    def on_signal(signum: int, frame: object) -> None:
        if not armed:
            timer = threading.Timer(INTERRUPT_DEADLINE_SECONDS, _hard_exit, args=(cleanup,))
            timer.daemon = True
            timer.start()
            armed.append(timer)
        raise KeyboardInterrupt(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _state_dir() -> Path:
    home = Path(os.environ.get("PREFECT_HOME", Path.home() / ".prefect"))
    return home / STATE_DIR_NAME


def run_collect(
    sources_file: Path, db: Path, out: Path, task_runner: str = "threads", dask_address: str | None = None
) -> RunSummary:
    """Run the collect flow in this process under our own temporary Prefect server (unless one is configured).

    The temporary server is a process of its own on 127.0.0.1, so Dask workers
    (`task_runner='dask'`) report their task runs to it as well.
    """
    state_dir = _state_dir()
    server = _own_server(state_dir)
    from flows.runners import collect_flow

    with interruptible(cleanup=lambda: _stop_own_servers(state_dir)), server or nullcontext():
        collect = collect_flow(task_runner, dask_address)  # inside: Dask workers get the server's address
        summary = collect(
            sources_file=str(sources_file), db_path=str(db), out_dir=str(out), task_runner=task_runner
        )
        if server is not None:
            drain_prefect_workers()  # while the server is up; an interrupted run drops its last events
        return summary


def _own_server(state_dir: Path) -> AbstractContextManager[str] | None:
    """Our temporary server (started before Prefect is imported), or nothing when one is configured.

    An operator's (or a test harness's) server is used as it is: named in the
    environment, or in Prefect's profile, which only Prefect itself can read.
    """
    launched = None if os.environ.get("PREFECT_API_URL") else launch_temporary_server(state_dir)
    try:
        from prefect.settings import PREFECT_API_URL  # imported while the server boots

        import flows.runners  # noqa: F401  (the flow's own imports, too)

        if launched is not None and PREFECT_API_URL.value():
            launched.stop()
            launched = None
    except BaseException:
        if launched is not None:
            launched.stop()
        raise
    return serving(launched) if launched is not None else None


def _stop_own_servers(state_dir: Path) -> None:
    """The watchdog's cleanup: stop the temporary server this process started."""
    stop_orphans(state_dir, include_own=True)
