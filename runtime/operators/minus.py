"""Minus: a - b.  Linear."""

from ..circuit import Operator
from ..zset import add_scaled_into


class Minus(Operator):
    linear = True

    def __init__(self, a: Operator, b: Operator):
        super().__init__(a, b)

    def eval(self, a: dict, b: dict) -> dict:
        return add_scaled_into(dict(a), b, -1)
