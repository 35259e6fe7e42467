"""deltasql's command line: compile SQL views, stream changes through them, check them against DuckDB."""

from __future__ import annotations

import argparse
import csv
import datetime
import decimal
import io
import json
import math
import os
import re
import sys
import textwrap
import time
from collections import Counter
from dataclasses import dataclass

import sqlglot
from sqlglot.errors import TokenError
from sqlglot.tokens import TokenType

from . import __version__
from .compiler import CompileError, DataError, Pipeline
from .compiler.dialect import get_dialect
from .compiler.frontend import parse

EMIT_LEVELS = ("plan", "circuit", "python", "dot")
FORMATS = ("table", "jsonl", "csv")


class UserError(Exception):
    """A mistake in the command's input: printed as it is, exit status 1."""


# -- inputs: SQL scripts, CSV files and JSON-lines files, cut into units -----------------------------

@dataclass
class Statement:
    """One SQL statement of a script, with where it starts in its file."""

    text: str
    kind: str  # begin, commit, rollback, ddl, query or dml
    path: str
    source: str  # the whole file (to show the line of an error)
    line: int
    col: int

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass
class RowChange:
    """One row to insert into or delete from a table (a dict by column name, or a list in column
    order), from a CSV or JSON-lines file."""

    op: str  # insert or delete
    table: str
    row: object
    path: str
    line: int

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass
class Unit:
    """Actions applied together: one step of the pipeline if ``step``, else statements that take
    effect at once (DDL, queries)."""

    actions: list
    step: bool
    where: str


_CONTROL = {"BEGIN": "begin", "START": "begin", "COMMIT": "commit", "END": "commit",
            "ROLLBACK": "rollback", "ABORT": "rollback"}
_DDL = {"CREATE", "DROP", "ALTER"}
_QUERY = {"SELECT", "WITH", "VALUES", "FROM", "TABLE", "("}
_DML_WORDS = {"INSERT", "UPDATE", "DELETE", "MERGE"}


def split_sql(path: str, text: str, dialect: str) -> list[Statement]:
    """The ;-separated statements of a script, found with sqlglot's tokenizer (so a ';' inside a
    string or comment does not split), each with its kind and position."""
    try:
        tokens = sqlglot.Dialect.get_or_raise(dialect).tokenize(text)
    except TokenError as e:
        try:
            parse(text, dialect)  # the compiler's parser places the error
        except CompileError as placed:
            raise UserError(compile_error_text(placed, Statement(text, "", path, text, 1, 1))) from None
        raise UserError(f"{path}: error: syntax error: {str(e).splitlines()[0]}") from None
    out: list[Statement] = []
    line, seen = 1, 0  # line number at offset `seen`, advanced incrementally

    def statement(toks):
        nonlocal line, seen
        start, end = toks[0].start, toks[-1].end + 1
        line += text.count("\n", seen, start)
        seen = start
        col = start - (text.rfind("\n", 0, start) + 1) + 1
        first = toks[0].text.upper()
        if first in _CONTROL:
            kind = _CONTROL[first]
        elif first in _DDL:
            kind = "ddl"
        elif first in _QUERY:
            words = {t.text.upper() for t in toks if t.token_type not in (TokenType.STRING,)}
            kind = "dml" if first == "WITH" and words & _DML_WORDS else "query"
        else:
            kind = "dml"
        out.append(Statement(text[start:end], kind, path, text, line, col))

    current = []
    for tok in tokens:
        if tok.token_type == TokenType.SEMICOLON:
            if current:
                statement(current)
            current = []
        else:
            current.append(tok)
    if current:
        statement(current)
    return out


