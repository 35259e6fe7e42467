"""Incremental equi-join, the bilinear operator:  Δ(a ⋈ b) = Δa ⋈ Ib + Ia ⋈ Δb - Δa ⋈ Δb,
where Ia, Ib are the arrangements *after* this step's update (Ia = Ia_old + Δa), which equals the
textbook Δa ⋈ Δb + Ia_old ⋈ Δb + Δa ⋈ Ib_old.  A one-row delta costs one probe of the other side.
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

    def eval(self, da: dict, db: dict) -> dict:
        left, right = self.inputs
        return self.kernel(da, db, left.arrangement.index, right.arrangement.index)

    def describe(self) -> str:
        return f"Join[{self.name}]" if self.name else "Join"
