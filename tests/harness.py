"""Differential-testing harness: random insert/delete streams through a Pipeline, each view checked
against DuckDB (or a Python oracle) after every step, with seeded replay and shrinking.

    spec = Spec(ddl="CREATE TABLE t(a INT, b INT)",
                views={"v": "SELECT a, SUM(b) AS s FROM t GROUP BY a"})
    check_seed(spec, 7)                   # raises Mismatch (an AssertionError) with a report
    steps = gen_steps(RandomChooser(7), spec)   # the same stream as data
    failure = run(spec, steps)            # None, or a Failure (seed, step, view, missing/extra rows)
    shrink(spec, steps, failure)          # a smaller stream that fails the same way

In a test, hypothesis drives the stream (and shrinks it):

    @hypothesis_settings(default=12)
    @given(rnd=streams())
    def test_x(rnd):
        check_random(spec, rnd)

A differential test file's usual tests come from streams_test and seeds_test, over its specs:

    test_maps = streams_test(SPECS, 10)                                     # hypothesis, a test a name
    test_maps_on_three_workers = seeds_test(SPECS, range(3), workers=3)     # seeds 0-2 on 3 workers

Command line (a spec is ``module:NAME`` naming a Spec, or ``module:NAME:key`` for a dict of them):

    python -m tests.harness --spec tests.test_diff_joins:SPECS:inner --replay 7      # shrinks a failure
    python -m tests.harness --spec tests.test_diff_joins:SPECS:inner --seeds 0-200 --steps 12

Sizes: DELTASQL_EXAMPLES=N sets hypothesis examples per test; DELTASQL_LONG=1 runs many more
examples with fresh randomness and streams twice as long.

Sharded: DELTASQL_WORKERS=N runs every pipeline of the harness on N workers (DELTASQL_BACKEND:
simulated, the default, threads, processes or ray), so the whole differential suite checks that
sharding changes no answer: ``DELTASQL_WORKERS=3 pytest -q tests/test_diff_*.py``.

A stream is a list of steps; a step is a list of ops ``("+", table, row)`` / ``("-", table, row)``
applied in order and then ``Pipeline.step()``; the string ``RETRACT_ALL`` is a step deleting every
row left.  Generated streams hold duplicates, NULLs in every nullable column, delete-then-reinsert
and insert-then-delete in one step, groups emptied and refilled, and end by retracting everything.
"""

from __future__ import annotations

import argparse
import datetime
import decimal
import hashlib
import importlib
import math
import os
import random
import re
import sys
import traceback
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from typing import Callable

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import duckdb  # noqa: E402

from deltasql.sqllib.dates import _Infinite  # noqa: E402
from deltasql.sqllib.fardates import FarDate  # noqa: E402
from deltasql import CompileError, DataError, Pipeline  # noqa: E402
from deltasql.engine.results import ordered_changes  # noqa: E402
from deltasql.sqllib.lists import SqlList  # noqa: E402
from deltasql.sqllib.maps import SqlMap  # noqa: E402
from deltasql.sqllib.structs import SqlStruct  # noqa: E402


def ordered(changes) -> list:
    """Changes in step()'s documented order (removals first, then additions, rows in rows() order)."""
    return ordered_changes(dict(changes))

LONG = os.environ.get("DELTASQL_LONG", "") not in ("", "0")


def shard_options() -> dict:
    """Pipeline(...) options for DELTASQL_WORKERS / DELTASQL_BACKEND (none when unset)."""
    workers = int(os.environ.get("DELTASQL_WORKERS") or 1)
    backend = os.environ.get("DELTASQL_BACKEND") or None
    if workers == 1 and backend is None:
        return {}
    return {"workers": workers, "backend": backend or "simulated"}


def make_pipeline(spec: "Spec", **options) -> Pipeline:
    """The harness's Pipeline for ``spec``: sharded as DELTASQL_WORKERS asks, unless ``options`` say."""
    return Pipeline(dialect=spec.dialect, max_iterations=spec.max_iterations, **{**shard_options(), **options})
RETRACT_ALL = "RETRACT_ALL"

# DuckDB settings that give SQLite's arithmetic (see GUIDE §6)
SQLITE_SETTINGS = ("SET integer_division=true", "SET error_on_division_by_zero=false")


def examples(default: int, long: int = 100) -> int:
    """How many hypothesis examples a test runs: DELTASQL_EXAMPLES, else ``long`` under
    DELTASQL_LONG=1, else ``default``."""
    n = os.environ.get("DELTASQL_EXAMPLES")
    if n:
        return int(n)
    return long if LONG else default


def hypothesis_settings(default: int = 8, long: int = 100, **kw):
    """Hypothesis settings for differential tests: no deadline, derandomized (so strict xfails are
    stable) unless DELTASQL_LONG=1 asks for fresh examples."""
    from hypothesis import HealthCheck, settings

    return settings(max_examples=examples(default, long), deadline=None, derandomize=not LONG,
                    suppress_health_check=list(HealthCheck), print_blob=True, **kw)


# -- specs --------------------------------------------------------------------------------------

@dataclass
class ViewSpec:
    """One view.  ``oracle`` is the SQL DuckDB runs (default: ``sql``) or a Python function
    ``f(tables) -> rows`` over ``{table: [row, ...]}``.  ``columns`` limits the comparison to those
    column positions (e.g. the order keys of a top-k with ties).  ``ordered`` also compares the
    order of rows (projected to ``columns``).  ``create_at`` creates the view before that step
    (0: before any data; later: the view is backfilled from the tables); ``drop_at`` drops it before
    that step (the other views, which may have shared its arrangements, must carry on)."""

    sql: str
    oracle: str | Callable | None = None
    columns: tuple | None = None
    ordered: bool = False
    create_at: int = 0
    drop_at: int | None = None


@dataclass
class Spec:
    """Tables (DDL run by both the Pipeline and DuckDB), views, and how to generate data.

    ``domains`` maps ``"table.column"`` or ``"column"`` to the values to draw (NULL is added for
    nullable columns).  ``keys`` maps a table to column names whose values the generator keeps
    unique (so a top-k ordered by them has one right answer).  ``oracle_ddl`` replaces ``ddl`` for
    DuckDB; ``settings`` are run on the DuckDB connection first.  ``loose_types`` compares int/float/Decimal by value instead of
    requiring the same Python type and Decimal scale.  ``adhoc`` also checks ``Pipeline.execute``
    of each view's query once per stream; ``dml`` sends every other batch of changes as INSERT /
    DELETE statements instead of ``Pipeline.insert`` / ``delete``, all of a step's changes inside
    BEGIN … COMMIT.  ``upsert`` lets an insert collide with a key (``keys``) the table holds: the op
    ``("^", table, row)`` replaces the row with that key (``Pipeline.upsert`` or INSERT OR REPLACE)."""

    ddl: str
    views: dict
    dialect: str = "duckdb"
    domains: dict = field(default_factory=dict)
    keys: dict = field(default_factory=dict)
    oracle_ddl: str | None = None
    settings: tuple = ()
    loose_types: bool = False
    adhoc: bool = True  # also run each view's query ad hoc (Pipeline.execute) before the last step
    dml: bool = False  # apply every other batch of changes as INSERT / DELETE statements
    upsert: bool = False  # an insert of a key (``keys``) the table holds may replace its row (p.upsert)
    steps: int = 6
    max_ops: int = 8
    null_rate: float = 0.15
    max_iterations: int = 10_000
    rel_tol: float = 1e-9

    def view_specs(self) -> dict[str, ViewSpec]:
        return {n: v if isinstance(v, ViewSpec) else ViewSpec(v) for n, v in self.views.items()}

    def restrict(self, names) -> "Spec":
        keep = {n: v for n, v in self.views.items() if n in names}
        return Spec(**{**self.__dict__, "views": keep})


