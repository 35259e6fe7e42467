"""The SQL value library: what generated code calls at run time (NULL-aware arithmetic, strings,
patterns, dates and intervals, casts, the one NaN).  Standard library only; below both the compiler
and the runtime."""
