"""Driver threads for the reliability suite: a thread that raises fails the test, with its exception.

A plain ``threading.Thread`` that raises just ends (the trace goes to stderr), so a test that counts
what its clients did can pass on the work of the survivors: the PostgreSQL-restart test once passed
while one of its clients had died on a truncated answer (``http.client.IncompleteRead``).
"""

from __future__ import annotations

import threading
import time
import traceback

#: how long a thread waits at a start barrier: one whose partner died breaks it instead of hanging the run
BARRIER_TIMEOUT = 60


def barrier(parties: int) -> threading.Barrier:
    return threading.Barrier(parties, timeout=BARRIER_TIMEOUT)


class Drivers:
    """Starts driver threads and, on ``join``, fails with every exception they raised."""

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []
        self.failures: list[tuple[str, BaseException]] = []
        self._lock = threading.Lock()

    def start(self, target, *args) -> threading.Thread:
        def run() -> None:
            try:
                target(*args)
            except BaseException as exc:
                with self._lock:
                    self.failures.append((threading.current_thread().name, exc))

        # daemon: a driver stuck on a dead server must not keep pytest from exiting after the failure
        thread = threading.Thread(target=run, name=f"driver-{len(self.threads)}", daemon=True)
        self.threads.append(thread)
        thread.start()
        return thread

    def check(self) -> None:
        """Fail now if a driver has died (lets a waiting test stop early, showing why)."""
        with self._lock:
            failures = list(self.failures)
        if failures:
            report = "\n".join(f"--- {name} ---\n" + "".join(traceback.format_exception(exc)) for name, exc in failures)
            raise AssertionError(f"{len(failures)} driver thread(s) raised:\n{report}") from failures[0][1]

    def join(self, timeout: float) -> None:
        """Wait for every driver (``timeout`` in all); fail if one raised or is still running."""
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self.check()
        running = [thread.name for thread in self.threads if thread.is_alive()]
        assert running == [], f"driver threads still running after {timeout}s: {running}"


def run_in_threads(function, count: int, timeout: float = 300) -> list:
    """``function(0)`` … ``function(count - 1)``, each on its own thread; their results in that order.
    Unlike ``ThreadPoolExecutor.map``, which re-raises only the first exception in order (often a
    partner's BrokenBarrierError), every driver's exception is shown."""
    results: list = [None] * count
    drivers = Drivers()

    def keep(n: int) -> None:
        results[n] = function(n)

    for n in range(count):
        drivers.start(keep, n)
    drivers.join(timeout)
    return results
