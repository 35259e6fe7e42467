"""Ad-hoc queries: a SELECT bound like a view, run once as a fresh circuit fed the current contents
of the tables and views it reads, then thrown away."""

from __future__ import annotations

from sqlglot import exp

from ..compiler.aggregate_states import OUTPUT_REFUSED, is_state
from ..compiler.binder import QueryBinder
from ..compiler.codegen import Codegen
from ..compiler.errors import CompileError, DataError
from ..compiler.frontend import error_at, name_projections, normalize_forms, parse, qualify_query
from ..compiler.lower import Lowering
from ..compiler.passes.pipeline import optimize
from ..compiler.settings import apply_settings
from ..compiler.sugar import expand_shorthands
from ..runtime import Circuit, StepError
from ..runtime.operators import Input, Output
from ..runtime.operators.clock import Clock
from .failures import data_error
from .results import QueryResult, sort_rows, unique_names


class Queries:
    """Binding and one-off evaluation of queries."""

    def _bind_query(self, query, sql):
        normalize_forms(query, self.dialect.name)
        name_projections(query, self.dialect.name)
        # only the relations the query names: normalising the whole catalog costs O(catalog) per view
        names = {t.name for t in query.find_all(exp.Table)}
        qualified = qualify_query(query, self.catalog.schema(names), self.dialect.name, sql, self._constant_rows)
        qualified = expand_shorthands(qualified, sql)
        qb = QueryBinder(self.catalog, self.dialect, sql, self.max_iterations)
        bound = qb.query(qualified)
        states = [i for i, f in enumerate(bound.plan.fields) if is_state(f.type)]
        if states:
            items = qualified.selects if isinstance(qualified, exp.Query) else []
            where = items[states[0]] if states[0] < len(items) else qualified
            raise error_at(where, OUTPUT_REFUSED, sql)
        return bound, qualified

    def _constant_rows(self, text: str) -> list:
        """The rows of a query over constants (COLUMNS(lambda …) evaluates its lambda so)."""
        ast = parse(text, self.dialect.name)[0].ast
        apply_settings(ast, self.settings)  # (SET regex_match_operator_semantics, …)
        return self._query(ast, text).rows

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

    def _check_whole(self, name: str, statically: bool = False) -> None:
        """Refuse to read all the rows of a table or view that does not keep them all: a table that
        has discarded rows behind its watermark, a view over a stream that is not materialized
        (``statically``: whether or not it has emitted rows yet)."""
        t = self._tables.get(name)
        if t is not None and t.discarded:
            raise DataError(f"table {name!r} keeps only its rows at or above its watermark ({t.discarded} "
                            f"discarded): declare it WITH ('materialized' = 'true') to read all its rows in "
                            f"queries and in views created after its rows arrived")
        v = self._views.get(name)
        if v is not None and not v.output.keep and (statically or v.output.emitted):
            raise DataError(f"view {name!r} reads a stream and keeps no rows (only its changes); declare it "
                            f"CREATE MATERIALIZED VIEW to read its rows")

    def _whole_contents(self, view: str) -> dict:
        """A view's rows (a copy), refused for a stream view that keeps none (a sink or reader that
        needs them all: engine/feeds.py)."""
        self._check_whole(view)
        return dict(self._views[view].output.contents)

    def _evaluate(self, plan, extra: dict | None = None, partial: frozenset = frozenset()) -> dict:
        """Run a plan once, as a fresh circuit fed the current contents of the tables it reads, queued
        changes included; ``extra`` gives the rows of relations that are neither (ON CONFLICT's
        ``excluded``).  A view it reads is its committed contents when nothing is queued, else its
        query run here over the same current tables: tables and views are seen in one state.
        ``partial``: tables it may read even if they keep only their rows at or above their watermarks,
        as DELETE and UPDATE do (a change to a discarded row would be late anyway)."""
        circuit = Circuit()
        inputs = {}
        queued = any(t.pending for t in self._tables.values())
        low = None

        def source(name):
            if name not in inputs:
                if extra is not None and name in extra:
                    rows = extra[name]
                else:
                    if name not in partial:
                        self._check_whole(name, statically=True)
                    if name in self._tables:
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

        clock = []

        def clock_op():  # the pipeline's clock as it will be at the next step
            if not clock:
                now = self._clock.pending if self._clock.pending is not None else self._clock.now
                clock.append(circuit.add(Clock()))
                clock[0].pending = now
            return clock[0]

        low = Lowering(circuit, Codegen(self.dialect), source, {}, label="query", clock=clock_op)
        out = low.add(Output(low.lower(plan), "query"))
        try:
            circuit.step()
        except StepError as e:
            raise data_error(e.cause, "query") from e
        return out.contents
