"""Differential tests of randomly generated queries (expressions, joins, grouping, set operations,
subqueries, top-k, window functions combined), each under a random change stream, against DuckDB.

Every decision comes from one Random, so hypothesis shrinks the query and the stream together (option
0 is always the simplest). Replay a generated query from the command line with its seed:
``python -m tests.test_diff_random SEED`` prints the query and checks it (shrinking a failure)."""

import random
import sys
from collections import Counter

import duckdb
from hypothesis import assume, given

from tests.harness import (RandomChooser, Spec, check_steps, gen_steps, hypothesis_settings, run, shrink,
                           streams, Harness)

DDL = ("CREATE TABLE r(k INT, a INT, s VARCHAR, c DECIMAL(6,2), d DOUBLE); "
       "CREATE TABLE u(k INT, b INT NOT NULL, s VARCHAR, t DATE)")
DOMAINS = {"k": [1, 2, 3, 0], "a": [1, 2, 0, -1, 3], "b": [1, 2, 3, 0, -2], "s": ["a", "b", "ab", "", "B"],
           "c": [1.5, 0, -2.25, 3], "d": [0.5, 2.0, -1.0, 0.0]}
COLUMNS = {"r": {"k": "int", "a": "int", "s": "str", "c": "num", "d": "num"},
           "u": {"k": "int", "b": "int", "s": "str", "t": "date"}}


