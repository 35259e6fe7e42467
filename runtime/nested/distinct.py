"""Distinct inside a nested scope, where updates carry times.

Per row: the history of input updates and of output updates, {time: weight} summed over past parent
ticks.  The output at time t must be [Σ_{t' ≤ t} input > 0]; evaluating row r at time now emits the
difference from Σ_{t' ≤ now} output.  An input change at ``now`` can change the correct output at
every later time where r's accumulated input or output changes, i.e. at lub(now, t) for each t in its
histories; those times are scheduled and r is re-evaluated when the scope reaches them.

In a scope iterated by one counter, where a recursive join reads this distinct's output as its
trace (shared_trace.py), the output history is also filed by the join's key (``index``) and the
judging is the generated loop of compiler/nested_judge.py, which may also make the join's pairs
itself (``fusions``): judging a row's changes one at a time ends where judging their sum does.
"""

from itertools import chain

from ..circuit import Operator, past_identities
from ..time import leq, lub
from ..operators.plus import Plus
from ..zset import add_into, drop_zeros
from .shared_trace import refile


class NestedDistinct(Operator):
    idle_noop = False
    state = ("ins", "outs", "todo")

    def __init__(self, source: Operator, name: str = ""):
        super().__init__(source)
        self.name = name
        self.ins: dict = {}  # row -> {time: weight}
        self.outs: dict = {}  # row -> {time: weight}
        self.todo: dict = {}  # time -> set of rows to re-evaluate then
        # where a recursive join reads the output history as its trace (shared_trace.py): the index
        # key -> row -> history of ``outs``, its key function, the generated judge that keeps it
        # (compiler/nested_judge.py) and the join; None when not shared
        self.index: dict | None = None
        self.index_key = None
        self.judge = None
        self.index_join = None

    def pending_times(self):
        return self.todo.keys()

    def reset_transient(self) -> None:
        self.todo = {}

    def ready(self, name: str, args: list) -> str:
        # no input, no row to re-evaluate (and, fused, no join work scheduled for now): {}
        fused = f" or {name}.index_join.pending" if len(args) > 1 else ""
        return f"{' or '.join(args)} or {name}.todo{fused}"

    def fusions(self) -> list:
        """Where the recursive join's trace is this distinct's output history (shared_trace.py) and
        this distinct's input is the join's output (through exchanges that are the identity), plus
        another stream (the anchor) or not: the join's pairs judged as they are made
        (eval_fused)."""
        j = self.index_join
        if j is None or self.index is None:
            return []
        absorbed, op = past_identities(self.inputs[0])
        anchor = []
        if isinstance(op, Plus) and len(op.inputs) == 2 and j in op.inputs:
            absorbed.append(op)
            anchor = [i for i in op.inputs if i is not j]
            op = j
        if op is not j:
            return []
        return [(absorbed + [j], anchor + list(j.inputs), self.eval_fused if anchor else self._eval_fused_alone)]

    def _eval_fused_alone(self, da: dict, db: dict) -> dict:
        return self.eval_fused({}, da, db)

    def eval_fused(self, anchor: dict, da: dict, db: dict) -> dict:
        """eval(anchor + the join's output) without the join's output: the static side's change is
        filed and probed against the index as NestedJoin._eval_shared does, and with the join's work
        due now and the anchor judged as the distinct's input; the recursive side's pairs go
        straight into the judge.  The journal entries are recorded before the probes and the judge
        run, and each lists what was done as it is done (or, for the pairs, how many were judged),
        so a combined row that raises (user code) leaves what the journal undoes exactly."""
        j = self.index_join
        now = self.circuit.scope.time
        side = j.share.side
        if side == 0:
            recursive, static = da, db
        else:
            recursive, static = db, da
        if static:  # (NestedJoin._eval_shared of the static side's delta, inline)
            part = j.pending.pop(now, None) or {}
            own = j.left_trace if side else j.right_trace
            keyed: list = []
            self.journal.entries.append((j._undo, (own, keyed, None)))
            j.share.probes[1 - side](static, self.index, now, part, j.pending, own, keyed)
            drop_zeros(part)
        elif now in j.pending:  # (NestedJoin.eval of two empty deltas)
            part = drop_zeros(j.pending.pop(now))
        else:
            part = None
        if part:
            if anchor:
                delta = dict(anchor)
                add_into(delta, part)
            else:
                delta = part
        else:
            delta = anchor
        return self._judge_fused(delta, recursive, now)

    def eval_recursive(self, recursive: dict, now: int) -> dict:
        """eval_fused at an iteration after the first (Scope._eval_tail): the imports are empty then,
        so the input is the join's work due now and the pairs of the recursive side's change."""
        pending = self.index_join.pending
        return self._judge_fused(drop_zeros(pending.pop(now)) if now in pending else None, recursive, now)

    def _judge_fused(self, delta, recursive: dict, now) -> dict:
        """Judge ``delta`` (with the rows due now) and the join's pairs of ``recursive``."""
        rows = self.todo.pop(now, None)
        if rows:
            changes = chain(delta.items(), [(r, 0) for r in rows if r not in delta]) if delta else \
                [(r, 0) for r in rows]
        elif delta:
            changes = delta.items()
        elif recursive:
            changes = ()
        else:
            return {}
        j = self.index_join
        out: dict = {}
        undone: list = []
        self.journal.entries.append((self._undo_fused, (out, delta, recursive, undone, now)))
        self.judge(changes, recursive, j.left_trace if j.share.side else j.right_trace, now, self.ins, self.outs,
                   self.todo, out, undone, self.index)
        return drop_zeros(out)

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
        if self.index is not None:  # shared with a join: the generated judge keeps the index too
            return self._eval_indexed(delta, rows, now)
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

    def _eval_indexed(self, delta: dict, rows, now) -> dict:
        """eval's one-counter pass by the generated judge, which also files the output history by
        the join's key (shared_trace.py)."""
        if delta:
            self.journal.entries.append((self._undo_ins, (delta, now)))
            changes = chain(delta.items(), [(r, 0) for r in rows if r not in delta]) if rows else delta.items()
        elif rows:
            changes = [(r, 0) for r in rows]
        else:
            return {}
        out: dict = {}
        self.judge(changes, None, None, now, self.ins, self.outs, self.todo, out, None, self.index)
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
        if self.index is not None:
            refile(self, out)

    def _undo_fused(self, saved) -> None:
        """Undo eval_fused: its output, its input ``delta`` and the join's pairs it judged."""
        out, delta, recursive, undone, now = saved
        self._undo_outs((out, now))
        if delta:
            _add(self.ins, delta, now, -1)
        if recursive:
            self._unjudge(recursive, undone[0] if undone else None, now)

    def _unjudge(self, recursive: dict, limit, now) -> None:
        """Take the join's pairs judged from ``recursive`` back out of the input history: the same
        pairs, made again (the static side's trace is as it was then: it changes only at iteration
        0, when the recursive side is empty, and the journal undoes that after this), only the
        first ``limit`` of them when making the next one raised."""
        j = self.index_join
        side = j.share.side
        trace = j.right_trace if side == 0 else j.left_trace
        key, combine, ins = j.share.key, j.combine, self.ins
        n = 0
        for ra, w0 in recursive.items():
            k = key(ra)
            bucket = trace.get(k) if k is not None else None
            if not bucket:
                continue
            for rb, w2 in bucket.items():
                if n == limit:
                    return
                r = combine(ra, rb) if side == 0 else combine(rb, ra)
                if r is None:
                    continue
                n += 1
                _add(ins, {r: w0 * w2}, now, -1)

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
