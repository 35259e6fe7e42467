"""Incremental equi-join, the bilinear operator:  Δ(a ⋈ b) = Δa ⋈ Ib + Ia ⋈ Δb - Δa ⋈ Δb,
where Ia, Ib are the arrangements *after* this step's update (Ia = Ia_old + Δa), which equals the
textbook Δa ⋈ Δb + Ia_old ⋈ Δb + Δa ⋈ Ib_old.  A one-row delta costs one probe of the other side.

With ``expiries`` (the compiler's, when a later row of one side can only match rows of the other
side whose key part, or an expression of the residual condition, is at or above a watermark-driven
bound), the join drops from each arrangement, once this step's changes are joined, the rows no later
change of the other side can match: entries (key, None) drop a whole key, (key, row) one row.  Such
arrangements are the join's own (never shared with another join).
"""

from ..circuit import Operator
from ..zset import drop_zeros


def make_kernel(combine):
    """A join kernel from a pair function combine(left_row, right_row) -> output row or None
    (None drops the pair: how residual, non-equality join conditions are applied)."""

    def kernel(da: dict, db: dict, ia: dict, ib: dict) -> dict:
        out: dict = {}
        get = out.get
        for k, rows in da.items():  # Δa ⋈ Ib
            other = ib.get(k)
            if other:
                for ra, wa in rows.items():
                    for rb, wb in other.items():
                        r = combine(ra, rb)
                        if r is not None:
                            out[r] = get(r, 0) + wa * wb
        for k, rows in db.items():  # Ia ⋈ Δb
            other = ia.get(k)
            if other:
                for rb, wb in rows.items():
                    for ra, wa in other.items():
                        r = combine(ra, rb)
                        if r is not None:
                            out[r] = get(r, 0) + wa * wb
        if da and db:  # - Δa ⋈ Δb
            for k in da.keys() & db.keys():
                for ra, wa in da[k].items():
                    for rb, wb in db[k].items():
                        r = combine(ra, rb)
                        if r is not None:
                            out[r] = get(r, 0) - wa * wb
        return drop_zeros(out)

    return kernel


class Join(Operator):
    """Join of two Arrange operators' outputs.  ``kernel(Δa, Δb, Ia, Ib)`` computes the output
    delta; the compiler generates one with the output projection and residual filter inlined."""

    def __init__(self, left, right, combine=None, kernel=None, name: str = ""):
        super().__init__(left, right)
        if kernel is None:
            kernel = make_kernel(combine)
        self.kernel = kernel
        self.name = name

    expiries = None  # (left side's Expiries, right side's Expiries), or None

    def eval(self, da: dict, db: dict) -> dict:
        left, right = self.inputs
        out = self.kernel(da, db, left.arrangement.index, right.arrangement.index)
        if self.expiries is not None:
            for expiries, keyed, arranged in zip(self.expiries, (da, db), self.inputs):
                if expiries:
                    expire_arranged(self.journal, expiries, keyed, arranged.arrangement.index)
        return out

    def after_import(self) -> None:
        """Make the expiries' heaps again from the arrangements (runtime/state.py)."""
        if self.expiries is not None:
            for expiries, arranged in zip(self.expiries, self.inputs):
                index = arranged.arrangement.index
                for e in expiries:
                    e.rebuild((k, None) for k in index) if e.keyed else \
                        e.rebuild((k, row) for k, rows in index.items() for row in rows)

    def describe(self) -> str:
        text = f"Join[{self.name}]" if self.name else "Join"
        if self.expiries:
            drops = [f"{side} drops {e.text}" for side, es in zip(("left", "right"), self.expiries) for e in es]
            text += f"[{'; '.join(drops)}]"
        return text


def expire_arranged(journal, expiries, keyed: dict, index: dict) -> None:
    """Note the keys and rows ``keyed`` brought into ``index``; drop those due, journaled."""
    dropped = []
    popped_all = []
    for e in expiries:
        if e.keyed:
            for k, rows in keyed.items():
                bucket = index.get(k)
                if bucket is not None and len(bucket) == len(rows):  # a key new in this step
                    e.note((k, None))
        else:
            for k, rows in keyed.items():
                for row, w in rows.items():
                    if w > 0:
                        e.note((k, row))
        popped = e.due()
        if not popped:
            continue
        popped_all.append((e, popped))
        for _, _, (k, row) in popped:
            bucket = index.get(k)
            if bucket is None:
                continue
            if row is None:
                dropped.append((k, index.pop(k)))
            elif row in bucket:
                dropped.append((k, {row: bucket.pop(row)}))
                if not bucket:
                    del index[k]
    if popped_all:
        journal.record(_unexpire, (index, popped_all, dropped))


def _unexpire(saved) -> None:
    index, popped_all, dropped = saved
    for e, popped in popped_all:
        e.restore(popped)
    for k, rows in reversed(dropped):
        index.setdefault(k, {}).update(rows)