@dataclass
class Column:
    name: str
    type: str  # DuckDB's type name, e.g. INTEGER, DECIMAL(10,2)
    nullable: bool
    domain: list


@dataclass
class TableInfo:
    name: str
    columns: list[Column]


# -- value domains ------------------------------------------------------------------------------

D = decimal.Decimal
_INTS = [1, 2, 0, 3, -1, 5, 4, -7, 10, 100]
_STRS = ["a", "b", "", "ab", "A", "abc", "b_c", "x%y", " a ", "Ab", "é"]
_FLOATS = [1.0, 0.5, 0.0, -2.5, 3.75, 2.0, 0.1, 1e3, -1.0]
_DATES = [datetime.date(2024, 2, 29), datetime.date(2023, 12, 31), datetime.date(2024, 1, 1),
          datetime.date(2000, 6, 15), datetime.date(2024, 3, 1), datetime.date(1999, 1, 31)]
_TSS = [datetime.datetime(2024, 2, 29, 13, 45, 10), datetime.datetime(2023, 12, 31, 23, 59, 59),
        datetime.datetime(2024, 1, 1), datetime.datetime(2000, 6, 15, 6, 30),
        datetime.datetime(2024, 3, 1, 0, 0, 0, 500000)]
_TSTZS = [datetime.datetime(2024, 2, 29, 13, 45, 10, tzinfo=datetime.timezone.utc),
          datetime.datetime(2024, 1, 1, 2, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=2))),  # = 00:00 UTC
          datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
          datetime.datetime(2000, 6, 15, 1, 0, tzinfo=datetime.timezone(-datetime.timedelta(hours=5, minutes=30)))]


def answer_or_error(compute, errors):
    """``compute()``, or "error" if it raises one of ``errors``: one engine's answer to a value, to set
    beside another's (the same value, or an error on both sides)."""
    try:
        return compute()
    except errors:
        return "error"


def string_literal(text: str) -> str:
    """``text`` as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def default_domain(duck_type: str) -> list:
    t = duck_type.upper()
    if t in ("INTEGER", "BIGINT", "SMALLINT", "HUGEINT", "TINYINT"):
        return list(_INTS) if t != "TINYINT" else [1, 2, 0, 3, -1, 5, 4, -7, 10]
    m = re.fullmatch(r"DECIMAL\((\d+),(\d+)\)", t)
    if m:
        p, s = int(m.group(1)), int(m.group(2))
        q = D(1).scaleb(-s)
        vals = [D("1.5"), D("2"), D("0"), D("-2.25"), D("3.125"), D("10.01"), D("-0.5"), D("7")]
        out = []
        for v in vals:
            v = v.quantize(q, rounding=decimal.ROUND_HALF_UP)
            if abs(v) < D(10) ** (p - s) and v not in out:
                out.append(v)
        return out
    if t in ("DOUBLE", "FLOAT", "REAL"):
        return list(_FLOATS)
    if t == "VARCHAR":
        return list(_STRS)
    if t == "BOOLEAN":
        return [True, False]
    if t == "DATE":
        return list(_DATES)
    if t in ("TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE"):
        return list(_TSTZS)
    if t.startswith("TIMESTAMP"):
        return list(_TSS)
    if t == "INTERVAL":
        return [datetime.timedelta(days=1), datetime.timedelta(hours=5), datetime.timedelta(0)]
    raise ValueError(f"no default domain for type {duck_type}; give one in Spec.domains")


def _typed(v, duck_type: str):
    """A domain value as the Python type the column holds (DECIMAL as Decimal at its scale, DOUBLE as
    float), so the model's rows equal what the pipeline stores."""
    m = re.fullmatch(r"DECIMAL\((\d+),(\d+)\)", duck_type.upper())
    if m and v is not None and not isinstance(v, bool):
        return D(str(v)).quantize(D(1).scaleb(-int(m.group(2))), rounding=decimal.ROUND_HALF_UP,
                                  context=decimal.Context(prec=80))  # 38 digits: past the default 28
    if duck_type.upper() in ("FLOAT", "REAL", "FLOAT4") and v is not None and not isinstance(v, bool):
        from deltasql.sqllib.real import to_real
        return to_real(v)  # a FLOAT holds the nearest float32
    if duck_type.upper() in ("DOUBLE", "FLOAT", "REAL") and isinstance(v, int) and not isinstance(v, bool):
        return float(v)
    if duck_type.upper() in ("TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE") and isinstance(v, datetime.datetime) \
            and v.tzinfo is None:
        return v.replace(tzinfo=datetime.timezone.utc)
    return v


# -- choosers: where random decisions come from -------------------------------------------------

class RandomChooser:
    """Decisions from random.Random(seed), or from a given Random-like object (hypothesis's
    ``st.randoms()``, so that hypothesis records and shrinks every decision)."""

    def __init__(self, seed):
        if isinstance(seed, random.Random):
            self.seed, self.rng = None, seed
        else:
            self.seed, self.rng = seed, random.Random(seed)

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)

    def choice(self, seq):
        return seq[self.rng.randrange(len(seq))]


# -- stream generation ----------------------------------------------------------------------------

# op kinds with weights; index 0 (a plain insert) is what hypothesis shrinks towards
_KINDS = [("insert", 30), ("delete", 16), ("duplicate", 10), ("reinsert", 8), ("empty_group", 6),
          ("refill", 8), ("insert_delete", 5), ("modify", 12), ("null_row", 5), ("clear_table", 2)]
_CUMULATIVE = []
_acc = 0
for _k, _w in _KINDS:
    _acc += _w
    _CUMULATIVE.append((_acc, _k))


def _kind(ch) -> str:
    x = ch.integer(0, _acc - 1)
    for limit, k in _CUMULATIVE:
        if x < limit:
            return k
    raise AssertionError


