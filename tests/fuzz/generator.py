"""Schema-aware random SQL for differential fuzzing: random tables and views with deterministic results.

    case = gen_case(seed)          # a Case: DDL for 1-3 random tables and 1-3 views (later views may read
                                   # earlier ones), each GenView with its SQL, features and output columns

Every decision comes from ``random.Random(seed)``, so a seed names a case.  Queries are built from the
schema up: each expression is generated for a wanted type (int, dec, float, str, bool, date) from the
columns in scope, so most queries bind in DuckDB.  What is generated is restricted to what has one right
answer: ORDER BY ... LIMIT orders by every output column (ties are then identical rows), STRING_AGG
orders by its own argument, scalar subqueries are aggregates, and values whose DuckDB result depends on
summation order (SUM/AVG/STDDEV of DOUBLE, AVG of DECIMAL) only reach output columns through continuous
arithmetic -- never a predicate, a key, DISTINCT, a set operation or ORDER BY.  Window functions are the
tie-independent ones (aggregates over a partition or a RANGE frame, RANK, DENSE_RANK, CUME_DIST), and DISTINCT ON
comes with an ORDER BY over every column.  Recursive CTEs are
linear, and bounded: UNION ALL always carries a counter with an upper bound, and a set-UNION closure
only copies existing column values, so DuckDB's iteration and the DBSP fixpoint agree.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field, replace

from .timeouts import Timeout, deadline, timed_out

NUMERIC = ("int", "dec", "float")
TYPES = ("int", "dec", "float", "str", "bool", "date")
# timestamps (their literals with UTC offsets), zoned timestamps and intervals: only where a column of
# the type is in scope (never a random item type), as values, keys, comparisons, CASE and casts
TEMPORAL = ("ts", "tz", "iv")

# (SQL type, coarse type, weight)
COLUMN_TYPES = [("INTEGER", "int", 6), ("BIGINT", "int", 1), ("SMALLINT", "int", 1),
                ("DECIMAL(10,2)", "dec", 2), ("DECIMAL(6,3)", "dec", 1), ("DOUBLE", "float", 2),
                ("VARCHAR", "str", 5), ("BOOLEAN", "bool", 1), ("DATE", "date", 1),
                ("TIMESTAMP", "ts", 0.5), ("TIMESTAMPTZ", "tz", 0.5), ("INTERVAL", "iv", 0.5)]
COLUMN_NAMES = ["a", "b", "x", "y", "s", "v", "name", "amt", "flag", "dt", "id", "grp", "n"]
KEY_DOMAIN = [0, 1, 2, 3]

_LIT = {
    "int": ["0", "1", "2", "3", "-1", "5", "10"],
    "dec": ["1.5", "0.25", "2.00", "-0.5", "10.01", "CAST(3 AS DECIMAL(4,1))"],
    "float": ["CAST(0.5 AS DOUBLE)", "CAST(2 AS DOUBLE)", "CAST(-1.25 AS DOUBLE)", "CAST(0 AS DOUBLE)",
              "CAST('inf' AS DOUBLE)", "CAST('nan' AS DOUBLE)"],
    "str": ["'a'", "'b'", "''", "'ab'", "'A'", "'abc'", "'b_c'", "' a '", "'é'", "'E'"],
    "bool": ["TRUE", "FALSE"],
    "date": ["DATE '2024-01-01'", "DATE '2024-02-29'", "DATE '2000-06-15'", "DATE '2023-12-31'"],
    "ts": ["TIMESTAMP '2024-01-01 00:00:00'", "TIMESTAMP '2024-02-29 13:45:10+02'", "TIMESTAMP '2000-06-15T06:30:00Z'",
           "TIMESTAMP '2023-12-31 23:59:59'"],
    "tz": ["TIMESTAMPTZ '2024-01-01 02:00:00+02'", "TIMESTAMPTZ '2024-02-29 13:45:10Z'",
           "TIMESTAMPTZ '2000-06-15 01:00:00-05:30'", "TIMESTAMPTZ '2023-12-31 23:59:59'"],
    "iv": ["INTERVAL '1 day'", "INTERVAL '5 hours'", "INTERVAL '1 month 3 days'", "INTERVAL '-01:30'",
           "INTERVAL 0 SECOND"],
}
_SQLTYPE = {"int": "INTEGER", "dec": "DECIMAL(10,2)", "float": "DOUBLE", "str": "VARCHAR",
            "bool": "BOOLEAN", "date": "DATE", "ts": "TIMESTAMP", "tz": "TIMESTAMPTZ", "iv": "INTERVAL"}
# a view whose count over the sample rows takes longer, or more memory, is generated again: a product
# of views or a recursion can take DuckDB hours and tens of GB (seeds 405839, 500285 ran it to 20 GB of
# memory and 40 GB of spill files before they were killed).  A seed whose sample query is that close to
# the limit may generate another case on a loaded machine; every other seed's case stays the same.
SAMPLE_SECONDS = 20
SAMPLE_MEMORY = "2GB"
_LIKE = ["'a%'", "'%b%'", "'_'", "'A%'", "'%'", "'ab'", "'%c'", "'_b%'"]


@dataclass(frozen=True)
class Col:
    """An output column of a table, view, CTE or query."""

    name: str
    ty: str
    sqltype: str = ""
    nullable: bool = True
    exact: bool = True  # False: a float whose last bits depend on summation order


@dataclass
class Rel:
    """A relation a FROM clause can read: table, view, CTE or recursive CTE."""

    name: str
    cols: list
    kind: str = "table"


@dataclass(frozen=True)
class Ref:
    """A value in scope: a column reference (``q1.a``) or, under GROUP BY, a group key expression."""

    sql: str
    ty: str
    name: str = ""
    qualified: bool = True  # unqualified names are never handed to subqueries (an inner column could capture them)
    ident: str = ""  # the column it names, whichever way it is written (``k`` and ``q1.k`` alike)

    @property
    def key(self) -> str:
        return self.ident or self.sql


@dataclass
class Ctx:
    """Where an expression is generated: leaves in scope, the row scope for aggregate arguments
    (set in SELECT/HAVING of an aggregate query), outer references for correlation, relations
    subqueries may read, and whether order-dependent floats may appear."""

    refs: list
    env: list
    row: Ctx | None = None
    outer: list = field(default_factory=list)
    sub: int = 0  # nesting budget for subqueries
    inexact: bool = False
    aggs: bool = False  # aggregate calls allowed as leaves
    windows: bool = False  # window functions allowed as leaves (select list of a plain query)


@dataclass
class Query:
    sql: str
    cols: list
    ordered: bool = False


@dataclass
class GenView:
    """A generated view: name, SQL, output columns, the constructs it uses, and whether its rows()
    order is checked (a top-level ORDER BY)."""

    name: str
    sql: str
    cols: list
    features: frozenset
    ordered: bool = False
    deps: tuple = ()
    create_at: int = 0


@dataclass
class Case:
    seed: int
    ddl: str
    tables: list
    views: list
    domains: dict = field(default_factory=dict)
    retried: dict = field(default_factory=dict)  # candidate views generated again, by reason


class Gen:
    """One generator state (random source, feature set of the view being built, alias counter)."""

    def __init__(self, rng: random.Random, avoid: frozenset = frozenset()):
        self.r = rng
        self.avoid = avoid  # feature names never to generate (e.g. to steer away from a known bug)
        self.features: set = set()
        self.n_alias = 0
        self.inexact_used = False

    # -- random helpers -------------------------------------------------------------------------

    def chance(self, p: float) -> bool:
        return self.r.random() < p

    def pick(self, seq):
        return seq[self.r.randrange(len(seq))]

    def wpick(self, pairs):
        pairs = [(x, w) for x, w in pairs if w > 0]
        total = sum(w for _, w in pairs)
        x = self.r.random() * total
        for item, w in pairs:
            x -= w
            if x < 0:
                return item
        return pairs[-1][0]

    def ok(self, name: str) -> bool:
        """May the feature ``name`` be generated?"""
        return name not in self.avoid and name.split(":")[0] + ":*" not in self.avoid

    def feat(self, *names) -> None:
        self.features.update(names)

    def alias(self, prefix="q") -> str:
        self.n_alias += 1
        return f"{prefix}{self.n_alias}"

    # -- schema -----------------------------------------------------------------------------------

    def schema(self) -> tuple[list, dict]:
        tables, domains = [], {}
        for ti in range(self.wpick([(1, 3), (2, 5), (3, 2)])):
            name = f"t{ti}"
            cols = []
            if self.chance(0.85):
                if self.chance(0.2):  # a primary key: the streams collide on it (upserts)
                    cols.append(Col("k", "int", "INTEGER PRIMARY KEY", nullable=False))
                else:
                    cols.append(Col("k", "int", "INTEGER", nullable=self.chance(0.8)))
                domains[f"{name}.k"] = KEY_DOMAIN
            names = [n for n in COLUMN_NAMES]
            self.r.shuffle(names)
            for cname in names[:self.r.randint(1, 4)]:
                sqltype, ty = self.wpick([((s, t), w) for s, t, w in COLUMN_TYPES])
                cols.append(Col(cname, ty, sqltype, nullable=self.chance(0.85)))
            tables.append(Rel(name, cols, "table"))
        return tables, domains

    @staticmethod
    def ddl(tables) -> str:
        parts = []
        for t in tables:
            cols = ", ".join(f"{c.name} {c.sqltype}{'' if c.nullable else ' NOT NULL'}" for c in t.cols)
            parts.append(f"CREATE TABLE {t.name}({cols})")
        return "; ".join(parts)

    # -- expressions ------------------------------------------------------------------------------

    def literal(self, ty: str) -> str:
        if self.chance(0.03):
            self.feat("expr:null_literal")
            return f"CAST(NULL AS {_SQLTYPE[ty]})"
        return self.pick(_LIT[ty])

    def leaf(self, c: Ctx, ty: str) -> str:
        if c.windows and self.chance(0.12) and self.ok("window:*"):
            w = self.window(c, ty)
            if w is not None:
                return w
        if c.aggs and c.row is not None and self.chance(0.55):
            a = self.aggregate(c, ty)
            if a is not None:
                return a
        cands = [r for r in c.refs if r.ty == ty]
        outer = [r for r in c.outer if r.ty == ty]
        if outer and self.chance(0.2):
            self.feat("sub:correlated")
            return self.pick(outer).sql
        if cands and self.chance(0.9):
            return self.pick(cands).sql
        if ty == "bool" and c.refs and self.chance(0.85):
            # a predicate on a column rather than a constant
            r = self.pick(c.refs)
            if r.ty == "bool":
                return r.sql
            self.feat("expr:compare")
            return f"({r.sql} {self.pick(['=', '<>', '<', '>=', '>'])} {self.pick(_LIT[r.ty])})"
        if ty == "str" and self.chance(0.4):
            other = [r for r in c.refs if r.ty in ("int", "dec", "date") + TEMPORAL]
            if other:
                r = self.pick(other)
                self.feat(f"expr:cast_{r.ty}_str")
                return f"CAST({r.sql} AS VARCHAR)"
        if ty in NUMERIC and self.chance(0.5):
            # a numeric column of another kind, converted
            other = [r for r in c.refs if r.ty in NUMERIC and r.ty != ty]
            if other:
                r = self.pick(other)
                if ty == "float":
                    self.feat("expr:cast_double")
                    return f"CAST({r.sql} AS DOUBLE)"
                if ty == "dec" and r.ty == "int":
                    self.feat("expr:cast_decimal")
                    return f"CAST({r.sql} AS DECIMAL(8,2))"
                if ty == "int" and r.ty == "dec" and self.chance(0.5):
                    self.feat("expr:cast_int")
                    return f"CAST({r.sql} AS INTEGER)"
        return self.literal(ty)

    def expr(self, c: Ctx, ty: str, d: int) -> str:
        if d <= 0 or self.chance(0.3):
            return self.leaf(c, ty)
        return getattr(self, "_" + ty)(c, d)

    def exact(self, c: Ctx) -> Ctx:
        return replace(c, inexact=False) if c.inexact else c

    def _sub_ok(self, c: Ctx) -> bool:
        return c.sub > 0 and self.ok("sub:*")

    def _int(self, c: Ctx, d: int) -> str:
        e = lambda ty="int", cc=None: self.expr(cc or c, ty, d - 1)
        x = self.exact(c)
        k = self.wpick([("arith", 6), ("neg", 1), ("div", 2), ("fn", 2), ("len", 2), ("case", 2),
                        ("coalesce", 2), ("greatest", 1), ("cast", 1), ("date", 1 if self._has(c, "date") else 0),
                        ("scalar", 2 if self._sub_ok(c) else 0), ("rare", 0.12)])
        if k == "arith":
            op = self.wpick([("+", 3), ("-", 2), ("*", 2)])
            self.feat("expr:arith")
            if op == "*":
                return f"({e()} * {self.pick(['2', '3', '-1', '10'])})" if self.chance(0.6) else f"({e()} * {e()})"
            return f"({e()} {op} {e()})"
        if k == "neg":
            return f"(- {e()})"
        if k == "div":
            op = self.pick(["//", "%"])
            self.feat("expr:intdiv" if op == "//" else "expr:mod")
            den = self.pick(["2", "3", "-2", "7"]) if self.chance(0.85) else f"NULLIF({e(cc=x)}, 0)"
            return f"({e(cc=x)} {op} {den})"
        if k == "fn":
            f = self.pick(["ABS", "SIGN"])
            self.feat(f"fn:{f.lower()}")
            return f"{f}({e()})"
        if k == "len":
            f = self.pick(["LENGTH", "STRPOS"])
            self.feat(f"fn:{f.lower()}")
            s = self.expr(x, "str", d - 1)
            return f"LENGTH({s})" if f == "LENGTH" else f"STRPOS({s}, {self.pick(_LIT['str'][:4])})"
        if k == "case":
            return self.case(c, "int", d)
        if k == "coalesce":
            return self.coalesce(c, "int", d)
        if k == "greatest":
            f = self.pick(["GREATEST", "LEAST"])
            self.feat("fn:greatest")
            return f"{f}({e()}, {e()})"
        if k == "cast":
            src = self.pick(["dec", "bool", "float"])
            self.feat(f"expr:cast_{src}_int")
            return f"CAST({self.expr(x, src, d - 1)} AS INTEGER)"
        if k == "rare":
            f = self.pick(["TRY_CAST", "POSITION", "BIT_LENGTH"])
            self.feat(f"fn:{f.lower()}")
            if f == "TRY_CAST":
                return f"TRY_CAST({self.expr(x, 'str', d - 1)} AS INTEGER)"
            if f == "POSITION":
                return f"POSITION({self.pick(_LIT['str'][:4])} IN {self.expr(x, 'str', d - 1)})"
            return f"BIT_LENGTH({self.expr(x, 'str', d - 1)})"
        if k == "date":
            if self.chance(0.5):
                part = self.pick(["YEAR", "MONTH", "DAY"])
                self.feat("fn:extract")
                return f"EXTRACT({part} FROM {self.expr(x, 'date', d - 1)})"
            self.feat("fn:date_diff")
            return f"DATE_DIFF('day', {self.expr(x, 'date', d - 1)}, {self.expr(x, 'date', d - 1)})"
        return self.scalar_subquery(c, "int")

    def _dec(self, c: Ctx, d: int) -> str:
        e = lambda ty="dec", cc=None: self.expr(cc or c, ty, d - 1)
        x = self.exact(c)
        k = self.wpick([("arith", 5), ("mixed", 2), ("round", 2), ("fn", 1), ("case", 2), ("coalesce", 1),
                        ("scalar", 2 if self._sub_ok(c) else 0)])
        self.feat("type:decimal")
        if k == "arith":
            op = self.wpick([("+", 3), ("-", 2), ("*", 1)])
            self.feat("expr:arith")
            return f"({e()} {op} {e()})"
        if k == "mixed":
            self.feat("expr:arith_mixed")
            return f"({e()} {self.pick(['+', '-', '*'])} {e('int')})"
        if k == "round":
            f = self.pick(["ROUND", "ROUND", "ROUND_EVEN"])
            self.feat(f"fn:{f.lower()}_dec")
            return f"{f}({e(cc=x)}, {self.pick(['0', '1', '2', '-1'])})"
        if k == "fn":
            f = self.pick(["ABS", "CEIL", "FLOOR"])
            self.feat(f"fn:{f.lower()}")
            return f"{f}({e(cc=x if f != 'ABS' else None)})"
        if k == "case":
            return self.case(c, "dec", d)
        if k == "coalesce":
            return self.coalesce(c, "dec", d)
        return self.scalar_subquery(c, "dec")

    def _float(self, c: Ctx, d: int) -> str:
        e = lambda ty="float", cc=None: self.expr(cc or c, ty, d - 1)
        x = self.exact(c)
        k = self.wpick([("div", 3), ("arith", 3), ("cast", 2), ("fn", 2), ("case", 1), ("nan", 0.7),
                        ("scalar", 1 if self._sub_ok(c) else 0)])
        self.feat("type:double")
        if k == "nan":
            # NaN and infinities made by arithmetic, to meet NaN stored in tables (one NaN: DISTINCT,
            # GROUP BY and joins see them equal)
            self.feat("expr:nan_arith")
            f = self.pick(["inf_minus", "zero_inf", "sqrt_neg", "pow_neg"])
            if f == "inf_minus":
                return f"({e(cc=x)} * CAST('inf' AS DOUBLE) - CAST('inf' AS DOUBLE))"
            if f == "zero_inf":
                return f"(CAST({self.expr(x, 'int', d - 1)} AS DOUBLE) * 0 * CAST('inf' AS DOUBLE))"
            if f == "sqrt_neg":
                return f"SQRT({e(cc=x)})"
            return f"POW({e(cc=x)}, 0.5)"
        if k == "div":
            self.feat("expr:div")
            a, b = self.pick(NUMERIC), self.pick(NUMERIC)
            return f"({self.expr(c, a, d - 1)} / {self.expr(c, b, d - 1)})"
        if k == "arith":
            self.feat("expr:arith")
            return f"({e()} {self.pick(['+', '-', '*'])} {e()})"
        if k == "cast":
            self.feat("expr:cast_double")
            return f"CAST({self.expr(c, self.pick(['int', 'dec']), d - 1)} AS DOUBLE)"
        if k == "fn":
            f = self.pick(["ROUND", "FLOOR", "CEIL", "SQRT", "ABS"])
            self.feat(f"fn:{f.lower()}_double")
            if f == "SQRT":
                return f"SQRT(ABS({e(cc=x)}))"
            if f == "ROUND" and self.chance(0.3):
                f = self.pick(["ROUND", "ROUND_EVEN"])
                self.feat(f"fn:{f.lower()}_double_digits")
                return f"{f}({e(cc=x)}, {self.pick(['2', '3', '-1', '20', '400', '-400'])})"
            if f == "ROUND":
                return f"ROUND({e(cc=x)}, {self.pick(['0', '1'])})"
            return f"{f}({e(cc=x if f != 'ABS' else None)})"
        if k == "case":
            return self.case(c, "float", d)
        return self.scalar_subquery(c, "float")

    def _str(self, c: Ctx, d: int) -> str:
        x = self.exact(c)
        e = lambda ty="str": self.expr(x, ty, d - 1)
        k = self.wpick([("case_fn", 2), ("concat", 3), ("substr", 2), ("pad", 1), ("trim", 1), ("replace", 1),
                        ("cast", 2), ("case", 1), ("coalesce", 2), ("misc", 1), ("rare", 0.1),
                        ("scalar", 1 if self._sub_ok(c) else 0)])
        if k == "case_fn":
            f = self.pick(["UPPER", "LOWER", "REVERSE"])
            self.feat(f"fn:{f.lower()}")
            return f"{f}({e()})"
        if k == "concat":
            f = self.wpick([("||", 3), ("CONCAT", 1), ("CONCAT_WS", 1)])
            self.feat({"||": "expr:concat_op", "CONCAT": "fn:concat", "CONCAT_WS": "fn:concat_ws"}[f])
            if f == "||":
                return f"({e()} || {e()})"
            if f == "CONCAT":
                return f"CONCAT({e()}, {e()})"
            return f"CONCAT_WS('-', {e()}, {e()})"
        if k == "substr":
            if self.chance(0.5):
                self.feat("fn:substring")
                return f"SUBSTRING({e()}, {self.pick(['1', '2', '0', '-1'])}, {self.pick(['1', '2', '3'])})"
            f = self.pick(["LEFT", "RIGHT"])
            self.feat(f"fn:{f.lower()}")
            return f"{f}({e()}, {self.pick(['1', '2', '0'])})"
        if k == "pad":
            f = self.pick(["LPAD", "RPAD", "REPEAT"])
            self.feat(f"fn:{f.lower()}")
            if f == "REPEAT":
                return f"REPEAT({e()}, {self.pick(['0', '1', '2'])})"
            return f"{f}({e()}, {self.pick(['1', '2', '4'])}, '*')"
        if k == "trim":
            f = self.pick(["TRIM", "LTRIM", "RTRIM"])
            self.feat(f"fn:{f.lower()}")
            return f"{f}({e()})"
        if k == "replace":
            self.feat("fn:replace")
            return f"REPLACE({e()}, {self.pick(['a', 'b', ' '])!r}, {self.pick(['x', '', 'AB'])!r})"
        if k == "cast":
            src = self.wpick([("int", 3), ("dec", 2), ("bool", 1), ("date", 1 if self._has(c, "date") else 0),
                              ("float", 1)])
            self.feat(f"expr:cast_{src}_str")
            return f"CAST({self.expr(x, src, d - 1)} AS VARCHAR)"
        if k == "case":
            return self.case(x, "str", d)
        if k == "coalesce":
            return self.coalesce(x, "str", d)
        if k == "rare":
            if self._has(c, "date") and self.chance(0.5):
                self.feat("fn:strftime")
                return f"STRFTIME({self.expr(x, 'date', d - 1)}, {self.pick(['%Y-%m', '%d/%m/%Y', '%j'])!r})"
            self.feat("fn:regexp_replace")
            return f"REGEXP_REPLACE({e()}, {self.pick(['a', '^.', 'b+'])!r}, 'x')"
        if k == "misc":
            self.feat("fn:nullif")
            return f"NULLIF({e()}, {self.pick(_LIT['str'][:4])})"
        return self.scalar_subquery(c, "str")

    def _date(self, c: Ctx, d: int) -> str:
        x = self.exact(c)
        k = self.wpick([("plus", 2), ("case", 1), ("coalesce", 1), ("greatest", 1), ("rare", 0.5)])
        self.feat("type:date")
        if k == "rare":
            if self.chance(0.5):
                self.feat("fn:date_trunc")
                return f"CAST(DATE_TRUNC({self.pick(['month', 'year'])!r}, {self.expr(x, 'date', d - 1)}) AS DATE)"
            self.feat("expr:date_plus_interval")
            return f"CAST({self.expr(x, 'date', d - 1)} + INTERVAL {self.pick(['1 DAY', '2 MONTH', '1 YEAR'])} AS DATE)"
        if k == "plus":
            self.feat("expr:date_plus_int")
            return f"({self.expr(x, 'date', d - 1)} + {self.pick(['1', '-1', '30', '365'])})"
        if k == "case":
            return self.case(x, "date", d)
        if k == "coalesce":
            return self.coalesce(x, "date", d)
        self.feat("fn:greatest")
        return f"{self.pick(['GREATEST', 'LEAST'])}({self.expr(x, 'date', d - 1)}, {self.expr(x, 'date', d - 1)})"

    def _ts(self, c: Ctx, d: int) -> str:
        return self._temporal(c, d, "ts")

    def _tz(self, c: Ctx, d: int) -> str:
        return self._temporal(c, d, "tz")

    def _iv(self, c: Ctx, d: int) -> str:
        return self._temporal(c, d, "iv")

    def _temporal(self, c: Ctx, d: int, ty: str) -> str:
        """TIMESTAMP (+ an interval), TIMESTAMPTZ, INTERVAL (+, -): CASE, COALESCE, GREATEST, arithmetic."""
        x = self.exact(c)
        k = self.wpick([("case", 1), ("coalesce", 1), ("greatest", 1), ("arith", 2 if ty != "tz" else 0)])
        self.feat(f"type:{ty}")
        if k == "case":
            return self.case(x, ty, d)
        if k == "coalesce":
            return self.coalesce(x, ty, d)
        if k == "greatest":
            self.feat("fn:greatest")
            return f"{self.pick(['GREATEST', 'LEAST'])}({self.expr(x, ty, d - 1)}, {self.expr(x, ty, d - 1)})"
        self.feat(f"expr:{ty}_arith")
        if ty == "ts":
            return f"({self.expr(x, 'ts', d - 1)} {self.pick(['+', '-'])} {self.expr(x, 'iv', d - 1)})"
        return f"({self.expr(x, 'iv', d - 1)} {self.pick(['+', '-'])} {self.expr(x, 'iv', d - 1)})"

    def _bool(self, c: Ctx, d: int) -> str:
        x = self.exact(c)
        k = self.wpick([("cmp", 8), ("logic", 5), ("not", 1), ("isnull", 2), ("distinct", 1), ("between", 1),
                        ("inlist", 2), ("like", 2 if self._has(c, "str") else 0), ("strfn", 1), ("istrue", 1),
                        ("collate", 1 if self._has(c, "str") else 0),
                        ("rare", 0.12),
                        ("sub", 6 if self._sub_ok(c) else 0)])
        if k == "cmp":
            ty = self.comparable_type(c)
            op = self.pick(["=", "<>", "<", "<=", ">", ">="])
            self.feat("expr:compare")
            return f"({self.expr(x, ty, d - 1)} {op} {self.expr(x, ty, d - 1)})"
        if k == "collate":
            coll = self.pick(["NOCASE", "NOCASE", "NOACCENT", "NOCASE.NOACCENT"])
            self.feat("expr:collate_" + coll.lower().replace(".", "_"))
            op = self.pick(["=", "<>", "<", ">=", "IN"])
            if op == "IN":
                items = ", ".join(self.pick(_LIT["str"]) for _ in range(2))
                return f"({self.expr(x, 'str', d - 1)} COLLATE {coll} IN ({items}))"
            return (f"({self.expr(x, 'str', d - 1)} COLLATE {coll} {op} "
                    f"{self.pick([self.expr(x, 'str', d - 1), self.pick(_LIT['str'])])})")
        if k == "logic":
            op = self.pick(["AND", "OR"])
            return f"({self.expr(x, 'bool', d - 1)} {op} {self.expr(x, 'bool', d - 1)})"
        if k == "not":
            self.feat("expr:not")
            return f"(NOT {self.expr(x, 'bool', d - 1)})"
        if k == "isnull":
            ty = self.comparable_type(c)
            self.feat("expr:is_null")
            return f"({self.expr(x, ty, d - 1)} IS {self.pick(['', 'NOT '])}NULL)"
        if k == "distinct":
            ty = self.comparable_type(c)
            self.feat("expr:is_distinct_from")
            return f"({self.expr(x, ty, d - 1)} IS {self.pick(['', 'NOT '])}DISTINCT FROM {self.expr(x, ty, d - 1)})"
        if k == "between":
            ty = self.pick([t for t in ("int", "dec", "str", "date") if self._has(c, t)] or ["int"])
            self.feat("expr:between")
            lo, hi = sorted([self.literal(ty), self.literal(ty)]) if ty == "int" else (self.literal(ty), self.literal(ty))
            return f"({self.expr(x, ty, d - 1)} {self.pick(['', 'NOT '])}BETWEEN {lo} AND {hi})"
        if k == "inlist":
            ty = self.pick([t for t in ("int", "str", "dec") if self._has(c, t)] or ["int"])
            items = [self.pick(_LIT[ty]) for _ in range(self.r.randint(1, 3))]
            if self.chance(0.3):
                items.append("NULL")
                self.feat("expr:in_list_null")
            neg = self.chance(0.4)
            self.feat("expr:not_in_list" if neg else "expr:in_list")
            return f"({self.expr(x, ty, d - 1)} {'NOT ' if neg else ''}IN ({', '.join(items)}))"
        if k == "like":
            op = self.pick(["LIKE", "NOT LIKE", "ILIKE", "NOT ILIKE"])
            self.feat("expr:" + op.lower().replace(" ", "_"))
            return f"({self.expr(x, 'str', d - 1)} {op} {self.pick(_LIKE)})"
        if k == "strfn":
            f = self.pick(["CONTAINS", "STARTS_WITH", "ENDS_WITH"])
            self.feat(f"fn:{f.lower()}")
            return f"{f}({self.expr(x, 'str', d - 1)}, {self.pick(_LIT['str'][:5])})"
        if k == "rare":
            f = self.pick(["REGEXP_MATCHES", "SIMILAR TO", "BETWEEN SYMMETRIC", "IS UNKNOWN"])
            self.feat("expr:" + f.lower().replace(" ", "_"))
            if f == "REGEXP_MATCHES":
                return f"REGEXP_MATCHES({self.expr(x, 'str', d - 1)}, {self.pick(['^a', 'b$', '[ab]'])!r})"
            if f == "SIMILAR TO":
                return f"({self.expr(x, 'str', d - 1)} SIMILAR TO {self.pick(['a%', '%b', '(a|b)%'])!r})"
            if f == "IS UNKNOWN":
                return f"({self.expr(x, 'bool', d - 1)} IS {self.pick(['', 'NOT '])}UNKNOWN)"
            return f"({self.expr(x, 'int', d - 1)} BETWEEN SYMMETRIC {self.literal('int')} AND {self.literal('int')})"
        if k == "istrue":
            self.feat("expr:is_true")
            return f"({self.expr(x, 'bool', d - 1)} IS {self.pick(['TRUE', 'NOT TRUE', 'FALSE', 'NOT FALSE'])})"
        return self.predicate_subquery(c)

    def _has(self, c: Ctx, ty: str) -> bool:
        return any(r.ty == ty for r in c.refs) or (c.row is not None and any(r.ty == ty for r in c.row.refs))

    def comparable_type(self, c: Ctx) -> str:
        tys = [r.ty for r in c.refs] + ([r.ty for r in c.row.refs] if c.row is not None else [])
        return self.pick(tys) if tys and self.chance(0.85) else self.pick(["int", "str", "dec"])

    def case(self, c: Ctx, ty: str, d: int) -> str:
        x = self.exact(c)
        if self.chance(0.3):
            self.feat("expr:case_simple")
            sty = self.comparable_type(c)
            arms = " ".join(f"WHEN {self.literal(sty)} THEN {self.expr(c, ty, d - 1)}"
                            for _ in range(self.r.randint(1, 2)))
            return f"CASE {self.expr(x, sty, d - 1)} {arms} ELSE {self.expr(c, ty, d - 1)} END"
        self.feat("expr:case")
        arms = " ".join(f"WHEN {self.expr(x, 'bool', d - 1)} THEN {self.expr(c, ty, d - 1)}"
                        for _ in range(self.r.randint(1, 2)))
        tail = f" ELSE {self.expr(c, ty, d - 1)}" if self.chance(0.7) else ""
        return f"CASE {arms}{tail} END"

    def coalesce(self, c: Ctx, ty: str, d: int) -> str:
        if ty in ("int", "dec") and self.chance(0.25):
            self.feat("fn:nullif")
            return f"NULLIF({self.expr(self.exact(c), ty, d - 1)}, {self.literal(ty)})"
        self.feat("fn:coalesce")
        args = [self.expr(c, ty, d - 1) for _ in range(self.r.randint(2, 3))]
        return f"COALESCE({', '.join(args)})"

    # -- aggregates -------------------------------------------------------------------------------

    def aggregate(self, c: Ctx, ty: str) -> str | None:
        """An aggregate call of type ty over c.row; None if none fits."""
        row = c.row
        a = lambda t, dd=2: self.expr(row, t, self.r.randint(0, dd))
        has = lambda t: any(r.ty == t for r in row.refs)
        opts = []
        if ty == "int":
            opts = [("count_star", 3), ("count", 2), ("count_distinct", 2), ("sum", 3), ("sum_distinct", 1),
                    ("min", 1), ("max", 1)]
        elif ty == "dec":
            opts = [("sum", 3), ("min", 1), ("max", 1), ("sum_distinct", 1), ("median", 1)] if has("dec") else []
        elif ty == "float":
            opts = [("avg", 3), ("median", 1), ("min", 1), ("max", 1)]
            if c.inexact:
                opts += [("sum", 2), ("avg_inexact", 2), ("stddev", 2)]
        elif ty == "str":
            opts = [("min", 2), ("max", 2), ("string_agg", 3), ("string_agg_distinct", 1), ("array_agg", 0.1)]
        elif ty == "bool":
            opts = [("bool_and", 1), ("bool_or", 1)]
        elif ty in ("date",) + TEMPORAL:
            opts = [("min", 1), ("max", 1)] if has(ty) else []
        opts = [(o, w) for o, w in opts if self.ok("agg:" + o)]
        if not opts:
            return None
        k = self.wpick(opts)
        self.feat("agg:" + k)
        if k == "count_star":
            call = "COUNT(*)"
        elif k == "count":
            call = f"COUNT({a(self.comparable_type(row))})"
        elif k == "count_distinct":
            call = f"COUNT(DISTINCT {a(self.comparable_type(row), 1)})"
        elif k in ("sum", "sum_distinct"):
            dist = "DISTINCT " if k == "sum_distinct" else ""
            if ty == "float":
                self.inexact_used = True
            call = f"SUM({dist}{a(ty)})"
        elif k == "min" or k == "max":
            call = f"{k.upper()}({a(ty)})"
        elif k == "avg":
            call = f"AVG({a('int')})"
        elif k == "avg_inexact":
            self.inexact_used = True
            call = f"AVG({a(self.pick(['dec', 'float']))})"
        elif k == "median":
            if ty == "dec":
                self.feat("agg:median_decimal")
            call = f"MEDIAN({a('int' if ty == 'float' else 'dec')})"
        elif k == "stddev":
            self.inexact_used = True
            f = self.pick(["STDDEV", "STDDEV_POP", "VAR_SAMP", "VAR_POP", "VARIANCE"])
            call = f"{f}({a(self.pick(NUMERIC))})"
        elif k in ("string_agg", "string_agg_distinct"):
            arg = a("str", 1)
            dist = "DISTINCT " if k == "string_agg_distinct" else ""
            sep = self.pick(["','", "'|'", "''"])
            desc = " DESC" if self.chance(0.3) else ""
            call = f"STRING_AGG({dist}{arg}, {sep} ORDER BY {arg}{desc})"
        elif k in ("bool_and", "bool_or"):
            call = f"{k.upper()}({a('bool')})"
        elif k == "array_agg":
            # a list, turned into a string so that it fits a VARCHAR column
            arg = a("int", 1)
            call = f"CAST(ARRAY_AGG({arg} ORDER BY {arg}) AS VARCHAR)"
        else:
            raise AssertionError(k)
        if self.chance(0.15) and self.ok("agg:filter"):
            self.feat("agg:filter")
            cond = self.expr(replace(row, inexact=False, sub=0), "bool", 1)
            call += f" FILTER (WHERE {cond})"
        return call

    # -- window functions -------------------------------------------------------------------------

    def window(self, c: Ctx, ty: str) -> str | None:
        """A window function whose value does not depend on how ties are broken: aggregates over the
        whole partition or over RANGE peers (the default frame), RANK and DENSE_RANK."""
        row = replace(c, windows=False, aggs=False, row=None, sub=0, inexact=False)
        opts = {"int": [("count", 3), ("sum", 2), ("rank", 2), ("dense_rank", 1), ("minmax", 1)],
                "dec": [("sum", 1), ("minmax", 1)] if self._has(c, "dec") else [],
                "float": [("avg", 1), ("cume_dist", 1)],
                "str": [("minmax", 1)], "date": [("minmax", 1)] if self._has(c, "date") else []}.get(ty, [])
        if not opts:
            return None
        k = self.wpick(opts)
        keys = [r for r in c.refs if r.ty in ("int", "str", "bool", "date", "dec")]
        part = [self.pick(keys).sql for _ in range(self.r.randint(0, 2))] if keys else []
        part = list(dict.fromkeys(part))
        order = []
        frame = ""
        if k in ("count", "sum", "avg", "minmax") and self.chance(0.15) and self.ok("window:range_frame"):
            # RANGE frames count peers in or out together, so ties do not matter; offsets need one numeric key
            order.append(self.expr(row, self.pick(["int", "dec"]), 1) + self.pick(["", " DESC"])
                         + self.pick(["", " NULLS FIRST", " NULLS LAST"]))
            lo = self.pick(["UNBOUNDED PRECEDING", "1 PRECEDING", "2 PRECEDING", "CURRENT ROW"])
            hi = self.pick(["CURRENT ROW", "1 FOLLOWING", "UNBOUNDED FOLLOWING"])
            frame = f" RANGE BETWEEN {lo} AND {hi}"
            self.feat("window:range_frame")
        elif k in ("rank", "dense_rank", "cume_dist") or self.chance(0.4):
            for _ in range(self.r.randint(1, 2)):
                order.append(self.expr(row, self.pick(["int", "str", "dec"]), 1)
                             + self.pick(["", " DESC"]) + self.pick(["", " NULLS FIRST", " NULLS LAST"]))
        if k == "count":
            call = self.pick(["COUNT(*)", f"COUNT({self.expr(row, self.comparable_type(row), 1)})"])
        elif k == "sum":
            call = f"SUM({self.expr(row, ty, 1)})"
        elif k == "avg":
            call = f"AVG({self.expr(row, 'int', 1)})"
        elif k == "minmax":
            call = f"{self.pick(['MIN', 'MAX'])}({self.expr(row, ty, 1)})"
        else:
            call = {"rank": "RANK()", "dense_rank": "DENSE_RANK()", "cume_dist": "CUME_DIST()"}[k]
        self.feat("window:" + k, "window:ordered" if order else "window:partition")
        spec = []
        if part:
            spec.append("PARTITION BY " + ", ".join(part))
        if order:
            spec.append("ORDER BY " + ", ".join(order) + frame)
        return f"{call} OVER ({' '.join(spec)})"

    # -- subqueries -------------------------------------------------------------------------------

    def _inner(self, c: Ctx) -> Ctx:
        return c.row if c.row is not None else c

    def _corr(self, c: Ctx) -> list:
        """Outer references a subquery of c may use: the qualified columns (or, in an aggregate
        query, the bare-column group keys) and whatever c could reach itself."""
        own = [r for r in c.refs if r.qualified]
        if c.row is not None:
            own = [r for r in c.refs if r.qualified and r.name]
        return own + list(c.outer)

    def _subquery(self, c: Ctx, target=None, scalar=False) -> Query:
        corr = self._corr(c)
        d = 1 if c.sub > 1 or self.chance(0.25) else 0
        q = self.query(c.env, d, target=target, corr=corr, scalar=scalar, sub_budget=c.sub - 1)
        if c.row is not None:
            self.feat("sub:in_aggregate_query")
        return q

    def scalar_subquery(self, c: Ctx, ty: str) -> str:
        self.feat("sub:scalar")
        if self.chance(0.04):
            self.feat("sub:scalar_nonaggregate")  # may return several rows: both sides must fail alike
            q = self._subquery(c, target=[ty])
        else:
            q = self._subquery(c, target=[ty], scalar=True)
        return f"({q.sql})"

    def predicate_subquery(self, c: Ctx) -> str:
        k = self.wpick([("exists", 3), ("in", 3), ("cmp_scalar", 2), ("anyall", 2)])
        x = self.exact(c)
        if k == "exists":
            neg = self.chance(0.4)
            self.feat("sub:not_exists" if neg else "sub:exists")
            q = self._subquery(c)
            return f"({'NOT ' if neg else ''}EXISTS ({q.sql}))"
        ty = self.comparable_type(self._inner(c)) if c.row is None else self.pick(["int", "str", "dec"])
        lhs = self.expr(replace(x, sub=0), ty, 1)
        if k == "in":
            neg = self.chance(0.45)
            self.feat("sub:not_in" if neg else "sub:in")
            q = self._subquery(c, target=[ty])
            return f"({lhs} {'NOT ' if neg else ''}IN ({q.sql}))"
        if k == "cmp_scalar":
            self.feat("sub:scalar_compare")
            return f"({lhs} {self.pick(['=', '<', '>=', '<>'])} {self.scalar_subquery(c, ty)})"
        q_all = self.chance(0.5)
        self.feat("sub:all" if q_all else "sub:any")
        q = self._subquery(c, target=[ty])
        return f"({lhs} {self.pick(['=', '<>', '<', '<=', '>', '>='])} {'ALL' if q_all else 'ANY'} ({q.sql}))"

    # -- FROM -------------------------------------------------------------------------------------

    def source(self, env, d: int, bare_ok: bool, used: set, corr=()) -> tuple[str, str, list]:
        """A FROM item: (sql, qualifier, columns).  Inside a subquery (``corr`` holds the outer
        references) a derived table may be correlated too."""
        if d > 0 and self.chance(0.12) and self.ok("from:derived"):
            inner = list(corr) if corr and self.chance(0.3) and self.ok("sub:correlated_derived") else []
            q = self.query(env, d - 1, corr=inner, sub_budget=1)
            a = self.alias("d")
            self.feat("from:derived")
            if inner:
                self.feat("sub:correlated_derived")
            return f"({q.sql}) AS {a}", a, q.cols
        weights = {"table": 4, "view": 4, "cte": 6, "rcte": 8}
        rel = self.wpick([(r, weights[r.kind]) for r in env])
        if rel.kind != "table":
            self.feat({"view": "from:view", "cte": "from:cte", "rcte": "from:recursive_cte"}[rel.kind])
        if rel.name in used:
            self.feat("from:self_join")
        if bare_ok and rel.name not in used and self.chance(0.35):
            used.add(rel.name)
            return rel.name, rel.name, rel.cols
        used.add(rel.name)
        a = self.alias()
        return f"{rel.name} AS {a}", a, rel.cols

    @staticmethod
    def refs_of(qual: str, cols) -> list:
        return [Ref(f"{qual}.{col.name}", col.ty, col.name) for col in cols if col.exact]

    def from_clause(self, env, d: int, corr, need: Rel | None = None, sub_budget: int = 1):
        """(sql, refs, star_ok) for 1-3 joined sources."""
        n = self.wpick([(1, 5), (2, 4), (3, 1)])
        used: set = set()
        bare_ok = not corr
        comma = n > 1 and self.chance(0.15)
        if need is not None:
            used.add(need.name)
            if bare_ok and self.chance(0.4):
                sql, qual, cols = need.name, need.name, need.cols
            else:
                qual = self.alias()
                sql, cols = f"{need.name} AS {qual}", need.cols
        else:
            sql, qual, cols = self.source(env, d, bare_ok, used, corr)
        refs = self.refs_of(qual, cols)
        names = [c.name for c in cols]
        star_ok = True
        merged: list = []  # USING/NATURAL columns, reachable unqualified
        for _ in range(n - 1):
            if not comma and self.chance(0.012) and self.ok("from:lateral"):
                q = self.query(env, 0, corr=[r for r in refs if r.qualified] + list(corr), sub_budget=0)
                a = self.alias("d")
                self.feat("from:lateral")
                sql += f" {self.pick(['JOIN', 'LEFT JOIN'])} LATERAL ({q.sql}) AS {a} ON TRUE"
                refs += self.refs_of(a, q.cols)
                names += [c.name for c in q.cols]
                continue
            rsql, rqual, rcols = self.source(env, d, bare_ok, used, corr)
            rrefs = self.refs_of(rqual, rcols)
            if comma:
                self.feat("join:comma")
                sql += f", {rsql}"
                refs += rrefs
                names += [c.name for c in rcols]
                continue
            kind = self.wpick([("JOIN", 4), ("LEFT JOIN", 4), ("RIGHT JOIN", 2), ("FULL JOIN", 2),
                               ("CROSS JOIN", 1)])
            kind = kind if self.ok("join:" + kind.split()[0].lower()) else "JOIN"
            self.feat("join:" + {"JOIN": "inner"}.get(kind, kind.split()[0].lower()))
            common = [c.name for c in rcols if names.count(c.name) == 1 and c.exact
                      and any(r.name == c.name and _comparable(r.ty, c.ty) for r in refs)]
            if kind == "CROSS JOIN":
                sql += f" CROSS JOIN {rsql}"
            elif common and self.chance(0.12):
                self.feat("join:using")
                using = sorted(set(self.r.sample(common, self.r.randint(1, len(set(common))) if len(set(common)) > 1 else 1)))
                sql += f" {kind} {rsql} USING ({', '.join(using)})"
                merged += using
                star_ok = False
            elif common and self.chance(0.05) and all(
                    _comparable(c.ty, r.ty) for c in rcols for r in refs if r.name == c.name and r.qualified):
                self.feat("join:natural")
                sql += f" NATURAL {kind} {rsql}"
                merged += [c.name for c in rcols if c.name in names]
                star_ok = False
            else:
                cond = self.on_condition(refs, rrefs, env, kind)
                sql += f" {kind} {rsql} ON {cond}"
            refs += rrefs
            names += [c.name for c in rcols]
        if len(set(names)) != len(names) or len(refs) != len(names):
            star_ok = False  # duplicate names, or an inexact column the refs left out
        # unqualified references: names that occur once (and merged USING columns)
        counts = {nm: names.count(nm) for nm in names}
        for r in list(refs):
            if (counts[r.name] == 1 or r.name in merged) and self.chance(0.3) \
                    and not any(u.sql == r.name for u in refs):
                refs.append(Ref(r.name, r.ty, r.name, qualified=False, ident=r.sql))
        return sql, refs, star_ok

    def on_condition(self, left, right, env, kind) -> str:
        pairs = [(a, b) for a in left for b in right if _comparable(a.ty, b.ty)]
        ctx = Ctx(left + right, env)
        form = self.wpick([("equi", 6), ("equi_residual", 3), ("nonequi", 1), ("true", 0.3)])
        if form == "true" or not pairs and form != "nonequi":
            self.feat("join:on_true")
            return "TRUE"
        if form == "nonequi":
            self.feat("join:nonequi")
            if pairs:
                a, b = self.pick(pairs)
                return f"{a.sql} {self.pick(['<', '<=', '<>', '>'])} {b.sql}"
            return self.expr(ctx, "bool", 2)
        a, b = self.pick(pairs)
        cond = f"{a.sql} = {b.sql}"
        if self.chance(0.15) and len(pairs) > 1:
            a2, b2 = self.pick(pairs)
            cond += f" AND {a2.sql} = {b2.sql}"
            self.feat("join:multi_key")
        if form == "equi_residual":
            self.feat("join:residual")
            side = self.pick(["left", "right", "both"])
            rctx = Ctx({"left": left, "right": right, "both": left + right}[side], env)
            if self.chance(0.06) and self.ok("join:subquery_in_on"):
                self.feat("join:subquery_in_on")
                cond += f" AND {self.predicate_subquery(replace(rctx, sub=1))}"
                return cond
            cond += f" AND {self.expr(rctx, 'bool', self.r.randint(1, 2))}"
            self.feat(f"join:residual_{side}")
        return cond

    # -- queries ----------------------------------------------------------------------------------

    def query(self, env, d: int, target=None, corr=(), scalar=False, top=False, sub_budget=1,
              need: Rel | None = None) -> Query:
        """A SELECT or (sometimes) a set operation."""
        if not scalar and need is None and d > 0 and self.chance(0.13) and self.ok("setop:*"):
            return self.setop(env, d, target, corr, top, sub_budget)
        return self.select(env, d, target=target, corr=corr, scalar=scalar, top=top,
                           sub_budget=sub_budget, need=need)

    def setop(self, env, d, target, corr, top, sub_budget) -> Query:
        left = self.query(env, d - 1, target=target, corr=corr, sub_budget=sub_budget)
        tys = [c.ty for c in left.cols]
        sql = f"({left.sql})" if " UNION " in left.sql or " EXCEPT " in left.sql or " INTERSECT " in left.sql \
            else left.sql
        if sql.startswith("("):
            self.feat("setop:nested")
        for _ in range(1 if self.chance(0.8) else 2):
            op = self.wpick([("UNION", 3), ("UNION ALL", 3), ("INTERSECT", 2), ("EXCEPT", 2),
                             ("INTERSECT ALL", 1), ("EXCEPT ALL", 1)])
            self.feat("setop:" + op.lower().replace(" ", "_"))
            right = self.select(env, d - 1, target=tys, corr=corr, sub_budget=sub_budget)
            sql += f" {op} {right.sql}"
        cols = [Col(c.name, c.ty, exact=True) for c in left.cols]
        q = Query(sql, cols)
        if (top or self.chance(0.1)) and self.ok("order:setop"):
            self.feat("order:setop")
            q = self.order_limit(q, setop=True)
        return q

    def select(self, env, d, target=None, corr=(), scalar=False, top=False, sub_budget=1,
               need: Rel | None = None) -> Query:
        from_sql, refs, star_ok = self.from_clause(env, d, corr, need, sub_budget)
        sub = max(sub_budget, 0)
        row = Ctx(refs, env, outer=list(corr), sub=sub)
        where = []
        if corr and self.chance(0.65):
            inner = [r for r in refs if r.qualified]
            pairs = [(a, b) for a in inner for b in corr if _comparable(a.ty, b.ty)]
            if pairs:
                a, b = self.pick(pairs)
                op = self.wpick([("=", 6), ("<>", 1), ("<", 1), (">=", 1)])
                where.append(f"{a.sql} {op} {b.sql}")
                self.feat("sub:correlated" if op == "=" else "sub:correlated_nonequi")
        if self.chance(0.45):
            where.append(self.expr(row, "bool", self.r.randint(1, 3)))
        agg = scalar or self.chance(0.33)
        distinct = not scalar and self.chance(0.12) and self.ok("distinct")
        distinct_on = top and not agg and not distinct and target is None and self.chance(0.01) \
            and self.ok("select:distinct_on")
        inexact_ok = top and not distinct
        items: list = []  # (sql, Col)
        group_sql = having = ""
        if agg:
            keys = []
            if not scalar and self.chance(0.85):
                for _ in range(self.r.randint(1, 3)):
                    if refs and self.chance(0.8):
                        r = self.pick(refs)
                        keys.append(Ref(r.sql, r.ty, r.name if r.qualified else "", r.qualified, r.key))
                    else:
                        ty = self.pick(["int", "str", "bool", "dec"])
                        ksql = self.expr(replace(row, sub=0), ty, 1)
                        self.feat("group:by_expression")
                        keys.append(Ref(f"({ksql})" if not ksql.startswith("(") else ksql, ty, ""))
                # one spelling per column: DuckDB treats ``k`` and ``q1.k`` as different grouping
                # expressions (a column grouped under one name is NULL under the other in grouping sets)
                seen = set()
                keys = [k for k in keys if not (k.key in seen or seen.add(k.key))]
            if not keys:
                self.feat("group:global")
            mode = "plain"
            if keys and self.chance(0.15):
                mode = self.pick(["ROLLUP", "CUBE", "GROUPING SETS"])
                self.feat("group:" + mode.lower().replace(" ", "_"))
            if keys:
                ks = [k.sql for k in keys]
                if mode == "plain":
                    group_sql = f" GROUP BY {', '.join(ks)}"
                elif mode == "GROUPING SETS":
                    sets = {tuple(sorted(self.r.sample(ks, self.r.randint(0, len(ks))))) for _ in range(self.r.randint(1, 3))}
                    group_sql = " GROUP BY GROUPING SETS (" + ", ".join("(" + ", ".join(s) + ")" for s in sorted(sets)) + ")"
                else:
                    group_sql = f" GROUP BY {mode} ({', '.join(ks)})"
            actx = Ctx(keys, env, row=replace(row, sub=0 if self.chance(0.7) else row.sub, outer=list(corr)),
                       outer=list(corr), sub=sub, aggs=True, inexact=inexact_ok)
            if target is None:
                for k in keys:
                    if self.chance(0.7):
                        items.append((k.sql, k.ty, True))
                if mode != "plain" and self.chance(0.4):
                    self.feat("group:grouping_function")
                    items.append((f"GROUPING({self.pick(keys).sql})", "int", True))
                for _ in range(self.r.randint(1, 3)):
                    items.append(self.item(actx, self.item_type(row)))
            else:
                for ty in target:
                    items.append(self.item(actx, ty))
            if scalar:
                # one row only if it really aggregates: the first item becomes an aggregate call
                self.inexact_used = False
                call = self.aggregate(actx, target[0]) or f"MAX({self.expr(actx.row, target[0], 1)})"
                items[0] = (call, target[0], not self.inexact_used)
            if not scalar and self.chance(0.3):
                self.feat("having")
                having = f" HAVING {self.expr(replace(actx, inexact=False), 'bool', self.r.randint(1, 3))}"
        else:
            pctx = replace(row, inexact=inexact_ok, windows=True)
            if target is None:
                if star_ok and self.chance(0.08) and not corr:
                    self.feat("select:star")
                    items = [("*", None, True)]
                else:
                    for _ in range(self.r.randint(1, 4)):
                        items.append(self.item(pctx, self.item_type(row)))
            else:
                for ty in target:
                    items.append(self.item(pctx, ty))
        # output names: c0, c1, ...; a bare column keeps its name when that name is free
        sel, cols, taken = [], [], set()
        if items and items[0][0] == "*":
            sel = ["*"]
            cols = [Col(r.name, r.ty) for r in refs if r.qualified]
        else:
            for i, (sql, ty, exact) in enumerate(items):
                bare = sql.split(".")[-1]
                if "." in sql and bare.isidentifier() and bare not in taken and not bare.startswith("c") \
                        and self.chance(0.4):
                    name = bare
                    sel.append(sql)
                else:
                    name = f"c{i}"
                    sel.append(f"{sql} AS {name}")
                taken.add(name)
                cols.append(Col(name, ty, exact=exact))
        if distinct_on and sel[0] != "*" and all(c.exact for c in cols):
            self.feat("select:distinct_on")
            sel[0] = f"DISTINCT ON ({items[0][0]}) {sel[0]}"
        else:
            distinct_on = False
        sql = f"SELECT {'DISTINCT ' if distinct else ''}{', '.join(sel)} FROM {from_sql}"
        if distinct:
            self.feat("distinct")
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += group_sql + having
        if not agg and self.chance(0.05) and self.ok("window:qualify"):
            w = self.window(row, "int")
            if w is not None:
                self.feat("window:qualify")
                sql += f" QUALIFY {w} {self.pick(['=', '<=', '>'])} {self.pick(['1', '2'])}"
        q = Query(sql, cols)
        if distinct_on:
            q = self.order_limit(q, first=1)  # the row DISTINCT ON keeps is then determined
        elif (top and self.chance(0.25)) or (not top and not scalar and target is None and self.chance(0.05)):
            q = self.order_limit(q, distinct=distinct, extra_ok=not agg and not distinct, row=row)
        return q

    def item_type(self, row: Ctx) -> str:
        """An output type, mostly one a column in scope has."""
        if row.refs and self.chance(0.75):
            return self.pick(row.refs).ty
        return self.pick(TYPES)

    def item(self, c: Ctx, ty: str) -> tuple:
        self.inexact_used = False
        sql = self.expr(c, ty, self.r.randint(0, 3))
        exact = not self.inexact_used
        self.inexact_used = False
        return (sql, ty, exact)

    def order_limit(self, q: Query, setop=False, distinct=False, extra_ok=False, row: Ctx | None = None,
                    first: int | None = None) -> Query:
        """ORDER BY every output column (so ties are identical rows), maybe LIMIT/OFFSET."""
        if any(not c.exact for c in q.cols) or not (self.ok("order:*") or first):
            return q
        keys = []
        if extra_ok and row is not None and self.chance(0.15) and self.ok("order:expression"):
            self.feat("order:expression")
            keys.append(self.expr(replace(row, sub=0, windows=False), self.pick(["int", "str"]), 1))
        positions = list(range(1, len(q.cols) + 1))
        self.r.shuffle(positions)
        if first:
            positions.remove(first)
            positions.insert(0, first)
        for p in positions:
            ref = str(p) if setop or self.chance(0.6) else q.cols[p - 1].name
            mod = self.pick(["", " DESC", " ASC"]) + self.pick(["", "", " NULLS FIRST", " NULLS LAST"])
            keys.append(ref + mod)
        sql = f"{q.sql} ORDER BY {', '.join(keys)}"
        if self.chance(0.75):
            self.feat("order:limit")
            sql += f" LIMIT {self.r.choice([0, 1, 2, 3, 3, 4, 5])}"
            if self.chance(0.3):
                self.feat("order:offset")
                sql += f" OFFSET {self.r.randint(1, 3)}"
        else:
            self.feat("order:no_limit")
        return Query(sql, q.cols, ordered=True)

    # -- WITH and WITH RECURSIVE ------------------------------------------------------------------

    def with_query(self, env, d) -> Query:
        ctes, parts = [], []
        for _ in range(self.r.randint(1, 2)):
            q = self.query(env + ctes, max(d - 1, 0))
            name = self.alias("w")
            cols = q.cols
            if self.chance(0.3):
                self.feat("with:column_list")
                cols = [Col(f"{name}c{i}", c.ty, exact=c.exact) for i, c in enumerate(q.cols)]
                parts.append(f"{name}({', '.join(c.name for c in cols)}) AS ({q.sql})")
            else:
                parts.append(f"{name} AS ({q.sql})")
            ctes.append(Rel(name, cols, "cte"))
        self.feat("with:cte")
        main = self.query(env + ctes, d, top=True, need=ctes[-1] if self.chance(0.7) else None)
        # keep only the CTEs the query reads (DuckDB does not bind the others, so it would not check them)
        used, text = [], main.sql
        for cte, part in reversed(list(zip(ctes, parts))):
            if _mentions(text, cte.name):
                used.insert(0, part)
                text += " " + part
        if not used:
            return main
        return Query(f"WITH {', '.join(used)} {main.sql}", main.cols, main.ordered)

    def recursive_query(self, env, d) -> Query:
        tables = [r for r in env if r.kind in ("table", "view")]
        name = self.alias("r")
        kind = self.wpick([("counter", 3), ("closure", 3)])
        union = self.pick(["UNION ALL", "UNION"])
        bound = self.r.randint(1, 4)
        if kind == "closure":
            srcs = [(t, a, b) for t in tables for a in t.cols for b in t.cols
                    if a.exact and b.exact and a.ty == b.ty and a.ty in ("int", "str")]
            if not srcs:
                kind = "counter"
        if kind == "counter":
            self.feat("rec:counter_" + union.lower().replace(" ", "_"))
            src = self.pick(tables)
            qual = self.alias()
            base_ctx = Ctx(self.refs_of(qual, src.cols), env, sub=0)
            ptys = [self.pick(["int", "str", "int", "dec"]) for _ in range(self.r.randint(1, 2))]
            start = self.pick(["0", "1"])
            payload = [self.expr(base_ctx, ty, self.r.randint(0, 2)) for ty in ptys]
            cols = [Col("n", "int")] + [Col(f"p{i}", ty) for i, ty in enumerate(ptys)]
            base = f"SELECT {start}, {', '.join(payload)} FROM {src.name} AS {qual}"
            if self.chance(0.4):
                base += f" WHERE {self.expr(base_ctx, 'bool', 1)}"
            rq = self.alias()
            steps = []
            for i, ty in enumerate(ptys):
                p = f"{rq}.p{i}"
                steps.append(self.pick({
                    "int": [f"{p} + 1", f"{p} * 2", f"{p} - {rq}.n", p, f"COALESCE({p}, 0) + 1"],
                    "dec": [f"{p} + 1", p, f"{p} * 2"],
                    "str": [f"{p} || 'x'", f"UPPER({p})", p, f"SUBSTRING({p}, 2, 3)"],
                }[ty]))
            step = f"SELECT {rq}.n + 1, {', '.join(steps)} FROM {name} AS {rq}"
            conds = [f"{rq}.n < {bound + int(start)}"]
            if self.chance(0.3):
                jt = self.pick(tables)
                jq = self.alias()
                jrefs = [r for r in self.refs_of(jq, jt.cols) if r.ty == "int"]
                if jrefs:
                    self.feat("rec:join_step")
                    step += f" JOIN {jt.name} AS {jq} ON {self.pick(jrefs).sql} = {rq}.n"
            if self.chance(0.3):
                rctx = Ctx([Ref(f"{rq}.{c.name}", c.ty, c.name) for c in cols], env)
                conds.append(self.expr(rctx, "bool", 1))
                self.feat("rec:step_filter")
            step += " WHERE " + " AND ".join(conds)
        else:
            self.feat("rec:closure_" + union.lower().replace(" ", "_"))
            t, a, b = self.pick(srcs)
            if union == "UNION ALL" and t.kind == "view":
                # a bag closure over a view full of duplicates has exponentially many derivations
                union = "UNION"
            if union == "UNION ALL":
                bound = min(bound, 3)
            q1, q2, rq = self.alias(), self.alias(), self.alias()
            with_depth = union == "UNION ALL" or self.chance(0.3)
            cols = [Col("src", a.ty), Col("dst", a.ty)] + ([Col("depth", "int")] if with_depth else [])
            base = f"SELECT {q1}.{a.name}, {q1}.{b.name}{', 0' if with_depth else ''} FROM {t.name} AS {q1}"
            bctx = Ctx(self.refs_of(q1, t.cols), env)
            if self.chance(0.4):
                base += f" WHERE {self.expr(bctx, 'bool', 1)}"
            step = (f"SELECT {rq}.src, {q2}.{b.name}{f', {rq}.depth + 1' if with_depth else ''} "
                    f"FROM {name} AS {rq} JOIN {t.name} AS {q2} ON {rq}.dst = {q2}.{a.name}")
            conds = [f"{rq}.depth < {bound}"] if with_depth else []
            if self.chance(0.35):
                sctx = Ctx(self.refs_of(q2, t.cols), env)
                conds.append(self.expr(sctx, "bool", 1))
                self.feat("rec:step_filter")
            if conds:
                step += " WHERE " + " AND ".join(conds)
        rel = Rel(name, cols, "rcte")
        header = f"{name}({', '.join(c.name for c in cols)})"
        main = self.query(env + [rel], d, top=True, need=rel)
        return Query(f"WITH RECURSIVE {header} AS ({base} {union} {step}) {main.sql}", main.cols, main.ordered)

    def view_query(self, env, d: int = 2) -> Query:
        k = self.wpick([("plain", 14), ("with", 3 if self.ok("with:*") else 0),
                        ("recursive", 3 if self.ok("rec:*") else 0)])
        if k == "with":
            return self.with_query(env, d)
        if k == "recursive":
            return self.recursive_query(env, d)
        return self.query(env, d, top=True, sub_budget=self.wpick([(0, 2), (1, 5), (2, 2)]))


def _comparable(a: str, b: str) -> bool:
    return a == b or (a in NUMERIC and b in NUMERIC)


def sample_rows(rng: random.Random, table: Rel, domains: dict, n: int) -> list:
    """Rows like the harness's streams draw (same domains, NULLs in nullable columns)."""
    from tests.harness import default_domain

    doms = [domains.get(f"{table.name}.{c.name}") or default_domain(c.sqltype) for c in table.cols]
    return [tuple(None if c.nullable and rng.random() < 0.15 else rng.choice(d)
                  for c, d in zip(table.cols, doms)) for _ in range(n)]


