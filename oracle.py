"""DuckDB as the oracle: a DuckDB database fed the same statements and rows as a pipeline, and the
multiset comparison of a view's rows with DuckDB's answer (numbers by value, floats with a tolerance).
Used by `deltasql check`; DuckDB is imported only here, and only when a mirror is made."""

from __future__ import annotations

import datetime
import decimal
import math
import re
from collections import Counter

import sqlglot

from .connectors import InputError
from . import FarDate, SqlMap, SqlStruct
from .connectors.changefiles import RowChange, Statement, parse  # parse: the compiler's parser, as change files use it


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class DuckMirror:
    """DuckDB holding its own copy of the tables, fed the same statements and rows."""

    def __init__(self, dialect):
        """``dialect``: the pipeline's dialect (``Pipeline.dialect``: its name and semantics)."""
        try:
            import duckdb
        except ImportError:
            raise InputError("deltasql check needs DuckDB: pip install 'deltasql[check]' "
                            "(or pip install duckdb)") from None
        self.duckdb = duckdb
        self.dialect = dialect.name
        self.con = duckdb.connect()
        self.version = duckdb.__version__
        settings = []
        if dialect.integer_division:
            settings.append("SET integer_division = true")
        if dialect.division_by_zero_null:
            settings.append("SET error_on_division_by_zero = false")
        for s in settings:
            try:
                self.con.execute(s)
            except duckdb.Error:
                pass  # older DuckDB without the setting: check is then approximate for this dialect
        self._types: dict[str, list] = {}
        self.con.execute("CREATE TABLE __deltasql_clock(now TIMESTAMP)")
        self.con.execute("INSERT INTO __deltasql_clock VALUES (NULL)")

    def set_clock(self, now) -> None:
        """The pipeline's NOW() (what the mirror's temporal filters read)."""
        self.con.execute("UPDATE __deltasql_clock SET now = ?", [now])

    def statement(self, st: Statement):
        """Run a statement; the rows if it is a query."""
        self._types.clear()
        if _streaming_syntax(st.text):
            texts = [_for_duckdb(st.text, self.dialect)]
        elif self.dialect == "duckdb":
            texts = [st.text]
        else:
            texts = sqlglot.transpile(st.text, read=self.dialect, write="duckdb")
        rows = None
        for t in texts:
            try:
                cur = self.con.execute(t)
                rows = cur.fetchall() if st.kind == "query" else None
            except self.duckdb.Error as e:
                raise InputError(f"{st.where}: error: DuckDB cannot run this statement: "
                                f"{str(e).splitlines()[0]}") from None
        return rows

    def apply_delta(self, table: str, delta: dict) -> None:
        """Apply a Z-set of changes (what a table with watermarks accepted in a step)."""
        batch = [RowChange("insert" if w > 0 else "delete", table, list(row), "(accepted changes)", 0)
                 for row, w in delta.items() for _ in range(abs(w))]
        for op in ("delete", "insert"):
            part = [c for c in batch if c.op == op]
            if part:
                self.rows(part)

    def rows(self, batch: list[RowChange]) -> None:
        table = batch[0].table
        cols = self._columns(table)
        casts = [f"CAST(? AS {t})" for _, t in cols]
        params = [[_bindable(v) for v in _full_row(c.row, cols)] for c in batch]
        try:
            if batch[0].op == "insert":
                row = f"({', '.join(casts)})"
                for i in range(0, len(params), 256):  # one statement per chunk: executemany is slow
                    chunk = params[i:i + 256]
                    self.con.execute(f"INSERT INTO {_quote(table)} VALUES " + ", ".join([row] * len(chunk)),
                                     [v for p in chunk for v in p])
            else:
                for c, p in zip(batch, params):
                    # a dict names the columns to match (a keyed table's row may be given by its key)
                    named = [(i, n, t) for i, (n, t) in enumerate(cols) if not isinstance(c.row, dict) or n in c.row]
                    match = " AND ".join(f"{_quote(n)} IS NOT DISTINCT FROM CAST(? AS {t})" for _, n, t in named)
                    sql = (f"DELETE FROM {_quote(table)} WHERE rowid = "
                           f"(SELECT rowid FROM {_quote(table)} WHERE {match} LIMIT 1)")
                    self.con.execute(sql, [p[i] for i, _, _ in named])
        except self.duckdb.Error as e:
            raise InputError(f"{batch[0].where}: error: DuckDB cannot apply these rows: "
                            f"{str(e).splitlines()[0]}") from None

    def _columns(self, table: str) -> list:
        if table not in self._types:
            self._types[table] = [(r[0], r[1]) for r in self.con.execute(f"DESCRIBE {_quote(table)}").fetchall()]
        return self._types[table]

    def contents(self, name: str) -> list:
        return self.con.execute(f"SELECT * FROM {_quote(name)}").fetchall()


def names_duckdb_cannot_tell_apart(p) -> list[str]:
    """Names the pipeline holds apart that DuckDB would take for one: DuckDB matches every name
    case-insensitively, quoted or not, while Postgres keeps a quoted "Foo" apart from foo.  Such a
    pair is two tables (or views, or columns) here and one in the mirror, so no comparison is sound."""
    out = []

    def clashes(names, what):
        seen = {}
        for n in names:
            other = seen.setdefault(_fold(n), n)
            if other != n:
                out.append(f"{what} {_quote(other)} and {_quote(n)}")

    clashes(p.tables + p.views, "the tables/views")
    for name in p.tables + p.views:
        clashes(p.columns(name), f"in {_quote(name)}, the columns")
    return out


