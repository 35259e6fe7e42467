"""The engine: a Pipeline session over the compiler and the runtime (DDL, DML, queries, steps,
inspection, base tables)."""

from .pipeline import Pipeline
from .results import QueryResult, ViewHandle

__all__ = ["Pipeline", "ViewHandle", "QueryResult"]
