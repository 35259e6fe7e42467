"""Watermark: the watermarks of a table's columns declared with a lateness, carried by the stream.

For each such column c with lateness L, after step t

    W_c(t) = max(W_c(t-1), max{ row[c] : row changed in step t, row[c] not NULL } - L)

so a watermark only moves forward, and every change a later step may bring has ``row[c] >= W_c``:
the pipeline drops (and counts) the changes that do not, before they are queued.  Operators that
keep state read the watermarks (through bounds the compiler derives from them: see
compiler/waterlines.py) to discard what no later change can reach.  The operator passes its input
through unchanged; it sits between the table's Input and every reader, so in the circuit's order
the watermarks have moved before any reader runs.

On a sharded pipeline each worker's Watermark sees only its shard's rows: the coordinator computes
the watermarks over the whole step (``advanced``) and hands them to every worker in ``given`` before
the step, so that every worker's operators drop by the same watermarks one pipeline would have.

State: the watermarks, the number of late changes dropped so far (the engine hands each step's
count over in ``dropping`` before the step, as it hands an Input its rows), and how many of the
table's rows the engine has discarded behind them (engine/tables.py), so that a checkpoint of the
circuit carries everything a table's watermarks decided.
"""

from __future__ import annotations

from ..circuit import Operator


class Watermark(Operator):
    idle_noop = False  # a step whose every change was late still counts them
    state = ("values", "late", "discarded")

    def __init__(self, source: Operator, columns: tuple, lateness: tuple, names: tuple = (), name: str = ""):
        super().__init__(source)
        self.columns = tuple(columns)  # column indices
        self.lateness = tuple(lateness)  # subtracted from the greatest value seen (timedelta or number)
        self.names = tuple(names)
        self.name = name
        self.values: list = [None] * len(self.columns)  # current watermark of each column (None: none yet)
        self.late = 0
        self.discarded = 0  # rows of the table discarded behind the watermarks (counted by the engine)
        self.dropping = 0  # late changes the coming step dropped (transient)
        self.given = None  # the watermarks the coming step sets, computed by a sharded pipeline's coordinator

    def eval(self, delta: dict) -> dict:
        dropping, self.dropping = self.dropping, 0
        given, self.given = self.given, None
        if not delta and not dropping and given is None:
            return delta
        values = self.values
        new = advanced(values, self.columns, self.lateness, delta)
        if given is not None:
            new = [g if g is not None and (n is None or g > n) else n for n, g in zip(new, given)]
        if new != values or dropping:
            self.journal.record(self._restore, (values, self.late))
            self.values = new
            self.late += dropping
        return delta

    def _restore(self, saved) -> None:
        self.values, self.late = saved

    def current(self, i: int):
        """The watermark of the i-th declared column (None before any row)."""
        return self.values[i]

    def describe(self) -> str:
        cols = ", ".join(f"{n} - {l}" for n, l in zip(self.names, self.lateness))
        return f"Watermark[{cols}]" if cols else "Watermark"


def advanced(values, columns, lateness, delta: dict) -> list:
    """The watermarks ``values`` after a step whose changes are ``delta``: each column's greatest
    value there minus its lateness, where that is higher."""
    new = list(values)
    for i, (c, late) in enumerate(zip(columns, lateness)):
        top = _max(delta, c)
        if top is None:
            continue
        try:
            mark = top - late
        except (OverflowError, ValueError):  # near the smallest value a type holds
            continue
        if values[i] is None or mark > values[i]:
            new[i] = mark
    return new


def _max(delta: dict, c: int):
    try:
        return max((row[c] for row in delta if row[c] is not None), default=None)
    except TypeError:  # values of mixed types cannot be compared: no watermark from them
        return None
