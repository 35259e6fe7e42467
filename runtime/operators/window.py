"""Window functions (OVER (PARTITION BY … ORDER BY … frame)): each input row extended with values
computed over its partition.

Non-linear in the partition, so incremental by recomputing only touched partitions:

    Δout = Σ_{p touched} window(I(in)_p) - window(I(in)_p - Δ_p)

State per partition: the integrated input as a sorted list (order key, row) with weights, and the
rows currently emitted.  A row of weight w is w rows in the ordering (ROW_NUMBER gives each its own
number).  ``functions`` compute, for the partition's rows in order, one value per row: see
runtime/windows.py.  The order key must be a total order (the compiler appends a tie-breaker);
``peer_fn`` gives the ORDER BY key alone, which decides ties for RANK and RANGE frames.
"""

from ..circuit import Operator
from .partitions import apply_sorted, replace_emitted, restore_emitted


class Window(Operator):
    state = ("parts", "emitted")

    def __init__(self, source: Operator, partition_fn, order_fn, peer_fn, functions, name: str = ""):
        super().__init__(source)
        self.partition_fn = partition_fn
        self.order_fn = order_fn
        self.peer_fn = peer_fn
        self.functions = list(functions)
        self.name = name
        self.parts: dict = {}  # partition -> [sorted list of (order key, row), {row: weight}]
        self.emitted: dict = {}  # partition -> {output row: weight}

    def eval(self, delta: dict) -> dict:
        # keys are computed before anything changes (a failing key function leaves no trace)
        keyed = [(self.partition_fn(row), self.order_fn(row), row, w) for row, w in delta.items()]
        touched = set()
        apply_sorted(self.parts, keyed, 1, touched)
        try:
            fresh = {p: self._compute(p) for p in touched}
        except BaseException:
            apply_sorted(self.parts, keyed, -1, set())
            raise
        out: dict = {}
        old_emitted = replace_emitted(self.emitted, fresh, out)
        self.journal.record(self._undo, (keyed, old_emitted))
        return {r: w for r, w in out.items() if w}

    def _undo(self, saved) -> None:
        keyed, old_emitted = saved
        apply_sorted(self.parts, keyed, -1, set())
        restore_emitted(self.emitted, old_emitted)

    def _compute(self, p) -> dict:
        """The output Z-set of one partition: each row (once per copy) with its window values."""
        part = self.parts.get(p)
        if part is None:
            return {}
        order, weights = part
        rows = []
        for _, row in order:
            rows.extend([row] * weights[row])
        peers = []  # peer group number of each position
        last = object()
        group = -1
        for row in rows:
            k = self.peer_fn(row)
            if k != last:
                group += 1
                last = k
            peers.append(group)
        columns = [f.compute(rows, peers) for f in self.functions]
        out: dict = {}
        for i, row in enumerate(rows):
            r = row + tuple(c[i] for c in columns)
            out[r] = out.get(r, 0) + 1
        return out

    def describe(self) -> str:
        return f"Window[{', '.join(type(f).__name__ for f in self.functions)}]"
