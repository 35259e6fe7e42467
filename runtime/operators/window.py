"""Window functions (OVER (PARTITION BY … ORDER BY … frame)): each input row extended with values
computed over its partition.

Non-linear in the partition, so incremental by recomputing only what a change can alter:

    Δout = Σ_{p touched} window(I(in)_p) - window(I(in)_p - Δ_p)

State per partition: the integrated input as a sorted list (order key, row) with weights
(runtime/ordered.py), and the values emitted for each input row (one tuple of window values per
copy, in order).  A row of weight w is w rows in the ordering (ROW_NUMBER gives each its own
number).  ``functions`` compute, for a run of the partition's rows in order, one value per row: see
runtime/windows.py.  When every function depends only on rows near a change (``windows.reach``:
ROW_NUMBER, RANK, LAG/LEAD, ROWS frames with offsets) and the partition's rows each have weight 1,
only the rows from the first change minus the reach to the last change plus the reach are computed
again (for ROW_NUMBER and RANK that is every later row: their values do change), reading the few
rows of context around them; otherwise the touched partition is computed whole.  Either way the
output is the difference between each recomputed row's old and new values.  The order key must be
a total order (the compiler appends a tie-breaker); ``peer_fn`` gives the ORDER BY key alone, which
decides ties for RANK and RANGE frames.
"""

from ..circuit import Operator
from ..windows import INF, reach
from .partitions import apply_sorted, expire_partitions, new_partitions

FAST_CHANGES = 64  # more changed rows than this in one partition: compute it whole


class Window(Operator):
    state = ("parts", "emitted", "heavy")
    expiry = None  # an Expiry over partition keys, or None (see partitions.py)

    def __init__(self, source: Operator, partition_fn, order_fn, peer_fn, functions, name: str = ""):
        super().__init__(source)
        self.partition_fn = partition_fn
        self.order_fn = order_fn
        self.peer_fn = peer_fn
        self.functions = list(functions)
        self.name = name
        self.parts: dict = {}  # partition -> [SortedList of (order key, row), {row: weight}]
        self.emitted: dict = {}  # partition -> {input row: (values of copy 1, values of copy 2, …)}
        self.heavy: dict = {}  # partition -> how many of its rows have weight > 1 (none: positions count rows)
        self.reach = reach(self.functions)

    def eval(self, delta: dict) -> dict:
        # keys are computed before anything changes (a failing key function leaves no trace)
        keyed = [(self.partition_fn(row), self.order_fn(row), row, w) for row, w in delta.items()]
        touched = set()
        created = new_partitions(self.parts, keyed) if self.expiry is not None else ()
        apply_sorted(self.parts, keyed, 1, touched)
        self._count_heavy(keyed, 1)
        changed: dict = {}
        for p, key, row, _ in keyed:
            changed.setdefault(p, []).append((key, row))
        try:
            fresh = {p: self._compute(p, changed[p]) for p in touched}
        except BaseException:
            apply_sorted(self.parts, keyed, -1, set())
            self._count_heavy(keyed, -1)
            raise
        out: dict = {}
        saved = self._replace(fresh, out)
        self.journal.record(self._undo, (keyed, saved))
        if self.expiry is not None:
            expire_partitions(self, created, self.emitted, self.heavy)
        return {r: w for r, w in out.items() if w}

    def after_import(self) -> None:
        if self.expiry is not None:
            self.expiry.rebuild(self.parts)

    def _count_heavy(self, keyed, sign: int) -> None:
        """Follow how many rows of each partition have weight > 1, after applying sign × keyed."""
        heavy, parts = self.heavy, self.parts
        for p, _, row, w in keyed:
            part = parts.get(p)
            now = part[1].get(row, 0) if part is not None else 0
            d = (now > 1) - (now - sign * w > 1)
            if d:
                n = heavy.get(p, 0) + d
                if n:
                    heavy[p] = n
                else:
                    del heavy[p]

    def _compute(self, p, changed) -> dict:
        """{input row: its values after the change} for every row whose values may have changed
        (() for a row no longer there)."""
        part = self.parts.get(p)
        old = self.emitted.get(p, {})
        if part is None:
            return dict.fromkeys(old, ())
        order, weights = part
        if self.reach is None or p in self.heavy or len(changed) > FAST_CHANGES:
            fresh = self._whole(order, weights)
            for row in old:
                fresh.setdefault(row, ())
            return fresh
        before, after, ctx_before, ctx_after, group_start = self.reach
        n = len(order)
        positions = [order.position(item) for item in changed]
        lo = max(min(positions) - before - 1, 0)
        hi = n - 1 if after == INF else min(max(positions) + after + 1, n - 1)
        if group_start:  # RANK counts from its peer group's first row
            peer = self.peer_fn
            while 0 < lo < n and not peer(order.at(lo - 1)[1]) != peer(order.at(lo)[1]):
                lo -= 1
        first = max(lo - ctx_before, 0)
        run = [row for _, row in order.slice(first, hi + ctx_after + 1)]
        columns = [f.compute(run, self._peers(run), first) for f in self.functions]
        fresh = {}
        for i in range(lo - first, min(hi - first + 1, len(run))):
            fresh[run[i]] = (tuple(c[i] for c in columns),)
        for _, row in changed:
            if row not in weights:
                fresh[row] = ()
        return fresh

    def _whole(self, order, weights) -> dict:
        rows = []
        for _, row in order:
            rows.extend([row] * weights[row])
        columns = [f.compute(rows, self._peers(rows)) for f in self.functions]
        fresh: dict = {}
        for i, row in enumerate(rows):
            fresh.setdefault(row, []).append(tuple(c[i] for c in columns))
        return {row: tuple(v) for row, v in fresh.items()}

    def _peers(self, rows) -> list:
        """The peer group number of each position of a run (rows tied on the ORDER BY share one)."""
        peers = []
        last = object()
        group = -1
        peer = self.peer_fn
        for row in rows:
            k = peer(row)
            if k != last:
                group += 1
                last = k
            peers.append(group)
        return peers

    def _replace(self, fresh: dict, out: dict) -> dict:
        """Make ``fresh`` the emitted values of its rows, adding the difference to ``out``; returns
        what was replaced, for ``_undo``."""
        saved = {}
        for p, new in fresh.items():
            em = self.emitted.get(p)
            if em is None:
                em = self.emitted[p] = {}
            was = saved[p] = {}
            for row, values in new.items():
                prev = em.get(row, ())
                was[row] = prev
                if prev == values:
                    continue
                for v in prev:
                    r = row + v
                    out[r] = out.get(r, 0) - 1
                for v in values:
                    r = row + v
                    out[r] = out.get(r, 0) + 1
                if values:
                    em[row] = values
                else:
                    del em[row]
            if not em:
                del self.emitted[p]
        return saved

    def _undo(self, saved) -> None:
        keyed, replaced = saved
        apply_sorted(self.parts, keyed, -1, set())
        self._count_heavy(keyed, -1)
        for p, was in replaced.items():
            em = self.emitted.setdefault(p, {})
            for row, values in was.items():
                if values:
                    em[row] = values
                else:
                    em.pop(row, None)
            if not em:
                del self.emitted[p]

    def describe(self) -> str:
        drops = f", drops {self.expiry.text}" if self.expiry is not None else ""
        return f"Window[{', '.join(type(f).__name__ for f in self.functions)}{drops}]"
