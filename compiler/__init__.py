"""deltasql's compiler: SQL text -> a logical plan -> an optimized plan -> runtime operators with
generated Python for every expression.  The Pipeline that drives it lives in deltasql.engine."""

from .errors import CompileError, DataError

__all__ = ["CompileError", "DataError"]
