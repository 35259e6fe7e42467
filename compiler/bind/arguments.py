"""Argument checks for functions that, as in DuckDB, take no implicit casts.

Law: an argument of the wrong type is a CompileError naming the function; an untyped NULL argument
becomes a NULL of the type the function takes (NULL in, NULL out); a string constant where an integer
is expected is read as the number (as DuckDB does).
"""

from __future__ import annotations

from ..expr import Lit
from ..types import BIGINT, DOUBLE, TEXT, TIMESTAMP


class ArgumentRules:
    """ExprBinder methods for the constructs above (mixed into ExprBinder)."""

    def numeric_arg(self, node, e):
        if self.dialect.name == "sqlite":
            e = self.sqlite_numeric(e, node)
        if e.type.kind == "null":
            return Lit(None, DOUBLE)
        if not e.type.numeric:
            raise self.error(node, f"expected a number, not {e.type}")
        return e

    def required(self, node, what: str, *names):
        """The arguments a function needs that sqlglot parses as optional (SPLIT_PART('a')): each
        present, else a CompileError."""
        for n in names:
            if node.args.get(n) is None:
                raise self.error(node, f"{what} is missing an argument")
        return [node.args[n] for n in names]

    def not_sqlite(self, node, what):
        if self.dialect.name == "sqlite":
            raise self.error(node, f"{what} is not supported in the sqlite dialect")

    def text_arg(self, node, e, what):
        if e.type.kind == "text":
            return e
        if e.type.kind == "null":
            return Lit(None, TEXT)
        raise self.error(node, f"{what} needs VARCHAR arguments, not {e.type}")

    def int_arg(self, node, e, what, max_bits=64):
        if e.type.kind == "int" and e.type.bits <= max_bits:
            return e
        if e.type.kind == "null":
            return Lit(None, BIGINT)
        if isinstance(e, Lit) and e.type.kind == "text":  # DuckDB reads a string constant as the number
            return Lit(self.convert_literal(e.value, e.type, BIGINT, node), BIGINT)
        raise self.error(node, f"{what} needs an integer{' of at most 32 bits' if max_bits == 32 else ''}, "
                               f"not {e.type}")

    def temporal_arg(self, node, e, what, kinds=("date", "timestamp")):
        if e.type.kind in kinds:
            return e
        if e.type.kind == "null":
            return Lit(None, TIMESTAMP)
        raise self.error(node, f"{what} needs a DATE or TIMESTAMP, not {e.type}")
