"""The PostgreSQL sink (``postgresql://USER@HOST:PORT/DB``, any libpq URI): a table per view in the
connection's current schema, through psycopg 3.

Types:
    TINYINT, SMALLINT  SMALLINT          INTEGER  INTEGER          BIGINT  BIGINT
    HUGEINT, UHUGEINT  NUMERIC(39, 0)    DECIMAL(p, s)  NUMERIC(p, s)
    DOUBLE             DOUBLE PRECISION (NaN kept)      VARCHAR  TEXT   BOOLEAN  BOOLEAN
    DATE               DATE              TIMESTAMP  TIMESTAMP (without time zone)
    TIMESTAMPTZ        TIMESTAMP WITH TIME ZONE      TIME  TIME (without time zone)
    BLOB               BYTEA             UUID  UUID     (BIT: no mapping yet, refused)
    INTERVAL           INTERVAL (months, days and microseconds, as PostgreSQL keeps them too)
    a column of NULLs  TEXT
PostgreSQL's TEXT cannot hold the character NUL: a row with one fails the step's transaction (the
sink then reports the error and the target stays at its last step).

Rows go in with COPY.  The k copies of a row a change deletes are the first k of ``ctid`` found
through an index on every column (TEXT and BYTEA columns through ``md5(column)``, so long values fit the
index): one statement per pattern of NULLs, sent as one pipelined batch.
"""

from __future__ import annotations

import psycopg
from psycopg.adapt import Dumper

from ...sqllib.fardates import FarDate
from ...sqllib.sqlfuncs import Interval
from .table import TableSink, quote

_TYPES = {"uhugeint": "NUMERIC(39, 0)", "time": "TIME", "timetz": "TIME WITH TIME ZONE", "blob": "BYTEA", "uuid": "UUID", "float": "DOUBLE PRECISION", "text": "TEXT", "bool": "BOOLEAN", "date": "DATE", "timestamp": "TIMESTAMP",
          "timestamptz": "TIMESTAMP WITH TIME ZONE", "interval": "INTERVAL", "null": "TEXT"}
_INDEX_COLUMNS = 32  # PostgreSQL's limit on an index's columns


def column_type(t) -> str:
    if t.kind == "int":
        return {8: "SMALLINT", 16: "SMALLINT", 32: "INTEGER", 64: "BIGINT"}.get(t.bits, "NUMERIC(39, 0)")
    if t.kind == "decimal":
        return f"NUMERIC({t.precision}, {t.scale})"
    return _TYPES[t.kind]


class IntervalDumper(Dumper):
    """Our intervals as PostgreSQL's: psycopg's timedelta dumper would fold the months into days."""

    oid = psycopg.postgres.types["interval"].oid

    def dump(self, obj):
        return obj.text().encode()


class FarDateDumper(Dumper):
    """A DATE before year 1 or after 9999 as PostgreSQL writes it: '0044-03-15 BC', '12000-01-01'."""

    oid = psycopg.postgres.types["date"].oid

    def dump(self, obj):
        return obj.isoformat().replace(" (BC)", " BC").encode()


class PostgresSink(TableSink):
    kind = "postgresql"
    param = "%s"
    errors = (psycopg.Error,)
    column_type = staticmethod(column_type)

    def __init__(self, target: str, url: str):
        self.url = url
        super().__init__(target)

    def _connect(self):
        conn = psycopg.connect(self.url, autocommit=True)  # transactions are the sink's own BEGIN/COMMIT
        conn.adapters.register_dumper(Interval, IntervalDumper)
        conn.adapters.register_dumper(FarDate, FarDateDumper)
        return conn

    def _table_exists(self, name: str) -> bool:
        return bool(self._query("SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() "
                                "AND table_name = %s", (name,)))

    def _index(self, view) -> None:
        table = quote(view.name)
        keys = ", ".join(_indexed(c) for c in view.columns[:_INDEX_COLUMNS])
        self._execute(f"CREATE INDEX ON {table}({keys})")

    def _insert(self, view, rows: list) -> None:
        names = ", ".join(quote(c.name) for c in view.columns)
        with self.conn.cursor() as cur, cur.copy(f"COPY {quote(view.name)} ({names}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row(r)

    def _delete(self, view, rows: list) -> None:
        table = quote(view.name)
        by_pattern: dict[tuple, list] = {}
        for r, k in rows:
            by_pattern.setdefault(tuple(v is None for v in r), []).append((r, k))
        with self.conn.cursor() as cur:
            for nulls, group in by_pattern.items():
                conds, repeat = [], []
                for c, is_null in zip(view.columns, nulls):
                    col = quote(c.name)
                    if is_null:
                        conds.append(f"{_indexed(c)} IS NULL")
                        repeat.append(0)
                    elif c.type.kind in ("text", "blob"):  # the index's md5, then the value itself
                        conds.append(f"md5({col}) = md5(%s::{_TYPES[c.type.kind]}) AND {col} = %s")
                        repeat.append(2)
                    else:
                        conds.append(f"{col} = %s")
                        repeat.append(1)
                sql = (f"DELETE FROM {table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {table} "
                       f"WHERE {' AND '.join(conds)} LIMIT %s))")
                cur.executemany(sql, [[v for v, n in zip(r, repeat) for _ in range(n)] + [k] for r, k in group])


def _indexed(c) -> str:
    return f"md5({quote(c.name)})" if c.type.kind in ("text", "blob") else quote(c.name)
