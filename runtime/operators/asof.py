"""ASOF join: each left row paired with the one right row of equal keys whose time is nearest on
the allowed side of the left row's time (DuckDB's ASOF JOIN), or NULL-padded (ASOF LEFT JOIN).

For ``l.t >= r.t`` the partner is the right row with the greatest r.t ≤ l.t (``>``: < l.t;
``<=``: the least r.t ≥ l.t; ``<``: > l.t).  A left row of weight w yields w output rows, whatever
the partner's multiplicity; among right rows tied on the best time the least row (by ``rank``)
is the partner — DuckDB leaves that choice open.  NULL keys (unless null-safe) and NULL times
never match.

Incremental form.  The output of key k is F(L_k, R_k), linear in L_k for a fixed R_k, so

    Δout_k = F(ΔL_k, R_k)                                  if R_k did not change,
    Δout_k = F(L_k + ΔL_k, R_k + ΔR_k) - F(L_k, R_k)       otherwise (recompute the key).

State: the integrated left rows per key ({row: weight}) and the integrated right rows per key as
a list sorted by (time, rank) with weights.  Both are undone through the journal on failure.

With watermark-driven bounds on the times (``bounds``: (left time bound, right time bound), for
``>=`` and ``>``; the compiler gives them where it can prove them): no later right row has a time
below the right bound, so a left row whose time is below it can never change partner — it is
dropped (its output stays); and every left row kept or to come has a time at or above the least of
both bounds m, so of the right rows below m only those at the greatest time below m can still be a
partner — the others are dropped, key by key.
"""

from __future__ import annotations

import heapq

from bisect import bisect_left, bisect_right

from ..circuit import Operator


