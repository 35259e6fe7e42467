"""Fixed-size ARRAY values (DuckDB's ``INT[3]``): a LIST value (``SqlList``) whose length its type fixes.

Laws: a value gets an ARRAY type only through array_value(…), a CAST, or a column of that type, each of
which checks the length (DuckDB's 'Cannot cast list with length 2 to array with length 3'); every list
function takes an ARRAY as the LIST it is (DuckDB casts ARRAY to LIST for them).
"""

from __future__ import annotations

from .errors import DataError
from .lists import SqlList


def array_value(*items):
    """array_value(a, b, …): an ARRAY of the arguments, never NULL."""
    return SqlList(items)


def array_sized(v, size: int):
    """A list cast to an ARRAY of ``size``: the list itself, if it has that many elements."""
    if v is not None and len(v) != size:
        raise DataError(f"cannot cast a list of length {len(v)} to an array of length {size}")
    return v
