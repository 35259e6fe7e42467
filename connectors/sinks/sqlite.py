"""The SQLite sink (``sqlite:PATH``): a database file with a table per view.

SQLite has five storage classes, so types map to its conventions (the declared type is kept, and
Python's ``sqlite3`` with ``detect_types=PARSE_DECLTYPES`` reads DATE and TIMESTAMP back as dates):

    integers           INTEGER    exact within 64 bits; a wider HUGEINT or UHUGEINT value is stored as SQLite
                                  stores any larger integer literal: as a REAL (15 significant digits)
    DECIMAL(p, s)      DECIMAL(p, s), numeric affinity: written as its exact text, which SQLite keeps
                                  as an INTEGER or a REAL (exact to 15 significant digits), or as the
                                  text itself when it is not a number SQLite can hold
    DOUBLE             REAL       NaN is stored as NULL (SQLite has no NaN)
    VARCHAR            TEXT
    BOOLEAN            BOOLEAN    0 or 1
    DATE               DATE       'YYYY-MM-DD'
    TIMESTAMP          TIMESTAMP  'YYYY-MM-DD HH:MM:SS[.ffffff]' (what SQLite's date functions read)
    TIMESTAMPTZ        TIMESTAMPTZ  the same in UTC, with '+00:00' after it
    TIME               TIME       'HH:MM:SS[.ffffff]'
    BLOB               BLOB       UUID  TEXT (lower-case, hyphenated)   BIT  TEXT ('0101')
    INTERVAL           INTERVAL   DuckDB's text: '1 year 2 months 3 days 04:05:06.000007'

A delete of k copies of a row takes k rows matching every column (``IS``, so NULL matches NULL), found
through an index on all the view's columns.  The database is in WAL mode with synchronous=FULL: a
committed step survives a crash of the process or of the machine.
"""

from __future__ import annotations

import datetime
import decimal
import sqlite3
import uuid

from ...sqllib.fardates import FarDate
from .table import TableSink, quote

_INT64 = (-(1 << 63), (1 << 63) - 1)

_DECLARED = {"int": "INTEGER", "uhugeint": "INTEGER", "time": "TIME", "timetz": "TIMETZ", "blob": "BLOB", "uuid": "TEXT", "bit": "TEXT", "float": "REAL", "text": "TEXT", "bool": "BOOLEAN", "date": "DATE",
             "timestamp": "TIMESTAMP", "timestamptz": "TIMESTAMPTZ", "interval": "INTERVAL", "null": "INTEGER"}


def column_type(t) -> str:
    return f"DECIMAL({t.precision},{t.scale})" if t.kind == "decimal" else _DECLARED[t.kind]


def value(v):
    """A view's value as sqlite3 binds it (the mapping in the module's docstring)."""
    if v is None or isinstance(v, (str, bool, bytes)):
        return v
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, int):
        return v if _INT64[0] <= v <= _INT64[1] else str(v)
    if isinstance(v, float):
        return None if v != v else v
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, datetime.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, (datetime.date, FarDate)):  # (a FarDate: DuckDB's text, '0044-03-15 (BC)')
        return v.isoformat()
    if isinstance(v, datetime.time):
        return v.isoformat()
    if isinstance(v, datetime.timedelta) and hasattr(v, "text"):
        return v.text()
    raise TypeError(f"no SQLite value for {type(v).__name__}")


class SQLiteSink(TableSink):
    kind = "sqlite"
    errors = (sqlite3.Error, TypeError, OverflowError)
    column_type = staticmethod(column_type)

    def __init__(self, target: str, path: str):
        self.path = path
        super().__init__(target)

    def _connect(self):
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        return conn

    def _table_exists(self, name: str) -> bool:
        return bool(self._query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)))

    def _index(self, view) -> None:
        table = quote(view.name)
        names = ", ".join(quote(c.name) for c in view.columns)
        self._execute(f"CREATE INDEX {quote(view.name + '__deltasql_rows')} ON {table}({names})")

    def _insert(self, view, rows: list) -> None:
        marks = ", ".join("?" * len(view.columns))
        self.conn.executemany(f"INSERT INTO {quote(view.name)} VALUES ({marks})",
                              [tuple(map(value, r)) for r in rows])

    def _delete(self, view, rows: list) -> None:
        table = quote(view.name)
        match = " AND ".join(f"{quote(c.name)} IS ?" for c in view.columns)
        self.conn.executemany(
            f"DELETE FROM {table} WHERE rowid IN (SELECT rowid FROM {table} WHERE {match} LIMIT ?)",
            [(*map(value, r), k) for r, k in rows])