def sql_units(path: str, text: str, dialect: str) -> list[Unit]:
    """A script as units: each BEGIN … COMMIT block is one step (ROLLBACK drops it), and a change
    outside a transaction is a step of its own, as in autocommit."""
    units: list[Unit] = []
    txn: Unit | None = None
    for st in split_sql(path, text, dialect):
        if st.kind == "begin":
            if txn is not None:
                raise UserError(f"{st.where}: error: BEGIN inside a transaction (begun at {txn.where})")
            txn = Unit([], True, st.where)
        elif st.kind in ("commit", "rollback"):
            if txn is None:
                raise UserError(f"{st.where}: error: {st.text.split()[0].upper()} without BEGIN")
            if st.kind == "commit":
                units.append(txn)
            txn = None
        elif txn is not None:
            txn.actions.append(st)
        else:
            units.append(Unit([st], st.kind == "dml", st.where))
    if txn is not None:
        raise UserError(f"{txn.where}: error: transaction is never committed (add COMMIT or ROLLBACK)")
    return units


def csv_table(path: str) -> str:
    """The table a CSV file feeds: the name before '.csv', after any other dot
    (orders.csv and day1.orders.csv both feed orders)."""
    return os.path.basename(path)[: -len(".csv")].rsplit(".", 1)[-1]


