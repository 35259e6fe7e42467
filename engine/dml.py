"""DML statements: INSERT (VALUES or a query), DELETE … WHERE and UPDATE … SET … WHERE, each
evaluated once over the current contents and queued as row changes for the next step."""

from __future__ import annotations

from sqlglot import exp

from ..compiler.errors import DataError
from ..compiler.frontend import element_position, error_at
from ..compiler.passes.pipeline import optimize
from ..compiler.types import coerce_value
from .tables import Table


class DML:
    """The Pipeline's statements that queue changes."""

    def _insert_statement(self, ast, sql):
        target = ast.this
        table = target.this if isinstance(target, exp.Schema) else target
        t = self._tables.get(table.name)
        if t is None:
            raise error_at(table, f"unknown table {table.name!r}" if table.name not in self._views
                           else f"cannot insert into view {table.name!r}", sql)
        names = [f.name for f in t.rel.fields]
        cols = [c.name for c in target.expressions] if isinstance(target, exp.Schema) else names
        for i, c in enumerate(cols):
            if c not in names:
                raise error_at(target, f"unknown column {c!r} of {t.rel.name}", sql)
            if c in cols[:i]:
                raise error_at(target.expressions[i], f"column {c!r} is named twice in INSERT", sql)
        alternative = (ast.args.get("alternative") or "").upper()
        if ast.args.get("conflict") is not None or alternative not in ("", "REPLACE"):
            raise error_at(ast, "INSERT … ON CONFLICT / OR IGNORE is not supported", sql)
        source = ast.expression
        rows = self._literal_rows(source, len(cols))
        if rows is None:
            bound, _ = self._bind_query(source, sql)
            if len(bound.names) != len(cols):
                raise error_at(source, f"INSERT has {len(cols)} target columns but the query gives "
                                       f"{len(bound.names)}", sql)
            rows = []
            for row, w in self._evaluate(optimize(bound.plan)).items():
                rows.extend([row] * w)
        elif any(len(r) != len(cols) for r in rows):
            raise error_at(source, f"INSERT has {len(cols)} target columns but a VALUES row has a different "
                                   f"number", sql)
        tuples = source.expressions if isinstance(source, exp.Values) else []
        full = []
        for i, r in enumerate(rows):
            by_name = dict(zip(cols, r))
            try:
                full.append(self._row(t, tuple(by_name.get(n) for n in names)))
            except DataError as e:
                node = tuples[i] if i < len(tuples) else source
                bad = self._bad_value(t, by_name)
                if bad in cols and isinstance(node, exp.Tuple) and cols.index(bad) < len(node.expressions):
                    line, col = element_position(node.expressions, cols.index(bad), sql)  # the value itself
                else:
                    where = error_at(node, "", sql)
                    line, col = where.line, where.col
                raise DataError(f"{e} (line {line}, column {col})") from None
        t.queue_insert(full, replace=alternative == "REPLACE")

    @staticmethod
    def _bad_value(t: Table, by_name: dict):
        """The first column whose value does not fit (to point an error at it), or None."""
        for f in t.rel.fields:
            v = by_name.get(f.name)
            try:
                if coerce_value(v, f.type, f.name) is None and not f.nullable:
                    return f.name
            except DataError:
                return f.name
        return None

    def _literal_rows(self, source, width):
        """VALUES rows that are plain literals, without building a circuit (the common case)."""
        if not isinstance(source, exp.Values):
            return None
        out = []
        for tup in source.expressions:
            items = tup.expressions if isinstance(tup, exp.Tuple) else [tup]
            row = []
            for x in items:
                v = _literal_value(x)
                if v is _NOT_LITERAL:
                    return None
                row.append(v)
            out.append(tuple(row))
        return out

    def _delete_statement(self, ast, sql):
        table = ast.this
        t = self._tables.get(table.name)
        if t is None:
            raise error_at(table, f"unknown table {table.name!r}", sql)
        if ast.args.get("using"):
            raise error_at(ast, "DELETE … USING is not supported", sql)
        where = ast.args.get("where")
        query = exp.select("*").from_(table.copy())
        if where is not None:
            query = query.where(where.this.copy())
        bound, _ = self._bind_query(query, sql)
        doomed = self._evaluate(optimize(bound.plan))
        t.queue_delete([r for r, w in doomed.items() for _ in range(w)])

    def _update_statement(self, ast, sql):
        table = ast.this
        t = self._tables.get(table.name)
        if t is None:
            raise error_at(table, f"unknown table {table.name!r}", sql)
        names = [f.name for f in t.rel.fields]
        sets = {}
        for eq in ast.expressions:
            col = eq.this.name
            if col not in names:
                raise error_at(eq.this, f"unknown column {col!r} of {t.rel.name}", sql)
            sets[col] = eq.expression
        if ast.args.get("from_") is not None:
            raise error_at(ast, "UPDATE … FROM is not supported", sql)
        alias = table.alias_or_name
        projections = [exp.column(n, table=alias) for n in names]
        projections += [sets[n].copy() if n in sets else exp.column(n, table=alias) for n in names]
        query = exp.select(*projections).from_(table.copy())
        if ast.args.get("where") is not None:
            query = query.where(ast.args["where"].this.copy())
        bound, _ = self._bind_query(query, sql)
        changed = self._evaluate(optimize(bound.plan))
        n = len(names)
        new_rows = []
        for row, w in changed.items():
            new = self._row(t, row[n:])
            new_rows.extend([(row[:n], new)] * w)
        t.queue_delete([old for old, _new in new_rows])
        try:
            t.queue_insert([new for _old, new in new_rows])
        except DataError:
            t.queue_insert([old for old, _new in new_rows])  # put the old rows back: nothing changed
            raise


_NOT_LITERAL = object()


def _literal_value(x):
    neg = False
    while isinstance(x, (exp.Neg, exp.Paren)):
        if isinstance(x, exp.Neg):
            neg = not neg
        x = x.this
    if isinstance(x, exp.Null):
        return None if not neg else _NOT_LITERAL
    if isinstance(x, exp.Boolean) and not neg:
        return bool(x.this)
    if isinstance(x, exp.Literal):
        if x.is_string:
            return x.this if not neg else _NOT_LITERAL
        text = x.this
        try:
            v = int(text)
        except ValueError:
            import decimal
            try:
                v = decimal.Decimal(text)
            except decimal.InvalidOperation:
                return _NOT_LITERAL
            if "e" in text.lower():
                v = float(text)
        return -v if neg else v
    return _NOT_LITERAL
