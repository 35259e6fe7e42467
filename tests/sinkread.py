"""Reading a sink's target back, independently of the sink's code, to compare it with the view.

``read(target, schema)`` opens the target with its own driver (duckdb, sqlite3, psycopg, json, csv,
pyarrow), decodes each value by the type mapping the sink's module documents, and, for change logs,
adds the weights up: the result is a Counter of rows, each row a tuple of ``canon`` values.
``expected(kind, rows, schema)`` is the view's rows in the same form, after the documented changes
a target makes (SQLite stores NaN as NULL, for one).  ``recorded(target)`` is the step the target
says it holds for each view.
"""

from __future__ import annotations

import datetime
import decimal
import glob
import json
import os
import sqlite3
from collections import Counter

from deltasql.connectors.sinks import parse_target
from deltasql.sqllib.sqlfuncs import Interval

D = decimal.Decimal


def canon(v):
    """One comparable form per value: NaN as a marker, intervals as their text, and the Python type
    kept beside the value (so 1, 1.0, True and Decimal(1) stay apart)."""
    if v is None:
        return None
    if isinstance(v, float) and v != v:
        return ("float", "NaN")
    if isinstance(v, Interval):
        return ("interval", v.text())
    if isinstance(v, D):
        return ("decimal", v.normalize() if v.is_finite() else v)
    return (type(v).__name__, v)


def expected(kind: str, rows, schema) -> Counter:
    """The view's rows (a list, repeats included) as ``read`` returns them for a sink of ``kind``."""
    out = Counter()
    for row in rows:
        vals = []
        for v, c in zip(row, schema.columns):
            if kind == "sqlite" and isinstance(v, float) and v != v:
                v = None  # SQLite has no NaN
            vals.append(canon(v))
        out[tuple(vals)] += 1
    return out


def read(target: str, schema) -> Counter:
    kind, where = parse_target(target)
    return _READERS[kind](where, schema)


# -- databases ------------------------------------------------------------------------------------

def _q(name):
    return '"' + name.replace('"', '""') + '"'


def _read_duckdb(path, schema) -> Counter:
    import duckdb

    cols = ", ".join(f"CAST({_q(c.name)} AS VARCHAR)" if c.type.kind == "interval" else _q(c.name)
                     for c in schema.columns)
    con = duckdb.connect(path, read_only=True)
    try:
        rows = con.execute(f"SELECT {cols} FROM {_q(schema.name)}").fetchall()
    finally:
        con.close()
    return _decoded(rows, schema, _duckdb_value)


def _duckdb_value(v, t):
    if t.kind == "interval" and v is not None:
        return ("interval", v)  # DuckDB's text of the stored months, days and microseconds
    if t.kind == "null":
        return None
    return canon(v)


def _read_sqlite(path, schema) -> Counter:
    con = sqlite3.connect(path)
    try:
        rows = con.execute(f"SELECT * FROM {_q(schema.name)}").fetchall()
    finally:
        con.close()
    return _decoded(rows, schema, _sqlite_value)


def _sqlite_value(v, t):
    """SQLite's storage classes back to the view's types, by the SQLite sink's documented mapping."""
    if v is None:
        return None
    k = t.kind
    if k == "int":  # a REAL beyond 64 bits
        assert isinstance(v, int) or (isinstance(v, float) and t.bits == 128 and abs(v) >= 2 ** 63), v
        return canon(v)
    if k == "decimal":
        return canon(D(repr(v)) if isinstance(v, float) else D(v))
    if k == "float":
        assert isinstance(v, (float, int)), v
        return canon(float(v))
    if k == "bool":
        assert v in (0, 1), v
        return canon(bool(v))
    if k == "date":
        return canon(datetime.date.fromisoformat(v))
    if k == "timestamp":
        return canon(datetime.datetime.fromisoformat(v))
    if k == "interval":
        return ("interval", v)
    return canon(v)