def csv_units(path: str, text: str) -> list[Unit]:
    """A CSV file as one step of inserts into the table it is named after; the header row names the
    columns (others are NULL) and an empty field is NULL."""
    table = csv_table(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header or not any(h.strip() for h in header):
        raise UserError(f"{path}:1: error: a CSV file needs a header row naming the columns of {table}")
    header = [h.strip() for h in header]
    changes = []
    for record in reader:
        if not record:
            continue
        if len(record) != len(header):
            raise UserError(f"{path}:{reader.line_num}: error: {len(record)} fields, but the header has "
                            f"{len(header)}")
        row = {h: (v if v != "" else None) for h, v in zip(header, record)}
        changes.append(RowChange("insert", table, row, path, reader.line_num))
    return [Unit(changes, True, f"{path}:2")] if changes else []


def jsonl_units(path: str, text: str) -> list[Unit]:
    """A JSON-lines file: {"table": T, "insert": ROW} or {"table": T, "delete": ROW} lines, ROW an
    object by column name or an array in column order.  A {"commit": true} line ends a step; the
    lines after the last one (or the whole file, if it has none) are one more step."""
    units: list[Unit] = []
    current: list[RowChange] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            obj = json.loads(line, parse_float=decimal.Decimal)
        except json.JSONDecodeError as e:
            raise UserError(f"{where}: error: not valid JSON: {e.msg} (column {e.colno})") from None
        if not isinstance(obj, dict):
            raise UserError(f"{where}: error: each line must be a JSON object")
        if "commit" in obj:
            if obj != {"commit": True}:
                raise UserError(f'{where}: error: a commit line is {{"commit": true}}, with no other field')
            if current:
                units.append(Unit(current, True, current[0].where))
            current = []
            continue
        ops = [k for k in ("insert", "delete") if k in obj]
        if len(ops) != 1:
            raise UserError(f'{where}: error: each line needs exactly one of "insert", "delete" or "commit"')
        extra = set(obj) - {"table", ops[0]}
        if extra:
            raise UserError(f"{where}: error: unknown field(s) {', '.join(sorted(extra))}")
        table, row = obj.get("table"), obj[ops[0]]
        if not isinstance(table, str):
            raise UserError(f'{where}: error: the line needs a "table" field naming the table')
        if not isinstance(row, (dict, list)):
            raise UserError(f'{where}: error: "{ops[0]}" must be an object (by column) or an array')
        current.append(RowChange(ops[0], table, row, path, lineno))
    if current:
        units.append(Unit(current, True, current[0].where))
    return units


def read_units(path: str, dialect: str) -> list[Unit]:
    """The units of one input file, by its extension."""
    lower = path.lower()
    if not lower.endswith((".sql", ".csv", ".jsonl", ".ndjson")):
        raise UserError(f"{path}: error: an input must be a .sql script, a .csv file named after its "
                        f"table, or a .jsonl file")
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:  # -sig: a BOM is dropped
            text = f.read()
    except OSError as e:
        raise UserError(f"{path}: error: cannot read: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise UserError(f"{path}: error: not UTF-8 text") from None
    if lower.endswith(".sql"):
        return sql_units(path, text, dialect)
    if lower.endswith(".csv"):
        return csv_units(path, text)
    return jsonl_units(path, text)


# -- applying units to a Pipeline --------------------------------------------------------------------

def compile_error_text(e, st: Statement) -> str:
    """``file:line:col: error: message`` and the source line with a caret, positions in the file."""
    line, col = st.line, st.col
    if e.line is not None:
        line = st.line + e.line - 1
        col = (e.col or 1) + (st.col - 1 if e.line == 1 else 0)
    placed = CompileError(e.message, line, col, st.source)
    snippet = placed.snippet()
    return f"{st.path}:{line}:{col}: error: {e.message}" + (f"\n{snippet}" if snippet else "")


def data_error_text(e, where_path: str, line: int, col: int = 1) -> str:
    """A DataError placed at a line; a trailing '(line N[, column C])' (relative to the statement)
    moves into the position."""
    msg = str(e)
    m = re.search(r" \(line (\d+)(?:, column (\d+))?\)$", msg)
    if not m:
        return f"{where_path}:{line}: error: {msg}"
    rel_line = int(m.group(1))
    msg = msg[: m.start()]
    if m.group(2) is None:
        return f"{where_path}:{line + rel_line - 1}: error: {msg}"
    rel_col = int(m.group(2)) + (col - 1 if rel_line == 1 else 0)
    return f"{where_path}:{line + rel_line - 1}:{rel_col}: error: {msg}"


def batches(actions: list):
    """The actions with consecutive rows of the same table and operation gathered into lists."""
    batch: list[RowChange] = []
    for a in actions:
        if batch and (not isinstance(a, RowChange) or (a.op, a.table) != (batch[0].op, batch[0].table)):
            yield batch
            batch = []
        if isinstance(a, RowChange):
            batch.append(a)
        else:
            yield a
    if batch:
        yield batch


class Session:
    """A Pipeline fed units in order."""

    def __init__(self, dialect: str):
        try:
            self.p = Pipeline(dialect=dialect)
        except CompileError as e:
            raise UserError(f"error: {e.message}") from None
        self.dialect = dialect
        self.steps = 0

    def apply(self, unit: Unit) -> tuple[dict | None, list]:
        """Run a unit: returns the step's changes (None if it was no step) and the ad-hoc queries'
        answers as (statement, answer) pairs, an answer having .columns and .rows."""
        queries = []
        try:
            for item in batches(unit.actions):
                if isinstance(item, Statement):
                    rows = self._statement(item)
                    if item.kind == "query":
                        queries.append((item, rows))
                else:
                    self._rows(item)
            if not unit.step:
                return None, queries
            try:
                changes = self.p.step()
            except DataError as e:
                raise UserError(f"{unit.where}: error: {e}") from None
        except BaseException:
            self.p.discard()
            raise
        self.steps += 1
        return changes, queries

    def _statement(self, st: Statement):
        """Execute a statement; a query's answer (columns and rows) for a SELECT."""
        try:
            return self.p.query(st.text) if st.kind == "query" else self.p.execute(st.text)
        except CompileError as e:
            raise UserError(compile_error_text(e, st)) from None
        except DataError as e:
            raise UserError(data_error_text(e, st.path, st.line, st.col)) from None

    def _rows(self, batch: list[RowChange]) -> None:
        """Queue a batch of same-table, same-operation rows; on a bad row, name its line."""
        op = self.p.insert if batch[0].op == "insert" else self.p.delete
        table = batch[0].table
        try:
            op(table, [c.row for c in batch])
            return
        except DataError:
            pass
        for c in batch:  # the batch was refused as a whole: find the row to blame
            try:
                op(table, [c.row])
            except DataError as e:
                raise UserError(f"{c.where}: error: {e}") from None
        raise AssertionError("a batch was refused but each of its rows was accepted")


# -- output ------------------------------------------------------------------------------------------

def fmt_value(v) -> str:
    """A value as text for tables: NULL, true/false, ISO dates, shortest round-trip floats."""
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, datetime.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, (datetime.date, datetime.time)):
        return v.isoformat()
    return str(v)


def json_value(v) -> str:
    """A value as JSON text; decimals stay exact JSON numbers, dates are ISO strings."""
    if isinstance(v, decimal.Decimal):
        return str(v) if v.is_finite() else json.dumps(str(v))
    if isinstance(v, float) and not math.isfinite(v):
        return json.dumps(repr(v))
    if v is None or isinstance(v, (bool, int, float, str)):
        return json.dumps(v, ensure_ascii=False)
    return json.dumps(fmt_value(v), ensure_ascii=False)


def weight_text(w: int) -> str:
    sign = "+" if w > 0 else "-"
    return sign if abs(w) == 1 else f"{sign}{abs(w)}"


def render_table(header: list[str] | None, rows: list[list], indent: str = "  ") -> str:
    """Aligned columns under an optional header; numeric columns right-aligned."""
    cells = [[fmt_value(v) for v in r] for r in rows]
    n = len(header) if header is not None else max((len(r) for r in rows), default=0)
    widths = [max([len(header[i]) if header is not None else 0] + [len(r[i]) for r in cells]) for i in range(n)]
    numeric = [bool(rows) and all(r[i] is None or (isinstance(r[i], (int, float, decimal.Decimal))
                                                   and not isinstance(r[i], bool)) for r in rows)
               for i in range(n)]

    def line(items):
        out = [(s.rjust(w) if numeric[i] else s.ljust(w)) for i, (s, w) in enumerate(zip(items, widths))]
        return (indent + "  ".join(out)).rstrip()

    return "\n".join(([line(header)] if header is not None else []) + [line(r) for r in cells])


def _change_key(change):
    """Rows in order of their first column, and for equal first columns (a group's key, mostly) the
    removals before the additions that replace them."""
    row, w = change
    key = tuple((v is None, type(v).__name__, 0 if v is None else v) for v in row)
    return key[:1], w, key


class Printer:
    """Writes each step's view changes in the chosen format."""

    def __init__(self, fmt: str, out, progress: "Progress"):
        self.fmt = fmt
        self.out = out
        self.progress = progress
        self.csv = csv.writer(out, lineterminator="\n") if fmt == "csv" else None
        self.csv_header_done = False

    def step(self, number: int, unit: Unit, changes: dict, views: list[str], columns) -> None:
        shown = [v for v in views if changes.get(v)]
        changes = {v: sorted(changes[v], key=_change_key) for v in shown}
        if self.fmt == "table":
            text = [f"== step {number}  {unit.where}" + ("" if shown else "  (no view changes)")]
            for v in shown:
                text.append(v)
                text.append(render_table(["w"] + columns(v), [[weight_text(w), *row] for row, w in changes[v]]))
            self._write("\n".join(text) + "\n")
        elif self.fmt == "jsonl":
            lines = []
            for v in shown:
                cols = columns(v)
                for row, w in changes[v]:
                    body = ", ".join(f"{json.dumps(c)}: {json_value(x)}" for c, x in zip(cols, row))
                    lines.append(f'{{"step": {number}, "view": {json.dumps(v)}, "weight": {w}, "row": {{{body}}}}}')
            if lines:
                self._write("\n".join(lines) + "\n")
        else:
            self.progress.clear()
            for v in shown:
                if not self.csv_header_done:
                    self.csv.writerow(["step", "view", "weight", *columns(v)])
                    self.csv_header_done = True
                for row, w in changes[v]:
                    self.csv.writerow([number, v, w, *("" if x is None else fmt_value(x) for x in row)])

    def query(self, st: Statement, answer) -> None:
        """An ad-hoc query's rows (not in csv format, which holds one view's changes)."""
        if self.fmt == "table":
            body = render_table(answer.columns, answer.rows) if answer.rows else "  (no rows)"
            self._write(f"== query  {st.where}\n{body}\n")
        elif self.fmt == "jsonl":
            lines = []
            for row in answer.rows:
                body = ", ".join(f"{json.dumps(c)}: {json_value(x)}" for c, x in zip(answer.columns, row))
                lines.append(f'{{"query": {json.dumps(st.where)}, "row": {{{body}}}}}\n')
            self._write("".join(lines))

    def _write(self, text: str) -> None:
        self.progress.clear()
        self.out.write(text)


class Progress:
    """A progress bar on stderr, drawn when stderr is a terminal (or when forced) and there is more
    than one unit of work."""

    def __init__(self, total: int, force: bool = False, stream=None):
        self.stream = stream if stream is not None else sys.stderr
        self.total = total
        self.on = total > 1 and (force or self.stream.isatty())
        self.start = time.monotonic()
        self.last = 0.0
        self.drawn = False

    def update(self, done: int) -> None:
        if not self.on:
            return
        now = time.monotonic()
        if now - self.last < 0.1 and done < self.total:
            return
        self.last = now
        filled = 30 * done // self.total
        self.stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{self.total} "
                          f"{now - self.start:.1f}s")
        self.stream.flush()
        self.drawn = True

    def clear(self) -> None:
        if self.drawn:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.drawn = False


