"""Progress of a run for the person watching it: a live status line on a terminal, plain lines otherwise.

Plain Python, no Prefect. The flow reports to whatever display the command line
installed with `showing(...)`; under a worker or `serve` nobody installed one
and the reports go nowhere.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol, TextIO

CLEAR_LINE = "\r\x1b[2K"
REFRESH_SECONDS = 0.5


@dataclass(frozen=True)
class SourceDone:
    """What one source's part of the run came to, as far as progress cares."""

    source_id: str
    pages: int
    failed_pages: int
    meetings: int
    line: str


class ProgressDisplay(Protocol):
    """What the flow tells a display: how many sources, and each one as it finishes."""

    def run_started(self, total_sources: int) -> None: ...

    def source_finished(self, done: SourceDone) -> None: ...

    def step_started(self, step: str) -> None: ...

    def run_finished(self) -> None: ...


def format_duration(seconds: float) -> str:
    """'0:07', '12:30', '1:02:03': short enough for a status line."""
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class RunTally:
    """Counts of a run so far and the time it took; estimates what is left from the sources done."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.started = clock()
        self.total = 0
        self.done = 0
        self.pages = 0
        self.failed_pages = 0
        self.meetings = 0
        # After the crawl: what the run is doing now ('Publishing the catalogue').
        self.step: str | None = None

    def start(self, total_sources: int) -> None:
        self.started = self.clock()
        self.total = total_sources

    def add(self, done: SourceDone) -> None:
        self.done += 1
        self.pages += done.pages
        self.failed_pages += done.failed_pages
        self.meetings += done.meetings

    def elapsed(self) -> float:
        return self.clock() - self.started

    def remaining(self) -> float | None:
        """Seconds left at the pace so far; None before the first source is done."""
        if not self.done:
            return None
        return self.elapsed() / self.done * max(self.total - self.done, 0)

    def status(self) -> str:
        """'Sources 2/4 | pages 12 (1 failed) | meetings 3 | elapsed 0:12 | remaining ~0:12'."""
        if self.step is not None:
            return f"Sources {self.done}/{self.total} | {self.step}... | elapsed {format_duration(self.elapsed())}"
        left = self.remaining()
        failed = f" ({self.failed_pages} failed)" if self.failed_pages else ""
        return (
            f"Sources {self.done}/{self.total} | pages {self.pages}{failed} | meetings {self.meetings} | "
            f"elapsed {format_duration(self.elapsed())} | "
            f"remaining {'~' + format_duration(left) if left is not None else '?'}"
        )


class SilentProgress:
    """No output: `--quiet`, and flows run by a worker or `serve`."""

    def run_started(self, total_sources: int) -> None:
        pass

    def source_finished(self, done: SourceDone) -> None:
        pass

    def step_started(self, step: str) -> None:
        pass

    def run_finished(self) -> None:
        pass


class LineProgress:
    """One plain line per finished source, for logs and pipes: '[2/4] id: what happened (0:12)'."""

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.tally = RunTally(clock)

    def run_started(self, total_sources: int) -> None:
        self.tally.start(total_sources)
        self._write(f"Crawling {total_sources} sources...")

    def source_finished(self, done: SourceDone) -> None:
        self.tally.add(done)
        elapsed = format_duration(self.tally.elapsed())
        self._write(f"[{self.tally.done}/{self.tally.total}] {done.source_id}: {done.line} ({elapsed})")

    def step_started(self, step: str) -> None:
        self._write(f"{step}... ({format_duration(self.tally.elapsed())})")

    def run_finished(self) -> None:
        pass

    def _write(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()


class TerminalProgress:
    """A status line redrawn in place while the run goes on; `verbose` adds a line per source above it.

    Log records printed meanwhile first wipe the status line, so they never run into it.
    """

    def __init__(
        self,
        stream: TextIO,
        verbose: bool = False,
        clock: Callable[[], float] = time.monotonic,
        refresh_seconds: float = REFRESH_SECONDS,
    ) -> None:
        self.stream = stream
        self.verbose = verbose
        self.tally = RunTally(clock)
        self.refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._log_filter = _WipeBeforeLogging(self)

    def run_started(self, total_sources: int) -> None:
        self.tally.start(total_sources)
        for handler in logging.getLogger().handlers:
            handler.addFilter(self._log_filter)
        self._ticker = threading.Thread(target=self._tick, name="progress", daemon=True)
        self._ticker.start()

    def source_finished(self, done: SourceDone) -> None:
        self.tally.add(done)
        with self._lock:
            if self.verbose:
                self.stream.write(
                    f"{CLEAR_LINE}[{self.tally.done}/{self.tally.total}] {done.source_id}: {done.line}\n"
                )
            self._draw()

    def step_started(self, step: str) -> None:
        self.tally.step = step
        with self._lock:
            self._draw()

    def run_finished(self) -> None:
        if self._ticker is None:
            return  # never started (the run failed before its sources) or already finished
        self._stop.set()
        self._ticker.join()
        self._ticker = None
        for handler in logging.getLogger().handlers:
            handler.removeFilter(self._log_filter)
        with self._lock:
            self._draw()
            self.stream.write("\n")
            self.stream.flush()

    def wipe(self) -> None:
        """Clear the status line (before someone else prints); the next tick draws it again."""
        with self._lock:
            self.stream.write(CLEAR_LINE)
            self.stream.flush()

    def _tick(self) -> None:
        while not self._stop.wait(self.refresh_seconds):
            with self._lock:
                self._draw()

    def _draw(self) -> None:
        self.stream.write(CLEAR_LINE + self.tally.status())
        self.stream.flush()


class _WipeBeforeLogging(logging.Filter):
    """Lets every record through, wiping the status line first."""

    def __init__(self, display: TerminalProgress) -> None:
        super().__init__()
        self.display = display

    def filter(self, record: logging.LogRecord) -> bool:
        self.display.wipe()
        return True


def choose_display(stream: TextIO, verbosity: str) -> ProgressDisplay:
    """Quiet: nothing; a terminal: the live line; anything else: plain lines per source."""
    if verbosity == "quiet":
        return SilentProgress()
    if stream.isatty():
        return TerminalProgress(stream, verbose=verbosity == "verbose")
    return LineProgress(stream)


_current: ProgressDisplay = SilentProgress()


def current() -> ProgressDisplay:
    """The display the flow reports to."""
    return _current


@contextmanager
def showing(display: ProgressDisplay) -> Iterator[ProgressDisplay]:
    """Install `display` for the flow run inside the block; always leave the terminal tidy."""
    global _current
    previous, _current = _current, display
    try:
        yield display
    finally:
        _current = previous
        display.run_finished()