class AsofJoin(Operator):
    state = ("lefts", "rights", "unmatched")
    bounds = None  # (() -> left time bound, () -> right time bound), or None

    def __init__(self, left: Operator, right: Operator, left_key, right_key, left_time, right_time, rank,
                 op: str, outer: bool, combine, pad):
        super().__init__(left, right)
        self.left_key, self.right_key = left_key, right_key  # row -> key tuple, or None (never matches)
        self.left_time, self.right_time = left_time, right_time  # row -> time value or None
        self.rank = rank  # row -> a total order on right rows, to break ties on time
        self.op = op  # ">=", ">", "<=", "<": l.t OP r.t
        self.outer = outer  # ASOF LEFT JOIN
        self.combine = combine  # (left row, right row) -> output row
        self.pad = pad  # left row -> output row with NULLs for the right side
        self.lefts: dict = {}  # key -> {left row: weight}
        self.rights: dict = {}  # key -> [times (sorted), entries (time, rank, row) sorted, {row: weight}]
        self.unmatched: dict = {}  # left rows that can never match (NULL key or time): {row: weight}

    # -- matching -----------------------------------------------------------------------------
    def _partner(self, side, t):
        """The right row paired with left time t in one key's sorted right rows, or None."""
        times, entries, _ = side
        op = self.op
        if op == ">=" or op == ">":
            i = bisect_right(times, t) if op == ">=" else bisect_left(times, t)
            if i == 0:
                return None
            return entries[bisect_left(times, times[i - 1])][2]
        i = bisect_left(times, t) if op == "<=" else bisect_right(times, t)
        return entries[i][2] if i < len(times) else None

    def _emit(self, key, lefts: dict, out: dict, sign: int) -> None:
        side = self.rights.get(key)
        lt, combine, pad, outer = self.left_time, self.combine, self.pad, self.outer
        for row, w in lefts.items():
            t = lt(row)
            partner = self._partner(side, t) if side is not None and t is not None else None
            if partner is not None:
                r = combine(row, partner)
            elif outer:
                r = pad(row)
            else:
                continue
            n = out.get(r, 0) + sign * w
            if n:
                out[r] = n
            else:
                del out[r]

    # -- state ----------------------------------------------------------------------------------
    def _apply_left(self, keyed, sign: int) -> None:
        for key, row, w in keyed:
            group = self.lefts.get(key) if key is not None else self.unmatched
            if group is None:
                group = self.lefts[key] = {}
            n = group.get(row, 0) + sign * w
            if n:
                group[row] = n
            else:
                del group[row]
                if not group and key is not None:
                    del self.lefts[key]

    def _apply_right(self, keyed, sign: int) -> None:
        for key, t, rank, row, w in keyed:
            side = self.rights.get(key)
            if side is None:
                side = self.rights[key] = [[], [], {}]
            times, entries, weights = side
            old = weights.get(row, 0)
            n = old + sign * w
            if old and not n:
                i = bisect_left(entries, (t, rank))
                while entries[i][2] != row:
                    i += 1
                del entries[i]
                del times[i]
                del weights[row]
                if not weights:
                    del self.rights[key]
            elif n and not old:
                i = bisect_left(entries, (t, rank))
                entries.insert(i, (t, rank, row))
                times.insert(i, t)
                weights[row] = n
            else:
                weights[row] = n

    # -- evaluation -----------------------------------------------------------------------------
    def eval(self, dl: dict, dr: dict) -> dict:
        lk, lt = self.left_key, self.left_time
        left_keyed = []
        for row, w in dl.items():
            key = lk(row)
            left_keyed.append((key if key is not None and lt(row) is not None else None, row, w))
        right_keyed = []
        rk, rt, rank = self.right_key, self.right_time, self.rank
        for row, w in dr.items():
            key, t = rk(row), rt(row)
            if key is not None and t is not None:  # such a row can never be a partner
                right_keyed.append((key, t, rank(row), row, w))
        changed = {k for k, *_ in right_keyed}
        out: dict = {}
        # keys whose right side changes: retract their old output
        for key in changed:
            lefts = self.lefts.get(key)
            if lefts:
                self._emit(key, lefts, out, -1)
        self._apply_right(right_keyed, 1)
        try:
            self._apply_left(left_keyed, 1)
            try:
                for key in changed:
                    lefts = self.lefts.get(key)
                    if lefts:
                        self._emit(key, lefts, out, 1)
                fresh: dict = {}
                for key, row, w in left_keyed:
                    if key is None:
                        if self.outer:
                            r = self.pad(row)
                            out[r] = out.get(r, 0) + w
                    elif key not in changed:
                        fresh.setdefault(key, {})
                        fresh[key][row] = fresh[key].get(row, 0) + w
                for key, rows in fresh.items():
                    self._emit(key, rows, out, 1)
            except BaseException:
                self._apply_left(left_keyed, -1)
                raise
        except BaseException:
            self._apply_right(right_keyed, -1)
            raise
        self.journal.record(self._undo, (left_keyed, right_keyed))
        if self.bounds is not None:
            self._expire(left_keyed, right_keyed)
        return {r: w for r, w in out.items() if w}

    # -- expiry -----------------------------------------------------------------------------------
    def _note(self, left_keyed, right_keyed) -> None:
        lt = self.left_time
        for key, row, w in left_keyed:
            if key is not None and w > 0:
                self._n += 1
                heapq.heappush(self._left_heap, (lt(row), self._n, key, row))
        for key, t, _, _, w in right_keyed:
            if w > 0:
                self._n += 1
                heapq.heappush(self._right_heap, (t, self._n, key))

    def _expire(self, left_keyed, right_keyed) -> None:
        if not hasattr(self, "_left_heap"):
            self._left_heap, self._right_heap, self._n = [], [], 0
        self._note(left_keyed, right_keyed)
        lb, rb = (b() for b in self.bounds)
        popped, dropped_left, dropped_right = [], [], []
        if rb is not None:
            heap = self._left_heap
            while heap and heap[0][0] < rb:
                item = heapq.heappop(heap)
                popped.append((heap, item))
                _, _, key, row = item
                rows = self.lefts.get(key)
                if rows is not None and row in rows:
                    dropped_left.append((key, row, rows.pop(row)))
                    if not rows:
                        del self.lefts[key]
        m = None if lb is None or rb is None else min(lb, rb)
        if m is not None:
            heap = self._right_heap
            while heap and heap[0][0] < m:
                item = heapq.heappop(heap)
                popped.append((heap, item))
                side = self.rights.get(item[2])
                if side is None:
                    continue
                times, entries, weights = side
                i = bisect_left(times, m)
                if i < 2:
                    continue
                j = bisect_left(times, times[i - 1])  # keep the rows at the greatest time below m
                if j:
                    gone = entries[:j]
                    dropped_right.append((item[2], gone, {e[2]: weights.pop(e[2]) for e in gone}))
                    del times[:j], entries[:j]
        if popped:
            self.journal.record(self._unexpire, (popped, dropped_left, dropped_right))

    def _unexpire(self, saved) -> None:
        popped, dropped_left, dropped_right = saved
        for heap, item in popped:
            heapq.heappush(heap, item)
        for key, row, w in dropped_left:
            self.lefts.setdefault(key, {})[row] = w
        for key, gone, weights in reversed(dropped_right):
            side = self.rights.setdefault(key, [[], [], {}])
            side[1][:0] = gone
            side[0][:0] = [e[0] for e in gone]
            side[2].update(weights)

    def after_import(self) -> None:
        if self.bounds is not None:
            self._left_heap, self._right_heap, self._n = [], [], 0
            self._note([(k, row, w) for k, rows in self.lefts.items() for row, w in rows.items()],
                       [(k, t, None, None, 1) for k, side in self.rights.items() for t in side[0]])

    def _undo(self, saved) -> None:
        left_keyed, right_keyed = saved
        self._apply_left(left_keyed, -1)
        self._apply_right(right_keyed, -1)

    def integral(self) -> dict:
        """The current output (for a view created later that reads this operator)."""
        out: dict = {}
        for key, lefts in self.lefts.items():
            self._emit(key, lefts, out, 1)
        if self.outer:
            for row, w in self.unmatched.items():
                r = self.pad(row)
                out[r] = out.get(r, 0) + w
        return out

    def describe(self) -> str:
        drops = ", drops rows behind the watermarks" if self.bounds is not None else ""
        return f"AsofJoin[{'left ' if self.outer else ''}l.t {self.op} r.t{drops}]"
