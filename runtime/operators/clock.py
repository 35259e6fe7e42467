"""Clock: the pipeline's NOW(), a value the pipeline advances between steps (never backwards).

Like an Input, it takes what the engine queued (``pending``, the clock's next value) at the step.
Its output is the signal ``{(now,): 1}`` in a step where the clock moved and nothing otherwise, so
the temporal filters reading it run exactly when they may have rows to let in or out.  State: the
current value (None until the clock is first set).
"""

from __future__ import annotations

from ..circuit import Operator


class Clock(Operator):
    idle_noop = False
    state = ("now",)

    def __init__(self, now=None):
        super().__init__()
        self.now = now
        self.pending = None  # the value the next step sets (transient)

    def eval(self):
        pending, self.pending = self.pending, None
        if pending is None or pending == self.now:
            return {}
        self.journal.record(self._restore, (self.now, pending))
        self.now = pending
        return {(pending,): 1}

    def ready(self, name: str, args: list) -> str:
        return f"{name}.pending is not None"  # not set since the last step: eval returns {}

    def _restore(self, saved) -> None:
        self.now, self.pending = saved

    def describe(self) -> str:
        return "Clock"
