"""Input: the source of a circuit; changes fed between steps come out at the next step."""

from ..circuit import Operator
from ..zset import add_into


class Input(Operator):
    """A stream source.  ``feed`` queues a delta; ``eval`` emits everything queued since last step."""

    idle_noop = False
    state = ("pending",)
    fused = None  # the step of a change of this Input alone, once made (runtime/fused.py)

    def __init__(self, name: str = ""):
        super().__init__()
        self.name = name
        self.pending: dict = {}

    def feed(self, delta: dict) -> None:
        add_into(self.pending, delta)

    def eval(self):
        delta, self.pending = self.pending, {}
        if delta:
            self.journal.entries.append((self._restore, delta))  # (Journal.record inline: hot path)
        return delta

    def ready(self, name: str, args: list) -> str:
        return f"{name}.pending"  # nothing queued: eval returns {} and changes nothing

    def _restore(self, delta: dict) -> None:
        if self.pending:
            add_into(self.pending, delta)
        else:  # (no allocation: a rollback after a MemoryError must not need memory)
            self.pending = delta

    def describe(self) -> str:
        return f"Input[{self.name}]"
