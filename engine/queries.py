"""Ad-hoc queries: a SELECT bound like a view, run once as a fresh circuit fed the current contents
of the tables and views it reads, then thrown away."""

from __future__ import annotations

from sqlglot import exp

from ..compiler.binder import QueryBinder
from ..compiler.codegen import Codegen
from ..compiler.errors import CompileError
from ..compiler.frontend import error_at, name_projections, normalize_forms, parse, qualify_query
from ..compiler.lower import Lowering
from ..compiler.passes.pipeline import optimize
from ..compiler.sugar import expand_shorthands
from ..runtime import Circuit, StepError
from ..runtime.operators import Input, Output
from .failures import data_error
from .results import QueryResult, sort_rows, unique_names


class Queries:
    """Binding and one-off evaluation of queries."""

    def _bind_query(self, query, sql):
        normalize_forms(query)
        name_projections(query, self.dialect.name)
        # only the relations the query names: normalising the whole catalog costs O(catalog) per view
        names = {t.name for t in query.find_all(exp.Table)}
        qualified = qualify_query(query, self.catalog.schema(names), self.dialect.name, sql)
        expand_shorthands(qualified, sql)
        qb = QueryBinder(self.catalog, self.dialect, sql, self.max_iterations)
        bound = qb.query(qualified)
        return bound, qualified

    def query(self, sql: str) -> "QueryResult":
        """Evaluate one query once over the current contents (queued changes included): its column
        names and rows (in ORDER BY order if it has one)."""
        statements = parse(sql, self.dialect.name)
        if len(statements) != 1:
            raise CompileError(f"query() takes one statement, not {len(statements)}")
        ast = statements[0].ast
        if not isinstance(ast, (exp.Select, exp.Union, exp.Except, exp.Intersect, exp.Subquery, exp.Values)):
            raise error_at(ast, "query() takes a SELECT (use execute() for other statements)", sql)
        return self._query(ast, sql)

    def _query(self, ast, sql) -> "QueryResult":
        bound, _ = self._bind_query(ast, sql)
        plan = bound.ordered_plan if bound.ordered_plan is not None else bound.plan
        rows = self._evaluate(optimize(plan))
        out = []
        for row, w in rows.items():
            out.extend([row] * w)
        out = sort_rows(out, bound.order)
        if bound.ordered_plan is not None:
            out = [r[:len(bound.names)] for r in out]
        return QueryResult(unique_names(bound.names), out)

    def _evaluate(self, plan, extra: dict | None = None) -> dict:
        """Run a plan once, as a fresh circuit fed the current contents of the tables it reads, queued
        changes included; ``extra`` gives the rows of relations that are neither (ON CONFLICT's
        ``excluded``).  A view it reads is its committed contents when nothing is queued, else its
        query run here over the same current tables: tables and views are seen in one state."""
        circuit = Circuit()
        inputs = {}
        queued = any(t.pending for t in self._tables.values())
        low = None

        def source(name):
            if name not in inputs:
                if extra is not None and name in extra:
                    rows = extra[name]
                elif name in self._tables:
                    rows = self._tables[name].current()
                elif queued:
                    inputs[name] = low.lower(self._views[name].plan)
                    return inputs[name]
                else:
                    rows = self._views[name].output.contents
                inp = circuit.add(Input(name))
                inp.pending = dict(rows)
                inputs[name] = inp
            return inputs[name]

        low = Lowering(circuit, Codegen(self.dialect), source, {}, label="query")
        out = low.add(Output(low.lower(plan), "query"))
        try:
            circuit.step()
        except StepError as e:
            raise data_error(e.cause, "query") from e
        return out.contents
