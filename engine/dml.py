"""DML statements: INSERT (VALUES or a query; OR REPLACE / OR IGNORE / ON CONFLICT … DO NOTHING |
DO UPDATE), DELETE … WHERE and UPDATE … SET … WHERE, each evaluated once over the current contents
(queued changes included) and queued as row changes; the Pipeline commits them (autocommit, COMMIT or
step()).  Keys are checked as SQL checks them: at the end of the statement (tables.py).
A DELETE or UPDATE whose WHERE fixes the columns of a key or an index reads only the rows filed
under those values (engine/lookups.py states when that is exact); when every conjunct is such an
equality and every SET value a literal, it needs no circuit at all."""

from __future__ import annotations

import decimal

from sqlglot import exp

from ..compiler.errors import DataError
from ..compiler.frontend import element_position, error_at
from ..compiler.passes.pipeline import optimize
from ..compiler.catalog import Relation
from ..compiler.types import assign_value, show_value
from . import lookups
from .failures import CopyNotRead
from .copy_from import CopySpec, bind_copy, body, converters, decode, parse_rows, read_file
from .lookups import _NOT_LITERAL, literal_value as _literal_value
from .tables import Table


COPY_STAGE_MIN_BYTES = 32_768  # a smaller file is read by the coordinator (about 1,000 rows: see staging.STAGE_MIN)


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
        conflict = ast.args.get("conflict")
        if alternative not in ("", "REPLACE", "IGNORE"):
            raise error_at(ast, f"INSERT OR {alternative} is not supported", sql)
        action = _conflict_action(conflict, alternative)
        if action is None:
            raise error_at(conflict, "this ON CONFLICT form is not supported", sql)
        target = self._conflict_target(t, conflict, action, sql)
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
        if t.rel.rowid is not None:
            rows = [tuple(r[cols.index(n)] if n in cols else None for n in names) for r in rows]
            rows, cols = self._with_rowids(t, rows), names
        full = []
        for i, r in enumerate(rows):
            by_name = dict(zip(cols, r))
            try:
                full.append(self._row(t, tuple(by_name.get(n) for n in names), assign=True))
            except DataError as e:
                node = tuples[i] if i < len(tuples) else source
                bad = self._bad_value(t, by_name)
                if bad in cols and isinstance(node, exp.Tuple) and cols.index(bad) < len(node.expressions):
                    line, col = element_position(node.expressions, cols.index(bad), sql)  # the value itself
                else:
                    where = error_at(node, "", sql)
                    line, col = where.line, where.col
                raise DataError(e.message, line, col) from None
        if action == "error":
            t.queue_insert(full)
        elif action == "replace":
            t.queue_insert(full, replace=True)
        elif action == "nothing":
            t.queue_insert(_without_conflicts(t, full, target))
        else:
            self._insert_or_update(t, ast, conflict, target, full, sql)

    def _copy_statement(self, ast, sql):
        """COPY table [(columns)] FROM 'file.csv' (HEADER …): the file's rows inserted (engine/copy_from.py),
        all or none.  On a sharded pipeline a large file is read by the workers, each a range of its
        records (engine/shards/staging.py ``stage_csv``)."""
        self._copy_committed = False
        spec = bind_copy(ast, self._tables, self._views, self.dialect.name, sql)
        t = self._tables[spec.table]
        data = read_file(spec.path)
        start, line = body(data, spec.fmt, spec.path)
        if self._shards is not None and len(data) - start >= COPY_STAGE_MIN_BYTES and self._staged_copy(
                t, spec, data, start, line):
            return
        text = decode(data[start:], spec.path, line)
        convert = converters(t.rel, self.dialect)
        rows = parse_rows(text, line, spec, convert, len(t.rel.fields))
        try:
            rows = t.check.rows(rows, lambda r: self._row(t, r))
        except DataError:
            lines: list = []
            rows = parse_rows(text, line, spec, convert, len(t.rel.fields), lines)
            for r, at in zip(rows, lines):
                try:
                    self._row(t, r)
                except DataError as e:
                    raise DataError(f"{spec.path}:{at}: {e.message}") from None
            raise
        t.queue_insert(rows)

    def _staged_copy(self, t: Table, spec: CopySpec, data: bytes, start: int, line: int) -> bool:
        """COPY's rows read by the workers; False where the coordinator must read the file itself
        (nothing changed).  Outside a transaction, where the table has nothing else queued, the COPY
        is a step of its own at once, in which the workers read the file (staging.copy_step), and the
        coordinator files the rows while they run it: its copy of them costs the step no time of its
        own.  Where the table allows (Table.defers_rows), it only checks their keys, and the rows are
        committed unread (Table.take_unread; a state file journals them as the workers' bytes).  Else
        the workers read the file into a staged batch (staging.stage_csv), queued here."""
        if t.watermark is not None or t.rel.clock_columns:
            return False
        staging = self._shards.staging

        def file(batch) -> None:
            rows = batch.rows()
            if t.insert_unchecked(rows) or t.insert_plain(rows):
                staging.keep(batch, rows, t)
            else:  # (a key taken or given twice, UNIQUE constraints, one row: raises the constraint error,
                t.queue_insert(rows)  # or queues the rows, then fed as rows, not as the workers' parts)

        if self._txn is None and not t.pending and not t.pending_late:
            if t.defers_rows:
                def check(batch) -> None:
                    keys = batch.keys()
                    if keys is not None:
                        t.check_new_keys(keys)
                copying = staging.copy_step(t, spec, data, start, line, self.circuit, check,
                                            lambda batch: t.take_unread(batch, batch.keys()))
            else:
                copying = staging.copy_step(t, spec, data, start, line, self.circuit, file, None)
            try:
                self._tick(copied=copying)
            except CopyNotRead:
                return False
            self._copy_committed = True
            return True
        batch = staging.stage_csv(t, spec, data, start, line, self.circuit)
        if batch is None:
            return False
        file(batch)
        return True

    def _conflict_target(self, t: Table, conflict, action: str, sql):
        """The constraints ON CONFLICT (cols) names (all of the table's, if it names none)."""
        if action in ("error", "replace"):
            return None
        if not t.constraints:
            raise error_at(conflict if conflict is not None else t, f"ON CONFLICT: {t.rel.name} has no PRIMARY KEY "
                                                                    f"or UNIQUE constraint", sql)
        keys = (conflict.args.get("conflict_keys") or []) if conflict is not None else []
        if not keys:
            if action == "update" and len(t.constraints) > 1:
                raise error_at(conflict, "ON CONFLICT DO UPDATE needs the conflict's columns: ON CONFLICT (…)", sql)
            return list(range(len(t.constraints)))
        names = [f.name for f in t.rel.fields]
        cols = set()
        for k in keys:
            c = k.this if isinstance(k, exp.Ordered) else k
            if c.name not in names:
                raise error_at(c, f"unknown column {c.name!r} of {t.rel.name}", sql)
            cols.add(names.index(c.name))
        for n, constraint in enumerate(t.constraints):
            if set(constraint) == cols:
                return [n]
        raise error_at(conflict, "ON CONFLICT's columns must be a PRIMARY KEY or UNIQUE constraint", sql)

    def _insert_or_update(self, t: Table, ast, conflict, target, rows, sql):
        """INSERT … ON CONFLICT (k) DO UPDATE SET … [WHERE …]: a row whose key the table holds updates
        that row instead (SET and WHERE see the row as the table's name and the proposed one as
        ``excluded``); a key proposed twice is an error, as in Postgres."""
        cols = t.constraints[target[0]]
        index = t.indexes[target[0]]
        fresh, clashing, seen = [], [], set()
        for r in rows:
            key = t.key_of(r, cols)
            if key is not None and key in seen:
                raise DataError(f"ON CONFLICT DO UPDATE would change the row with key {_show_key(key)} of "
                                f"{t.rel.name} twice in one statement; nothing was changed")
            seen.add(key)
            (clashing if key is not None and key in index else fresh).append(r)
        if clashing:
            if self.catalog.relation("excluded") is not None:
                raise error_at(conflict, "ON CONFLICT DO UPDATE: a table or view named excluded hides the "
                                         "proposed row", sql)
            names = [f.name for f in t.rel.fields]
            target_ast = ast.this.this if isinstance(ast.this, exp.Schema) else ast.this
            alias = target_ast.alias_or_name
            on = exp.and_(*[exp.EQ(this=exp.column(names[i], table=alias), expression=exp.column(names[i], table="excluded"))
                            for i in cols])
            source = exp.Table(this=exp.to_identifier(t.rel.name), alias=exp.TableAlias(this=exp.to_identifier(alias)))
            query = exp.select(*_old_and_new(t, self._set_list(t, conflict.expressions, sql), alias)).from_(source).join(
                exp.to_table("excluded"), on=on)
            where = conflict.args.get("where")
            if where is not None:
                query = query.where(where.this.copy())
            self.catalog.add(Relation("excluded", t.rel.fields))
            try:
                bound, _ = self._bind_query(query, sql)
            finally:
                self.catalog.remove("excluded")
            excluded = {}
            for r in clashing:
                excluded[r] = excluded.get(r, 0) + 1
            self._replace_rows(t, self._evaluate(optimize(bound.plan), {"excluded": excluded}))
        t.queue_insert(fresh)

    @staticmethod
    def _set_list(t: Table, assignments, sql) -> dict:
        """SET c = e, …: {column name: expression}, every column one of ``t``'s."""
        names = {f.name for f in t.rel.fields}
        sets = {}
        for eq in assignments:
            col = eq.this.name
            if col not in names:
                raise error_at(eq.this, f"unknown column {col!r} of {t.rel.name}", sql)
            sets[col] = eq.expression
        return sets

    def _replace_rows(self, t: Table, changed: dict) -> None:
        """Queue (old row + new row) pairs as changes.  Every old row goes before any new one is
        checked: UPDATE t SET k = k + 1 moves keys past each other, as SQL checks a statement's
        constraints at its end (a failure is undone by the statement's savepoint)."""
        n = len(t.rel.fields)
        old_rows, new_rows = [], []
        for row, w in changed.items():
            old_rows.extend([row[:n]] * w)
            new_rows.extend([self._row(t, row[n:], assign=True)] * w)
        t.queue_delete(old_rows)
        t.queue_insert(new_rows)

    def _bad_value(self, t: Table, by_name: dict):
        """The first column whose value does not fit (to point an error at it), or None."""
        for f in t.rel.fields:
            v = by_name.get(f.name)
            try:
                if assign_value(v, f.type, f.name, self.dialect) is None and not f.nullable:
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
        found = self._keyed_rows(t, where)
        if found is not None and found[1]:
            doomed = found[0]
        else:
            query = exp.select("*").from_(table.copy())
            if where is not None:
                query = query.where(where.this.copy())
            bound, _ = self._bind_query(query, sql)
            doomed = self._evaluate(optimize(bound.plan), self._only(t, found), partial=frozenset((t.rel.name,)))
        t.queue_delete([r for r, w in doomed.items() for _ in range(w)])

    @staticmethod
    def _keyed_rows(t: Table, where, *others):
        """(rows, exact) when WHERE's equalities go through a key or an index of ``t`` and nothing in
        the statement reads another relation: ``rows`` are the candidates that satisfy every
        equality, ``exact`` whether those equalities are the whole WHERE.  None: scan."""
        if where is None or not lookups.reads_nothing_else(where.this, *others):
            return None
        eqs, only_eqs = lookups.equalities(where.this, t.rel.fields)
        rows = lookups.candidates(t, eqs)
        if rows is None:
            return None
        return {r: w for r, w in rows.items() if all(r[c] == v for c, v in eqs.items())}, only_eqs

    @staticmethod
    def _only(t: Table, found):
        return None if found is None else {t.rel.name: found[0]}

    def _update_statement(self, ast, sql):
        table = ast.this
        t = self._tables.get(table.name)
        if t is None:
            raise error_at(table, f"unknown table {table.name!r}", sql)
        sets = self._set_list(t, ast.expressions, sql)
        if ast.args.get("from_") is not None:
            raise error_at(ast, "UPDATE … FROM is not supported", sql)
        where = ast.args.get("where")
        found = self._keyed_rows(t, where, *sets.values())
        literal = _set_literals(t, sets) if found is not None and found[1] else None
        if literal is not None:  # SET col = literal … WHERE key = literal: no circuit needed
            changed = {row + tuple(literal.get(i, v) for i, v in enumerate(row)): w for row, w in found[0].items()}
        elif found is not None and found[1]:  # WHERE is only key equalities: the SET list's plan is reused
            changed = self._evaluate(self._set_plan(t, table, sets, sql), self._only(t, found),
                                     partial=frozenset((t.rel.name,)))
        else:
            query = exp.select(*_old_and_new(t, sets, table.alias_or_name)).from_(table.copy())
            if where is not None:
                query = query.where(where.this.copy())
            bound, _ = self._bind_query(query, sql)
            changed = self._evaluate(optimize(bound.plan), self._only(t, found), partial=frozenset((t.rel.name,)))
        self._replace_rows(t, changed)

    def _set_plan(self, t: Table, table, sets: dict, sql: str):
        """The plan of ``SELECT <old row>, <new row> FROM t`` for an UPDATE whose rows come from a key
        lookup, bound once per SET list and table definition: `UPDATE t SET x = x + 1 WHERE id = k`
        repeated with other keys binds nothing again (binding is ~3/4 of such a statement's cost).
        The plan reads only ``t`` (the caller checked) and holds no positions (run-time errors carry
        none), so the same SET list gives the same plan whatever the statement around it."""
        key = (table.alias_or_name, tuple((col, e.sql(self.dialect.name)) for col, e in sets.items()))
        cached = t.set_plans.get(key)
        if cached is not None and cached[0] is t.rel:
            return cached[1]
        bound, _ = self._bind_query(exp.select(*_old_and_new(t, sets, table.alias_or_name)).from_(table.copy()), sql)
        plan = optimize(bound.plan)
        if len(t.set_plans) >= 64:  # a bound: statements with ever new SET lists must not grow memory
            t.set_plans.clear()
        t.set_plans[key] = (t.rel, plan)
        return plan