class QueryGen:
    """Typed random SQL over r and u.  ``scope`` maps an alias to its table."""

    def __init__(self, rnd: random.Random):
        self.r = rnd

    def pick(self, options):
        return options[self.r.randrange(len(options))]

    def col(self, scope, typ):
        cands = [f"{alias}.{c}" for alias, table in scope.items() for c, t in COLUMNS[table].items() if t == typ]
        return self.pick(cands) if cands else None

    def expr(self, typ, scope, depth=2):
        leaf = depth <= 0 or self.r.random() < 0.35
        if typ == "int":
            c = self.col(scope, "int")
            if leaf:
                return self.pick([c, str(self.r.randint(-2, 4))]) if c else str(self.r.randint(-2, 4))
            a, b = self.expr("int", scope, depth - 1), self.expr("int", scope, depth - 1)
            return self.pick([f"({a} + {b})", f"({a} - {b})", f"({a} * {b})", f"ABS({a})", f"-({a})",
                              f"COALESCE({a}, {b})", f"NULLIF({a}, {b})", f"({a} % 3)",
                              f"CASE WHEN {self.expr('bool', scope, depth - 1)} THEN {a} ELSE {b} END",
                              f"LENGTH({self.expr('str', scope, depth - 1)})",
                              f"CAST({self.expr('num', scope, depth - 1)} AS INT)",
                              f"EXTRACT(MONTH FROM {self.expr('date', scope, depth - 1)})",
                              f"DATE_DIFF('day', DATE '2024-01-01', {self.expr('date', scope, depth - 1)})"])
        if typ == "str":
            c = self.col(scope, "str")
            lit = self.pick(["'a'", "'b'", "''", "'x'"])
            if leaf:
                return self.pick([c, lit]) if c else lit
            a, b = self.expr("str", scope, depth - 1), self.expr("str", scope, depth - 1)
            return self.pick([f"({a} || {b})", f"UPPER({a})", f"LOWER({a})", f"SUBSTRING({a}, 1, 2)",
                              f"CAST({self.expr('int', scope, depth - 1)} AS VARCHAR)",
                              f"COALESCE({a}, {b})", f"TRIM({a})", f"REPLACE({a}, 'a', 'b')",
                              f"CASE WHEN {self.expr('bool', scope, depth - 1)} THEN {a} ELSE {b} END"])
        if typ == "num":
            c = self.col(scope, "num")
            if c is None or leaf:
                return c or "1.5"
            i = self.expr("int", scope, depth - 1)
            return self.pick([f"({c} + {i})", f"({c} * 2)", f"ROUND({c}, 1)", f"ABS({c})", f"({c} - {c})",
                              f"COALESCE({c}, {i})", f"({c} / NULLIF({i}, 0))", f"FLOOR({c})", f"({i} / 4)"])
        if typ == "date":
            c = self.col(scope, "date")
            base = c or "DATE '2024-02-29'"
            if leaf:
                return base
            return self.pick([f"({base} + INTERVAL 1 MONTH)", f"({base} + {self.expr('int', scope, 0)})",
                              f"DATE_TRUNC('month', {base})", f"COALESCE({base}, DATE '2000-01-01')",
                              f"CAST({base} + INTERVAL 2 HOUR AS DATE)"])
        # bool
        if leaf:
            a, b = self.expr("int", scope, 0), self.expr("int", scope, 0)
            return self.pick([f"{a} = {b}", f"{a} < {b}", f"{a} IS NULL", f"{a} <> {b}"])
        t = self.pick(["int", "int", "str", "num", "date"])
        a, b = self.expr(t, scope, depth - 1), self.expr(t, scope, depth - 1)
        p, q = self.expr("bool", scope, depth - 1), self.expr("bool", scope, depth - 1)
        return self.pick([f"{a} = {b}", f"{a} < {b}", f"{a} >= {b}", f"({p} AND {q})", f"({p} OR {q})",
                          f"NOT ({p})", f"{a} IS NOT NULL", f"{a} IS DISTINCT FROM {b}",
                          f"{a} BETWEEN {b} AND {self.expr(t, scope, 0)}", f"({p}) IS NULL",
                          f"{self.expr('int', scope, 0)} IN (0, 1, NULL)",
                          f"{self.expr('str', scope, 0)} LIKE '%a%'", f"{self.expr('str', scope, 0)} NOT LIKE 'b%'"])

    def source(self):
        """(FROM clause, scope)."""
        kind = self.pick(["r", "join", "left", "u", "full", "cross", "self", "derived"])
        if kind in ("r", "u"):
            return kind, {kind: kind}
        if kind == "derived":
            inner = self.pick(["SELECT k, COUNT(*) AS b, MIN(s) AS s, MAX(t) AS t FROM u GROUP BY k",
                               "SELECT DISTINCT k, b, s, t FROM u WHERE b > 0",
                               "SELECT k, b, s, t FROM u UNION ALL SELECT a, k, s, NULL FROM r"])
            return f"r JOIN ({inner}) u ON r.k = u.k", {"r": "r", "u": "u"}
        if kind == "self":
            return "r r JOIN r r2 ON r.a = r2.k", {"r": "r", "r2": "r"}
        if kind == "cross":
            return "r CROSS JOIN u", {"r": "r", "u": "u"}
        extra = f" AND {self.expr('bool', {'r': 'r', 'u': 'u'}, 1)}" if self.r.random() < 0.3 else ""
        op = {"join": "JOIN", "left": "LEFT JOIN", "full": "FULL JOIN"}[kind]
        return f"r {op} u ON r.k = u.k{extra}", {"r": "r", "u": "u"}

    def subquery_predicate(self, scope):
        outer = self.col(scope, "int")
        corr = f" AND u2.k = {self.col(scope, 'int')}" if self.r.random() < 0.7 else ""
        cond = self.expr("bool", {"u2": "u"}, 1)
        return self.pick([
            f"EXISTS (SELECT 1 FROM u u2 WHERE {cond}{corr})",
            f"NOT EXISTS (SELECT 1 FROM u u2 WHERE {cond}{corr})",
            f"{outer} IN (SELECT u2.b FROM u u2 WHERE {cond}{corr})",
            f"{outer} NOT IN (SELECT u2.b FROM u u2 WHERE {cond}{corr})",
            f"{outer} > (SELECT MIN(u2.b) FROM u u2 WHERE {cond}{corr})",
            f"{outer} = ANY (SELECT u2.b FROM u u2 WHERE {cond}{corr})",
        ])

    def where(self, scope):
        x = self.r.random()
        if x < 0.3:
            return ""
        if x < 0.55:
            return f" WHERE {self.subquery_predicate(scope)}"
        return f" WHERE {self.expr('bool', scope)}"

    def select(self, types=None):
        frm, scope = self.source()
        types = types or [self.pick(["int", "str", "num", "bool"]) for _ in range(self.r.randint(1, 3))]
        items = ", ".join(f"{self.expr(t, scope)} AS c{i}" for i, t in enumerate(types))
        distinct = "DISTINCT " if self.r.random() < 0.15 else ""
        return f"SELECT {distinct}{items} FROM {frm}{self.where(scope)}"

    def aggregate(self):
        frm, scope = self.source()
        keys = [self.expr(self.pick(["int", "str"]), scope, 1) for _ in range(self.r.randint(0, 2))]
        aggs = []
        for _ in range(self.r.randint(1, 3)):
            i, s = self.expr("int", scope, 1), self.expr("str", scope, 0)
            aggs.append(self.pick([
                "COUNT(*)", f"SUM({i})", f"MIN({i})", f"MAX({s})", f"COUNT({i})", f"COUNT(DISTINCT {i})",
                f"SUM(DISTINCT {i})", f"AVG({i})", f"BOOL_OR({self.expr('bool', scope, 1)})",
                f"STRING_AGG({s}, ',' ORDER BY {s})" if "." in s else "COUNT(*)", f"MAX({self.expr('num', scope, 1)})",
                f"COUNT(*) FILTER (WHERE {self.expr('bool', scope, 1)})"]))
        items = [f"{k} AS k{j}" for j, k in enumerate(keys)] + [f"{a} AS a{j}" for j, a in enumerate(aggs)]
        group = f" GROUP BY {', '.join(str(j + 1) for j in range(len(keys)))}" if keys else ""
        having = f" HAVING COUNT(*) > {self.r.randint(0, 2)}" if keys and self.r.random() < 0.3 else ""
        return f"SELECT {', '.join(items)} FROM {frm}{self.where(scope)}{group}{having}"

    def setop(self):
        types = [self.pick(["int", "str"]) for _ in range(self.r.randint(1, 2))]
        op = self.pick(["UNION", "UNION ALL", "EXCEPT", "EXCEPT ALL", "INTERSECT", "INTERSECT ALL"])
        return f"{self.select(types)} {op} {self.select(types)}"

    def topk(self):
        frm, scope = self.source()
        a, s = self.expr("int", scope, 1), self.expr("str", scope, 1)
        desc = self.pick(["", " DESC", " NULLS FIRST", " DESC NULLS LAST"])
        return (f"SELECT {a} AS c0, COUNT(*) AS n, MIN({s}) AS m FROM {frm}{self.where(scope)} GROUP BY 1 "
                f"ORDER BY c0{desc} LIMIT {self.r.randint(1, 3)}" + (" OFFSET 1" if self.r.random() < 0.3 else ""))

    def window(self):
        """Window functions whose result does not depend on how ties are broken."""
        frm, scope = self.source()
        part = self.expr(self.pick(["int", "str"]), scope, 1)
        key, arg = self.expr("int", scope, 1), self.expr("int", scope, 1)
        over = self.pick([f"PARTITION BY {part}", f"PARTITION BY {part} ORDER BY {key}", f"ORDER BY {key} DESC",
                          ""])
        fn = self.pick([f"SUM({arg})", "COUNT(*)", f"MAX({arg})", f"MIN({self.expr('str', scope, 1)})",
                        f"AVG({arg})"] + (["RANK()", "DENSE_RANK()"] if "ORDER BY" in over else []))
        return f"SELECT {arg} AS c0, {fn} OVER ({over}) AS w FROM {frm}{self.where(scope)}"

    def over_view(self):
        """A query over a view q0 whose first column c0 is an integer (a view over a view)."""
        return self.pick([
            "SELECT q0.*, u.b FROM q0 JOIN u ON q0.c0 = u.k",
            "SELECT c0, COUNT(*) AS n FROM q0 GROUP BY c0",
            "SELECT DISTINCT c0 FROM q0 WHERE c0 IS NOT NULL",
            "SELECT r.k, (SELECT COUNT(*) FROM q0 WHERE q0.c0 = r.a) AS n FROM r",
            "SELECT c0 FROM q0 EXCEPT ALL SELECT k FROM u",
        ])

    def query(self):
        return self.pick([self.select, self.aggregate, self.setop, self.topk, self.window])()


