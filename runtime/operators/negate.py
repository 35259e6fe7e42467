"""Negate: -a.  Linear."""

from ..circuit import Operator


class Negate(Operator):
    linear = True

    def __init__(self, a: Operator):
        super().__init__(a)

    def eval(self, a: dict) -> dict:
        return {row: -w for row, w in a.items()}