def gen_steps(ch, spec: "Spec | Harness", n_steps: int | None = None, max_ops: int | None = None) -> list:
    """A random stream for spec's tables: a first bulk insert, then mixed steps, then RETRACT_ALL."""
    h = spec if isinstance(spec, Harness) else Harness(spec)
    spec = h.spec
    n_steps = spec.steps * (2 if LONG else 1) if n_steps is None else n_steps
    max_ops = spec.max_ops if max_ops is None else max_ops
    tables = h.tables
    model = {t.name: Counter() for t in tables}
    emptied = []  # (table, column index, value) of groups emptied, to refill later
    null_rate = int(spec.null_rate * 100)

    def value(col, allow_null=True):
        if col.nullable and allow_null and ch.integer(0, 99) < null_rate:
            return None
        return ch.choice(col.domain)

    def new_row(t):
        return tuple(value(c) for c in t.columns)

    def existing(t):
        rows = sorted(model[t.name].elements(), key=_sort_key)
        return ch.choice(rows) if rows else None

    key_cols = {t.name: [i for i, c in enumerate(t.columns) if c.name in spec.keys.get(t.name, ())]
                for t in tables}

    def key_of(t, row):
        return tuple(row[i] for i in key_cols[t.name])

    def add(ops, sign, t, row):
        if sign == "+" and key_cols[t.name]:
            used = {key_of(t, r) for r in model[t.name]}
            if key_of(t, row) in used and spec.upsert and ch.integer(0, 1) == 0:
                ops.append(("^", t.name, row))  # the key collides: the row replaces the one holding it
                upsert_into(model[t.name], row, lambda r: key_of(t, r))
                return
            if key_of(t, row) in used:
                # the key is taken: use a free key value (or drop the insert if there is none)
                free = [v for v in t.columns[key_cols[t.name][0]].domain
                        if key_of(t, _with(row, key_cols[t.name][0], v)) not in used]
                if not free:
                    return
                row = _with(row, key_cols[t.name][0], ch.choice(free))
        ops.append((sign, t.name, row))
        model[t.name][row] += 1 if sign == "+" else -1
        if not model[t.name][row]:
            del model[t.name][row]

    steps = []
    first = []
    for t in tables:
        for _ in range(ch.integer(0, 2 * max_ops)):
            add(first, "+", t, new_row(t))
    steps.append(first)
    for _ in range(n_steps - 1):
        ops = []
        for _ in range(ch.integer(1, max_ops)):
            t = ch.choice(tables)
            kind = _kind(ch)
            row = existing(t)
            if row is None and kind not in ("insert", "null_row", "refill", "insert_delete"):
                kind = "insert"
            if kind == "insert":
                add(ops, "+", t, new_row(t))
            elif kind == "null_row":
                add(ops, "+", t, tuple(None if c.nullable else value(c) for c in t.columns))
            elif kind == "delete":
                add(ops, "-", t, row)
            elif kind == "duplicate":
                for _ in range(ch.integer(1, 2)):
                    add(ops, "+", t, row)
            elif kind == "reinsert":
                add(ops, "-", t, row)
                add(ops, "+", t, row)
            elif kind == "insert_delete":
                r = new_row(t)
                add(ops, "+", t, r)
                add(ops, "-", t, r)
            elif kind == "modify":
                i = ch.integer(0, len(t.columns) - 1)
                new = list(row)
                new[i] = value(t.columns[i])
                add(ops, "-", t, row)
                add(ops, "+", t, tuple(new))
            elif kind == "clear_table":
                for r in sorted(model[t.name].elements(), key=_sort_key):
                    add(ops, "-", t, r)
            elif kind == "empty_group":
                i = ch.integer(0, len(t.columns) - 1)
                for r in sorted(model[t.name].elements(), key=_sort_key):
                    if r[i] == row[i] and type(r[i]) is type(row[i]):
                        add(ops, "-", t, r)
                emptied.append((t, i, row[i]))
            elif kind == "refill":
                if emptied:
                    et, i, v = ch.choice(emptied)
                    r = list(new_row(et))
                    r[i] = v
                    add(ops, "+", et, tuple(r))
                else:
                    add(ops, "+", t, new_row(t))
        steps.append(ops)
    steps.append(RETRACT_ALL)
    return steps


# -- comparison ---------------------------------------------------------------------------------

def _sort_key(row):
    return tuple(_value_key(v) for v in row) if isinstance(row, tuple) else (str(row),)


def _value_key(v):
    if isinstance(v, (list, tuple)):  # a LIST (DuckDB's Python list, or a SqlList): NULL elements too
        return (False, "list", tuple(_value_key(x) for x in v))
    return (v is None, type(v).__name__, v if v is not None else 0)


_NAN = float("nan")


def _freeze(v):
    """Values made hashable and comparable: lists as tuples, a months/days/micros interval as the
    timedelta DuckDB's Python client gives (a month counted as 30 days)."""
    if isinstance(v, float) and v != v:
        return _NAN  # one NaN object, so rows holding NaN are equal (dict keys, Counters)
    if isinstance(v, datetime.timedelta):
        return datetime.timedelta(days=v.days, seconds=v.seconds, microseconds=v.microseconds)
    if hasattr(v, "months") and hasattr(v, "days") and hasattr(v, "micros"):
        return datetime.timedelta(days=v.months * 30 + v.days, microseconds=v.micros)
    if isinstance(v, SqlMap):  # as DuckDB's dict; keys Python cannot hash (lists, structs) as its key/value form
        if any(isinstance(k, tuple) for k, _ in v):
            return (("key", tuple(_freeze(k) for k, _ in v)), ("value", tuple(_freeze(x) for _, x in v)))
        return tuple(sorted((k, _freeze(x)) for k, x in v))
    if isinstance(v, SqlStruct):  # as DuckDB's dict (a named struct) or tuple (an unnamed one)
        return tuple(sorted((k, _freeze(x)) for k, x in v.items())) if all(v.names) else tuple(map(_freeze, v))
    if isinstance(v, (list, tuple)):  # (DuckDB gives an ARRAY as a tuple, its elements maybe lists)
        return tuple(_freeze(x) for x in v)
    if isinstance(v, dict):
        return tuple(sorted((k, _freeze(x)) for k, x in v.items()))
    if type(v) is FarDate:  # DuckDB's client gives a DATE before year 1 or after 9999 as its text
        return str(v)
    if isinstance(v, _Infinite):  # and 'infinity' as the largest date (timestamp), '-infinity' the smallest
        return v.stand_in()
    return v


def _tag(v, loose: bool):
    """A hashable key that is equal only for values that compare equal under the harness's rules."""
    if v is None:
        return ("null",)
    if isinstance(v, bool):
        return ("bool", v)
    if isinstance(v, float):
        if math.isnan(v):
            return ("nan",)
        if loose:
            return ("num", v)
        return ("float", v)
    if isinstance(v, int):
        return ("num", v) if loose else ("int", v)
    if isinstance(v, decimal.Decimal):
        if loose:
            return ("num", float(v)) if not v == v.to_integral_value() else ("num", int(v))
        return ("dec", str(abs(v) if v == 0 else v))  # the scale counts; the sign of zero does not
    if isinstance(v, tuple):
        return ("tuple",) + tuple(_tag(x, loose) for x in v)
    if isinstance(v, datetime.time) and v.tzinfo is not None:  # a TIMETZ: its offset counts (Python's == does not)
        return ("timetz", v.hour, v.minute, v.second, v.microsecond, v.utcoffset())
    for base in (str, datetime.datetime, datetime.date, datetime.timedelta, datetime.time):   # subclasses count as their base
        if isinstance(v, base):
            return (base.__name__, v)
    return (type(v).__name__, v)


