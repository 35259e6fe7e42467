"""Set operations on multiplicities: the output weight of each row is a function of the integrated
weights of that row in each input.  Non-linear, so incremental by recomputing only touched rows:

    Δout[r] = f(A[r] + ΔA[r], B[r] + ΔB[r]) - f(A[r], B[r])     for r in ΔA ∪ ΔB.

Instances: EXCEPT ALL  f = max(0, a - b);  INTERSECT ALL  f = min(a, b);
EXCEPT  f = [a > 0 and b <= 0];  INTERSECT  f = [a > 0 and b > 0];  distinct  f = [a > 0].
"""

from ..circuit import Operator


def except_all(a: int, b: int) -> int:
    return a - b if a > b else 0


def intersect_all(a: int, b: int) -> int:
    m = a if a < b else b
    return m if m > 0 else 0


def except_set(a: int, b: int) -> int:
    return 1 if a > 0 and b <= 0 else 0


def intersect_set(a: int, b: int) -> int:
    return 1 if a > 0 and b > 0 else 0


FUNCTIONS = {"except_all": except_all, "intersect_all": intersect_all,
             "except": except_set, "intersect": intersect_set}


class SetOp(Operator):
    state = ("a", "b")

    def __init__(self, a: Operator, b: Operator, kind: str):
        super().__init__(a, b)
        self.kind = kind
        self.fn = FUNCTIONS[kind]
        self.a: dict = {}
        self.b: dict = {}

    def eval(self, da: dict, db: dict) -> dict:
        fn, A, B = self.fn, self.a, self.b
        out = {}
        for row in da.keys() | db.keys() if da and db else (da or db):
            a0, b0 = A.get(row, 0), B.get(row, 0)
            a1, b1 = a0 + da.get(row, 0), b0 + db.get(row, 0)
            _set(A, row, a1)
            _set(B, row, b1)
            d = fn(a1, b1) - fn(a0, b0)
            if d:
                out[row] = d
        self.journal.record(self._undo, (da, db))
        return out

    def _undo(self, deltas) -> None:
        da, db = deltas
        for row, w in da.items():
            _set(self.a, row, self.a.get(row, 0) - w)
        for row, w in db.items():
            _set(self.b, row, self.b.get(row, 0) - w)

    def describe(self) -> str:
        return f"SetOp[{self.kind}]"


def _set(z: dict, row, w: int) -> None:
    if w:
        z[row] = w
    else:
        z.pop(row, None)