_STREAMING = re.compile(r"\b(LATENESS|WATERMARK|MATERIALIZED|NOW|CURRENT_TIMESTAMP|CURRENT_DATE)\b", re.I)


def _streaming_syntax(text: str) -> bool:
    return bool(_STREAMING.search(text))


def _for_duckdb(text: str, dialect: str) -> str:
    """A statement with deltasql's streaming syntax as DuckDB runs it: watermark declarations and
    table properties dropped, MATERIALIZED VIEW a view, NOW() read from the mirror's clock table."""
    clock = sqlglot.parse_one("(SELECT now FROM __deltasql_clock)", read="duckdb")
    out = []
    for st in parse(text, dialect):
        ast = st.ast
        props = ast.args.get("properties")
        if props is not None:
            props.set("expressions", [p for p in props.expressions
                                      if type(p) is not sqlglot.exp.Property
                                      and not isinstance(p, sqlglot.exp.MaterializedProperty)])

        def now(node):
            if isinstance(node, sqlglot.exp.CurrentTimestamp) or (
                    isinstance(node, sqlglot.exp.Anonymous) and node.name.lower() == "now" and not node.expressions):
                return clock.copy()
            if isinstance(node, sqlglot.exp.CurrentDate):
                return sqlglot.exp.cast(clock.copy(), "DATE")
            return node
        out.append(ast.transform(now).sql(dialect="duckdb"))
    return ";\n".join(out)


def _full_row(row, cols) -> list:
    if isinstance(row, dict):  # names as DuckDB matches them: ASCII letters in any case
        by_name = {_fold(k): v for k, v in row.items()}
        return [by_name.get(_fold(n)) for n, _ in cols]
    return list(row)


def _fold(name: str) -> str:
    return name.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _bindable(v):
    """Values bound through CAST(? AS type): numbers as their exact text, so DuckDB rounds a
    DECIMAL the way the literal reads (1.255 -> 1.26), not the way the binary float does."""
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, decimal.Decimal):
        return str(v)
    if type(v) is FarDate:  # a DATE before year 1 or after 9999: its text, which DuckDB casts back
        return str(v)
    if isinstance(v, SqlMap):  # a MAP: DuckDB's client reads {'key': [...], 'value': [...]} as one
        return {"key": [_bindable(k) for k, _ in v], "value": [_bindable(x) for _, x in v]}
    if isinstance(v, SqlStruct) and all(v.names):  # a STRUCT: a dict DuckDB casts field by field
        return {k: _bindable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):  # a LIST: a Python list DuckDB casts element by element
        return [_bindable(x) for x in v]
    return v


def _norm(v):
    """A hashable key for multiset comparison: numbers of any type compare by value (rounded to
    10 significant digits; a tolerant pass follows), dates and timestamps stay distinct."""
    if v is None:
        return (0,)
    if isinstance(v, bool):
        return (1, v)
    if isinstance(v, (int, float, decimal.Decimal)):
        f = float(v)
        return (2, float(f"{f:.10g}")) if math.isfinite(f) else (2, repr(f))
    if isinstance(v, str):
        return (3, v)
    if type(v) is FarDate:  # as DuckDB's client gives it: its text
        return (3, str(v))
    if hasattr(v, "stand_in"):  # ±infinity as DuckDB's client gives it: the largest or smallest date
        v = v.stand_in()
    if isinstance(v, datetime.datetime):
        return (4, v.isoformat())
    if isinstance(v, datetime.date):
        return (5, v.isoformat())
    if isinstance(v, datetime.timedelta):
        return (6, v.total_seconds())
    if isinstance(v, datetime.time):  # a TIMETZ with its offset (Python's == ignores it), as DuckDB's client gives it
        return (10, v.isoformat())
    if isinstance(v, SqlMap) and any(isinstance(k, tuple) for k, _ in v):  # keys Python cannot hash: DuckDB's
        return (8, ((_norm("key"), _norm([k for k, _ in v])), (_norm("value"), _norm([x for _, x in v]))))
    if isinstance(v, (SqlMap, dict)) or (isinstance(v, SqlStruct) and all(v.names)):  # DuckDB answers a dict
        return (8, tuple((_norm(k), _norm(x)) for k, x in v.items()))
    if isinstance(v, (list, tuple)):  # a LIST (DuckDB answers Python lists, deltasql SqlList tuples)
        return (7, tuple(_norm(x) for x in v))
    return (9, repr(v))


def _close(a, b) -> bool:
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if _norm(x) == _norm(y):
            continue
        numbers = (int, float, decimal.Decimal)
        if isinstance(x, numbers) and isinstance(y, numbers) and not isinstance(x, bool) \
                and not isinstance(y, bool) and math.isclose(float(x), float(y), rel_tol=1e-9, abs_tol=1e-9):
            continue
        return False
    return True


def multiset_diff(ours: list, theirs: list) -> tuple[list, list]:
    """Rows only in ours and only in theirs, as multisets, floats compared with a tolerance."""
    a = Counter(tuple(map(_norm, r)) for r in ours)
    b = Counter(tuple(map(_norm, r)) for r in theirs)
    if a == b:
        return [], []
    only_a, only_b = a - b, b - a
    left = [r for r in ours if only_a[tuple(map(_norm, r))] > 0 and _take(only_a, r)]
    right = [r for r in theirs if only_b[tuple(map(_norm, r))] > 0 and _take(only_b, r)]
    for r in list(left):
        for s in right:
            if _close(r, s):
                left.remove(r)
                right.remove(s)
                break
    return left, right


def _take(counter: Counter, row) -> bool:
    counter[tuple(map(_norm, row))] -= 1
    return True
