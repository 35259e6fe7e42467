"""Distinct inside a nested scope, where updates carry times.

Per row: the history of input updates and of output updates, {time: weight} summed over past parent
ticks.  The output at time t must be [Σ_{t' ≤ t} input > 0]; evaluating row r at time now emits the
difference from Σ_{t' ≤ now} output.  An input change at ``now`` can change the correct output at
every later time where r's accumulated input or output changes, i.e. at lub(now, t) for each t in its
histories; those times are scheduled and r is re-evaluated when the scope reaches them.
"""

from itertools import chain

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

    def ready(self, name: str, args: list) -> str:
        return f"{args[0]} or {name}.todo"  # no input and no row to re-evaluate: {}

    def eval(self, delta: dict) -> dict:
        """In a scope iterated by one counter (times i or (i,): a total order, lub is max), a row's
        input history is updated and the row judged in one pass, and its output history updated as
        it is judged (a row's output depends only on its own histories); nested deeper,
        _eval_lattice."""
        now = self.circuit.scope.time
        rows = self.todo.pop(now, None)
        if type(now) is not int and len(now) != 1:
            return self._eval_lattice(delta, rows, now)
        ins, outs, todo = self.ins, self.outs, self.todo
        if delta:
            self.journal.entries.append((self._undo_ins, (delta, now)))  # (Journal.record inline)
            if rows:  # rows due now that did not change: weight 0, judged without an update
                changes = chain(delta.items(), [(r, 0) for r in rows if r not in delta])
            else:
                changes = delta.items()
        elif rows:
            changes = [(r, 0) for r in rows]
        else:
            return {}
        out: dict = {}
        iget, oget = ins.get, outs.get
        for r, w in changes:
            hin = iget(r)
            hout = oget(r)
            x = acc = 0
            if hin is None:  # a new row: its one update is now's
                if w:
                    ins[r] = {now: w}
                    x = w
            else:
                if w:
                    n = hin.get(now, 0) + w
                    if n:
                        hin[now] = n
                    else:
                        del hin[now]
                        if not hin:
                            del ins[r]
                for t, v in hin.items():
                    if t <= now:
                        x += v
                    else:
                        _schedule(todo, t, r)
            if hout:
                for t, v in hout.items():
                    if t <= now:
                        acc += v
                    else:
                        _schedule(todo, t, r)
            d = (1 if x > 0 else 0) - acc
            if d:
                out[r] = d
                if hout is None:
                    outs[r] = {now: d}
                else:
                    n = hout.get(now, 0) + d
                    if n:
                        hout[now] = n
                    else:
                        del hout[now]
                        if not hout:
                            del outs[r]
        if out:
            self.journal.entries.append((self._undo_outs, (out, now)))
        return out

    def _eval_lattice(self, delta: dict, rows, now: tuple) -> dict:
        """eval nested deeper than one counter: times ordered as a product lattice."""
        if delta:
            _add(self.ins, delta, now)
            self.journal.record(self._undo_ins, (delta, now))
            rows = delta.keys() if rows is None else rows | delta.keys()
        if not rows:
            return {}
        ins, outs, todo = self.ins, self.outs, self.todo
        out = {}
        for r in rows:
            hin = ins.get(r)
            hout = outs.get(r)
            x = acc = 0
            later = []
            if hin:
                for t, w in hin.items():
                    if leq(t, now):
                        x += w
                    else:
                        later.append(t)
            if hout:
                for t, w in hout.items():
                    if leq(t, now):
                        acc += w
                    else:
                        later.append(t)
            d = (1 if x > 0 else 0) - acc
            if d:
                out[r] = d
            for t in later:
                _schedule(todo, lub(t, now), r)
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


def _add(history: dict, delta: dict, now, sign: int = 1) -> None:
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


def _schedule(todo: dict, t, r) -> None:
    """Re-evaluate row r at time t."""
    s = todo.get(t)
    if s is None:
        todo[t] = {r}
    else:
        s.add(r)