def _close(a, b, loose: bool, rel: float) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_close(x, y, loose, rel) for x, y in zip(a, b))
    fa, fb = isinstance(a, float), isinstance(b, float)
    if fa and fb or (loose and (fa or fb) and _numeric(a) and _numeric(b)):
        a, b = float(a), float(b)
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=rel, abs_tol=rel)
    return _tag(a, loose) == _tag(b, loose)


def _numeric(v):
    return isinstance(v, (int, float, decimal.Decimal)) and not isinstance(v, bool)


def diff_multisets(expected, got, loose=False, rel=1e-9):
    """(missing, extra): rows expected but not got, and got but not expected (floats within rel)."""
    e = Counter(tuple(_tag(v, loose) for v in r) for r in expected)
    g = Counter(tuple(_tag(v, loose) for v in r) for r in got)
    by_key = {}
    for r in list(expected) + list(got):
        by_key.setdefault(tuple(_tag(v, loose) for v in r), r)
    missing = [by_key[k] for k, n in (e - g).items() for _ in range(n)]
    extra = [by_key[k] for k, n in (g - e).items() for _ in range(n)]
    still = []
    for m in missing:
        for i, x in enumerate(extra):
            if _close(tuple(m), tuple(x), loose, rel):
                del extra[i]
                break
        else:
            still.append(m)
    return sorted(still, key=_sort_key), sorted(extra, key=_sort_key)


def _project(rows, columns):
    if columns is None:
        return [tuple(_freeze(v) for v in r) for r in rows]
    return [tuple(_freeze(r[i]) for i in columns) for r in rows]


# -- running ------------------------------------------------------------------------------------

@dataclass
class Failure:
    """Why a stream failed: at which step (index into the stream), in which view, and how."""

    kind: str  # mismatch | order | delta | error | oracle_error | compile | table | adhoc
    step: int
    view: str | None
    message: str
    missing: list = field(default_factory=list)
    extra: list = field(default_factory=list)
    seed: object = None
    steps: list | None = None
    spec: Spec | None = None
    expected: list | None = None

    def same_as(self, other: "Failure | None") -> bool:
        return other is not None and other.kind == self.kind and other.view == self.view

    def report(self) -> str:
        lines = [f"differential failure ({self.kind}) in view {self.view!r} at step {self.step}"
                 + (f", seed {self.seed}" if self.seed is not None else ""),
                 self.message]
        if self.missing or self.extra:
            lines.append(f"  missing (oracle has, pipeline lacks): {self.missing!r}")
            lines.append(f"  extra (pipeline has, oracle lacks):   {self.extra!r}")
        if self.steps is not None:
            lines.append("stream: " + repr(self.steps[:self.step + 1]))
        if self.spec is not None and self.steps is not None:
            spec = self.spec.restrict(_views_needed(self.spec, self.view))
            lines.append("repro:\n" + repro_script(spec, self.steps[:self.step + 1], self.view))
            if self.expected is not None:
                lines.append(f"# expected {self.view}: {sorted(self.expected, key=_sort_key)!r}")
        return "\n".join(lines)


class Mismatch(AssertionError):
    def __init__(self, failure: Failure):
        self.failure = failure
        super().__init__(failure.report())


