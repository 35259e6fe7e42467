"""deltasql's compiler: SQL views -> incremental DBSP circuits on the pure-Python runtime."""

from .errors import CompileError, DataError
from .pipeline import Pipeline, ViewHandle

__all__ = ["Pipeline", "ViewHandle", "CompileError", "DataError"]