def _old_and_new(t: Table, sets: dict, alias: str) -> list:
    """The select list giving each row as it is and then as it becomes under SET ``sets``."""
    names = [f.name for f in t.rel.fields]
    return [exp.column(n, table=alias) for n in names] + \
        [sets[n].copy() if n in sets else exp.column(n, table=alias) for n in names]


def _conflict_action(conflict, alternative: str) -> str | None:
    """error (a plain INSERT), replace, nothing, update, or None for a form not supported."""
    if conflict is None:
        return {"": "error", "REPLACE": "replace", "IGNORE": "nothing"}[alternative]
    if alternative or conflict.args.get("duplicate") or conflict.args.get("constraint"):
        return None
    action = conflict.args.get("action")
    text = action.name.upper() if action is not None else ""
    if text == "DO NOTHING":
        return "nothing"
    if text == "DO UPDATE" and conflict.expressions:
        return "update"
    return None


def _without_conflicts(t: Table, rows, target) -> list:
    """The rows whose keys (of the target constraints) neither the table nor an earlier row holds."""
    kept, seen = [], [set() for _ in t.constraints]
    for r in rows:
        clash = False
        for n in target:
            key = t.key_of(r, t.constraints[n])
            if key is not None and (key in t.indexes[n] or key in seen[n]):
                clash = True
        if not clash:
            for n in target:
                key = t.key_of(r, t.constraints[n])
                if key is not None:
                    seen[n].add(key)
            kept.append(r)
    return kept


def _show_key(key) -> str:
    return "(" + ", ".join(show_value(v) for v in (key if isinstance(key, tuple) else (key,))) + ")"


def _set_literals(t: Table, sets: dict):
    """{column index: value} when every SET value is a literal that the column stores as it is (an
    integer into an integer column, a number into DECIMAL or DOUBLE, a string into text, a boolean
    into BOOLEAN, NULL into any; ``_row`` still checks ranges, precision and NOT NULL), else None."""
    names = [f.name for f in t.rel.fields]
    out = {}
    for col, node in sets.items():
        v = _literal_value(node)
        i = names.index(col)
        kind = t.rel.fields[i].type.kind
        if v is _NOT_LITERAL:
            return None
        if v is not None and not (
                (kind == "int" and type(v) is int) or (kind in ("decimal", "float") and type(v) is not bool and
                                                       isinstance(v, (int, float, decimal.Decimal)))
                or (kind == "text" and isinstance(v, str)) or (kind == "bool" and isinstance(v, bool))):
            return None
        out[i] = float(v) if kind == "float" and v is not None else v
    return out