# -- DuckDB as the oracle for `check` ----------------------------------------------------------------

def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class DuckMirror:
    """DuckDB holding its own copy of the tables, fed the same statements and rows."""

    def __init__(self, dialect: str):
        try:
            import duckdb
        except ImportError:
            raise UserError("deltasql check needs DuckDB: pip install 'deltasql[check]' "
                            "(or pip install duckdb)") from None
        self.duckdb = duckdb
        self.dialect = dialect
        self.con = duckdb.connect()
        self.version = duckdb.__version__
        profile = get_dialect(dialect)
        settings = []
        if profile.integer_division:
            settings.append("SET integer_division = true")
        if profile.division_by_zero_null:
            settings.append("SET error_on_division_by_zero = false")
        for s in settings:
            try:
                self.con.execute(s)
            except duckdb.Error:
                pass  # older DuckDB without the setting: check is then approximate for this dialect
        self._types: dict[str, list] = {}

    def statement(self, st: Statement):
        """Run a statement; the rows if it is a query."""
        self._types.clear()
        if self.dialect == "duckdb":
            texts = [st.text]
        else:
            texts = sqlglot.transpile(st.text, read=self.dialect, write="duckdb")
        rows = None
        for t in texts:
            try:
                cur = self.con.execute(t)
                rows = cur.fetchall() if st.kind == "query" else None
            except self.duckdb.Error as e:
                raise UserError(f"{st.where}: error: DuckDB cannot run this statement: "
                                f"{str(e).splitlines()[0]}") from None
        return rows

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
                match = " AND ".join(f"{_quote(n)} IS NOT DISTINCT FROM {c}" for (n, _), c in zip(cols, casts))
                sql = (f"DELETE FROM {_quote(table)} WHERE rowid = "
                       f"(SELECT rowid FROM {_quote(table)} WHERE {match} LIMIT 1)")
                for p in params:
                    self.con.execute(sql, p)
        except self.duckdb.Error as e:
            raise UserError(f"{batch[0].where}: error: DuckDB cannot apply these rows: "
                            f"{str(e).splitlines()[0]}") from None

    def _columns(self, table: str) -> list:
        if table not in self._types:
            self._types[table] = [(r[0], r[1]) for r in self.con.execute(f"DESCRIBE {_quote(table)}").fetchall()]
        return self._types[table]

    def contents(self, name: str) -> list:
        return self.con.execute(f"SELECT * FROM {_quote(name)}").fetchall()


