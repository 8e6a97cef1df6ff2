"""One watchdog thread for every request in flight: it calls each one's expiry at its deadline.

A threading.Timer per request starts and stops an OS thread for every fetch;
at thousands of pages a minute that is measurable. Here a single daemon thread
keeps the deadlines in a heap and sleeps until the earliest one.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time as clock
from collections.abc import Callable


class Watchdog:
    """Calls `on_expiry` of each registered watch whose deadline passes before it is cancelled."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int]] = []
        self._pending: dict[int, Callable[[], None]] = {}
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, seconds: float, on_expiry: Callable[[], None]) -> int:
        """Register a deadline `seconds` from now; returns the ticket that cancels it."""
        ticket = next(self._ids)
        with self._cond:
            self._pending[ticket] = on_expiry
            heapq.heappush(self._heap, (clock.monotonic() + seconds, ticket))
            self._start()
            self._cond.notify()
        return ticket

    def cancel(self, ticket: int) -> None:
        """The request ended in time; its deadline is forgotten (the heap entry is skipped later)."""
        with self._cond:
            self._pending.pop(ticket, None)
            if not self._pending:
                self._heap.clear()

    def in_flight(self) -> int:
        with self._cond:
            return len(self._pending)

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="fetch-watchdog", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            with self._cond:
                due = self._due()
                if not due:
                    wait = self._heap[0][0] - clock.monotonic() if self._heap else None
                    self._cond.wait(wait)
                    continue
            for on_expiry in due:  # outside the lock: cutting a socket may take a moment
                on_expiry()

    def _due(self) -> list[Callable[[], None]]:
        """Pop the expired, still pending watches (lock held)."""
        now = clock.monotonic()
        due = []
        while self._heap and self._heap[0][0] <= now:
            _deadline, ticket = heapq.heappop(self._heap)
            on_expiry = self._pending.pop(ticket, None)
            if on_expiry is not None:
                due.append(on_expiry)
        return due


WATCHDOG = Watchdog()
