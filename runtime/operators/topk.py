"""Per-partition top-k (ORDER BY … LIMIT k OFFSET m, optionally PARTITION BY).

State per partition: the integrated input as a list sorted by the order key (bisect keeps it sorted
in O(log n) comparisons) and the rows currently emitted.  A touched partition recomputes its window
by walking the first offset + k rows, and emits the difference from the previous window:
    Δout = Σ_{p touched} window(I(in)_p) - window(I(in)_p - Δ_p).
The order key must be a total order (the compiler appends a tie-breaker over the whole row).
"""

from bisect import bisect_left

from ..circuit import Operator


class TopK(Operator):
    def __init__(self, source: Operator, partition_fn, order_fn, limit, offset: int = 0, name: str = ""):
        super().__init__(source)
        self.partition_fn = partition_fn
        self.order_fn = order_fn
        self.limit = limit  # None = no limit (OFFSET only)
        self.offset = offset
        self.name = name
        self.parts: dict = {}  # partition -> [sorted list of (order key, row), {row: weight}]
        self.windows: dict = {}  # partition -> {row: weight} currently emitted

    def eval(self, delta: dict) -> dict:
        touched = set()
        self._apply(delta, 1, touched)
        out = {}
        old_windows = {}
        for p in touched:
            old = self.windows.get(p, {})
            old_windows[p] = old
            new = self._window(p)
            if new:
                self.windows[p] = new
            else:
                self.windows.pop(p, None)
            for row, w in old.items():
                d = new.get(row, 0) - w
                if d:
                    out[row] = d
            for row, w in new.items():
                if row not in old:
                    out[row] = w
        self.journal.record(self._undo, (delta, old_windows))
        return out

    def _apply(self, delta: dict, sign: int, touched: set) -> None:
        parts, pfn, ofn = self.parts, self.partition_fn, self.order_fn
        # user code (partition and order keys) runs before anything changes
        keyed = [(pfn(row), ofn(row), row, w) for row, w in delta.items()]
        for p, key, row, w in keyed:
            touched.add(p)
            part = parts.get(p)
            if part is None:
                part = parts[p] = [[], {}]
            order, weights = part
            old = weights.get(row, 0)
            new = old + sign * w
            if old and not new:
                item = (key, row)
                del order[bisect_left(order, item)]
                del weights[row]
            elif new and not old:
                item = (key, row)
                order.insert(bisect_left(order, item), item)
                weights[row] = new
            else:
                weights[row] = new
            if not weights:
                del parts[p]

    def _window(self, p) -> dict:
        part = self.parts.get(p)
        if part is None:
            return {}
        order, weights = part
        skip = self.offset
        room = self.limit if self.limit is not None else float("inf")
        out = {}
        for _, row in order:
            if room <= 0:
                break
            w = weights[row]
            if w <= 0:
                continue
            if skip >= w:
                skip -= w
                continue
            take = min(w - skip, room)
            skip = 0
            out[row] = take
            room -= take
        return out

    def _undo(self, saved) -> None:
        delta, old_windows = saved
        self._apply(delta, -1, set())
        for p, old in old_windows.items():
            if old:
                self.windows[p] = old
            else:
                self.windows.pop(p, None)

    def describe(self) -> str:
        return f"TopK[limit={self.limit}, offset={self.offset}]"