def _full_row(row, cols) -> list:
    if isinstance(row, dict):
        return [row.get(n) for n, _ in cols]
    return list(row)


def _bindable(v):
    """Values bound through CAST(? AS type): numbers as their exact text, so DuckDB rounds a
    DECIMAL the way the literal reads (1.255 -> 1.26), not the way the binary float does."""
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, decimal.Decimal):
        return str(v)
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
    if isinstance(v, datetime.datetime):
        return (4, v.isoformat())
    if isinstance(v, datetime.date):
        return (5, v.isoformat())
    if isinstance(v, datetime.timedelta):
        return (6, v.total_seconds())
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


# -- commands ----------------------------------------------------------------------------------------

def selected_views(p, wanted: list[str] | None) -> list[str]:
    if not wanted:
        return list(p.views)
    for v in wanted:
        if v not in p.views:
            known = ", ".join(p.views) or "none"
            raise UserError(f"error: unknown view {v!r} (views: {known})")
    return list(wanted)


def cmd_compile(args) -> int:
    session = Session(args.dialect)
    for unit in read_units(args.views, args.dialect):
        session.apply(unit)
    p = session.p
    names = selected_views(p, args.view)
    if not names:
        raise UserError(f"{args.views}: error: the file defines no view")
    if args.emit == "dot":
        sys.stdout.write(dot_text(p, names))
        return 0
    parts = []
    for name in names:
        head = f"{name}({', '.join(p.columns(name))})"
        if args.emit == "plan":
            parts.append(f"-- view {head}\n{p.plan_text(name)}")
        elif args.emit == "circuit":
            parts.append(f"-- view {head}\n{p.circuit_text(name)}")
        else:
            parts.append(f"# view {head}\n{p.generated_source(name)}")
    sys.stdout.write("\n\n".join(part.rstrip("\n") for part in parts) + "\n")
    return 0