class Harness:
    """A spec with its DuckDB oracle connection (reused across runs: its tables are reloaded)."""

    def __init__(self, spec: Spec):
        self.spec = spec
        self.con = duckdb.connect()
        self.con.execute("SET TimeZone = 'UTC'")  # TIMESTAMPTZ is shown in UTC, as deltasql holds it
        for s in spec.settings:
            self.con.execute(s)
        self.con.execute(spec.oracle_ddl or spec.ddl)
        names = [r[0] for r in self.con.execute(
            "SELECT table_name FROM duckdb_tables() ORDER BY table_name").fetchall()]
        # keep the DDL's order of tables (it is the order streams draw from)
        order = {n: _ddl_position(spec.oracle_ddl or spec.ddl, n) for n in names}
        names.sort(key=lambda n: order[n])
        self.tables = []
        for n in names:
            cols = []
            for name, typ, null, *_ in self.con.execute(f'DESCRIBE "{n}"').fetchall():
                dom = spec.domains.get(f"{n}.{name}", spec.domains.get(name))
                dom = [_typed(v, typ) for v in dom] if dom is not None else default_domain(typ)
                cols.append(Column(name, typ, null == "YES", dom))
            self.tables.append(TableInfo(n, cols))
        self.tinfo = {t.name: t for t in self.tables}
        self.views = spec.view_specs()
        self.oracle_views = set()
        self.stats = Counter()  # runs, steps, failed_steps (consistently with the oracle), rows compared

    def close(self):
        self.con.close()

    # DuckDB side
    def _load(self, model, changed, rebuild: bool = False):
        """Make the oracle's tables in ``changed`` hold the model's rows: emptied and refilled, or
        ``rebuild``: replaced by new tables of the same columns (no constraints: the model keeps them)."""
        for t in self.tables:
            if t.name not in changed:
                continue
            if rebuild:
                self.con.execute(f'CREATE OR REPLACE TABLE "{t.name}" AS SELECT * FROM "{t.name}" LIMIT 0')
            else:
                self.con.execute(f'DELETE FROM "{t.name}"')
            rows = list(model[t.name].elements())
            for i in range(0, len(rows), 200):
                chunk = rows[i:i + 200]
                ph = ",".join(["(" + ",".join(["?"] * len(t.columns)) + ")"] * len(chunk))
                self.con.execute(f'INSERT INTO "{t.name}" VALUES {ph}', [_param(v) for r in chunk for v in r])

    def _ensure_oracle_view(self, name):
        v = self.views[name]
        if name in self.oracle_views or callable(v.oracle):
            return
        self.con.execute(f'CREATE OR REPLACE VIEW "{name}" AS {v.oracle or v.sql}')
        self.oracle_views.add(name)

    def expected(self, name, model):
        v = self.views[name]
        if callable(v.oracle):
            return list(v.oracle({t: list(c.elements()) for t, c in model.items()}))
        self._ensure_oracle_view(name)
        return self.con.execute(f'SELECT * FROM "{name}"').fetchall()

    # the run
    def run(self, steps, seed=None, only_views=None, **options) -> Failure | None:
        """Drive a fresh Pipeline through ``steps``; the first disagreement with the oracle, or None.
        ``options`` go to the Pipeline (``workers``, ``backend``: see make_pipeline).  ``trace`` is left
        holding what each step() returned (or its DataError's text), to compare two runs."""
        self.trace = []
        p = make_pipeline(self.spec, **options)
        try:
            return self._run(p, steps, seed, only_views)
        finally:
            p.close()

    def _run(self, p, steps, seed, only_views) -> Failure | None:
        spec = self.spec
        views = {n: v for n, v in self.views.items() if only_views is None or n in only_views}
        model = {t.name: Counter() for t in self.tables}
        self._load(model, set(model))
        for n in list(self.oracle_views):
            self.con.execute(f'DROP VIEW IF EXISTS "{n}"')
        self.oracle_views.clear()

        def fail(kind, i, view, msg, missing=(), extra=()):
            return Failure(kind, i, view, msg, list(missing), list(extra), seed, steps, spec)

        self.stats["runs"] += 1
        try:
            p.execute(spec.ddl)
        except Exception as e:  # noqa: BLE001 - reported
            return fail("compile", 0, None, f"DDL failed: {type(e).__name__}: {e}")
        live = []
        before = {}  # view -> its rows before the step
        reported = {}  # view -> the sum of every change step() reported for it since its creation

        def create_due(i):
            for n, v in reversed(views.items()):
                if v.drop_at == i and n in live:
                    try:
                        p.execute(f"DROP VIEW {n}")
                    except Exception as e:  # noqa: BLE001
                        return fail("compile", i, n, f"DROP VIEW failed: {type(e).__name__}: {e}")
                    live.remove(n)
            for n, v in views.items():
                if v.create_at == i and n not in live:
                    try:
                        p.execute(f"CREATE VIEW {n} AS {v.sql}")
                    except Exception as e:  # noqa: BLE001
                        tb = "" if isinstance(e, CompileError) else "\n" + traceback.format_exc()
                        return fail("compile", i, n, f"CREATE VIEW failed: {type(e).__name__}: {e}{tb}")
                    live.append(n)
                    before[n] = Counter(_freeze_row(r) for r in p.view(n).rows())
                    reported[n] = Counter()  # its first rows come with the next step()
                    f = self._compare(p, n, model, i, fail)
                    if f:
                        return f
            return None

        for i, step in enumerate(steps):
            f = create_due(i)
            if f:
                return f
            ops = self._keyed([(sign, t, self._typed_row(t, r)) for sign, t, r in _materialize(step, model)], model)
            saved = {t: Counter(c) for t, c in model.items()}
            # apply to the pipeline in batches of consecutive same-kind ops on one table; with SQL
            # statements, inside BEGIN … COMMIT (a statement outside one would be a step of its own)
            try:
                if spec.dml and i % 3 == 1:
                    # a transaction rolled back first: it must leave nothing behind
                    noise = [(t, rows) for sign, t, rows in _batches(ops) if sign == "+" and not spec.keys.get(t)]
                    if noise:
                        values = ", ".join("(" + ", ".join(_sql_literal(v) for v in r) + ")" for r in noise[0][1])
                        p.execute(f"BEGIN; INSERT INTO {noise[0][0]} VALUES {values}; ROLLBACK")
                if spec.dml:
                    p.execute("BEGIN")
                for j, (sign, table, rows) in enumerate(_batches(ops)):
                    had = Counter(model[table])
                    valid = []
                    for r in rows:
                        if sign == "-" and model[table][r] <= 0:
                            continue  # a shrunk stream may delete what is no longer there
                        if sign == "^":
                            upsert_into(model[table], r, self._key(table))
                        else:
                            model[table][r] += 1 if sign == "+" else -1
                        if not model[table][r]:
                            del model[table][r]
                        valid.append(r)
                    if valid and spec.dml and j % 2 == 0:
                        self._apply_sql(p, sign, table, valid, had)
                    elif valid:
                        {"+": p.insert, "-": p.delete, "^": p.upsert}[sign](table, valid)
            except Exception as e:  # noqa: BLE001
                return fail("error", i, None, f"queueing changes failed: {type(e).__name__}: {e}\n"
                            + traceback.format_exc())
            changed = {t for t in model if model[t] != saved[t]} | {op[1] for op in ops}
            self._load(model, changed)
            self.stats["steps"] += 1
            try:
                if spec.dml:
                    p.execute("COMMIT")
                changes = p.step()
                step_error = None
                self.trace.append(changes)
            except DataError as e:
                step_error = e
                self.trace.append(str(e))
            except Exception as e:  # noqa: BLE001
                return fail("error", i, None, f"step raised {type(e).__name__} (not DataError): {e}\n"
                            + traceback.format_exc())
            if step_error is not None:
                # the oracle must fail too; then the pipeline must be unchanged
                oracle_failed = []
                for n in live:
                    try:
                        self.expected(n, model)
                    except (duckdb.Error, UnicodeDecodeError) as e:  # (DuckDB's client cannot decode an error
                        oracle_failed.append(f"{n}: {e}")           # message that cut a character in two)
                if not oracle_failed:
                    named = str(step_error).split(":", 1)[0]
                    return fail("error", i, named if named in views else None,
                                f"step raised DataError but the oracle computed every view: {step_error}")
                self.stats["failed_steps"] += 1
                p.discard()
                model = saved
                self._load(model, changed)
                for n in live:
                    now = Counter(_freeze_row(r) for r in p.view(n).rows())
                    if now != before[n]:
                        return fail("error", i, n, "a failed step changed the view")
                f = self._check_tables(p, model, i, fail)
                if f:
                    return f
                continue
            for n in live:
                after_rows = p.view(n).rows()
                after = Counter(_freeze_row(r) for r in after_rows)
                # the delta stream is complete: every change reported since the view's creation
                # (its first rows included) adds up to its contents
                for r, w in changes.get(n, []):
                    reported[n][_freeze_row(r)] += w
                total = {r: w for r, w in reported[n].items() if w}
                if total != dict(after):
                    want = {r: w for r in set(after) | set(total) if (w := after[r] - total.get(r, 0))}
                    return fail("delta", i, n, f"the changes step() reported add up to other rows than the "
                                f"view holds: missing {sorted(want.items(), key=lambda x: _sort_key(x[0]))}")
                if list(changes.get(n, [])) != ordered(changes.get(n, [])):
                    return fail("delta", i, n, "step() returned the changes out of their documented order")
                before[n] = after
                f = self._compare(p, n, model, i, fail, after_rows)
                if f:
                    return f
            f = self._check_tables(p, model, i, fail)
            if f:
                return f
            if spec.adhoc and i == len(steps) - 2:
                f = self._check_adhoc(p, live, model, i, fail)
                if f:
                    return f
        return None

    def _check_adhoc(self, p, live, model, i, fail):
        """Each view's query run once as an ad-hoc query (a fresh, non-incremental evaluation)."""
        for n in live:
            v = self.views[n]
            try:
                got = p.execute(v.sql)
            except Exception as e:  # noqa: BLE001
                return fail("adhoc", i, n, f"ad-hoc query failed: {type(e).__name__}: {e}")
            try:
                expected = self.expected(n, model)
            except duckdb.Error:
                continue
            missing, extra = diff_multisets(_project(expected, v.columns), _project(got, v.columns),
                                            self.spec.loose_types, self.spec.rel_tol)
            if missing or extra:
                return fail("adhoc", i, n, f"the ad-hoc query {v.sql!r} differs from the oracle", missing, extra)
        return None

    def _keyed(self, ops, model):
        """After a failed step (or in a shrunk stream) the tables are not what the stream was drawn
        for: an insert of a key a table holds becomes an upsert (with ``upsert``), else is dropped."""
        if not self.spec.keys:
            return ops
        sim = {t: Counter(c) for t, c in model.items()}
        out = []
        for sign, t, r in ops:
            if sign == "+" and self.spec.keys.get(t):
                key = self._key(t)
                if any(key(x) == key(r) for x in sim[t]):
                    if not self.spec.upsert:
                        continue
                    sign = "^"
            if sign == "^":
                upsert_into(sim[t], r, self._key(t))
            elif sign == "+" or sim[t][r] > 0:
                sim[t][r] += 1 if sign == "+" else -1
                if not sim[t][r]:
                    del sim[t][r]
            out.append((sign, t, r))
        return out

    def _key(self, table):
        """The key of a row of table (its ``keys`` columns)."""
        idx = [i for i, c in enumerate(self.tinfo[table].columns) if c.name in self.spec.keys.get(table, ())]
        return lambda r: tuple(r[i] for i in idx)

    def _apply_sql(self, p, sign, table, rows, had):
        """The same changes as statements: INSERT … VALUES for inserts (INSERT OR REPLACE, or ON CONFLICT
        DO UPDATE, for upserts); a DELETE matching every column for a row whose copies all go (SQL
        deletes all copies), else p.delete."""
        cols = self.tinfo[table].columns
        if sign in "+^":
            for group in ([rows] if sign == "+" else [[r] for r in rows]):  # an upsert's key once a statement
                values = ", ".join("(" + ", ".join(_sql_literal(v) for v in r) + ")" for r in group)
                if sign == "+":
                    p.execute(f"INSERT INTO {table} VALUES {values}")
                elif len(had) % 2:
                    p.execute(f"INSERT OR REPLACE INTO {table} VALUES {values}")
                else:
                    keys = ", ".join(self.spec.keys[table])
                    sets = ", ".join(f"{c.name} = excluded.{c.name}" for c in cols if c.name not in self.spec.keys[table])
                    action = f"DO UPDATE SET {sets}" if sets else "DO NOTHING"
                    p.execute(f"INSERT INTO {table} VALUES {values} ON CONFLICT ({keys}) {action}")
            return
        rest = []
        for r, k in Counter(rows).items():
            if k == had[r]:
                cond = " AND ".join(f"{c.name} IS NOT DISTINCT FROM {_sql_literal(v)}" for c, v in zip(cols, r))
                p.execute(f"DELETE FROM {table} WHERE {cond}")
            else:
                rest.extend([r] * k)
        if rest:
            p.delete(table, rest)

    def _typed_row(self, table, row):
        """Values of a hand-written stream as the column types hold them (1.5 in a DECIMAL column is
        Decimal('1.50')), so the model matches what the pipeline stores."""
        cols = self.tinfo[table].columns
        return tuple(_typed(v, c.type) for v, c in zip(row, cols)) if len(row) == len(cols) else row

    def _check_tables(self, p, model, i, fail):
        for t in self.tables:
            got = p.table_rows(t.name)
            missing, extra = diff_multisets(list(model[t.name].elements()), got, self.spec.loose_types, 0)
            if missing or extra:
                return fail("table", i, t.name, f"table {t.name} holds other rows than were applied",
                            missing, extra)
        return None

    def _compare(self, p, n, model, i, fail, got=None):
        v = self.views[n]
        try:
            expected = self.expected(n, model)
        except duckdb.Error as e:
            return fail("oracle_error", i, n, f"the oracle failed but the step did not: {e}")
        got = p.view(n).rows() if got is None else got
        self.stats["rows"] += len(got)
        missing, extra = diff_multisets(_project(expected, v.columns), _project(got, v.columns),
                                        self.spec.loose_types, self.spec.rel_tol)
        if missing or extra:
            # a second opinion: DuckDB 2.0.1 has answered from a table emptied and refilled at every step
            # otherwise than from a new table holding the same rows (BUGS.md, fuzz 1800215); the oracle is
            # the new table's answer
            self._load(model, set(model), rebuild=True)
            self.stats["oracle_rebuilt"] += 1
            try:
                expected = self.expected(n, model)
            except duckdb.Error as e:
                return fail("oracle_error", i, n, f"the oracle failed but the step did not: {e}")
            missing, extra = diff_multisets(_project(expected, v.columns), _project(got, v.columns),
                                            self.spec.loose_types, self.spec.rel_tol)
        if missing or extra:
            f = fail("mismatch", i, n, f"view {n} differs from the oracle "
                     f"({len(expected)} rows expected, {len(got)} got)", missing, extra)
            f.expected = _project(expected, v.columns)
            return f
        if v.ordered:
            e, g = _project(expected, v.columns), _project(got, v.columns)
            if not all(_close(a, b, self.spec.loose_types, self.spec.rel_tol) for a, b in zip(e, g)):
                return fail("order", i, n, f"view {n} rows are in another order:\n  expected {e}\n  got      {g}")
        return None


