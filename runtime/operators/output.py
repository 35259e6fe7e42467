"""Output: the sink of a view; keeps the last delta and the integrated contents (journaled)."""

from ..circuit import Operator
from ..zset import add_into, negate


class Output(Operator):
    idle_noop = False  # an idle step must still report an empty delta
    state = ("contents", "delta")

    def __init__(self, source: Operator, name: str = ""):
        super().__init__(source)
        self.name = name
        self.contents: dict = {}
        self.delta: dict = {}

    def eval(self, delta: dict) -> dict:
        self.journal.record(self._undo, (delta, self.delta))
        self.delta = delta
        if delta:
            add_into(self.contents, delta)
        return delta

    def _undo(self, saved) -> None:
        delta, previous = saved
        add_into(self.contents, negate(delta))
        self.delta = previous

    def integral(self) -> dict:
        return self.contents

    def describe(self) -> str:
        return f"Output[{self.name}]"
