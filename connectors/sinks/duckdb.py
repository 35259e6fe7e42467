"""The DuckDB sink (``duckdb:PATH``): a database file with a table per view.

Types are DuckDB's own, so every value is kept exactly: the integer widths (HUGEINT included),
DECIMAL(p, s), DOUBLE (NaN too), VARCHAR, BOOLEAN, DATE, TIMESTAMP, TIMESTAMPTZ and INTERVAL (months, days and
microseconds, as written), lists, arrays, structs and maps (bound as DuckDB's client reads them:
client_value); a column of NULLs is INTEGER.  Rows go in as one typed list per column
(``unnest``), so a large step costs a few statements whatever its size, and the k copies of a row a
change deletes are found by one join on ``IS NOT DISTINCT FROM`` (NULL matches NULL) numbering the
matches; a step of a few rows takes a statement per row, which costs DuckDB less.
DuckDB lets one process at a time open a database file for writing: read it once the pipeline is
done, or from the pipeline's process.
"""

from __future__ import annotations

import duckdb

from ...sqllib.fardates import FarDate
from ...sqllib.maps import SqlMap
from ...sqllib.structs import SqlStruct
from .table import TableSink, quote


SMALL = 8  # up to this many rows, a statement per row; beyond, one statement over typed lists


def column_type(t) -> str:
    return {"null": "INTEGER", "timestamptz": "TIMESTAMPTZ"}.get(t.kind) or str(t)


def _holds_struct_or_map(t) -> bool:
    return t.kind in ("struct", "map") or (t.elem is not None and _holds_struct_or_map(t.elem)) or \
        any(_holds_struct_or_map(f) for _, f in t.fields)


def client_value(v):
    """A value as DuckDB's client binds it to its type: a STRUCT a dict, a MAP {'key': [...], 'value': [...]}
    (a struct or map inside a list too), a FarDate its text; other values as they are."""
    if isinstance(v, SqlMap):
        return {"key": [client_value(k) for k, _ in v], "value": [client_value(x) for _, x in v]}
    if isinstance(v, SqlStruct):
        return {k: client_value(x) for k, x in v.items()} if all(v.names) else tuple(map(client_value, v))
    if isinstance(v, tuple):
        return [client_value(x) for x in v]
    if type(v) is FarDate:  # DuckDB's text of it, which DuckDB reads back as the DATE
        return str(v)
    return v


class DuckDBSink(TableSink):
    kind = "duckdb"
    errors = (duckdb.Error,)
    column_type = staticmethod(column_type)

    def __init__(self, target: str, path: str):
        self.path = path
        super().__init__(target)

    def _connect(self):
        return duckdb.connect(self.path)

    def _table_exists(self, name: str) -> bool:
        return bool(self._query("SELECT 1 FROM duckdb_tables() WHERE table_name = ? AND schema_name = "
                                "current_schema()", (name,)))

    @staticmethod
    def _lists(view, rows) -> tuple[list[str], list[list]]:
        """Per column: the SQL reading it back from a list parameter, and the list."""
        exprs, lists = [], []
        for i, c in enumerate(view.columns):
            values = [r[i] for r in rows]
            if c.type.kind == "interval":  # bound as text: DuckDB's Python API would drop the months
                exprs.append("CAST(unnest(?::VARCHAR[]) AS INTERVAL)")
                values = [None if v is None else v.text() for v in values]
            elif c.type.kind == "date" and any(type(v) is FarDate for v in values):  # as text, which DuckDB reads
                exprs.append("CAST(unnest(?::VARCHAR[]) AS DATE)")
                values = [None if v is None else str(v) for v in values]
            else:
                exprs.append(f"unnest(?::{column_type(c.type)}[])")
                if _holds_struct_or_map(c.type):
                    values = [client_value(v) for v in values]
            lists.append(values)
        return exprs, lists

    @staticmethod
    def _marks(view) -> tuple[list[str], object]:
        """Per column the placeholder of one value, and the function making a row's parameters."""
        intervals = [i for i, c in enumerate(view.columns) if c.type.kind == "interval"]
        nested = [i for i, c in enumerate(view.columns) if _holds_struct_or_map(c.type) or c.type.kind == "date"]
        marks = ["CAST(? AS INTERVAL)" if c.type.kind == "interval" else
                 f"CAST(? AS {column_type(c.type)})" if i in nested else "?" for i, c in enumerate(view.columns)]
        if not intervals and not nested:
            return marks, list

        def params(row):
            out = list(row)
            for i in intervals:
                out[i] = None if out[i] is None else out[i].text()
            for i in nested:
                out[i] = client_value(out[i])
            return out

        return marks, params

    def _insert(self, view, rows: list) -> None:
        table = quote(view.name)
        if len(rows) <= SMALL:  # a statement per row costs less than building lists
            marks, params = self._marks(view)
            sql = f"INSERT INTO {table} VALUES ({', '.join(marks)})"
            for r in rows:
                self._execute(sql, params(r))
            return
        exprs, lists = self._lists(view, rows)
        self._execute(f"INSERT INTO {table} SELECT {', '.join(exprs)}", lists)

    def _delete(self, view, rows: list) -> None:
        table = quote(view.name)
        if len(rows) <= SMALL:
            marks, params = self._marks(view)
            match = " AND ".join(f"{quote(c.name)} IS NOT DISTINCT FROM {m}" for c, m in zip(view.columns, marks))
            sql = f"DELETE FROM {table} WHERE rowid IN (SELECT rowid FROM {table} WHERE {match} LIMIT ?)"
            for r, k in rows:
                self._execute(sql, params(r) + [k])
            return
        exprs, lists = self._lists(view, [r for r, _k in rows])
        items = ", ".join(f"{e} AS c{i}" for i, e in enumerate(exprs))
        on = " AND ".join(f"t.{quote(c.name)} IS NOT DISTINCT FROM d.c{i}" for i, c in enumerate(view.columns))
        self._execute(
            f"DELETE FROM {table} WHERE rowid IN (SELECT rid FROM ("
            f"SELECT t.rowid AS rid, d.k, row_number() OVER (PARTITION BY d.i) AS nth FROM {table} t "
            f"JOIN (SELECT unnest(?::BIGINT[]) AS i, unnest(?::BIGINT[]) AS k, {items}) d ON {on}) WHERE nth <= k)",
            [list(range(len(rows))), [k for _r, k in rows]] + lists)
