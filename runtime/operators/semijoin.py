"""Semi-join, anti-join and mark-join: each row of the left input, judged by whether some right row
has the same key.  For a fixed right side the output is linear in the left input, so

    Δout = (left rows whose key flipped presence because of Δright, judged old and new)
         + (Δleft judged with the new right side).

State: the left input arranged by key, and the integrated count of right rows per key.  A left row
whose key is None (a SQL NULL) never has a match.  Modes: ``semi`` keeps matched rows (EXISTS, IN),
``anti`` keeps unmatched rows (NOT EXISTS), ``mark`` keeps every row with ``(matched,)`` appended.

With expiries (the compiler's, when key parts only change at or above watermark-driven bounds): the
left rows of a key no later right change can have, and the right counts of a key no later left row
can have, are dropped once the step is done.
"""

from .join import expire_arranged

from ..arrangement import Arrangement, index_delta
from ..circuit import Operator

MODES = ("semi", "anti", "mark")


class Semijoin(Operator):
    def __init__(self, left: Operator, right: Operator, left_key, right_key, mode: str = "semi",
                 name: str = ""):
        super().__init__(left, right)
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.left_key = left_key
        self.right_key = right_key
        self.mode = mode
        self.name = name
        self.left: Arrangement | None = None
        self.counts: dict = {}  # key -> integrated weight of right rows with that key

    def attach(self, circuit) -> None:
        super().attach(circuit)
        if self.left is None:
            self.left = Arrangement(self.journal)

    state = ("left", "counts")  # the left arrangement saved as its index
    expiries = None  # (Expiries of left keys (key, None), Expiries of counts' keys), or None

    def export_state(self):
        return {"left": self.left.index, "counts": self.counts}

    def import_state(self, saved) -> None:
        self.left.index = saved["left"]
        self.counts = saved["counts"]

    def _emit(self, out: dict, row, w: int, matched: bool) -> None:
        mode = self.mode
        if mode == "mark":
            r = row + (matched,)
        elif matched == (mode == "semi"):
            r = row
        else:
            return
        n = out.get(r, 0) + w
        if n:
            out[r] = n
        else:
            del out[r]

    def eval(self, dl: dict, dr: dict) -> dict:
        out: dict = {}
        counts = self.counts
        if dr:
            changed = {}
            for k, rows in index_delta(dr, self.right_key).items():
                old = counts.get(k, 0)
                new = old + sum(rows.values())
                if new:
                    counts[k] = new
                else:
                    counts.pop(k, None)  # a Z-set delta may sum to 0 on a key with no rows
                changed[k] = old
                if (old > 0) != (new > 0):
                    bucket = self.left.index.get(k)
                    if bucket:
                        for row, w in bucket.items():
                            self._emit(out, row, -w, old > 0)
                            self._emit(out, row, w, new > 0)
            self.journal.record(self._restore_counts, changed)
        if dl:
            key = self.left_key
            for row, w in dl.items():
                k = key(row)
                self._emit(out, row, w, k is not None and counts.get(k, 0) > 0)
            keyed = index_delta(dl, key)
            if keyed:
                self.left.apply(keyed)
        if self.expiries is not None:
            self._expire(dl, dr)
        return out

    def _expire(self, dl: dict, dr: dict) -> None:
        left_expiries, count_expiries = self.expiries
        if left_expiries:
            expire_arranged(self.journal, left_expiries, index_delta(dl, self.left_key) if dl else {},
                            self.left.index)
        if count_expiries:
            counts = self.counts
            popped_all, dropped = [], []
            keys = list(index_delta(dr, self.right_key)) if dr else ()
            for e in count_expiries:
                for k in keys:
                    e.note(k)
                popped = e.due()
                if popped:
                    popped_all.append((e, popped))
                    dropped += [(k, counts.pop(k)) for _, _, k in popped if k in counts]
            if popped_all:
                self.journal.record(self._unexpire_counts, (popped_all, dropped))

    def _unexpire_counts(self, saved) -> None:
        popped_all, dropped = saved
        for e, popped in popped_all:
            e.restore(popped)
        self.counts.update(dropped)

    def after_import(self) -> None:
        if self.expiries is not None:
            for e in self.expiries[0]:
                e.rebuild((k, None) for k in self.left.index)
            for e in self.expiries[1]:
                e.rebuild(self.counts)

    def _restore_counts(self, old_counts: dict) -> None:
        for k, n in old_counts.items():
            if n:
                self.counts[k] = n
            else:
                self.counts.pop(k, None)

    def describe(self) -> str:
        drops = ""
        if self.expiries:
            drops = "".join(f", {side} drops {e.text}" for side, es in zip(("left", "right"), self.expiries)
                            for e in es)
        return f"Semijoin[{self.mode}{', ' + self.name if self.name else ''}{drops}]"