def dot_text(p, names: list[str]) -> str:
    """One Graphviz digraph, a cluster per view."""
    def esc(s: str) -> str:
        return s.replace("\\", "\\\\").replace('"', '\\"')

    lines = ["digraph deltasql {", "  rankdir=BT;", '  node [shape=box, fontname="monospace"];']
    for i, name in enumerate(names):
        nodes, edges = p.circuit_graph(name)
        lines.append(f"  subgraph cluster_{i} {{")
        lines.append(f'    label="view {esc(name)}";')
        for nid, label in nodes:
            lines.append(f'    v{i}_{nid} [label="{esc(label)}"];')
        for a, b in edges:
            lines.append(f"    v{i}_{a} -> v{i}_{b};")
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def read_all(args) -> tuple[list[Unit], int]:
    """The units of VIEWS.sql and then of every CHANGES file, and how many come from VIEWS.sql."""
    units = read_units(args.views, args.dialect)
    n_views = len(units)
    for path in args.changes:
        units.extend(read_units(path, args.dialect))
    return units, n_views


def cmd_run(args) -> int:
    units, n_views = read_all(args)
    session = Session(args.dialect)
    p = session.p
    progress = Progress(len(units), args.progress)
    printer = Printer(args.format, sys.stdout, progress)

    def shown() -> list[str]:
        views = args.view or list(p.views)
        if args.format == "csv" and len(views) > 1:
            raise UserError(f"error: --format csv prints one view: choose it with --view NAME "
                            f"(views: {', '.join(views)})")
        return views

    try:
        for i, unit in enumerate(units):
            if i == n_views:
                selected_views(p, args.view)  # --view names are checked once VIEWS.sql is loaded
            changes, queries = session.apply(unit)
            for st, answer in queries:
                printer.query(st, answer)
            if changes is not None:
                printer.step(session.steps, unit, changes, shown(), p.columns)
            progress.update(i + 1)
    finally:
        progress.clear()
    if len(units) == n_views:
        selected_views(p, args.view)
        shown()
    return 0


def cmd_check(args) -> int:
    units, _ = read_all(args)
    mirror = DuckMirror(args.dialect)
    session = Session(args.dialect)
    p = session.p
    progress = Progress(len(units), args.progress)
    try:
        for i, unit in enumerate(units, 1):
            queries = _apply_both(session, mirror, unit)
            for st, ours, theirs in queries:
                only_ours, only_theirs = multiset_diff(ours, theirs)
                if only_ours or only_theirs:
                    progress.clear()
                    _report_mismatch(f"query at {st.where}", only_ours, only_theirs)
                    return 1
            if all(isinstance(a, Statement) and a.kind == "query" for a in unit.actions):
                progress.update(i)
                continue
            at = f"step {session.steps} ({unit.where})" if unit.step else unit.where
            if not _compare(p, mirror, p.views, at, progress):
                return 1
            progress.update(i)
    finally:
        progress.clear()
    if not _compare(p, mirror, p.tables, "at the end", progress):
        return 1
    print(f"deltasql check: {session.steps} step{'s' if session.steps != 1 else ''}, every view equal to "
          f"DuckDB {mirror.version} after each")
    width = max((len(v) for v in p.views), default=0)
    for v in p.views:
        n = len(p.view(v))
        print(f"  {v.ljust(width)}  ok  {n} row{'s' if n != 1 else ''} at the end")
    return 0


