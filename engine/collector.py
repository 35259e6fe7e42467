"""Python's cyclic garbage collector kept out of a step.

A step allocates many containers (rows, Z-sets, index entries) and makes no reference cycles: the
circuit's state is dicts of tuples.  With the collector on, every 700 allocations it scans the young
objects, finds no garbage, and promotes whatever is still alive mid-step to older generations, whose
scans then walk the whole state; where state is made and dropped at a high rate (a top-k per key closed
by a watermark: Nexmark q18) that was half the CPU.  Paused for the step, it runs at most once after it,
over what the step left alive.  Nothing is leaked: cycles made during a step (none are known) are
collected by that next collection.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Disable the cyclic collector for the block (if it was enabled), re-enable it after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
