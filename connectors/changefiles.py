"""Change files cut into units: SQL scripts (a unit per statement or per BEGIN … COMMIT block), CSV
files (one unit inserting every row into the table the file is named after) and JSON-lines files (a
unit per {"commit": true}), each action with the file position errors are reported at."""

from __future__ import annotations

import csv
import decimal
import io
import json
import os
from dataclasses import dataclass

import sqlglot
from sqlglot.errors import TokenError
from sqlglot.tokens import TokenType

from ..compiler import CompileError
from ..compiler.frontend import parse
from . import InputError


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
class ClockChange:
    """Advance the pipeline's clock (NOW()) to ``value`` (a timestamp's text) for the step."""

    value: str
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
_DDL = {"CREATE", "DROP", "ALTER", "SET", "RESET", "PRAGMA"}  # (settings take effect at once, as DDL does)
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
            raise InputError(compile_error_text(placed, Statement(text, "", path, text, 1, 1))) from None
        raise InputError(f"{path}: error: syntax error: {str(e).splitlines()[0]}") from None
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
    """A script as units: each BEGIN … COMMIT block is one step (a block ending in ROLLBACK is run and
    rolled back: no step), and a change outside a transaction is a step of its own, as in autocommit.
    The BEGIN, COMMIT and ROLLBACK statements themselves are executed by the Pipeline, whose
    transactions (engine/transactions.py) make each block all-or-nothing, as in the API."""
    units: list[Unit] = []
    txn: Unit | None = None
    for st in split_sql(path, text, dialect):
        if st.kind == "begin":
            if txn is not None:
                raise InputError(f"{st.where}: error: BEGIN inside a transaction (begun at {txn.where})")
            txn = Unit([st], True, st.where)
        elif st.kind in ("commit", "rollback"):
            if txn is None:
                raise InputError(f"{st.where}: error: {st.text.split()[0].upper()} without BEGIN")
            txn.actions.append(st)
            txn.step = st.kind == "commit"
            units.append(txn)
            txn = None
        elif txn is not None:
            txn.actions.append(st)
        else:
            units.append(Unit([st], st.kind == "dml", st.where))
    if txn is not None:
        raise InputError(f"{txn.where}: error: transaction is never committed (add COMMIT or ROLLBACK)")
    return units


def csv_table(path: str) -> str:
    """The table a CSV file feeds: the name before '.csv', after any other dot
    (orders.csv and day1.orders.csv both feed orders)."""
    return os.path.basename(path)[: -len(".csv")].rsplit(".", 1)[-1]


def csv_units(path: str, text: str) -> list[Unit]:
    """A CSV file as one step of inserts into the table it is named after; the header row names the
    columns (others are NULL) and an empty field is NULL."""
    table = csv_table(path)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            raise InputError(f"{path}:1: error: a CSV file needs a header row naming the columns of {table}")
        header = [h.strip() for h in header]
        twice = next((h for i, h in enumerate(header) if h in header[:i]), None)
        if twice is not None:
            raise InputError(f"{path}:1: error: the header names column {twice!r} twice")
        return _csv_rows(path, table, header, reader)
    except csv.Error as e:  # an unterminated quote, a stray quote in strict mode
        raise InputError(f"{path}:{reader.line_num}: error: not valid CSV: {e}") from None


def _csv_rows(path: str, table: str, header: list, reader) -> list[Unit]:
    changes = []
    for record in reader:
        if not record:
            continue
        if len(record) != len(header):
            raise InputError(f"{path}:{reader.line_num}: error: {len(record)} fields, but the header has "
                            f"{len(header)}")
        row = {h: (v if v != "" else None) for h, v in zip(header, record)}
        changes.append(RowChange("insert", table, row, path, reader.line_num))
    return [Unit(changes, True, f"{path}:2")] if changes else []


def jsonl_units(path: str, text: str) -> list[Unit]:
    """A JSON-lines file: {"table": T, "insert": ROW} or {"table": T, "delete": ROW} lines, ROW an
    object by column name or an array in column order, and {"now": TIMESTAMP} lines setting NOW() for
    the step.  A {"commit": true} line ends a step; the lines after the last one (or the whole file,
    if it has none) are one more step."""
    units: list[Unit] = []
    current: list[RowChange] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            obj = json.loads(line, parse_float=decimal.Decimal, object_pairs_hook=_object)
        except json.JSONDecodeError as e:
            raise InputError(f"{where}: error: not valid JSON: {e.msg} (column {e.colno})") from None
        except _DuplicateKey as e:
            raise InputError(f"{where}: error: the key {e.args[0]!r} appears twice in one object") from None
        if not isinstance(obj, dict):
            raise InputError(f"{where}: error: each line must be a JSON object")
        if "commit" in obj:
            if obj != {"commit": True}:
                raise InputError(f'{where}: error: a commit line is {{"commit": true}}, with no other field')
            if current:
                units.append(Unit(current, True, current[0].where))
            current = []
            continue
        if "now" in obj:
            if set(obj) != {"now"} or not isinstance(obj["now"], str):
                raise InputError(f'{where}: error: a clock line is {{"now": "YYYY-MM-DD HH:MM:SS"}}, with no '
                                 f'other field')
            current.append(ClockChange(obj["now"], path, lineno))
            continue
        ops = [k for k in ("insert", "delete") if k in obj]
        if len(ops) != 1:
            raise InputError(f'{where}: error: each line needs exactly one of "insert", "delete" or "commit"')
        extra = set(obj) - {"table", ops[0]}
        if extra:
            raise InputError(f"{where}: error: unknown field(s) {', '.join(sorted(extra))}")
        table, row = obj.get("table"), obj[ops[0]]
        if not isinstance(table, str):
            raise InputError(f'{where}: error: the line needs a "table" field naming the table')
        if not isinstance(row, (dict, list)):
            raise InputError(f'{where}: error: "{ops[0]}" must be an object (by column) or an array')
        current.append(RowChange(ops[0], table, row, path, lineno))
    if current:
        units.append(Unit(current, True, current[0].where))
    return units


class _DuplicateKey(ValueError):
    pass


def _object(pairs) -> dict:
    """A JSON object, refused when it has a key twice (json.loads would keep the last silently)."""
    out = dict(pairs)
    if len(out) < len(pairs):
        seen = set()
        raise _DuplicateKey(next(k for k, _ in pairs if k in seen or seen.add(k)))
    return out


def read_units(path: str, dialect: str) -> list[Unit]:
    """The units of one input file, by its extension."""
    lower = path.lower()
    if not lower.endswith((".sql", ".csv", ".jsonl", ".ndjson")):
        raise InputError(f"{path}: error: an input must be a .sql script, a .csv file named after its "
                        f"table, or a .jsonl file")
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:  # -sig: a BOM is dropped
            text = f.read()
    except OSError as e:
        raise InputError(f"{path}: error: cannot read: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: error: not UTF-8 text") from None
    if lower.endswith(".sql"):
        return sql_units(path, text, dialect)
    if lower.endswith(".csv"):
        return csv_units(path, text)
    return jsonl_units(path, text)


def compile_error_text(e, st: Statement) -> str:
    """``file:line:col: error: message`` and the source line with a caret, positions in the file."""
    line, col = st.line, st.col
    if e.line is not None:
        line = st.line + e.line - 1
        col = (e.col or 1) + (st.col - 1 if e.line == 1 else 0)
    placed = CompileError(e.message, line, col, st.source)
    snippet = placed.snippet()
    return f"{st.path}:{line}:{col}: error: {e.message}" + (f"\n{snippet}" if snippet else "")
