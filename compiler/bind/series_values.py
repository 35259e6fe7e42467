"""RANGE(…) / GENERATE_SERIES(…) written in an expression: DuckDB's list functions (a BIGINT list; the
registry's list_range / list_series, argument rules in compiler/function_rules.py).  In FROM they are
table functions (bind/series.py), which the frontend takes out before the expression binder sees them.

Law: RANGE excludes its stop and GENERATE_SERIES includes it (sqlglot's ``is_end_exclusive``); RANGE(n)
is RANGE(0, n) (sqlglot writes the 0).
"""

from __future__ import annotations

from .. import function_rules as R
from .. import functions as FN


class SeriesValueRules:
    """ExprBinder methods for the constructs above (mixed into ExprBinder)."""

    def _GenerateSeries(self, node):
        f = FN.BY_FN["list_range" if node.args.get("is_end_exclusive") else "list_series"]
        self.not_sqlite(node, f.label)
        nodes = [node.args.get(k) for k in ("start", "end", "step") if node.args.get(k) is not None]
        args = R.prepare_series(self, node, [self.bind(a) for a in nodes], f.label)
        return f.call(args)
