"""Lifted filter σ_p: keeps rows satisfying p with their weights.  Linear: σ^Δ = σ."""

from ..circuit import Operator


class Filter(Operator):
    linear = True

    def __init__(self, source: Operator, predicate, name: str = ""):
        super().__init__(source)
        self.predicate = predicate
        self.name = name

    def eval(self, delta: dict) -> dict:
        p = self.predicate
        return {row: w for row, w in delta.items() if p(row)}

    def describe(self) -> str:
        return f"Filter[{self.name}]" if self.name else "Filter"
