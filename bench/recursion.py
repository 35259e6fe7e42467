"""Workload 3: recursive views (transitive closure, and a stratified one) vs DuckDB's recursive CTE."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys

from .common import (
    ROOT,
    SHARED,
    Load,
    Timings,
    clock,
    cpu_or_wall,
    current_rss_bytes,
    duck,
    duck_recompute,
    fmt_us,
    fresh_gc,
    main_for,
    peak_rss_bytes,
    ratio,
    reset_peak_rss,
    same_rows,
    since,
    summary,
    table,
)

GRAPH1000 = os.path.join(SHARED, "graphs", "graph1000.txt")

SCHEMA = "CREATE TABLE edges(src INT NOT NULL, dst INT NOT NULL); CREATE TABLE blocked(node INT NOT NULL);"
REACH = """WITH RECURSIVE reach(src, dst) AS (
    SELECT src, dst FROM edges
    UNION
    SELECT r.src, e.dst FROM reach r JOIN edges e ON r.dst = e.src)"""
VIEWS = {
    "closure": f"{REACH}\nSELECT src, dst FROM reach",
    # a second stratum: negation over the fixpoint's result
    "unblocked": f"{REACH}\nSELECT src, dst FROM reach r\n"
                 "WHERE NOT EXISTS (SELECT 1 FROM blocked b WHERE b.node = r.dst)",
}

# (nodes, edges, seed): 2,000/1,800 with seed 7 has an 11,349-row closure; 9,000/9,000 with seed 1 a
# 261,698-row one (the size of the graph PyDBSP needs 248 s and 8 GB for).
RANDOM_SMALL = (2000, 1800, 7)
RANDOM_BIG = {"full": (9000, 9000, 1), "quick": (9000, 9000, 1), "smoke": (300, 270, 1)}
OPS = {"full": 400, "quick": 100, "smoke": 10}  # single-edge changes timed (deltasql)
DUCK_OPS = {"full": 100, "quick": 40, "smoke": 6}  # a prefix of the same changes for DuckDB
BUILDS = {"full": 5, "quick": 3, "smoke": 1}
BIG_OPS = {"full": 40, "quick": 10, "smoke": 4}
BLOCKED_FRACTION = 0.05


def random_graph(n: int, m: int, seed: int) -> list[tuple]:
    rnd = random.Random(seed)
    edges = set()
    while len(edges) < m:
        a, b = rnd.randrange(n), rnd.randrange(n)
        if a != b:
            edges.add((a, b))
    return sorted(edges)


def graph1000() -> list[tuple]:
    with open(GRAPH1000) as f:
        return [tuple(map(int, line.split()[:2])) for line in f if line.strip()]


def graphs(mode: str, skipped: list) -> dict:
    """The graphs to run; one whose file is missing is listed in ``skipped`` with the reason."""
    out = {}
    if mode == "smoke":
        out["random 300/270"] = random_graph(300, 270, 1)
    else:
        n, m, seed = RANDOM_SMALL
        out[f"random {n}/{m} (seed {seed})"] = random_graph(n, m, seed)
    if os.path.exists(GRAPH1000):
        out["graph1000"] = graph1000()
    else:
        skipped.append({"what": "graph1000 (closure and unblocked)",
                        "why": f"{os.path.relpath(GRAPH1000, ROOT)} not found (the shared data beside the checkout)"})
    return out


def change_script(edges: list, nodes: int, n_ops: int, seed: int = 5) -> list:
    """Single-edge changes that leave the graph as it was after each pair: delete an existing edge then
    re-insert it, and insert a new edge then delete it."""
    rnd = random.Random(seed)
    present = set(edges)
    out = []
    while len(out) < n_ops:
        if len(out) % 4 == 0:
            e = edges[rnd.randrange(len(edges))]
            out += [("delete", e), ("insert", e)]
        else:
            while True:
                e = (rnd.randrange(nodes), rnd.randrange(nodes))
                if e[0] != e[1] and e not in present:
                    break
            out += [("insert", e), ("delete", e)]
    return out[:n_ops]


def blocked_script(nodes: int, blocked: list, n_ops: int, seed: int = 6) -> list:
    """Changes to the lower stratum: block a node then unblock it, unblock a blocked node then re-block."""
    rnd = random.Random(seed)
    bset = set(blocked)
    out = []
    while len(out) < n_ops:
        if len(out) % 4 == 0 and blocked:
            b = blocked[rnd.randrange(len(blocked))]
            out += [("unblock", b), ("block", b)]
        else:
            while True:
                b = rnd.randrange(nodes)
                if b not in bset:
                    break
            out += [("block", b), ("unblock", b)]
    return out[:n_ops]


def pipeline(view: str):
    from deltasql import Pipeline

    p = Pipeline(dialect="duckdb")
    p.execute(SCHEMA)
    p.execute(f"CREATE VIEW {view} AS {VIEWS[view]}")
    return p


def apply_ours(p, kind: str, x) -> None:
    if kind == "insert":
        p.insert("edges", [x])
    elif kind == "delete":
        p.delete("edges", [x])
    elif kind == "block":
        p.insert("blocked", [(x,)])
    else:
        p.delete("blocked", [(x,)])
    p.step()


def apply_duck(con, kind: str, x) -> None:
    if kind == "insert":
        con.execute("INSERT INTO edges VALUES (?, ?)", x)
    elif kind == "delete":
        con.execute("DELETE FROM edges WHERE src = ? AND dst = ?", x)
    elif kind == "block":
        con.execute("INSERT INTO blocked VALUES (?)", (x,))
    else:
        con.execute("DELETE FROM blocked WHERE node = ?", (x,))


def time_script(apply, script) -> dict:
    times, every = {}, Timings()
    fresh_gc()
    for kind, x in script:
        t = clock()
        apply(kind, x)
        d = since(t)
        times.setdefault(kind, Timings()).add(d)
        every.add(d)
    out = {k: summary(v) for k, v in times.items()}
    out["all"] = summary(every)
    return out


def duck_with(edges, blocked=()):
    con = duck()
    con.execute(SCHEMA)
    con.executemany("INSERT INTO edges VALUES (?, ?)", edges)
    if blocked:
        con.executemany("INSERT INTO blocked VALUES (?)", [(b,) for b in blocked])
    return con


def bench_graph(name: str, edges: list, mode: str) -> dict:
    nodes = max(max(e) for e in edges) + 1
    rnd = random.Random(8)
    blocked = sorted(rnd.sample(range(nodes), max(1, int(nodes * BLOCKED_FRACTION))))
    res = {"edges": len(edges), "nodes": nodes, "blocked": len(blocked), "views": {}}
    for view in VIEWS:
        load = Load()
        builds = []
        for _ in range(BUILDS[mode]):  # the median of a few builds (by CPU time), each in a fresh pipeline
            p = pipeline(view)
            fresh_gc()
            t = clock()
            if view == "unblocked":
                p.insert("blocked", [(b,) for b in blocked])
            p.insert("edges", edges)
            p.step()
            builds.append(since(t))
        build, build_cpu = sorted(builds, key=lambda b: b[1])[len(builds) // 2]
        con = duck_with(edges, blocked if view == "unblocked" else ())
        t = clock()
        duck_recompute(con, VIEWS[view])
        duck_build, duck_build_cpu = since(t)
        ok, why = same_rows(p.view(view).rows(), con.execute(VIEWS[view]).fetchall())
        script = change_script(edges, nodes, OPS[mode])
        if view == "unblocked":  # interleave edge changes with changes to the lower stratum
            bs = blocked_script(nodes, blocked, OPS[mode])
            script = [c for pair in zip(script[0::2], script[1::2], bs[0::2], bs[1::2]) for c in pair][:OPS[mode]]
        ours = time_script(lambda k, x, p=p: apply_ours(p, k, x), script)

        def duck_apply(kind, x, con=con, q=VIEWS[view]):
            apply_duck(con, kind, x)
            duck_recompute(con, q)

        theirs = time_script(duck_apply, script[:DUCK_OPS[mode]])
        ok2, why2 = same_rows(p.view(view).rows(), con.execute(VIEWS[view]).fetchall())
        r = {"rows": len(p.view(view)), "build_s": round(build, 4), "build_cpu_s": round(build_cpu, 4),
             "duckdb_build_s": round(duck_build, 4), "duckdb_build_cpu_s": round(duck_build_cpu, 4),
             "correct": ok and ok2, "mismatch": why or why2, "deltasql": ours, "duckdb": theirs,
             "ratio_median": ratio(theirs["all"]["median_us"], ours["all"]["median_us"]),
             "ratio_cpu_median": ratio(cpu_or_wall(theirs["all"]), cpu_or_wall(ours["all"])),
             "ratio_p99": ratio(theirs["all"]["p99_us"], ours["all"]["p99_us"]),
             "ratio_by_kind": {k: ratio(theirs[k]["median_us"], ours[k]["median_us"])
                               for k in ours if k != "all" and k in theirs},
             "load": load.read()}
        res["views"][view] = r
        print(f"  {name:<26} {view:<9} {r['rows']:>7,} rows  build {build * 1000:7.1f} ms "
              f"(duckdb {duck_build * 1000:.1f} ms)  change median {fmt_us(ours['all']['median_us'])} "
              f"(CPU {fmt_us(ours['all']['cpu_median_us'])}) "
              f"p99 {fmt_us(ours['all']['p99_us'])}  duckdb {fmt_us(theirs['all']['median_us'])}  "
              f"x{r['ratio_median']} (CPU x{r['ratio_cpu_median']})  "
              f"{'correct' if r['correct'] else 'WRONG: ' + r['mismatch']}", flush=True)
        con.close()
        del p
    return res


def big_child(mode: str, trace: bool = False) -> dict:
    """Runs in its own process so that peak memory belongs to this graph alone.  With ``trace`` it
    only measures the peak of Python allocations during the build (tracemalloc slows it down)."""
    n, m, seed = RANDOM_BIG[mode]
    edges = random_graph(n, m, seed)
    p = pipeline("closure")
    fresh_gc()
    if trace:
        import tracemalloc

        tracemalloc.start()
        p.insert("edges", edges)
        p.step()
        current, peak = tracemalloc.get_traced_memory()
        return {"traced_peak_mb": round(peak / 2**20, 1), "traced_final_mb": round(current / 2**20, 1)}
    load = Load()
    rss0 = current_rss_bytes()
    reset_peak_rss()
    t = clock()
    p.insert("edges", edges)
    p.step()
    build, build_cpu = since(t)
    peak = peak_rss_bytes() - rss0
    rows = len(p.view("closure"))
    script = change_script(edges, n, BIG_OPS[mode])
    ours = time_script(lambda k, x: apply_ours(p, k, x), script)
    con = duck_with(edges)
    t = clock()
    duck_recompute(con, VIEWS["closure"])
    duck_build, duck_build_cpu = since(t)
    ok, why = same_rows(p.view("closure").rows(), con.execute(VIEWS["closure"]).fetchall())

    def duck_apply(kind, x):
        apply_duck(con, kind, x)
        duck_recompute(con, VIEWS["closure"])

    theirs = time_script(duck_apply, script)
    return {"graph": f"random {n}/{m} (seed {seed})", "nodes": n, "edges": m, "rows": rows,
            "build_s": round(build, 3), "build_cpu_s": round(build_cpu, 3), "peak_rss_mb": round(peak / 2**20, 1),
            "duckdb_build_s": round(duck_build, 4), "duckdb_build_cpu_s": round(duck_build_cpu, 4),
            "correct": ok, "mismatch": why, "deltasql": ours, "duckdb": theirs,
            "ratio_median": ratio(theirs["all"]["median_us"], ours["all"]["median_us"]),
            "ratio_cpu_median": ratio(cpu_or_wall(theirs["all"]), cpu_or_wall(ours["all"])), "load": load.read()}


def run_big(mode: str) -> dict:
    res = {}
    for extra in ([], ["--trace"]):
        out = subprocess.run([sys.executable, "-m", "bench.recursion", "--big-child", mode, *extra], cwd=ROOT,
                             capture_output=True, text=True, timeout=3600)
        if out.returncode != 0:
            raise RuntimeError(f"big-graph child failed:\n{out.stderr[-3000:]}")
        res.update(json.loads(out.stdout.strip().splitlines()[-1]))
    return res


def run(mode: str) -> dict:
    res = {"views": VIEWS, "graphs": {}, "skipped": []}
    for name, edges in graphs(mode, res["skipped"]).items():
        res["graphs"][name] = bench_graph(name, edges, mode)
    big = res["big"] = run_big(mode)
    print(f"  {big['graph']}: closure {big['rows']:,} rows built in {big['build_s']} s "
          f"(CPU {big['build_cpu_s']} s), peak RSS "
          f"+{big['peak_rss_mb']} MB (Python heap peak {big['traced_peak_mb']} MB); "
          f"change median {fmt_us(big['deltasql']['all']['median_us'])} vs duckdb "
          f"{fmt_us(big['duckdb']['all']['median_us'])} (x{big['ratio_median']}); "
          f"{'correct' if big['correct'] else 'WRONG: ' + big['mismatch']}", flush=True)
    print(render_text(res))
    return res


def render_text(res: dict) -> str:
    rows = []

    def row(name, view, r, kinds):
        d, k = r["deltasql"], r["duckdb"]
        return [name, view, f"{r['rows']:,}", fmt_us(r.get("build_cpu_s", r["build_s"]) * 1e6),
                fmt_us(r.get("duckdb_build_cpu_s", r["duckdb_build_s"]) * 1e6), fmt_us(cpu_or_wall(d["all"])),
                fmt_us(d["all"]["median_us"]), fmt_us(d["all"]["p99_us"]), fmt_us(cpu_or_wall(k["all"])),
                f"{r.get('ratio_cpu_median', r['ratio_median'])}×", f"{r['ratio_median']}×",
                " ".join(f"{kind} {fmt_us(cpu_or_wall(d[kind]))}" for kind in d if kind != "all"),
                r.get("load", {}).get("others_cores", "-"), "yes" if r["correct"] else "NO"]

    for name, g in res["graphs"].items():
        for view, r in g["views"].items():
            rows.append(row(name, view, r, None))
    b = res.get("big")
    if b:
        rows.append(row(b["graph"], "closure", b, None))
    text = table(["graph", "view", "result rows", "deltasql build (CPU)", "DuckDB query (CPU)", "change CPU median",
                  "change wall median", "wall p99", "DuckDB change+query CPU median", "ratio (CPU)", "ratio (wall)",
                  "deltasql CPU by change kind", "others' cores", "matches DuckDB"], rows)
    for s in res.get("skipped", []):
        text += f"\n\nSkipped: {s['what']}: {s['why']}."
    return text


def main(argv=None):
    return main_for("recursion", run, __doc__, argv)


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--big-child":
        print(json.dumps(big_child(sys.argv[2], trace="--trace" in sys.argv)))
    else:
        main()
