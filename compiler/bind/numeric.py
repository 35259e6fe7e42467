"""Numeric functions whose binding needs a rule of their own: ROUND, ROUND_EVEN, TRUNC, LOG, PI, BIT_COUNT.

Laws: NULL in, NULL out; ROUND of a DECIMAL keeps its type and needs a constant number of digits;
one-argument LOG is base 10 (DuckDB), and LOG2 / LOG10 are computed directly, not as quotients.
"""

from __future__ import annotations

import math

from sqlglot import exp

from .. import functions as FN
from ..expr import Call, Lit
from ..types import BIGINT, DOUBLE, SMALLINT, TINYINT


class NumericRules:
    """ExprBinder methods for the constructs above (mixed into ExprBinder)."""

    def _Round(self, node):
        digits = node.args.get("decimals")
        return self.rounding(node, node.this, digits, "round")

    def round_even(self, node, args: list):
        """ROUND_EVEN(x, d) and its other name ROUNDBANKERS(x, d): typed as ROUND(x, d) is (DuckDB has no
        one-argument form)."""
        self.not_sqlite(node, "ROUND_EVEN")
        if len(args) != 2:
            raise self.error(node, f"ROUND_EVEN takes a number and a number of digits, not {len(args)} "
                                   f"argument{'s' if len(args) != 1 else ''}")
        return self.rounding(node, args[0], args[1], "round_even")

    def rounding(self, node, x_node, digits, fn: str):
        """ROUND or ROUND_EVEN of ``x_node`` at ``digits`` (a node, or None: 0).  A DECIMAL keeps its
        type and needs a constant number of digits; a FLOAT is rounded as a DOUBLE, then to a FLOAT
        (codegen's float32 results)."""
        x = self.numeric_arg(node, self.bind(x_node))
        d = self.coerce(self.bind(digits), BIGINT, node) if digits is not None else Lit(0, BIGINT)
        t = x.type
        if t.kind == "decimal":
            if not isinstance(d, Lit):
                raise self.error(node, f"{fn.upper()} of a DECIMAL needs a constant number of digits")
            if d.value is None:
                return Lit(None, t)
        if self.dialect.name == "sqlite" and t.kind == "int":
            x = self.coerce(x, DOUBLE, node)
        return FN.call(fn, [x, d])

    def _Trunc(self, node):
        self.not_sqlite(node, "TRUNC")
        digits = node.args.get("decimals")
        if digits is not None:  # TRUNC(x, d): as ROUND(x, d) is typed (a DECIMAL needs a constant d)
            x = self.numeric_arg(node, self.bind(node.this))
            d = self.coerce(self.bind(digits), BIGINT, node)
            if x.type.kind == "decimal" and not isinstance(d, Lit):
                raise self.error(node, "TRUNC of a DECIMAL needs a constant number of digits")
            if x.type.kind == "decimal" and d.value is None:
                return Lit(None, x.type)
            if x.type.kind == "float" and x.type.bits == 32:  # the DOUBLE's answer rounded to a FLOAT
                return FN.call("trunc_digits_real", [x, d])
            return FN.call("trunc_digits", [x, d])
        return self.function(FN.BY_FN["trunc"], node, [node.this])

    def _Log(self, node):
        self.not_sqlite(node, "LOG")
        if node.expression is None:  # DuckDB's one-argument LOG is base 10
            return self.function(FN.BY_FN["log10"], node, [node.this])
        base = node.this
        # sqlglot reads LOG2(x) and LOG10(x) as LOG(2, x) and LOG(10, x) with a base literal of its own
        # (one with no position); DuckDB computes those directly, not as log10(x) / log10(b)
        if isinstance(base, exp.Literal) and not base.meta and base.name in ("2", "10"):
            return self.function(FN.BY_FN["log" + base.name], node, [node.expression])
        return self.function(FN.BY_FN["log"], node, [base, node.expression])

    def _Pi(self, node):
        self.not_sqlite(node, "PI")
        return Lit(math.pi, DOUBLE)

    def _Getbit(self, node):
        """GET_BIT(bits, n): sqlglot's node says which end counts from 0 (zero_is_msb: DuckDB's, the left;
        constructs.py accepts only that)."""
        return self.function(FN.BY_FN["get_bit"], node, [node.this, node.expression])

    def bit_count(self, node, arg_node):
        self.not_sqlite(node, "BIT_COUNT")
        n = self.bind(arg_node)
        if n.type.kind == "null":
            return Lit(None, TINYINT)
        if n.type.kind == "bit":
            return FN.call("bits_count", [n])
        if n.type.kind != "int":
            raise self.error(node, f"BIT_COUNT needs an integer, not {n.type}")
        return Call("bit_count", (n,), SMALLINT if n.type.bits > 64 else TINYINT, n.nullable, n.type.bits)