def _ddl_position(ddl: str, name: str) -> int:
    m = re.search(r"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?\"?" + re.escape(name) + r"\b", ddl, re.I)
    return m.start() if m else 1 << 30


def _sql_literal(v) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, decimal.Decimal)):
        return str(v)
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else f"CAST('{v}' AS DOUBLE)"
    if isinstance(v, datetime.datetime):
        return f"{'TIMESTAMP' if v.tzinfo is None else 'TIMESTAMPTZ'} '{v.isoformat(sep=' ')}'"
    if isinstance(v, datetime.timedelta):
        return f"INTERVAL '{v.days} days {v.seconds * 1_000_000 + v.microseconds} microseconds'"
    if isinstance(v, datetime.date):
        return f"DATE '{v.isoformat()}'"
    if isinstance(v, str):
        return "'" + v.replace("'", "''") + "'"
    if isinstance(v, SqlMap):  # a MAP value
        return "MAP {" + ", ".join(f"{_sql_literal(k)}: {_sql_literal(x)}" for k, x in v) + "}"
    if isinstance(v, SqlStruct):  # a STRUCT value
        if all(v.names):
            return "{" + ", ".join(f"'{k}': {_sql_literal(x)}" for k, x in v.items()) + "}"
        return "row(" + ", ".join(_sql_literal(x) for x in v) + ")"
    if isinstance(v, tuple):  # a LIST value
        return "[" + ", ".join(_sql_literal(x) for x in v) + "]"
    raise ValueError(f"no SQL literal for {v!r}")


