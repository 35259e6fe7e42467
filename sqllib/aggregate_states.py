"""FINALIZE(state) and COMBINE(state, state) on AGGREGATE_STATE values (runtime/aggregate_states.py's
StateValue, read through its methods: this library imports nothing above it).

Laws: FINALIZE(NULL) is NULL (DuckDB); COMBINE takes a NULL state as the empty one, and is NULL only
when both are.
"""

from __future__ import annotations


def sql_finalize(state):
    return None if state is None else state.finalize()


def sql_combine(a, b):
    if a is None:
        return b
    return a.combine(b)