def _compare(p, mirror: DuckMirror, names: list[str], at: str, progress: Progress) -> bool:
    """Compare views (or tables) with DuckDB's; print the first difference.  On a view's difference
    the tables are compared too, to tell a wrong view from a change applied differently."""
    for name in names:
        is_view = name in p.views
        ours = p.view(name).rows() if is_view else p.table_rows(name)
        only_ours, only_theirs = multiset_diff(ours, mirror.contents(name))
        if only_ours or only_theirs:
            progress.clear()
            _report_mismatch(f"{at}: {'view' if is_view else 'table'} {name}", only_ours, only_theirs)
            if is_view:
                _compare(p, mirror, p.tables, at, progress)
            return False
    return True


def _apply_both(session: Session, mirror: DuckMirror, unit: Unit) -> list:
    """Apply a unit to the pipeline, then the same actions to DuckDB; the ad-hoc queries as
    (statement, our rows, DuckDB's rows)."""
    _, queries = session.apply(unit)
    ours = {id(st): answer.rows for st, answer in queries}
    out = []
    for item in batches(unit.actions):
        if isinstance(item, Statement):
            rows = mirror.statement(item)
            if item.kind == "query":
                out.append((item, ours[id(item)], rows))
        else:
            mirror.rows(item)
    return out


def _report_mismatch(what: str, only_ours: list, only_theirs: list, limit: int = 20) -> None:
    out = [f"deltasql check: {what} differs from DuckDB"]
    for title, rows in (("only in deltasql", only_ours), ("only in DuckDB", only_theirs)):
        if not rows:
            continue
        out.append(f"  {title} ({len(rows)} row{'s' if len(rows) != 1 else ''}):")
        out.extend(f"    ({', '.join(fmt_value(v) for v in r)})" for r in rows[:limit])
        if len(rows) > limit:
            out.append(f"    … {len(rows) - limit} more")
    print("\n".join(out))


# -- argument parsing --------------------------------------------------------------------------------

_INPUTS_HELP = """\
inputs, applied in order after VIEWS.sql:
  *.sql    a script: each BEGIN … COMMIT block is one step (ROLLBACK drops it); a change outside a
           transaction is a step of its own (autocommit); CREATE/DROP take effect at once and
           SELECTs print their rows
  *.csv    one step inserting every row into the table the file is named after (orders.csv and
           day1.orders.csv feed table orders); the header names the columns; an empty field is NULL
  *.jsonl  lines {"table": "orders", "insert": {...}} or {..., "delete": {...}}, a row as an object
           by column name or an array in column order; a {"commit": true} line ends a step, and the
           lines after the last one (the whole file, if it has none) are one more step
"""


