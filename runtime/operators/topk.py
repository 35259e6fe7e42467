"""Per-partition top-k (ORDER BY … LIMIT k OFFSET m, optionally PARTITION BY), and the prefixes that
rank filters keep (compiler/passes/rank_topk.py): with ``ties="rank"`` the first k rows and every
row tied with the k-th on the peer key (the rows whose RANK() is at most k), with ``ties="dense"``
the rows of the first k peer groups (DENSE_RANK() at most k).

State per partition (runtime/operators/partitions.py): the integrated input as a sorted list by the
order key and the rows currently emitted.  A touched partition recomputes its window
by walking the first offset + k rows (and their ties), and emits the difference from the previous
window:
    Δout = Σ_{p touched} window(I(in)_p) - window(I(in)_p - Δ_p).
With a second input ``bounds`` (LIMIT and OFFSET computed by a query: ``LIMIT (SELECT …)``), k and m
are read from its one row (limit, offset): a NULL limit is none, a NULL offset 0, no row both; a
change of that row recomputes every partition.
With a percentage instead of k (LIMIT p PERCENT) k is floor(p / 100 * n), n the partition's row count
(DuckDB's rule: the count of all rows, the offset taken after), recomputed with the window.
The order key must be a total order (the compiler appends a tie-breaker over the whole row); the
peer key is the ORDER BY alone, compared with ``!=`` as the Window operator does.
"""

from ..circuit import Operator
from ..zset import add_into
from .partitions import apply_sorted, expire_partitions, new_partitions, replace_emitted, restore_emitted


class LimitError(ValueError):
    """LIMIT / OFFSET computed by a query came out negative, or the query gave more than one row."""


class TopK(Operator):
    state = ("parts", "windows", "bounds")
    expiry = None  # an Expiry over partition keys, or None (see partitions.py)

    def __init__(self, source: Operator, partition_fn, order_fn, limit, offset: int = 0, name: str = "",
                 peer_fn=None, ties: str = "", percent: float | None = None, bounds: Operator | None = None):
        super().__init__(*((source,) if bounds is None else (source, bounds)))
        self.bounds: dict = {}  # the bounds input's rows (integrated): {(limit, offset): weight}
        self.peer_fn = peer_fn
        self.ties = ties  # "", "rank" or "dense" (then offset is 0)
        self.partition_fn = partition_fn
        self.order_fn = order_fn
        self.limit = limit  # None = no limit (OFFSET only)
        self.offset = offset
        self.percent = percent  # LIMIT p PERCENT: the limit is floor(p / 100 * the partition's rows)
        self.name = name
        self.parts: dict = {}  # partition -> [sorted list of (order key, row), {row: weight}]
        self.windows: dict = {}  # partition -> {row: weight} currently emitted

    def eval(self, delta: dict, bounds_delta: dict | None = None) -> dict:
        # user code (partition and order keys) runs before anything changes
        keyed = [(self.partition_fn(row), self.order_fn(row), row, w) for row, w in delta.items()]
        old_bounds = self.bounds
        if bounds_delta:
            self._set_bounds(bounds_delta)
        touched = set()
        created = new_partitions(self.parts, keyed) if self.expiry is not None else ()
        apply_sorted(self.parts, keyed, 1, touched)
        if self.bounds is not old_bounds:
            touched.update(self.parts)  # new limits: every partition's window
        out: dict = {}
        try:
            old_windows = replace_emitted(self.windows, {p: self._window(p) for p in touched}, out)
        except BaseException:
            apply_sorted(self.parts, keyed, -1, set())
            self.bounds = old_bounds
            raise
        self.journal.record(self._undo, (keyed, old_windows, old_bounds))
        if self.expiry is not None:
            expire_partitions(self, created, self.windows)
        return {r: w for r, w in out.items() if w}

    def _window(self, p) -> dict:
        part = self.parts.get(p)
        if part is None:
            return {}
        order, weights = part
        if self.ties:
            return self._ranked(order, weights)
        skip = self.offset
        room = self.limit if self.limit is not None else float("inf")
        if len(self.inputs) > 1:
            limit, skip = self._computed_bounds()
            room = limit if limit is not None else float("inf")
        if self.percent is not None:
            count = sum(w for w in weights.values() if w > 0)
            room = min(int(self.percent / 100 * count), count)
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

    def _ranked(self, order, weights) -> dict:
        """The rows whose RANK() (ties="rank") or DENSE_RANK() (ties="dense") is at most limit."""
        peer, dense, limit = self.peer_fn, self.ties == "dense", self.limit
        out = {}
        taken = groups = 0
        last = _NONE
        for _, row in order:
            k = peer(row)
            new_group = last is _NONE or k != last
            if new_group:
                if (groups if dense else taken) >= limit:
                    break
                groups += 1
                last = k
            w = weights[row]
            out[row] = w
            taken += w
        return out

    def import_state(self, saved) -> None:
        self.parts, self.windows = saved["parts"], saved["windows"]
        self.bounds = saved.get("bounds", {})  # (a checkpoint from before computed bounds has none)

    def after_import(self) -> None:
        if self.expiry is not None:
            self.expiry.rebuild(self.parts)

    def _set_bounds(self, delta: dict) -> None:
        # replaced, never changed in place: the journal keeps the old one
        self.bounds = add_into(dict(self.bounds), delta)

    def _computed_bounds(self) -> tuple:
        """(limit or None, offset) from the bounds input's row."""
        rows = [row for row, w in self.bounds.items() if w > 0]
        if not rows:
            return None, 0
        if len(rows) > 1 or self.bounds[rows[0]] > 1:
            raise LimitError("more than one row returned by a subquery used as LIMIT or OFFSET")
        limit, offset = rows[0]
        for what, v in (("LIMIT", limit), ("OFFSET", offset)):
            if v is not None and v < 0:
                raise LimitError(f"{what} cannot be negative ({v})")
        return limit, offset or 0

    def _undo(self, saved) -> None:
        keyed, old_windows, old_bounds = saved
        apply_sorted(self.parts, keyed, -1, set())
        restore_emitted(self.windows, old_windows)
        self.bounds = old_bounds

    def describe(self) -> str:
        drops = f", drops {self.expiry.text}" if self.expiry is not None else ""
        limit = f"{self.percent}%" if self.percent is not None else self.limit
        return f"TopK[limit={limit}, offset={self.offset}{', ties=' + self.ties if self.ties else ''}{drops}]"


_NONE = object()