def upsert_into(counter: Counter, row, key) -> None:
    """A model table after an upsert of row: the rows with its key replaced by it."""
    for old in [r for r in counter if key(r) == key(row)]:
        del counter[old]
    counter[row] += 1


def _with(row, i, v):
    return row[:i] + (v,) + row[i + 1:]


def _param(v):
    """A value as DuckDB's client binds it: a STRUCT or MAP as a dict (a LIST of them as a list of dicts)."""
    if isinstance(v, SqlMap):  # DuckDB's client reads {'key': [...], 'value': [...]} as a MAP
        return {"key": [_param(k) for k, _ in v], "value": [_param(x) for _, x in v]}
    if isinstance(v, SqlStruct) and all(v.names):
        return {k: _param(x) for k, x in v.items()}
    if isinstance(v, SqlList) and any(isinstance(x, tuple) for x in v):
        return [_param(x) for x in v]
    if type(v) is FarDate:  # a DATE before year 1 or after 9999: its text, which DuckDB casts to the DATE
        return str(v)
    return v


def _freeze_row(r):
    return tuple(_freeze(v) for v in r)


def _materialize(step, model):
    if step == RETRACT_ALL:
        return [("-", t, r) for t, c in model.items() for r in sorted(c.elements(), key=_sort_key)]
    return list(step)


def _batches(ops):
    out = []
    for sign, table, row in ops:
        if out and out[-1][0] == sign and out[-1][1] == table:
            out[-1][2].append(row)
        else:
            out.append((sign, table, [row]))
    return out


# -- entry points -------------------------------------------------------------------------------

# The most recently used harnesses, by their spec's id.  Bounded: each holds a DuckDB connection,
# and DuckDB starts about eight OS threads per database, which live as long as the connection;
# tests that build a Spec per example (the registry's generated tests) left thousands of threads
# behind in one pytest process, until fork() failed for want of pids.  An evicted harness is dropped,
# not closed (a caller may still hold it): its connection closes when the last reference goes.
_HARNESSES: OrderedDict[int, Harness] = OrderedDict()
_HARNESSES_KEPT = 32


def harness(spec: Spec) -> Harness:
    """The (cached) Harness of a spec."""
    h = _HARNESSES.get(id(spec))
    if h is None or h.spec is not spec:
        h = _HARNESSES[id(spec)] = Harness(spec)
        while len(_HARNESSES) > _HARNESSES_KEPT:
            _HARNESSES.popitem(last=False)
    _HARNESSES.move_to_end(id(spec))
    return h


def run(spec: Spec, steps, seed=None, only_views=None, **options) -> Failure | None:
    return harness(spec).run(steps, seed, only_views, **options)


def check_steps(spec: Spec, steps, seed=None) -> None:
    """Run a stream; raise Mismatch on the first disagreement."""
    f = run(spec, steps, seed)
    if f is not None:
        raise Mismatch(f)


def check_seed(spec: Spec, seed, shrink_failures: bool = False, **options) -> None:
    """Generate the stream of ``seed`` and check it (``options`` as Harness.run takes them, e.g.
    ``workers=3, backend="simulated"``); on failure optionally shrink first (one worker only: the
    shrinker reruns without options)."""
    assert not (shrink_failures and options), "shrink() reruns the stream without options"
    steps = gen_steps(RandomChooser(seed), harness(spec))
    f = run(spec, steps, seed, **options)
    if f is not None:
        if shrink_failures:
            f = shrink(spec, steps, f)
        raise Mismatch(f)


def replay(seed, spec: Spec, shrink_failures: bool = True) -> Failure | None:
    """Re-run the stream of a seed; returns the (shrunk) failure or None."""
    steps = gen_steps(RandomChooser(seed), harness(spec))
    f = run(spec, steps, seed)
    if f is not None and shrink_failures:
        f = shrink(spec, steps, f)
    return f


def check_random(spec: Spec, rnd: random.Random) -> None:
    """The hypothesis entry point: generate a stream from ``st.randoms(use_true_random=False)``
    (hypothesis shrinks the decisions) and check it."""
    steps = gen_steps(RandomChooser(rnd), harness(spec))
    check_steps(spec, steps)


def streams():
    """The hypothesis strategy for check_random."""
    from hypothesis import strategies as st

    return st.randoms(use_true_random=False, note_method_calls=False)


# -- the tests a differential test file is made of ------------------------------------------------

def streams_test(specs: Spec | dict[str, Spec], examples: int, *, sort: bool = False):
    """The test checking ``specs`` under hypothesis' random streams, ``examples`` of them by default
    (hypothesis_settings): for a dict of Specs one test a name (in the dict's order, or sorted), for
    one Spec one test.  A test file binds it to its own name: ``test_maps = streams_test(SPECS, 10)``.

    Derandomized, hypothesis seeds a test from its source, which is this function's for every test
    made here: the seed is taken from the specs' DDL and SQL instead, so that each file draws streams
    of its own (DELTASQL_LONG=1 still draws fresh ones)."""
    from hypothesis import given, seed

    if isinstance(specs, Spec):
        @hypothesis_settings(default=examples)
        @given(rnd=streams())
        def test(rnd):
            check_random(specs, rnd)
    else:
        @_each_name(specs, None, sort)
        @hypothesis_settings(default=examples)
        @given(rnd=streams())
        def test(name, rnd):
            check_random(specs[name], rnd)
    return test if LONG else seed(_specs_digest(specs))(test)


def seeds_test(specs: Spec | dict[str, Spec], seeds, *, workers: int = 1, names=None, sort: bool = False):
    """The test checking ``specs`` on the streams of ``seeds`` (check_seed), on one pipeline or on
    ``workers`` simulated shard workers: for a dict of Specs one test a name (``names``, or all in
    the dict's order, or sorted) running every seed, for one Spec one test a seed.  A test file binds
    it to its own name: ``test_maps_on_three_workers = seeds_test(SPECS, range(3), workers=3)``."""
    import pytest

    options = {} if workers == 1 else {"workers": workers, "backend": "simulated"}
    if isinstance(specs, Spec):
        @pytest.mark.parametrize("seed", seeds)
        def test(seed):
            check_seed(specs, seed, **options)
    else:
        @_each_name(specs, names, sort)
        def test(name):
            for seed in seeds:
                check_seed(specs[name], seed, **options)
    return test


def _each_name(specs: dict[str, Spec], names, sort: bool):
    """pytest's parametrize over the names of a dict of Specs (ids: the names)."""
    import pytest

    names = list(specs) if names is None else list(names)
    assert set(names) <= set(specs), f"no such specs: {sorted(set(names) - set(specs))}"
    return pytest.mark.parametrize("name", sorted(names) if sort else names)


