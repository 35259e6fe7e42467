"""The join inside a nested scope, where updates carry times (DBSP's bilinear law over a lattice).

Each side keeps a trace key -> row -> {time: weight}, summed over past parent ticks.  An update at
time ``now`` meets every update of the other side at time t and contributes at ``lub(now, t)``:
immediately when t ≤ now, otherwise as pending work for that later iteration (old ticks' updates at
later iterations are how a change ripples through the rest of a previously computed fixpoint).
Processing the left delta before inserting it and the right delta after counts Δa ⋈ Δb once.
In a scope iterated by one counter a time is the iteration number (an int) or a 1-tuple: both totally
ordered, so ``t ≤ now`` is ``<=`` and lub is max (the generated probes, codegen.nested_probe).

A static side (one fed by an Import of a scope in the root circuit, i.e. a relation the recursion
only reads) changes only at iteration 0, and 0 ≤ every time: its trace is key -> row -> weight, with
no times, and the other side's updates meet all of it at once, at their own time.
"""

from ..circuit import Operator
from ..time import leq, lub
from ..zset import drop_zeros
from .shared_trace import settle, shifted_trace


class NestedJoin(Operator):
    idle_noop = False  # may hold pending work for the current time with empty inputs
    state = ("left_trace", "right_trace", "pending")

    def __init__(self, left: Operator, right: Operator, left_key, right_key, combine, name: str = "",
                 probes=None, static=(False, False)):
        super().__init__(left, right)
        # (left, right): each side's _keyed and _probe in one generated loop with the key and combine
        # inlined, for a scope iterated by one counter (compiler's codegen.nested_probe), or None
        self.probes = probes
        # a side fed only at iteration 0 of a scope in the root circuit (only with probes)
        self.left_static, self.right_static = static
        if (static[0] or static[1]) and probes is None:
            raise ValueError("a static side is probed by generated probes only")
        self.left_key = left_key
        self.right_key = right_key
        self.combine = combine
        self.name = name
        self.left_trace: dict = {}
        self.right_trace: dict = {}
        self.pending: dict = {}  # time -> {row: weight}
        # a recursive side whose trace may be its distinct's output history (shared_trace.Sharing,
        # set by the compiler), and whether it is (shared_trace.activate, at the scope's first run)
        self.share = None
        self.shared = False

    @property
    def static(self) -> tuple:
        return (self.left_static, self.right_static)

    def pending_times(self):
        return self.pending.keys()

    def reset_transient(self) -> None:
        self.pending = {}

    def ready(self, name: str, args: list) -> str:
        return f"{' or '.join(args)} or {name}.pending"  # no input and no work scheduled: {}

    def eval(self, da: dict, db: dict) -> dict:
        now = self.circuit.scope.time
        if not da and not db:  # idle but for the work scheduled at this time, if any
            out = self.pending.pop(now, None)
            return drop_zeros(out) if out else {}
        out = self.pending.pop(now, None) or {}
        probes = self.probes if type(now) is int or len(now) == 1 else None
        # (keys and combined rows are user code that may raise: what they add to ``out`` and ``pending``
        # before one raises is transient, cleared with the failed step; the traces change only by what
        # the journal undoes: a generated probe files each row in its own trace as it goes and lists
        # it in ``keyed``, whose undo is recorded before it starts; the other path files after probing)
        if self.shared:
            return self._eval_shared(da, db, now, out)
        if probes is not None:
            entries = self.journal.entries
            if da:
                keyed: list = []
                entries.append((self._undo, (self.left_trace, keyed, None if self.left_static else now)))
                probes[0](da, self.right_trace, now, out, self.pending, self.left_trace, keyed)
            if db:
                keyed = []
                entries.append((self._undo, (self.right_trace, keyed, None if self.right_static else now)))
                probes[1](db, self.left_trace, now, out, self.pending, self.right_trace, keyed)
            return drop_zeros(out)
        if da:
            keyed = _keyed(da, self.left_key)
            self._probe(keyed, self.right_trace, now, out, True)
            self._insert(self.left_trace, keyed, now)
        if db:
            keyed = _keyed(db, self.right_key)
            self._probe(keyed, self.left_trace, now, out, False)
            self._insert(self.right_trace, keyed, now)
        return drop_zeros(out)

    def _eval_shared(self, da: dict, db: dict, now, out: dict) -> dict:
        """eval where the recursive side's trace is the distinct's output history (shared_trace.py):
        that side's delta only probes the static side; the static side's is filed in its own trace
        and probes the distinct's index, one iteration later than its times."""
        sh = self.share
        static = self.right_trace if sh.side == 0 else self.left_trace
        for side, d in ((0, da), (1, db)):
            if not d:
                continue
            if side == sh.side:
                sh.probes[side](d, static, now, out, self.pending, None, None)
            else:
                keyed: list = []
                self.journal.entries.append((self._undo, (static, keyed, None)))
                sh.probes[side](d, sh.distinct.index, now, out, self.pending, static, keyed)
        return drop_zeros(out)

    def export_state(self):
        saved = super().export_state()
        if self.shared:  # the one saved form: the trace sharing stands for
            saved["left_trace" if self.share.side == 0 else "right_trace"] = shifted_trace(self.share.distinct)
        return saved

    def after_import(self) -> None:
        if self.shared:
            settle(self)

    def _probe(self, keyed, trace, now, out, is_left) -> None:
        combine, pending = self.combine, self.pending
        flat = type(now) is int or len(now) == 1  # one counter: a total order, lub is max
        for k, row, w in keyed:
            bucket = trace.get(k)
            if not bucket:
                continue
            for other, times in bucket.items():
                r = combine(row, other) if is_left else combine(other, row)
                if r is None:
                    continue
                for t, w2 in times.items():
                    if (t <= now) if flat else leq(t, now):
                        target = out
                    else:
                        if not flat:
                            t = lub(t, now)
                        target = pending.get(t)
                        if target is None:
                            target = pending[t] = {}
                    target[r] = target.get(r, 0) + w * w2

    def _insert(self, trace, keyed, now) -> None:
        _file(trace, keyed, now, 1)
        self.journal.entries.append((self._undo, (trace, keyed, now)))  # (Journal.record inline)

    def _undo(self, saved) -> None:
        """Take ``keyed`` back out of ``trace`` (filed at time ``now``; None: a static side's)."""
        trace, keyed, now = saved
        _file(trace, keyed, now, -1)

    def describe(self) -> str:
        return f"NestedJoin[{self.name}]" if self.name else "NestedJoin"


def _file(trace, keyed, now, sign: int) -> None:
    """Add the (key, row, weight × sign) triples to ``trace``: key -> row -> {time: weight} at time
    ``now``, or, for a static side (``now`` None), key -> row -> weight; zeros are dropped."""
    for k, row, w in keyed:
        w *= sign
        bucket = trace.get(k)
        if bucket is None:
            trace[k] = {row: w if now is None else {now: w}}
            continue
        holder, at = bucket, row  # (where the weight is: the bucket itself for a static side)
        if now is not None:
            holder, at = bucket.get(row), now
            if holder is None:
                bucket[row] = {now: w}
                continue
        n = holder.get(at, 0) + w
        if n:
            holder[at] = n
            continue
        del holder[at]
        if not holder and holder is not bucket:
            del bucket[row]
        if not bucket:
            del trace[k]


def _keyed(delta: dict, key) -> list:
    """(key, row, weight) for the rows whose key is not None (a NULL key never matches)."""
    out = []
    for row, w in delta.items():
        k = key(row)
        if k is not None:
            out.append((k, row, w))
    return out