def _text(description: str, examples: list[str], more: str = "") -> dict:
    """A command's description (wrapped) and its epilog of examples."""
    epilog = "examples:\n" + "".join(f"  {e}\n" for e in examples) + (f"\n{more}" if more else "")
    return dict(description=textwrap.fill(description, 100), epilog=epilog.rstrip("\n"),
                formatter_class=argparse.RawDescriptionHelpFormatter)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="deltasql", **_text(
        "Compile SQL views to incremental DBSP circuits and keep them up to date as changes stream into "
        "their tables.",
        ["deltasql compile sql_examples/shop.sql --emit circuit",
         "deltasql run sql_examples/shop.sql sql_examples/shop_changes.sql",
         "deltasql check sql_examples/shop.sql sql_examples/shop_changes.sql"],
        "exit status: 0 ok, 1 error in the input (or a mismatch for check), 2 bad command line\n"
        "`deltasql COMMAND --help` describes each command."))
    parser.add_argument("--version", action="version", version=f"deltasql {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name, summary, func, **text):
        sp = sub.add_parser(name, help=summary, **text)
        sp.add_argument("views", metavar="VIEWS.sql", help="CREATE TABLE and CREATE VIEW statements")
        sp.add_argument("--dialect", default="duckdb", metavar="D", help="sqlglot dialect of the SQL (default: duckdb)")
        sp.set_defaults(func=func)
        return sp

    c = command("compile", "check SQL views and print what they compile to", cmd_compile, **_text(
        "Check the tables and views of VIEWS.sql and print one level of what each view compiles to: the "
        "optimized logical plan, the runtime circuit, the generated Python, or the circuit as a Graphviz digraph.",
        ["deltasql compile sql_examples/shop.sql",
         "deltasql compile sql_examples/graph.sql --emit circuit --view reachable",
         "deltasql compile sql_examples/org.sql --emit dot | dot -Tsvg > org.svg"],
        "A mistake in the SQL prints file:line:col: error: …, the line and a caret; exit 1."))
    c.add_argument("--emit", choices=EMIT_LEVELS, default="plan", help="what to print (default: plan)")
    c.add_argument("--view", action="append", metavar="NAME", help="only this view (repeatable)")

    r = command("run", "stream changes through the views and print their changes", cmd_run, **_text(
        "Load VIEWS.sql, apply the CHANGES files step by step, and print each step's changes to every view "
        "(+ an added row, - a removed one, +N/-N for N copies).",
        ["deltasql run sql_examples/shop.sql sql_examples/shop_changes.sql",
         "deltasql run sql_examples/bank.sql sql_examples/bank.accounts.csv sql_examples/bank_transfers.jsonl "
         "--view balances --format jsonl"],
        _INPUTS_HELP + "\nA progress bar is drawn on stderr when it is a terminal (--progress forces it)."))
    r.add_argument("changes", metavar="CHANGES", nargs="*", help=".sql, .csv or .jsonl files, in order")
    r.add_argument("--format", choices=FORMATS, default="table",
                   help="table (default), jsonl (one change a line) or csv (one view; see --view)")
    r.add_argument("--view", action="append", metavar="NAME", help="only this view (repeatable)")
    r.add_argument("--progress", action="store_true", help="draw the progress bar even if stderr is no terminal")

    k = command("check", "replay changes and compare every view with DuckDB", cmd_check, **_text(
        "Replay the CHANGES like `run`, and after every step compare every view with DuckDB running the same "
        "statements on its own copy of the tables (and the tables themselves at the end), as multisets, floats "
        "with a tolerance.  Prints a summary per view; on the first difference prints the differing rows and "
        "exits 1.  Needs DuckDB: pip install 'deltasql[check]'.  A view with ORDER BY … LIMIT compares equal "
        "only if its order has no ties at the limit.",
        ["deltasql check sql_examples/shop.sql sql_examples/shop_changes.sql",
         "deltasql check sql_examples/graph.sql sql_examples/graph.links.csv sql_examples/graph_changes.sql"],
        _INPUTS_HELP))
    k.add_argument("changes", metavar="CHANGES", nargs="+", help=".sql, .csv or .jsonl files, in order")
    k.add_argument("--progress", action="store_true", help="draw the progress bar even if stderr is no terminal")
    return parser


def check_dialect(name: str) -> None:
    try:
        sqlglot.Dialect.get_or_raise(name)
    except ValueError:
        raise UserError(f"error: unknown SQL dialect {name!r} (sqlglot's names: duckdb, postgres, "
                        f"sqlite, mysql, …)") from None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        check_dialect(args.dialect)
        return args.func(args)
    except UserError as e:
        sys.stdout.flush()
        print(str(e) if str(e).split(":", 1)[0] != "error" else f"deltasql: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("deltasql: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0
    except Exception as e:  # a bug in deltasql, not in the input
        if os.environ.get("DELTASQL_TRACEBACK"):
            raise
        print(f"deltasql: internal error: {type(e).__name__}: {e} (a bug in deltasql; "
              f"DELTASQL_TRACEBACK=1 shows the traceback)", file=sys.stderr)
        return 1