def _read_postgresql(url, schema) -> Counter:
    import psycopg

    cols = []
    for c in schema.columns:
        n = _q(c.name)
        if c.type.kind == "interval":  # months, days and microseconds as PostgreSQL keeps them
            cols.append(f"(extract(year from {n}) * 12 + extract(month from {n}))::int, extract(day from {n})::int, "
                        f"(extract(hour from {n}) * 3600000000 + extract(minute from {n}) * 60000000 "
                        f"+ extract(microseconds from {n}))::bigint")
        else:
            cols.append(n)
    with psycopg.connect(url) as conn:
        rows = conn.execute(f"SELECT {', '.join(cols)} FROM {_q(schema.name)}").fetchall()
    out = Counter()
    for r in rows:
        vals, i = [], 0
        for c in schema.columns:
            if c.type.kind == "interval":
                m, d, us = r[i:i + 3]
                vals.append(None if m is None else canon(Interval(m, d, us)))
                i += 3
            else:
                v = r[i]
                if c.type.kind == "int" and c.type.bits == 128 and v is not None:
                    assert v == v.to_integral_value(), v
                    v = int(v)  # NUMERIC(39, 0)
                vals.append(None if c.type.kind == "null" else canon(v))
                i += 1
        out[tuple(vals)] += 1
    return out


def _decoded(rows, schema, value) -> Counter:
    return Counter(tuple(value(v, c.type) for v, c in zip(r, schema.columns)) for r in rows)


# -- change logs ----------------------------------------------------------------------------------

def _text_value(text, t):
    """A value written as text (JSON strings, CSV fields) back to the view's type."""
    k = t.kind
    if k == "int":
        return canon(int(text))
    if k == "decimal":
        return canon(D(text))
    if k == "float":
        return canon(float(text))
    if k == "bool":
        assert text in ("true", "false"), text
        return canon(text == "true")
    if k == "date":
        return canon(datetime.date.fromisoformat(text))
    if k == "timestamp":
        return canon(datetime.datetime.fromisoformat(text))
    if k == "interval":
        return ("interval", text)
    return canon(text)


def _json_value(v, t):
    if v is None:
        return None
    k = t.kind
    if k == "int":
        assert isinstance(v, int) and not isinstance(v, bool), v
        return canon(v)
    if k == "decimal":
        assert isinstance(v, (D, int)), v  # an exact JSON number
        return canon(D(v))
    if k == "float":
        return canon(float(v))  # a number, or "nan"/"inf"/"-inf"
    if k == "bool":
        assert isinstance(v, bool), v
        return canon(v)
    if k == "text":
        assert isinstance(v, str), v
        return canon(v)
    return _text_value(v, t)


def log_steps(target: str, schema) -> dict:
    """A change log's entries for one view by step: {step: Counter({row: weight})}, each row once per
    step (a row written twice in one step, or a step written twice, would show as a doubled weight)."""
    kind, where = parse_target(target)
    out: dict = {}
    for step, row, w in _LOG_ENTRIES[kind](where, schema):
        out.setdefault(step, Counter())[row] += w
    return out


def _integrate(changes, schema) -> Counter:
    """Add (row, weight) pairs up into a bag; no row may end with a negative count."""
    total = Counter()
    for row, w in changes:
        total[row] += w
    assert all(n >= 0 for n in total.values()), f"negative counts in {schema.name}: {total}"
    return +total


def _committed_text(path: str, record: str) -> str:
    """A text log up to the length its commit record gives (what a crash left beyond is not committed)."""
    with open(record) as f:
        size = json.load(f)["files"].get(os.path.basename(path), 0)
    with open(path, "rb") as f:
        return f.read(size).decode("utf-8")


def _jsonl_entries(path, schema) -> list:
    out = []
    for line in _committed_text(path, path + ".deltasql").split("\n")[:-1]:  # (not splitlines: U+2028 …)
        obj = json.loads(line, parse_float=D)
        if obj["view"] != schema.name:
            continue
        assert list(obj["row"]) == schema.names, obj
        row = tuple(_json_value(obj["row"][c.name], c.type) for c in schema.columns)
        out.append((obj["step"], row, obj["weight"]))
    return out


def _read_jsonl(path, schema) -> Counter:
    return _integrate([(row, w) for _s, row, w in _jsonl_entries(path, schema)], schema)


