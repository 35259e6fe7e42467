"""Workload 5: compile time per view (sql_examples/, TPC-H, a sample of sqllogictest queries) vs DuckDB planning."""

from __future__ import annotations

import glob
import os
import statistics

from . import data, tpch_queries
from .common import ROOT, SHARED, clock, duck, main_for, percentile, since, table

SLT_DIR = os.path.join(SHARED, "slt", "random")
EXAMPLES_DIR = os.path.join(ROOT, "sql_examples")
SLT_PER_FILE = {"full": 20, "quick": 5, "smoke": 3}
SLT_FILES = {"full": None, "quick": None, "smoke": 2}  # None: every file
TARGET_MS = 20.0
REPEATS = 3  # compiles per view (each in a fresh pipeline); the fastest is reported


def split_statements(sql: str, dialect: str) -> list[str]:
    """Statement texts of a ;-separated script, split on the tokenizer's semicolons (not inside strings)."""
    import sqlglot
    from sqlglot.tokens import TokenType

    out, start = [], 0
    for tok in sqlglot.Dialect.get_or_raise(dialect).tokenize(sql):
        if tok.token_type == TokenType.SEMICOLON:
            out.append(sql[start:tok.start])
            start = tok.end + 1
    out.append(sql[start:])
    return [s.strip() for s in out if s.strip()]


def kind(stmt: str, dialect: str) -> str:
    """'view', 'ddl' (other CREATE statements) or 'other', from the parsed statement."""
    import sqlglot
    from sqlglot import exp

    try:
        ast = sqlglot.parse_one(stmt, read=dialect)
    except Exception:
        return "other"
    if isinstance(ast, exp.Create):
        return "view" if (ast.args.get("kind") or "").upper() == "VIEW" else "ddl"
    return "other"


def slt_records(path: str) -> tuple[list[str], list[str]]:
    """(CREATE TABLE statements, query texts) of a sqllogictest file, as run by engine sqlite."""
    with open(path) as f:
        text = f.read()
    tables, queries = [], []
    for block in text.split("\n\n"):
        lines = [ln for ln in block.strip("\n").split("\n") if ln and not ln.startswith("#")]
        skip = False
        while lines and lines[0].split()[0] in ("skipif", "onlyif"):
            words = lines.pop(0).split()
            engine = words[1] if len(words) > 1 else ""
            if (words[0] == "skipif" and engine == "sqlite") or (words[0] == "onlyif" and engine != "sqlite"):
                skip = True
        if skip or not lines:
            continue
        head = lines[0].split()
        if head[0] == "statement":
            sql = "\n".join(lines[1:])
            if sql.upper().startswith("CREATE TABLE"):
                tables.append(sql)
        elif head[0] == "query":
            body = lines[1:]
            if "----" in body:
                body = body[:body.index("----")]
            queries.append("\n".join(body))
    return tables, queries


def time_view(p, name: str, sql: str) -> tuple[tuple[float, float], str | None]:
    """(wall, CPU) seconds to compile one view, and the error class name if it failed."""
    from deltasql import CompileError, DataError

    t = clock()
    try:
        p.execute(f"CREATE VIEW {name} AS {sql}")
    except CompileError:
        return since(t), "CompileError"
    except DataError:
        return since(t), "DataError"
    except Exception as e:  # an internal failure: a bug to report, not a user error
        return since(t), f"internal {type(e).__name__}: {str(e)[:120]}"
    return since(t), None


def duck_plan_time(con, sql: str) -> float | None:
    """CPU seconds of DuckDB's EXPLAIN of the query, None if it fails."""
    t = clock()
    try:
        con.execute(f"EXPLAIN {sql}").fetchall()
    except Exception:
        return None
    return since(t)[1]