def _specs_digest(specs: Spec | dict[str, Spec]) -> int:
    """A number that stands for the specs' names, DDL and view SQL (the same in every process)."""
    named = [("", specs)] if isinstance(specs, Spec) else list(specs.items())
    text = "\n".join(f"{name}\n{s.ddl}\n" + "\n".join(f"{v}: {vs.sql}" for v, vs in s.view_specs().items())
                     for name, s in named)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def _views_needed(spec: Spec, view: str | None) -> list[str]:
    """The failing view and the views its SQL mentions, transitively."""
    views = spec.view_specs()
    if view not in views:
        return list(views)
    need, stack = set(), [view]
    while stack:
        n = stack.pop()
        if n in need:
            continue
        need.add(n)
        for other in views:
            if other not in need and re.search(r"\b" + re.escape(other) + r"\b", views[n].sql):
                stack.append(other)
    return [n for n in views if n in need]


def shrink(spec: Spec, steps, failure: Failure, budget: int = 400) -> Failure:
    """Greedy delta debugging: drop views, steps, then ops (halves, quarters, ... single ops) and
    simplify values while the stream still fails the same way (same kind, same view)."""
    seed = failure.seed
    small = spec.restrict(_views_needed(spec, failure.view))
    f = run(small, steps, seed)
    if failure.same_as(f):
        spec = small
    else:
        f = failure
    best = list(steps[:f.step + 1])
    tries = 0

    def attempt(candidate):
        nonlocal tries
        tries += 1
        g = run(spec, candidate, seed)
        return g if failure.same_as(g) else None

    # whole steps
    i = 0
    while i < len(best) and tries < budget:
        cand = best[:i] + best[i + 1:]
        g = attempt(cand) if cand else None
        if g:
            best, f = cand[:g.step + 1], g
        else:
            i += 1
    # ops within steps, by chunks
    for si in range(len(best)):
        if best[si] == RETRACT_ALL:
            continue
        n = max(len(best[si]) // 2, 1)
        while n >= 1 and tries < budget:
            j = 0
            while j < len(best[si]) and tries < budget:
                ops = best[si][:j] + best[si][j + n:]
                cand = best[:si] + [ops] + best[si + 1:]
                g = attempt(cand)
                if g and g.step >= si:
                    best, f = cand[:g.step + 1], g
                else:
                    j += n
            n //= 2
    # simpler values: NULL, then the first domain value
    tinfo = {t.name: t for t in harness(spec).tables}
    for si in range(len(best)):
        if best[si] == RETRACT_ALL:
            continue
        for oi in range(len(best[si])):
            sign, table, row = best[si][oi]
            for ci, col in enumerate(tinfo[table].columns):
                for simpler in ([None] if col.nullable else []) + col.domain[:1]:
                    if tries >= budget or row[ci] == simpler and type(row[ci]) is type(simpler):
                        continue
                    new_row = row[:ci] + (simpler,) + row[ci + 1:]
                    cand = _replace_row(best, table, row, new_row)
                    g = attempt(cand)
                    if g:
                        best, f = cand[:g.step + 1], g
                        sign, table, row = best[si][oi] if oi < len(best[si]) else (sign, table, new_row)
                        break
    f.steps, f.spec, f.seed = best, spec, seed
    return f


def _replace_row(steps, table, old, new):
    out = []
    for s in steps:
        if s == RETRACT_ALL:
            out.append(s)
        else:
            out.append([(sg, t, new if t == table and r == old else r) for sg, t, r in s])
    return out


def repro_script(spec: Spec, steps, view: str | None = None) -> str:
    """A standalone Python script replaying a stream on a Pipeline (for BUGS.md)."""
    views = spec.view_specs()
    lines = ["from decimal import Decimal", "import datetime", "from deltasql import Pipeline",
             f"p = Pipeline(dialect={spec.dialect!r}"
             + (f", max_iterations={spec.max_iterations}" if spec.max_iterations != 10_000 else "")
             + "".join(f", {k}={v!r}" for k, v in shard_options().items()) + ")",
             f"p.execute({spec.ddl!r})"]
    pending_views = dict(views)
    model = {}
    for i, step in enumerate(steps):
        for n, v in reversed(views.items()):
            if v.drop_at == i and n not in pending_views:
                lines.append(f"p.execute('DROP VIEW {n}')")
        for n, v in list(pending_views.items()):
            if v.create_at <= i:
                lines.append(f"p.execute({('CREATE VIEW ' + n + ' AS ' + v.sql)!r})")
                del pending_views[n]
        ops = _materialize(step, model)
        for sign, table, rows in _batches(ops):
            c = model.setdefault(table, Counter())
            for r in rows:
                if sign == "^":
                    keys = spec.keys.get(table, ())
                    cols = [i for i, c in enumerate(Harness(spec).tinfo[table].columns) if c.name in keys]
                    upsert_into(c, r, lambda row: tuple(row[i] for i in cols))
                    continue
                c[r] += 1 if sign == "+" else -1
                if not c[r]:
                    del c[r]
            lines.append(f"p.{ {'+': 'insert', '-': 'delete', '^': 'upsert'}[sign]}({table!r}, {rows!r})")
        lines.append("p.step()")
    for n, v in views.items():
        if (view is None or n == view) and (v.drop_at is None or v.drop_at >= len(steps)):
            lines.append(f"print({n!r}, p.view({n!r}).rows())")
    return "\n".join(lines)


# -- command line -------------------------------------------------------------------------------

def load_spec(ref: str) -> Spec:
    """``module:NAME`` or ``module:NAME:key`` -> a Spec."""
    parts = ref.split(":")
    obj = importlib.import_module(parts[0])
    for p in parts[1:]:
        obj = obj[p] if isinstance(obj, dict) else getattr(obj, p)
    if not isinstance(obj, Spec):
        raise SystemExit(f"{ref} is not a Spec (dicts need a key: {', '.join(obj) if isinstance(obj, dict) else ''})")
    return obj


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.harness", description=__doc__.split("\n\n")[0])
    ap.add_argument("--spec", required=True, help="module:NAME[:key] naming a Spec")
    ap.add_argument("--replay", type=int, help="run this seed (shrinks a failure unless --no-shrink)")
    ap.add_argument("--seeds", help="run seeds A-B and report every failing seed")
    ap.add_argument("--no-shrink", action="store_true")
    ap.add_argument("--steps", type=int, help="override the spec's number of steps")
    args = ap.parse_args(argv)
    spec = load_spec(args.spec)
    if args.steps:
        spec.steps = args.steps
    if args.replay is not None:
        f = replay(args.replay, spec, shrink_failures=not args.no_shrink)
        print("ok" if f is None else f.report())
        return 0 if f is None else 1
    lo, hi = (int(x) for x in (args.seeds or "0-50").split("-"))
    bad = 0
    for s in range(lo, hi + 1):
        steps = gen_steps(RandomChooser(s), harness(spec))
        f = run(spec, steps, s)
        if f is not None:
            bad += 1
            print(f"seed {s}: {f.kind} in {f.view!r} at step {f.step}: {f.message.splitlines()[0]}")
    print(f"{bad} of {hi - lo + 1} seeds failed")
    return 1 if bad else 0


if __name__ == "__main__":
    # run as tests.harness, the module the specs' test modules import (one Spec class, one cache)
    from tests.harness import main as _main

    sys.exit(_main())