def _csv_fields(line: str) -> list:
    """A CSV record's fields, None for an empty unquoted field (NULL), '' for a quoted empty one."""
    fields, i, n = [], 0, len(line)
    while True:
        if i < n and line[i] == '"':
            j, buf = i + 1, []
            while True:
                k = line.index('"', j)
                buf.append(line[j:k])
                if k + 1 < n and line[k + 1] == '"':
                    buf.append('"')
                    j = k + 2
                else:
                    i = k + 1
                    break
            fields.append("".join(buf))
        else:
            k = line.find(",", i)
            k = n if k < 0 else k
            fields.append(line[i:k] or None)
            i = k
        if i >= n:
            return fields
        assert line[i] == ",", line
        i += 1


def _csv_records(text: str) -> list[str]:
    """Records of a CSV text: newlines inside quotes belong to the field."""
    out, cur, quoted = [], [], False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if ch == "\n" and not quoted:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    assert not cur and not quoted, "a CSV log must end with a complete record"
    return out


def _csv_entries(directory, schema) -> list:
    path = os.path.join(directory, f"{schema.name}.csv")
    records = _csv_records(_committed_text(path, os.path.join(directory, ".deltasql")))
    header = _csv_fields(records[0])
    assert header[2:] == schema.names and len(header) == len(schema.columns) + 2, header
    out = []
    for rec in records[1:]:
        fields = _csv_fields(rec)
        step, weight, values = fields[0], fields[1], fields[2:]
        row = tuple(None if v is None else _text_value(v, c.type) for v, c in zip(values, schema.columns))
        out.append((int(step), row, int(weight)))
    return out


def _read_csv(directory, schema) -> Counter:
    return _integrate([(row, w) for _s, row, w in _csv_entries(directory, schema)], schema)


def _parquet_entries(directory, schema) -> list:
    import pyarrow.parquet as pq

    out = []
    for path in sorted(glob.glob(os.path.join(directory, schema.name, "*.parquet"))):
        table = pq.read_table(path)
        names = table.column_names
        assert names[2:] == schema.names, names
        for rec in table.to_pylist():
            vals = list(rec.values())
            row = []
            for v, c in zip(vals[2:], schema.columns):
                if v is None:
                    row.append(None)
                elif c.type.kind == "interval":
                    row.append(canon(Interval(v["months"], v["days"], v["microseconds"])))
                elif c.type.kind == "int" and c.type.bits == 128:
                    row.append(canon(int(v)))
                else:
                    row.append(canon(v))
            out.append((vals[0], tuple(row), vals[1]))
    return out


def _read_parquet(directory, schema) -> Counter:
    return _integrate([(row, w) for _s, row, w in _parquet_entries(directory, schema)], schema)


_LOG_ENTRIES = {"jsonl": _jsonl_entries, "csv": _csv_entries, "parquet": _parquet_entries}
_READERS = {"duckdb": _read_duckdb, "sqlite": _read_sqlite, "postgresql": _read_postgresql,
            "jsonl": _read_jsonl, "csv": _read_csv, "parquet": _read_parquet}


def recorded(target: str) -> dict:
    """{view: step} as the target records it."""
    kind, where = parse_target(target)
    if kind == "duckdb":
        import duckdb

        con = duckdb.connect(where, read_only=True)
        try:
            return dict(con.execute("SELECT view_name, step FROM deltasql_sinks").fetchall())
        finally:
            con.close()
    if kind == "sqlite":
        con = sqlite3.connect(where)
        try:
            return dict(con.execute("SELECT view_name, step FROM deltasql_sinks").fetchall())
        finally:
            con.close()
    if kind == "postgresql":
        import psycopg

        with psycopg.connect(where) as conn:
            return dict(conn.execute("SELECT view_name, step FROM deltasql_sinks").fetchall())
    record = where + ".deltasql" if kind == "jsonl" else os.path.join(where, ".deltasql")
    with open(record) as f:
        return {v: r["step"] for v, r in json.load(f)["views"].items()}
