"""Plus: the sum of several streams (UNION ALL).  Linear."""

from ..circuit import Operator
from ..zset import add_into


class Plus(Operator):
    linear = True

    def eval(self, *deltas: dict) -> dict:
        if len(deltas) == 2:  # (the common case without a list: a UNION ALL of two, a recursive step)
            a, b = deltas
            if not a or not b:
                return a or b  # streams are read-only, so passing one through is safe
            return add_into(dict(a), b)
        nonempty = [d for d in deltas if d]
        if len(nonempty) == 1:
            return nonempty[0]  # streams are read-only, so passing one through is safe
        out: dict = {}
        for d in nonempty:
            add_into(out, d)
        return out
