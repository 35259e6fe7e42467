"""Test-case reduction for fuzz failures: simplify the failing view's SQL (greedy AST edits that keep
DuckDB accepting it and the failure the same), drop unused tables and columns, then shrink the stream
with tests/harness.py's shrink.

    small = reduce_failure(case, view_result_failure, stream)   # a Reduced: ddl, views, steps, failure
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import duckdb
import sqlglot
from sqlglot import exp

import tests.harness as H
from deltasql import Pipeline
from tests.harness import Harness, Spec, ViewSpec

from .timeouts import Timeout, deadline, timed_out

# the Select clauses an edit may drop
_CLAUSES = ("where", "having", "order", "limit", "offset", "distinct", "group", "with")


def _edits(node: exp.Expression) -> list:
    """Functions node -> replacement (or None to give up), simplest-looking first."""
    out = []
    if isinstance(node, (exp.Union, exp.Intersect, exp.Except)):
        out += [lambda n: _carry_with(n, n.this), lambda n: _carry_with(n, n.expression)]
    if isinstance(node, (exp.Select, exp.Union, exp.Intersect, exp.Except)):
        for key in _CLAUSES:
            if node.args.get(key) and (key in ("order", "limit", "offset") or isinstance(node, exp.Select)):
                if key == "order" and (node.args.get("limit") or node.args.get("offset")):
                    continue  # LIMIT without ORDER BY has no one right answer: drop them together
                out.append(lambda n, key=key: _set(n, key, None))
        if node.args.get("order") and (node.args.get("limit") or node.args.get("offset")):
            out.append(lambda n: _set(_set(_set(n, "order", None), "limit", None), "offset", None))
    if isinstance(node, exp.Select):
        for j in range(len(node.args.get("joins") or [])):
            out.append(lambda n, j=j: _drop_list(n, "joins", j))
        if len(node.expressions) > 1:
            for j in range(len(node.expressions)):
                out.append(lambda n, j=j: _drop_list(n, "expressions", j))
    if isinstance(node, exp.With) and len(node.expressions) > 1:
        for j in range(len(node.expressions)):
            out.append(lambda n, j=j: _drop_list(n, "expressions", j))
    if isinstance(node, exp.Join):
        if node.args.get("side") or node.args.get("kind"):
            out.append(lambda n: _set(_set(n, "side", None), "kind", None))
        if node.args.get("on") is not None:
            out.append(lambda n: _set(n, "on", exp.true()))
    if isinstance(node, (exp.Not, exp.Paren, exp.Cast, exp.Filter, exp.Neg)):
        out.append(lambda n: n.this)
    if isinstance(node, exp.Case):
        for j in range(len(node.args.get("ifs") or [])):
            out.append(lambda n, j=j: n.args["ifs"][j].args.get("true"))
        if node.args.get("default") is not None:
            out.append(lambda n: n.args["default"])
    if isinstance(node, exp.Binary):
        out += [lambda n: n.this, lambda n: n.expression]
    if isinstance(node, (exp.Predicate, exp.Connector)):
        out.append(lambda n: exp.true())
    if isinstance(node, exp.Func) and not isinstance(node, exp.AggFunc):
        for key, v in node.args.items():
            if isinstance(v, exp.Expression) and not isinstance(v, (exp.Literal, exp.DataType)):
                out.append(lambda n, key=key: n.args.get(key))
            elif isinstance(v, list):
                for j, x in enumerate(v):
                    if isinstance(x, exp.Expression):
                        out.append(lambda n, key=key, j=j: n.args[key][j])
    if isinstance(node, exp.AggFunc) and not isinstance(node, exp.Count):
        out.append(lambda n: exp.Count(this=exp.Star()))
    if isinstance(node, exp.Column) and not isinstance(node.parent, (exp.Ordered, exp.Group)):
        out.append(lambda n: exp.Null())
    return out


def _set(n, key, value):
    n.set(key, value)
    return n


def _drop_list(n, key, j):
    items = list(n.args[key])
    del items[j]
    n.set(key, items)
    return n


def _carry_with(n, keep):
    w = n.args.get("with")
    if w is not None and keep is not None and not keep.args.get("with"):
        keep.set("with", w.copy())
    return keep


def reduce_sql(sql: str, pred, budget: int = 300, seconds: float = 120) -> str:
    """The smallest SQL reachable by greedy edits for which ``pred(sql)`` stays true."""
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except Exception:  # noqa: BLE001 - sqlglot cannot round-trip it: nothing to reduce
        return sql
    cur = tree.sql("duckdb")
    if not pred(cur):
        return sql
    calls, t0 = 1, time.monotonic()
    i = 0
    while calls < budget and time.monotonic() - t0 < seconds:
        nodes = list(tree.walk())
        if i >= len(nodes):
            break
        accepted = False
        for edit in _edits(nodes[i]):
            if calls >= budget:
                break
            cand = tree.copy()
            node = list(cand.walk())[i]
            try:
                new = edit(node)
                if new is None:
                    continue
                if node is cand:
                    cand = new
                elif new is not node:
                    node.replace(new)
                text = cand.sql("duckdb")
            except Exception:  # noqa: BLE001, S112 - an edit that makes no sense for this node
                continue
            if len(text) >= len(cur):
                continue
            calls += 1
            if pred(text):
                tree, cur, accepted = sqlglot.parse_one(text, read="duckdb"), text, True
                break
        if not accepted:
            i += 1
    return cur


@dataclass
class Reduced:
    ddl: str
    views: dict  # name -> ViewSpec, in creation order
    domains: dict
    steps: list
    failure: object


class FailureCheck:
    """Does a candidate (ddl, views, steps) still fail like the original?"""

    def __init__(self, failure, kind: str, domains: dict, seconds: float = 30):
        self.failure = failure
        self.seconds = seconds
        self.kind = kind  # 'run' (harness failure), or 'compile' (CREATE VIEW raised)
        self.domains = domains
        self.key = _key(failure)

    def duckdb_ok(self, ddl, views) -> bool:
        con = duckdb.connect()
        try:
            con.execute(ddl)
            for n, v in views.items():
                con.execute(f"CREATE VIEW {n} AS {v.sql}")
                con.execute(f"SELECT * FROM {n}").fetchall()
            return True
        except Exception:  # noqa: BLE001
            return False
        finally:
            con.close()

    def __call__(self, ddl, views, steps):
        if not self.duckdb_ok(ddl, views):
            return None
        err = compile_error(ddl, views)
        if self.kind == "compile":
            return err if err is not None and _norm(err[1]) == self.key else None
        if err is not None:
            return None
        spec = Spec(ddl, views, domains=self.domains, adhoc=False)
        h = Harness(spec)
        d = deadline(self.seconds, h.con)
        try:
            with d:
                g = h.run(steps, self.failure.seed)
        except (Timeout, RuntimeError) as e:  # inside DuckDB the alarm surfaces as an interrupt
            if not timed_out(d, e):
                raise
            return None  # a candidate too slow to judge is not taken
        finally:
            h.close()
        if g is None or g.kind != self.failure.kind or g.view != self.failure.view:
            return None
        if g.kind in ("error", "oracle_error", "compile") and _key(g) != self.key:
            return None
        return g


def top_level_order(sql: str) -> bool:
    """Does the query end in ORDER BY (so the order of its rows is checked)?"""
    try:
        return sqlglot.parse_one(sql, read="duckdb").args.get("order") is not None
    except Exception:  # noqa: BLE001
        return False


def compile_error(ddl: str, views: dict):
    """(exception type name, message) of the first CREATE VIEW (or the DDL) that raises, or None."""
    p = Pipeline()
    try:
        p.execute(ddl)
    except Exception as e:  # noqa: BLE001
        return ("ddl", str(e))
    for n, v in views.items():
        try:
            p.execute(f"CREATE VIEW {n} AS {v.sql}")
        except Exception as e:  # noqa: BLE001
            return (type(e).__name__, getattr(e, "message", str(e)))
    return None


def _key(f) -> str:
    if isinstance(f, tuple):
        return _norm(f[1])
    if f.kind in ("error", "oracle_error", "compile"):
        return _norm(f.message)
    return f.kind


def _norm(msg: str) -> str:
    m = (msg or "").strip().splitlines()[0] if (msg or "").strip() else ""
    m = re.sub(r"^\d+:\d+: ", "", m)
    m = re.sub(r"\bv\d+: ", "", m)
    m = re.sub(r"'[^']*'|\"[^\"]*\"|\b\d+(\.\d+)?\b", "…", m)
    return m[:120]


def drop_table(ddl: str, name: str) -> str:
    parts = [p for p in ddl.split("; ") if not re.match(rf"CREATE TABLE {re.escape(name)}\(", p)]
    return "; ".join(parts)


def drop_column(ddl: str, table: str, col: str) -> tuple[str, int] | None:
    """The DDL without table.col, and the index the column had; None if it is the only column."""
    out = []
    idx = None
    for p in ddl.split("; "):
        m = re.match(rf"CREATE TABLE {re.escape(table)}\((.*)\)$", p)
        if m:
            cols = m.group(1).split(", ")
            names = [c.split()[0] for c in cols]
            if col not in names or len(cols) == 1:
                return None
            idx = names.index(col)
            del cols[idx]
            p = f"CREATE TABLE {table}({', '.join(cols)})"
        out.append(p)
    return ("; ".join(out), idx) if idx is not None else None


def _steps_without(steps, table, idx=None):
    out = []
    for s in steps:
        if s == H.RETRACT_ALL:
            out.append(s)
            continue
        if idx is None:
            out.append([op for op in s if op[1] != table])
        else:
            out.append([(sg, t, r[:idx] + r[idx + 1:] if t == table else r) for sg, t, r in s])
    return out


def reduce_failure(ddl: str, views: dict, domains: dict, steps, failure, kind: str = "run",
                   budget: int = 300, seconds: float = 240) -> Reduced:
    """Reduce SQL, schema and stream of a failure (kind 'run': a harness Failure; 'compile': a
    (type, message) pair from CREATE VIEW)."""
    t0 = time.monotonic()
    check = FailureCheck(failure, kind, domains)
    steps = list(steps)
    views = dict(views)
    target = failure.view if kind == "run" else list(views)[-1]
    if kind == "run":
        views = {n: v for n, v in views.items() if n in H._views_needed(Spec(ddl, views), target)}
    last = failure
    # 1. the SQL of each view, the failing one first
    for name in [target] + [n for n in views if n != target]:
        if name not in views:
            continue

        def pred(sql, name=name):
            nonlocal last
            cand = dict(views)
            ordered = views[name].ordered and top_level_order(sql)
            cand[name] = ViewSpec(sql, ordered=ordered, create_at=views[name].create_at)
            g = check(ddl, cand, steps)
            if g is not None:
                last = g
            return g is not None

        left = max(seconds - (time.monotonic() - t0), 10)
        sql = reduce_sql(views[name].sql, pred, budget=budget, seconds=left * 0.6)
        views[name] = ViewSpec(sql, ordered=views[name].ordered and top_level_order(sql),
                               create_at=views[name].create_at)
    # views the failing one no longer reads
    if kind == "run":
        need = H._views_needed(Spec(ddl, views), target)
        if len(need) < len(views):
            cand = {n: v for n, v in views.items() if n in need}
            g = check(ddl, cand, steps)
            if g is not None:
                views, last = cand, g
    # 2. tables and columns the views do not need
    text = " ".join(v.sql for v in views.values())
    for m in re.finditer(r"CREATE TABLE (\w+)\(", ddl):
        t = m.group(1)
        if not re.search(rf"\b{t}\b", text) and ddl.count("CREATE TABLE") > 1:
            cand_ddl, cand_steps = drop_table(ddl, t), _steps_without(steps, t)
            g = check(cand_ddl, views, cand_steps)
            if g is not None:
                ddl, steps, last = cand_ddl, cand_steps, g
    for m in list(re.finditer(r"CREATE TABLE (\w+)\(([^)]*(?:\([^)]*\)[^)]*)*)\)", ddl)):
        t = m.group(1)
        for col in [c.split()[0] for c in m.group(2).split(", ")]:
            if time.monotonic() - t0 > seconds:
                break
            d = drop_column(ddl, t, col)
            if d is None:
                continue
            cand_steps = _steps_without(steps, t, d[1])
            g = check(d[0], views, cand_steps)
            if g is not None:
                ddl, steps, last = d[0], cand_steps, g
    # 3. the stream
    if kind == "run" and isinstance(last, H.Failure):
        spec = Spec(ddl, views, domains=domains, adhoc=False)
        d = deadline(max(seconds - (time.monotonic() - t0), 30))
        try:
            with d:
                last = H.shrink(spec, steps, last, budget=200)
                steps = last.steps or steps
        except (Timeout, RuntimeError) as e:
            if not timed_out(d, e):
                raise
        finally:
            for h in list(H._HARNESSES.values()):
                h.close()
            H._HARNESSES.clear()
    return Reduced(ddl, views, domains, steps, last)


def describe(r: Reduced) -> str:
    """A BUGS.md-ready repro: schema, views, stream, and what differed."""
    lines = [r.ddl + ";"]
    for n, v in r.views.items():
        lines.append(f"CREATE VIEW {n} AS {v.sql};")
    f = r.failure
    if isinstance(f, tuple):
        lines.append(f"CREATE VIEW raises {f[0]}: {f[1]}")
        return "\n".join(lines)
    lines.append(f"stream: {r.steps[:f.step + 1]!r}")
    lines.append(f.report())
    return "\n".join(lines)
