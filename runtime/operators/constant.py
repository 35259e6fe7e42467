"""A constant relation as a stream: its value at the first tick, nothing after (δ0 at the root)."""

from ..circuit import Operator


class Constant(Operator):
    idle_noop = False
    singleton = True
    state = ("emitted",)

    def __init__(self, zset: dict, name: str = ""):
        super().__init__()
        self.zset = zset
        self.name = name
        self.emitted = False

    def eval(self):
        if self.emitted:
            return {}
        self.emitted = True
        self.journal.record(self._undo, None)
        return dict(self.zset)

    def _undo(self, _) -> None:
        self.emitted = False

    def describe(self) -> str:
        return f"Constant[{len(self.zset)} rows]"