def random_spec(rnd: random.Random) -> Spec:
    g = QueryGen(rnd)
    if rnd.random() < 0.6:
        return Spec(DDL, {"q0": g.query(), "q1": g.query()}, domains=DOMAINS, steps=5)
    q0 = g.pick([lambda: g.select(["int"] + [g.pick(["int", "str"])] * rnd.randint(0, 1)), g.topk])()
    return Spec(DDL, {"q0": q0, "q1": g.over_view()}, domains=DOMAINS, steps=5)


def check_random_query(rnd: random.Random) -> None:
    spec = random_spec(rnd)
    h = Harness(spec)
    try:
        for name in spec.views:          # a query DuckDB itself rejects is no test
            try:
                h.expected(name, {t.name: Counter() for t in h.tables})
            except duckdb.Error:
                assume(False)
        failure = h.run(gen_steps(RandomChooser(rnd), h))
    finally:
        h.close()
    if failure is not None:
        check_steps(spec, failure.steps)   # raises the report (with the query in its repro)


@hypothesis_settings(default=60, long=600)
@given(rnd=streams())
def test_random_queries(rnd):
    check_random_query(rnd)


def main(argv):
    """``SEED`` or ``A-B``: generate the queries and streams of those seeds and check them."""
    lo, _, hi = argv[0].partition("-")
    bad = 0
    for seed in range(int(lo), int(hi or lo) + 1):
        rnd = random.Random(seed)
        spec = random_spec(rnd)
        steps = gen_steps(RandomChooser(rnd), spec)
        f = run(spec, steps, seed)
        if f is not None:
            bad += 1
            if f.kind != "oracle_error" or f.step:
                print(shrink(spec, steps, f).report() if not hi else
                      f"seed {seed}: {f.kind} in {f.view}: {f.message.splitlines()[0]}\n  {spec.views.get(f.view)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
