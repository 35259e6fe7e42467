"""DataError: a value or change that cannot be applied.  The one error type of the run-time layers
(the SQL value library and the runtime raise it; the compiler and the engine re-export it)."""


class DataError(Exception):
    """A change that cannot be applied (wrong arity or type, unknown table, absent row) or a step
    that failed while evaluating (division by zero, overflow, iteration limit).  Nothing changed."""
