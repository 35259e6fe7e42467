"""z⁻¹ (delay): outputs the previous tick's input; 0 at the first tick.  Linear, but stateful."""

from ..circuit import Operator


class Delay(Operator):
    linear = True
    idle_noop = False  # must emit the held value even when its input is empty
    state = ("held",)

    def __init__(self, source: Operator):
        super().__init__(source)
        self.held: dict = {}

    def eval(self, delta: dict) -> dict:
        out, self.held = self.held, delta
        self.journal.record(self._restore, out)
        return out

    def _restore(self, held: dict) -> None:
        self.held = held
