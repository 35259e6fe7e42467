"""deltasql's runtime: a pure-Python DBSP engine (Z-sets, arrangements, incremental operators,
nested scopes for recursion).  Standard library only."""

from .circuit import Circuit, IterationLimitError, Operator, RowLimitError, StepError, describe_circuit
from .journal import Journal
from .zset import ZSet

__all__ = ["Circuit", "Operator", "StepError", "IterationLimitError", "RowLimitError", "describe_circuit", "Journal", "ZSet"]
