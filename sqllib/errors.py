"""DataError: a value or change that cannot be applied.  The one error type of the run-time layers
(the SQL value library and the runtime raise it; the compiler and the engine re-export it); and
``show_value``, how a value is written in an error message (as SQL writes it, not as Python does)."""

from __future__ import annotations

import datetime
import decimal


class DataError(Exception):
    """A change that cannot be applied (wrong arity or type, unknown table, absent row) or a step
    that failed while evaluating (division by zero, overflow, iteration limit).  Nothing changed.

    ``line`` and ``col`` place it in the statement's SQL text when a value written there is to blame
    (a VALUES row of an INSERT); ``str(e)`` is then the message followed by ``(line L, column C)``."""

    def __init__(self, message: str = "", line: int | None = None, col: int | None = None):
        super().__init__(*((message,) if line is None else (message, line, col)))
        self.message = message
        self.line = line
        self.col = col

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        if self.col is None:
            return f"{self.message} (line {self.line})"
        return f"{self.message} (line {self.line}, column {self.col})"


class Unrepresentable(DataError):
    """A value DuckDB has that deltasql cannot hold (TIME 24:00:00): an error even under TRY_CAST and
    TRY, where NULL would be a wrong answer."""


def show_value(value) -> str:
    """A value in an error message as SQL writes it: NULL, true, 1.50, 'text', '2024-01-01'; cut
    short past 60 characters (an error names a value, it does not print a megabyte of it)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and value.bit_length() > 200:  # str() of 4,300+ digits raises
        return f"an integer of {value.bit_length()} bits"
    if isinstance(value, (int, float, decimal.Decimal)):
        text = str(value)
        return text if len(text) <= 60 else text[:57] + "..."
    if isinstance(value, (str, datetime.date, datetime.timedelta)):
        text = value if isinstance(value, str) else str(value)
        if len(text) > 60:
            text = text[:57] + "..."
        if not text.isascii():  # a lone surrogate cannot be printed: written as \udxxx
            text = text.encode("utf-8", "backslashreplace").decode("utf-8")
        return "'" + text.replace("'", "''") + "'"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def try_value(thunk):
    """TRY(e): the value thunk() computes, or NULL where computing it raises a DataError."""
    try:
        return thunk()
    except Unrepresentable:
        raise
    except DataError:
        return None
