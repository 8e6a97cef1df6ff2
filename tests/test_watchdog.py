"""The shared fetch watchdog: one thread fires each deadline not cancelled in time, and only those."""

from __future__ import annotations

import threading
import time

from tasks.watchdog import Watchdog


def test_expired_watches_fire_and_cancelled_ones_never_do() -> None:
    watchdog = Watchdog()
    fired: list[str] = []
    done = threading.Event()
    late = watchdog.watch(0.05, lambda: fired.append("late"))
    cancelled = watchdog.watch(0.05, lambda: fired.append("cancelled"))
    watchdog.watch(0.3, lambda: (fired.append("last"), done.set()))
    watchdog.cancel(cancelled)
    assert done.wait(5)
    assert fired == ["late", "last"]
    assert late != cancelled
    assert watchdog.in_flight() == 0


def test_many_requests_in_flight_share_one_thread() -> None:
    watchdog = Watchdog()
    before = threading.active_count()
    tickets = [watchdog.watch(30, lambda: None) for _ in range(200)]
    assert watchdog.in_flight() == 200
    assert threading.active_count() - before == 1
    for ticket in tickets:
        watchdog.cancel(ticket)
    assert watchdog.in_flight() == 0


def test_an_earlier_deadline_registered_later_wakes_the_watchdog() -> None:
    watchdog = Watchdog()
    fired = threading.Event()
    watchdog.watch(60, lambda: None)
    started = time.monotonic()
    watchdog.watch(0.05, fired.set)
    assert fired.wait(5)
    assert time.monotonic() - started < 30