def stats(times_s, wall_s=()) -> dict:
    """Median, p95, max of CPU times (and the median wall time, if given), in ms."""
    if not times_s:
        return {"n": 0}
    ms = [t * 1000 for t in times_s]
    out = {"n": len(ms), "median_ms": round(statistics.median(ms), 2), "p95_ms": round(percentile(ms, 95), 2),
           "max_ms": round(max(ms), 2), "over_target": sum(1 for x in ms if x > TARGET_MS), "clock": "cpu"}
    if wall_s:
        out["wall_median_ms"] = round(statistics.median(wall_s) * 1000, 2)
    return out


def summarize(name: str, ours: list, errors: dict, duck_times: list, slowest: list) -> dict:
    """``ours``: (wall, CPU) pairs."""
    return {"name": name, "deltasql": stats([c for _, c in ours], [w for w, _ in ours]),
            "duckdb_plan": stats(duck_times), "errors": errors, "slowest": sorted(slowest, key=lambda x: -x[0])[:5]}


def bench_set(name: str, dialect: str, tables_sql: list[str], views: list[tuple[str, str]], fresh_each: bool):
    """Compile each view (in a fresh pipeline per view if ``fresh_each``, else in order in one)."""
    from deltasql import Pipeline

    ours, errors, slowest, duck_times = [], {}, [], []
    con = duck()
    for t in tables_sql:
        try:
            con.execute(t)
        except Exception:
            pass
    p = None
    for i, (vname, sql) in enumerate(views):
        best, err = None, None
        for _ in range(REPEATS if fresh_each else 1):  # compiling is deterministic: the best run is its cost
            if p is None or fresh_each:
                p = Pipeline(dialect=dialect)
                for t in tables_sql:
                    p.execute(t)
            secs, err = time_view(p, vname, sql)
            best = secs if best is None else min(best, secs, key=lambda s: s[1])
            if err:
                break
        secs = best
        if err:
            key = err if not err.startswith("internal") else "internal error"
            errors[key] = errors.get(key, 0) + 1
            if key == "internal error":
                errors.setdefault("internal examples", []).append(f"{err} :: {sql[:200]}")
        else:
            ours.append(secs)
            slowest.append((round(secs[1] * 1000, 2), vname if not fresh_each else sql[:160]))
            ds = [d for d in (duck_plan_time(con, sql) for _ in range(REPEATS)) if d is not None]
            if ds:
                duck_times.append(min(ds))
    con.close()
    return summarize(name, ours, errors, duck_times, slowest)


def examples_sets() -> list:
    """sql_examples/*.sql: one set per file; CREATE TABLE/INDEX untimed, each CREATE VIEW timed."""
    out = []
    for path in sorted(glob.glob(os.path.join(EXAMPLES_DIR, "*.sql"))):
        with open(path) as f:
            text = f.read()
        dialect = "duckdb"
        for line in text.splitlines()[:5]:
            if "dialect" in line.lower() and ":" in line:
                dialect = line.split(":", 1)[1].strip().split()[0].lower()
        try:
            stmts = split_statements(text, dialect)
        except Exception:
            continue
        kinds = [kind(s, dialect) for s in stmts]
        views = [s for s, k in zip(stmts, kinds) if k == "view"]
        if views:
            out.append((os.path.basename(path), dialect, [s for s, k in zip(stmts, kinds) if k == "ddl"], views))
    return out


def bench_examples() -> list:
    """Each example file's views compiled in order in one pipeline (views may read earlier views)."""
    from deltasql import CompileError, Pipeline

    results = []
    for fname, dialect, tables, views in examples_sets():
        p = Pipeline(dialect=dialect)
        con = duck()
        ok_tables = True
        for t in tables:
            try:
                p.execute(t)
            except CompileError:
                ok_tables = False
            try:
                con.execute(t)
            except Exception:
                pass
        ours, errors, slowest, duck_times = [], {}, [], []
        for stmt in views:
            t = clock()
            try:
                p.execute(stmt)
                secs = since(t)
                ours.append(secs)
                slowest.append((round(secs[1] * 1000, 2), _view_name(stmt)))
                try:
                    con.execute(stmt)
                    d = duck_plan_time(con, f"SELECT * FROM {_view_name(stmt)}")
                    if d is not None:
                        duck_times.append(d)
                except Exception:
                    pass
            except CompileError:
                errors["CompileError"] = errors.get("CompileError", 0) + 1
            except Exception as e:
                errors["internal error"] = errors.get("internal error", 0) + 1
                errors.setdefault("internal examples", []).append(f"{type(e).__name__}: {str(e)[:120]}")
        con.close()
        r = summarize(f"sql_examples/{fname}", ours, errors, duck_times, slowest)
        r["tables_ok"] = ok_tables
        results.append(r)
    return results


