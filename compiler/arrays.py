"""Fixed-size ARRAY types (DuckDB's ``INT[3]``): array_value(…)'s argument rule and result type.

An ARRAY is a LIST type with a ``size`` (types.list_of(elem, size)); its values are lists (SqlList).
Laws: the length is checked wherever a value takes an ARRAY type (a column, a CAST: codegen's list cast,
lists.sized), so a value of an ARRAY type always has that many elements; every list function takes an
ARRAY as a LIST (lists.list_arg), as DuckDB casts it.
"""

from __future__ import annotations

from .types import SqlType, list_of


def prepare_value(eb, node, args, what):
    """array_value(a, b, …): the elements brought to their common type (as a list literal's)."""
    if not args:
        raise eb.error(node, f"{what} needs at least one value")
    items, _ = eb.unify(list(args), node, "array elements")
    return items


def value_type(args) -> SqlType:
    return list_of(args[0].type, len(args))
