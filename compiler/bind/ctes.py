"""Non-recursive common table expressions: WITH name [(columns)] AS (query).

Law: a CTE is bound once, where it is defined, and each reference reads that one plan (SQL's
MATERIALIZED / NOT MATERIALIZED are hints; each CTE is computed once anyway); names given in the
alias rename its first columns. Recursive CTEs are recursion.py's.
"""

from __future__ import annotations

from sqlglot import exp

from ..recursion import bind_recursive_ctes
from ..scope import Bound


class CteBinding:
    """QueryBinder methods for the constructs above (mixed into QueryBinder)."""

    def with_clause(self, with_: exp.With) -> None:
        ctes = list(with_.expressions)
        seen = set()
        for cte in ctes:  # (DuckDB compares CTE names without case)
            if cte.alias.lower() in seen:
                raise self.error(cte, f"duplicate CTE name {cte.alias!r}")
            seen.add(cte.alias.lower())
        if with_.args.get("recursive"):
            bind_recursive_ctes(self, ctes)
            return
        for cte in ctes:
            self.ctes[cte.alias] = self.cte_body(cte)

    def cte_body(self, cte) -> Bound:
        if cte.args.get("materialized") is not None:
            pass  # MATERIALIZED / NOT MATERIALIZED are hints; every CTE is computed once anyway
        b = self.query(cte.this)
        columns = cte.args["alias"].columns if cte.args.get("alias") is not None else []
        if columns:
            if len(columns) > len(b.names):
                raise self.error(cte, f"CTE {cte.alias} has {len(b.names)} columns but {len(columns)} names")
            b = Bound(b.plan, [c.name for c in columns] + b.names[len(columns):], b.prefix, b.single, b.order)
        return b