def _view_name(stmt: str) -> str:
    import re

    m = re.search(r"CREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+(\S+)", stmt, re.I)
    return m.group(1) if m else stmt[:60]


def warm_up():
    from deltasql import Pipeline

    p = Pipeline()
    p.execute("CREATE TABLE w(a INT, b INT); CREATE VIEW wv AS SELECT a, SUM(b) FROM w WHERE a > 1 GROUP BY a")


def run(mode: str) -> dict:
    warm_up()
    sets = []
    if mode != "smoke":
        sets += bench_examples()
    sets.append(bench_set("workload views (bench/data.py)", "duckdb", [data.SCHEMA],
                          [(k, v) for k, v in {**data.LATENCY_VIEWS, **data.THROUGHPUT_VIEWS}.items()], True))
    sets.append(bench_set("TPC-H q1-q22", "duckdb", [tpch_queries.SCHEMA],
                          list(tpch_queries.QUERIES.items()), True))
    files = sorted(glob.glob(os.path.join(SLT_DIR, "*", "*.test")))
    skipped = [] if files else [{"what": "sqllogictest random/* compile times",
                                 "why": f"{os.path.relpath(SLT_DIR, ROOT)} not found (the shared data beside the checkout)"}]
    if SLT_FILES[mode]:
        files = files[:SLT_FILES[mode]]
    views = []
    per_file = []
    for path in files:
        tables, queries = slt_records(path)
        step = max(1, len(queries) // SLT_PER_FILE[mode])
        picked = queries[::step][:SLT_PER_FILE[mode]]
        per_file.append((tables, picked))
    all_tables = per_file[0][0] if per_file else []
    if all(t == all_tables for t, _ in per_file):  # the random/* files all create tab0..tab2 alike
        views = [(f"q{i}", q) for i, q in enumerate(q for _, qs in per_file for q in qs)]
        sets.append(bench_set(f"sqllogictest random/* ({len(views)} queries from {len(files)} files)", "sqlite",
                              all_tables, views, True))
    else:
        for (tables, qs), path in zip(per_file, files):
            sets.append(bench_set(f"slt {os.path.relpath(path, SLT_DIR)}", "sqlite", tables,
                                  [(f"q{i}", q) for i, q in enumerate(qs)], True))
    res = {"target_ms": TARGET_MS, "sets": sets, "skipped": skipped,
           "examples_present": bool(glob.glob(os.path.join(EXAMPLES_DIR, "*.sql")))}
    print(render_text(res))
    return res


def render_text(res: dict) -> str:
    rows = []
    for s in res["sets"]:
        d, k = s["deltasql"], s["duckdb_plan"]
        errs = ", ".join(f"{v} {e}" for e, v in s["errors"].items() if not e.endswith("examples")) or "0"
        if d.get("n"):
            rows.append([s["name"], d["n"], f"{d['median_ms']} ms", f"{d['p95_ms']} ms", f"{d['max_ms']} ms",
                         d["over_target"], errs, f"{k['median_ms']} ms" if k.get("n") else "-"])
        else:
            rows.append([s["name"], 0, "-", "-", "-", "-", errs, "-"])
    text = table(["views", "compiled", "CPU median", "CPU p95", "CPU max", f"> {res['target_ms']:.0f} ms", "failed",
                  "DuckDB EXPLAIN CPU median"], rows)
    for s in res.get("skipped", []):
        text += f"\n\nSkipped: {s['what']}: {s['why']}."
    return text


def main(argv=None):
    return main_for("compile", run, __doc__, argv)


if __name__ == "__main__":
    main()
