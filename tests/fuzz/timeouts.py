"""Nestable wall-clock limits for fuzz runs: SIGALRM raises Timeout in the main thread, and a timer
thread interrupts a DuckDB connection that is still busy.

    d = deadline(60, con)         # made before the try, so a handler can always name it
    with d:
        ...                       # raises Timeout(d) after 60 s (or an enclosing deadline's Timeout)
    # catch only your own:  except Timeout as e: if not d.mine(e): raise
    # inside DuckDB the alarm surfaces as RuntimeError("Query interrupted"): check d.fired
"""

from __future__ import annotations

import signal
import threading
import time
from typing import ClassVar


class Timeout(BaseException):
    """A deadline passed; a BaseException so that ``except Exception`` in the code under test lets it through."""

    def __init__(self, owner, seconds):
        super().__init__(f"no result within {seconds:g}s")
        self.owner = owner


class deadline:
    """A context manager; deadlines nest (the earliest one fires first and names itself as owner)."""

    _stack: ClassVar[list] = []
    _old_handler = None

    def __init__(self, seconds: float | None, con=None):
        self.seconds = seconds
        self.con = con
        self.end = None
        self.timer = None

    def __enter__(self):
        if not self.seconds:
            return self
        if self.con is not None:  # first: a thread that cannot start leaves no alarm behind
            self.timer = threading.Timer(self.seconds + 2, self.con.interrupt)
            self.timer.daemon = True
            self.timer.start()
        self.end = time.monotonic() + self.seconds
        if not deadline._stack:
            deadline._old_handler = signal.signal(signal.SIGALRM, deadline._fire)
        deadline._stack.append(self)
        deadline._arm()
        return self

    def __exit__(self, *exc):
        if self.end is None:
            return False
        deadline._stack.remove(self)
        if self.timer is not None:
            self.timer.cancel()
        if deadline._stack:
            deadline._arm()
        else:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, deadline._old_handler or signal.SIG_DFL)
        return False

    def mine(self, e: Timeout) -> bool:
        return e.owner is self

    @property
    def fired(self) -> bool:
        """Has this deadline gone off?  (Inside a DuckDB call the Timeout surfaces as DuckDB's
        "Query interrupted" RuntimeError instead.)"""
        return self.end == float("inf")

    @classmethod
    def _arm(cls):
        """The alarm set for the soonest deadline that has not gone off (none: no alarm).  One that has
        gone off stays on the stack until its block exits: an inner block exiting meanwhile (the Timeout
        passing through it) must not set an alarm for it again (it would be infinitely far)."""
        waiting = [d for d in cls._stack if d.end != float("inf")]
        if not waiting:
            signal.setitimer(signal.ITIMER_REAL, 0)
            return
        soonest = min(waiting, key=lambda d: d.end)
        signal.setitimer(signal.ITIMER_REAL, max(soonest.end - time.monotonic(), 0.001))

    @classmethod
    def _fire(cls, signum, frame):
        if not cls._stack:
            return
        soonest = min(cls._stack, key=lambda d: d.end)
        if soonest.end == float("inf"):  # (every one has gone off already)
            return
        if soonest.end - time.monotonic() > 0.01:  # an early signal: wait for the real one
            cls._arm()
            return
        soonest.end = float("inf")  # fires once
        raise Timeout(soonest, soonest.seconds)


def timed_out(d: deadline, e: BaseException) -> bool:
    """Is ``e`` deadline ``d`` going off (as a Timeout, or as DuckDB's interrupt after it)?"""
    if isinstance(e, Timeout):
        return d.mine(e)
    return isinstance(e, RuntimeError) and "interrupted" in str(e).lower() and d.fired
