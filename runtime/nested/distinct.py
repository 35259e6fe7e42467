"""Distinct inside a nested scope, where updates carry times.

Per row: the history of input updates and of output updates, {time: weight} summed over past parent
ticks.  The output at time t must be [Σ_{t' ≤ t} input > 0]; evaluating row r at time now emits the
difference from Σ_{t' ≤ now} output.  An input change at ``now`` can change the correct output at
every later time where r's accumulated input or output changes, i.e. at lub(now, t) for each t in its
histories; those times are scheduled and r is re-evaluated when the scope reaches them.
"""

from ..circuit import Operator
from ..time import leq, lub


class NestedDistinct(Operator):
    idle_noop = False
    state = ("ins", "outs", "todo")

    def __init__(self, source: Operator, name: str = ""):
        super().__init__(source)
        self.name = name
        self.ins: dict = {}  # row -> {time: weight}
        self.outs: dict = {}  # row -> {time: weight}
        self.todo: dict = {}  # time -> set of rows to re-evaluate then

    def pending_times(self):
        return self.todo.keys()

    def reset_transient(self) -> None:
        self.todo = {}

    def eval(self, delta: dict) -> dict:
        now = self.circuit.scope.time
        rows = self.todo.pop(now, None)
        if delta:
            _add(self.ins, delta, now)
            self.journal.record(self._undo_ins, (delta, now))
            rows = delta.keys() if rows is None else rows | delta.keys()
        if not rows:
            return {}
        ins, outs, todo = self.ins, self.outs, self.todo
        flat = len(now) == 1  # one iteration counter: tuple order is the product order, lub is max
        out = {}
        for r in rows:
            hin = ins.get(r)
            hout = outs.get(r)
            x = acc = 0
            later = []
            if hin:
                for t, w in hin.items():
                    if (t <= now) if flat else leq(t, now):
                        x += w
                    else:
                        later.append(t)
            if hout:
                for t, w in hout.items():
                    if (t <= now) if flat else leq(t, now):
                        acc += w
                    else:
                        later.append(t)
            d = (1 if x > 0 else 0) - acc
            if d:
                out[r] = d
            for t in later:
                if not flat:
                    t = lub(t, now)
                s = todo.get(t)
                if s is None:
                    todo[t] = {r}
                else:
                    s.add(r)
        if out:
            _add(outs, out, now)
            self.journal.record(self._undo_outs, (out, now))
        return out

    def _undo_ins(self, saved) -> None:
        delta, now = saved
        _add(self.ins, delta, now, -1)

    def _undo_outs(self, saved) -> None:
        out, now = saved
        _add(self.outs, out, now, -1)

    def describe(self) -> str:
        return f"NestedDistinct[{self.name}]" if self.name else "NestedDistinct"


def _add(history: dict, delta: dict, now: tuple, sign: int = 1) -> None:
    for r, w in delta.items():
        times = history.get(r)
        if times is None:
            times = history[r] = {}
        n = times.get(now, 0) + sign * w
        if n:
            times[now] = n
        else:
            del times[now]
            if not times:
                del history[r]
