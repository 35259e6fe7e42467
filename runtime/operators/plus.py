"""Plus: the sum of several streams (UNION ALL).  Linear."""

from ..circuit import Operator
from ..zset import add_into


class Plus(Operator):
    linear = True

    def eval(self, *deltas: dict) -> dict:
        nonempty = [d for d in deltas if d]
        if len(nonempty) == 1:
            return nonempty[0]  # streams are read-only, so passing one through is safe
        out: dict = {}
        for d in nonempty:
            add_into(out, d)
        return out