def gen_case(seed: int, avoid=frozenset(), max_views: int = 3, attempts: int = 6) -> Case:
    """The case of a seed: random tables, then 1-max_views views (later ones may read earlier ones).

    Each view is tried on a sample of rows in DuckDB first: a query DuckDB rejects, or (mostly) one
    that returns no rows or fails on that sample, is generated again (up to ``attempts`` times), so
    that most views have something to maintain.  ``Case.retried`` counts the retries by reason."""
    import duckdb

    g = Gen(random.Random(seed), frozenset(avoid))
    tables, domains = g.schema()
    ddl = Gen.ddl(tables)
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{SAMPLE_MEMORY}'")
    con.execute("SET enable_progress_bar = false")
    con.execute(ddl)
    for t in tables:
        rows = sample_rows(g.r, t, domains, g.r.randint(6, 14))
        if keyed_tables(ddl).get(t.name):
            rows = list({r[0]: r for r in rows}.values())  # one row per primary key
        con.executemany(f"INSERT INTO {t.name} VALUES ({', '.join('?' * len(t.cols))})", rows)
    views: list = []
    retried: dict = {}
    n = g.wpick([(1, 6), (2, 3), (3, 1)][:max_views])
    create_at = 0
    try:
        for i in range(n):
            name = f"v{i}"
            env = tables + [Rel(v.name, [c for c in v.cols if c.exact], "view") for v in views]
            avoided = attempt = 0
            while attempt < attempts:
                g.features = set()
                g.n_alias = 0
                q = g.view_query(env)
                if not all(g.ok(f) for f in g.features) and avoided < 40:
                    avoided += 1
                    retried["uses an avoided feature"] = retried.get("uses an avoided feature", 0) + 1
                    continue
                attempt += 1
                last = attempt == attempts
                try:
                    con.execute(f"CREATE OR REPLACE VIEW {name} AS {q.sql}")
                except duckdb.Error:
                    retried["duckdb rejects"] = retried.get("duckdb rejects", 0) + 1
                    continue
                count, heavy = _sample_count(con, name)
                if heavy:
                    retried["too heavy on sample"] = retried.get("too heavy on sample", 0) + 1
                    q = None
                    continue
                if count is None and not last and not g.chance(0.2):
                    retried["fails on sample"] = retried.get("fails on sample", 0) + 1
                    continue
                if count == 0 and not last and not g.chance(0.15):
                    retried["empty on sample"] = retried.get("empty on sample", 0) + 1
                    continue
                if count is not None and count > 1500 and not last:
                    # products of views: tens of thousands of rows once the stream grows, minutes per step
                    retried["too large on sample"] = retried.get("too large on sample", 0) + 1
                    continue
                break
            if q is None:
                break  # (no view within the sample's limits: the case keeps the views before it)
            deps = tuple(v.name for v in views if _mentions(q.sql, v.name))
            if deps:
                g.feat("view_over_view")
            if g.chance(0.2):
                create_at = max(create_at, g.r.randint(1, 3))
                g.feat("view:created_late")
            views.append(GenView(name, q.sql, q.cols, frozenset(g.features), q.ordered, deps, create_at))
    finally:
        con.close()
    case = Case(seed, ddl, tables, views, domains)
    case.retried = retried
    return case


def _sample_count(con, name: str) -> tuple:
    """(the view's row count over the sample rows, or None if DuckDB fails it; whether it failed for
    taking longer than SAMPLE_SECONDS or more than SAMPLE_MEMORY)."""
    import duckdb

    d = deadline(SAMPLE_SECONDS, con)
    try:
        with d:
            return con.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0], False
    except duckdb.OutOfMemoryException:
        return None, True
    except duckdb.Error:  # (DuckDB's interrupt, once the deadline has fired, is one)
        return None, d.fired
    except (Timeout, RuntimeError) as e:
        if not timed_out(d, e):
            raise
        return None, True


def keyed_tables(ddl: str) -> dict:
    """{table: (key columns,)} of the tables whose DDL declares a primary key."""
    return {m.group(1): (m.group(2),) for m in re.finditer(r"CREATE TABLE (\w+)\((\w+) INTEGER PRIMARY KEY", ddl)}


def _mentions(sql: str, name: str) -> bool:
    return re.search(r"\b" + re.escape(name) + r"\b", sql) is not None
