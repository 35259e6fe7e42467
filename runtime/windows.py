"""Window functions for the Window operator: each computes, from one partition's rows in order
(``rows``, a row repeated once per copy) and their peer-group numbers (``peers``: rows tied on the
ORDER BY share one), a list with one value per row.

Frames are (mode, start, end) with mode 'rows' or 'range' and each bound one of
('unbounded', None) / ('preceding', n) / ('current', None) / ('following', n) /
('unbounded_following', None); a RANGE frame's 'current' bound extends to the whole peer group.
A GROUPS frame (mode 'groups') counts its offsets in peer groups (peer-group numbers are consecutive
from 0 in a partition): n PRECEDING starts at the first row of the group n before the row's, n
FOLLOWING ends at the last row of the group n after it, CURRENT ROW is the row's whole group.
A ROWS bound ('preceding', f) / ('following', f) with a function f instead of a number takes each
row's offset from the row (DuckDB's ``ROWS BETWEEN p PRECEDING AND …`` over a column p): f(row) is
a non-negative integer, NULL and negative offsets are errors (DuckDB's); frames of successive rows
then need not slide forward.
A RANGE frame with offsets is (mode, start, end, key, desc) with bounds ('value', limit): ``key``
gives a row's ORDER BY value and ``limit`` the value its frame starts or ends at (key ∓ offset,
signed by the compiler for the direction ``desc``); the frame holds the rows whose key lies between
the two limits.  For a row whose key is NULL or NaN an offset bound stops at its peer group (no
offset reaches other rows from it, or it from them).
Aggregates over a frame slide it with the invertible aggregate functions of runtime/aggregates.py:
rows enter at the end and leave at the start, so a partition costs O(rows) whatever the frame.
A frame's EXCLUDE clause (``exclude``: 'current row', 'group', 'ties' or None) takes out of each row's
frame the row itself, its peer group, or its peer group but itself: an aggregate takes those rows out
of its state for the row and puts them back (O(size of the peer group) more per row).

``compute`` may be given a run of a partition's rows instead of all of them, with ``start`` the
position of the first (the Window operator does so for the functions ``reach`` describes): ROW_NUMBER
and RANK then count from ``start``, and the others read only rows inside the run.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort

from .aggregates import SKIP

DEFAULT_FRAME = ("range", ("unbounded", None), ("current", None))


class FrameOffsetError(ValueError):
    """A ROWS offset read from a row is NULL or negative (DuckDB's error)."""


def frame_bounds(frame, rows: list, peers: list) -> list:
    """[(first, last)] positions of each row's frame (first > last when it is empty)."""
    mode, start, end = frame[:3]
    n = len(rows)
    group_first, group_last = {}, {}
    for i, g in enumerate(peers):
        group_first.setdefault(g, i)
        group_last[g] = i
    if start[0] == "value" or end[0] == "value":
        return _value_bounds(frame, rows, peers, group_first, group_last)
    out = []
    for i in range(n):
        out.append((_bound(start, i, n, mode, peers, group_first, group_last, True, rows),
                    _bound(end, i, n, mode, peers, group_first, group_last, False, rows)))
    return out


def _value_bounds(frame, rows, peers, group_first, group_last) -> list:
    """Frames of RANGE offsets: binary searches over the ordinary keys (neither NULL nor NaN,
    contiguous in the sorted partition)."""
    _mode, start, end, key, desc = frame
    n = len(rows)
    keys = [key(r) for r in rows]
    ordinary = [i for i, k in enumerate(keys) if k is not None and k == k]
    lo_seg, hi_seg = (ordinary[0], ordinary[-1] + 1) if ordinary else (0, 0)

    def before(x, limit):  # x sorts strictly before the limit
        return x > limit if desc else x < limit

    def first_not_before(limit):
        lo, hi = lo_seg, hi_seg
        while lo < hi:
            mid = (lo + hi) // 2
            if before(keys[mid], limit):
                lo = mid + 1
            else:
                hi = mid
        return lo

    def first_after(limit):
        lo, hi = lo_seg, hi_seg
        while lo < hi:
            mid = (lo + hi) // 2
            if before(limit, keys[mid]):
                hi = mid
            else:
                lo = mid + 1
        return lo

    out = []
    for i in range(n):
        k = keys[i]
        row = rows[i]
        if k is None or k != k:  # offsets stop at the peer group; unbounded ends do not
            out.append((0 if start[0] == "unbounded" else group_first[peers[i]],
                        n - 1 if end[0] == "unbounded_following" else group_last[peers[i]]))
            continue
        if start[0] == "value":
            first = first_not_before(start[1](row))
        elif start[0] == "unbounded":
            first = 0
        else:  # current row: its peer group
            first = group_first[peers[i]]
        if end[0] == "value":
            last = first_after(end[1](row)) - 1
        elif end[0] == "unbounded_following":
            last = n - 1
        else:
            last = group_last[peers[i]]
        out.append((first, last))
    return out


def _bound(bound, i, n, mode, peers, group_first, group_last, is_start, rows) -> int:
    kind, k = bound
    if callable(k):  # an offset read from the row
        k = k(rows[i])
        if k is None or k < 0:
            raise FrameOffsetError(f"Window {mode.upper()} {kind.upper()} expression cannot be "
                                   f"{'NULL' if k is None else 'negative'}")
    if mode == "groups" and kind in ("preceding", "following"):  # k peer groups before / after the row's
        target = peers[i] - k if kind == "preceding" else peers[i] + k
        if target < 0:
            return 0 if is_start else -1
        if target > peers[-1]:
            return n if is_start else n - 1
        return group_first[target] if is_start else group_last[target]
    if kind == "unbounded":
        return 0
    if kind == "unbounded_following":
        return n - 1
    if kind == "current":
        if mode in ("range", "groups"):
            return group_first[peers[i]] if is_start else group_last[peers[i]]
        return i
    if kind == "preceding":
        return max(i - k, 0) if is_start else i - k
    if kind == "following":
        return i + k if is_start else min(i + k, n - 1)
    raise ValueError(f"unknown frame bound {bound!r}")


class RowNumber:
    def compute(self, rows, peers, start=0):
        return list(range(start + 1, start + len(rows) + 1))


class Rank:
    def compute(self, rows, peers, start=0):
        out, first = [], {}
        for i, g in enumerate(peers):
            first.setdefault(g, start + i + 1)
            out.append(first[g])
        return out


class DenseRank:
    def compute(self, rows, peers, start=0):
        return [g + 1 for g in peers]


class PercentRank:
    def compute(self, rows, peers, start=0):
        n = len(rows)
        ranks = Rank().compute(rows, peers)
        return [(r - 1) / (n - 1) if n > 1 else 0.0 for r in ranks]


class CumeDist:
    def compute(self, rows, peers, start=0):
        n = len(rows)
        last = {}
        for i, g in enumerate(peers):
            last[g] = i + 1
        return [last[g] / n for g in peers]


class Ntile:
    def __init__(self, buckets: int):
        if buckets <= 0:
            raise ValueError("NTILE needs a positive number of buckets")
        self.buckets = buckets

    def compute(self, rows, peers, start=0):
        n, k = len(rows), self.buckets
        size, extra = divmod(n, k)
        out = []
        for b in range(k):
            out.extend([b + 1] * (size + (1 if b < extra else 0)))
        return out[:n]


class Shift:
    """LAG (offset > 0 looks back) and LEAD (offset < 0 looks ahead), with a default value.  With
    ``ignore_nulls`` the offset counts only the other rows whose value is not NULL (the row itself
    when the offset is 0)."""

    def __init__(self, arg, offset: int, default=None, ignore_nulls: bool = False):
        self.arg = arg
        self.offset = offset
        self.default = default  # a row function, or None for NULL
        self.ignore_nulls = ignore_nulls

    def compute(self, rows, peers, start=0):
        if self.ignore_nulls:
            return self._compute_ignoring_nulls(rows)
        n = len(rows)
        out = []
        for i, row in enumerate(rows):
            j = i - self.offset
            if 0 <= j < n:
                out.append(self.arg(rows[j]))
            else:
                out.append(self.default(row) if self.default is not None else None)
        return out


    def _compute_ignoring_nulls(self, rows):
        values = [self.arg(r) for r in rows]
        present = [j for j, v in enumerate(values) if v is not None]  # ascending positions
        o = self.offset
        out = []
        for i, row in enumerate(rows):
            if o == 0:
                out.append(values[i])
                continue
            # LAG: the o-th present row before i; LEAD: the -o-th present row after i
            k = bisect_left(present, i) - o if o > 0 else bisect_right(present, i) - o - 1
            if 0 <= k < len(present):
                out.append(values[present[k]])
            else:
                out.append(self.default(row) if self.default is not None else None)
        return out


def excluded_rows(exclude, peers: list) -> list:
    """Per row, the positions its frame's EXCLUDE clause takes out (ascending)."""
    if exclude is None:
        return [()] * len(peers)
    groups: dict = {}
    for i, g in enumerate(peers):
        groups.setdefault(g, []).append(i)
    if exclude == "current row":
        return [(i,) for i in range(len(peers))]
    if exclude == "group":
        return [groups[g] for g in peers]
    return [tuple(j for j in groups[g] if j != i) for i, g in enumerate(peers)]  # ties


class FrameValue:
    """FIRST_VALUE / LAST_VALUE / NTH_VALUE(x, k) of each row's frame.  ``nth`` is k, or a function
    giving each row its k (NTH_VALUE(x, column)): a NULL or a k below 1 gives NULL, as DuckDB does."""

    def __init__(self, arg, which: str, frame=DEFAULT_FRAME, nth: int = 1, exclude=None,
                 ignore_nulls: bool = False):
        self.arg = arg
        self.which = which  # first, last, nth
        self.frame = frame
        self.nth = nth
        self.exclude = exclude
        self.ignore_nulls = ignore_nulls  # pick among the frame's rows whose value is not NULL

    def compute(self, rows, peers, start=0):
        if self.exclude is not None:
            return self._compute_excluding(rows, peers)
        if self.ignore_nulls:
            return self._compute_ignoring_nulls(rows, peers)
        out = []
        for i, (lo, hi) in enumerate(frame_bounds(self.frame, rows, peers)):
            if lo > hi:
                out.append(None)
            elif self.which == "first":
                out.append(self.arg(rows[lo]))
            elif self.which == "last":
                out.append(self.arg(rows[hi]))
            else:
                nth = self._nth(rows[i])
                j = lo + nth - 1
                out.append(self.arg(rows[j]) if nth >= 1 and j <= hi else None)
        return out

    def _nth(self, row) -> int:
        """The row's k (0, which picks nothing, for a NULL)."""
        if not callable(self.nth):
            return self.nth
        k = self.nth(row)
        return 0 if k is None else k


    def _compute_ignoring_nulls(self, rows, peers):
        values = [self.arg(r) for r in rows]
        present = [j for j, v in enumerate(values) if v is not None]  # ascending positions
        out = []
        for i, (lo, hi) in enumerate(frame_bounds(self.frame, rows, peers)):
            a, b = bisect_left(present, lo), bisect_right(present, hi)  # present[a:b] lie in the frame
            nth = self._nth(rows[i]) if self.which == "nth" else 1
            k = {"first": a, "last": b - 1}.get(self.which, a + nth - 1)
            out.append(values[present[k]] if lo <= hi and a <= k < b and nth >= 1 else None)
        return out

    def _compute_excluding(self, rows, peers):
        out = []
        bounds = frame_bounds(self.frame, rows, peers)
        for i, ((lo, hi), gone) in enumerate(zip(bounds, excluded_rows(self.exclude, peers))):
            kept = [j for j in range(lo, hi + 1) if j not in gone] if gone else range(lo, hi + 1)
            if self.ignore_nulls:
                kept = [j for j in kept if self.arg(rows[j]) is not None]
            k = {"first": 0, "last": len(kept) - 1}.get(self.which, self._nth(rows[i]) - 1)
            out.append(self.arg(rows[kept[k]]) if 0 <= k < len(kept) else None)
        return out


class FramedRank:
    """RANK(ORDER BY k) / PERCENT_RANK(ORDER BY k) OVER (… ORDER BY o frame): each row's rank by k
    among the rows of its frame (which holds the row itself: the compiler checks): 1 + how many sort
    strictly before it; PERCENT_RANK (rank - 1) / (frame size - 1), 0.0 for a frame of one row.  The
    frame's keys are kept sorted as it slides (rebuilt when it slides back)."""

    def __init__(self, key, frame=DEFAULT_FRAME, percent: bool = False):
        self.key = key  # row -> k's sort key (comparable; ties compare equal)
        self.frame = frame
        self.percent = percent

    def compute(self, rows, peers, start=0):
        keys = [self.key(r) for r in rows]
        window: list = []  # the keys of rows lo_in .. hi_in, sorted
        lo_in, hi_in = 0, -1
        out = []
        for i, (lo, hi) in enumerate(frame_bounds(self.frame, rows, peers)):
            if lo > hi_in or hi < lo_in or lo < lo_in or hi < hi_in:
                window, lo_in, hi_in = [], lo, lo - 1
            while hi_in < hi:
                hi_in += 1
                insort(window, keys[hi_in])
            while lo_in < lo:
                del window[bisect_left(window, keys[lo_in])]
                lo_in += 1
            rank = bisect_left(window, keys[i]) + 1
            if self.percent:
                out.append((rank - 1) / (len(window) - 1) if len(window) > 1 else 0.0)
            else:
                out.append(rank)
        return out


class FrameAggregate:
    """An aggregate function (COUNT, SUM, AVG, MIN, …) over each row's frame, slid incrementally."""

    def __init__(self, function, arg, frame=DEFAULT_FRAME, exclude=None):
        self.function = function
        self.arg = arg
        self.frame = frame
        self.exclude = exclude

    def compute(self, rows, peers, start=0):
        f, arg = self.function, self.arg
        values = [arg(r) for r in rows]
        state = f.new()
        lo_in, hi_in = 0, -1  # rows lo_in..hi_in are in the state
        out = []
        for (lo, hi), gone in zip(frame_bounds(self.frame, rows, peers), excluded_rows(self.exclude, peers)):
            if lo > hi:
                out.append(f.result(f.new()))
                continue
            if lo > hi_in or hi < lo_in or lo < lo_in or hi < hi_in:  # no overlap, or it slid back: afresh
                state, lo_in, hi_in = f.new(), lo, lo - 1
            while hi_in < hi:
                hi_in += 1
                if values[hi_in] is not SKIP:
                    f.update(state, values[hi_in], 1)
            while lo_in < lo:
                if values[lo_in] is not SKIP:
                    f.update(state, values[lo_in], -1)
                lo_in += 1
            gone = [j for j in gone if lo <= j <= hi and values[j] is not SKIP]
            for j in gone:
                f.update(state, values[j], -1)
            out.append(f.result(state))
            for j in gone:
                f.update(state, values[j], 1)
        return out


class Fill:
    """FILL(x [ORDER BY k]): a partition's NULL values of x interpolated along k.  ``key`` gives a row's
    k, ``sort_key`` its place in k's order (ties kept in the partition's order); ``fill`` computes the
    values from the values and keys in that order (the SQL value library's fill_partition)."""

    def __init__(self, arg, key, sort_key, fill):
        self.arg = arg
        self.key = key
        self.sort_key = sort_key
        self.fill = fill

    def compute(self, rows, peers, start=0):
        order = sorted(range(len(rows)), key=lambda i: self.sort_key(rows[i]))
        filled = self.fill([self.arg(rows[i]) for i in order], [self.key(rows[i]) for i in order])
        out = [None] * len(rows)
        for i, v in zip(order, filled):
            out[i] = v
        return out


INF = float("inf")


def reach(functions):
    """What a change at position i of a partition can alter, for functions that depend only on rows
    near it: (before, after, context_before, context_after, group_start) -- the values of rows
    i - before .. i + after change, computing them reads rows context_before earlier and
    context_after later, and group_start says a run must begin at a peer group's first row (RANK).
    None when some function depends on the whole partition (its size, DENSE_RANK's count of groups,
    RANGE frames and unbounded frames): then the Window recomputes touched partitions whole."""
    before = after = ctx_before = ctx_after = 0
    group_start = False
    for f in functions:
        if isinstance(f, RowNumber) or isinstance(f, Rank):
            after = INF
            group_start = group_start or isinstance(f, Rank)
        elif isinstance(f, Shift) and f.ignore_nulls:
            return None  # the rows skipped over are any number of NULLs
        elif isinstance(f, Shift):
            o = f.offset
            if o >= 0:  # LAG: rows i .. i + o read row i
                after, ctx_before = max(after, o), max(ctx_before, o)
            else:  # LEAD
                before, ctx_after = max(before, -o), max(ctx_after, -o)
        elif isinstance(f, (FrameValue, FrameAggregate)):
            frame = f.frame
            if frame[0] != "rows" or len(frame) > 3 or f.exclude is not None:
                return None
            offsets = [{"preceding": -1, "current": 0, "following": 1}.get(b[0]) for b in frame[1:3]]
            if None in offsets or any(callable(b[1]) for b in frame[1:3]):  # (an offset read from the row)
                return None
            s, e = (sign * (b[1] or 0) for sign, b in zip(offsets, frame[1:3]))
            before, after = max(before, e, 0), max(after, -s, 0)
            ctx_before, ctx_after = max(ctx_before, -s, 0), max(ctx_after, e, 0)
        else:
            return None
    return before, after, ctx_before, ctx_after, group_start
