"""Workload 8: the cliffs of issue 18 -- one change that used to cost the size of a table, a partition or
a group -- each measured against a plain one-row insert and step into the same table in the same run.

A table of N rows, ``items(id INT PRIMARY KEY, grp INT, x INT, tag VARCHAR)`` with an index on
``tag``; each case is its own pipeline holding the table and one view, and times one change + step
(CPU time, median).  SQL statements are compared with a SQL ``INSERT … VALUES`` of one row (its parse
is most of its cost), changes through ``Pipeline.insert``/``delete`` with the same call on a table
whose view is a plain filter.  The target: at most 10x."""

from __future__ import annotations

import random

from .common import Load, Timings, clock, fmt_us, fresh_gc, main_for, since, summary, table

SIZES = {"full": 200_000, "quick": 50_000, "smoke": 2_000}
OPS = {"full": 200, "quick": 100, "smoke": 10}
BUDGET_CPU_S = {"full": 20.0, "quick": 8.0, "smoke": 2.0}  # per case: a cliff gets fewer samples
GROUPS = 10  # groups of the MEDIAN view (N / 10 rows each)
TARGET = 10.0

SCHEMA = ("CREATE TABLE items(id INT PRIMARY KEY, grp INT NOT NULL, x INT NOT NULL, tag VARCHAR NOT NULL); "
          "CREATE INDEX items_tag ON items(tag)")
VIEWS = {
    "plain": "SELECT id, x FROM items WHERE x >= 0",
    "by_grp": "SELECT grp, COUNT(*) AS n, SUM(x) AS sx FROM items GROUP BY grp",
    "top10_row_number": "SELECT id, x, rn FROM (SELECT id, x, ROW_NUMBER() OVER (ORDER BY x DESC, id) AS rn "
                        "FROM items) WHERE rn <= 10",
    "top3_per_grp_qualify": "SELECT grp, id, x FROM items QUALIFY RANK() OVER (PARTITION BY grp ORDER BY x DESC, id) <= 3",
    "lag": "SELECT id, x, LAG(x) OVER (ORDER BY id) AS prev FROM items",
    "sliding_sum": "SELECT id, SUM(x) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS s FROM items",
    "median": "SELECT grp, MEDIAN(x) AS m FROM items GROUP BY grp",
    "quantile": "SELECT grp, QUANTILE_CONT(x, 0.9) AS q FROM items GROUP BY grp",
}
# case -> (view, how the change is sent, what it is)
CASES = {
    "insert (API)": ("plain", "api", "Pipeline.insert of one row + step, view a filter (the baseline)"),
    "INSERT (SQL)": ("by_grp", "sql_insert", "INSERT INTO items VALUES (…) + step (the SQL baseline)"),
    "UPDATE by key": ("by_grp", "sql_update", "UPDATE items SET x = k WHERE id = k"),
    "UPDATE by key, expression": ("by_grp", "sql_update_expr", "UPDATE items SET x = x + 1 WHERE id = k"),
    "DELETE by key": ("by_grp", "sql_delete", "DELETE FROM items WHERE id = k"),
    "DELETE by index": ("by_grp", "sql_delete_tag", "DELETE FROM items WHERE tag = 't…' (one row per tag)"),
    "ROW_NUMBER() … rn <= 10": ("top10_row_number", "api", "top 10 of the table, no PARTITION BY"),
    "QUALIFY RANK() <= 3": ("top3_per_grp_qualify", "api", f"top 3 of each of {GROUPS} groups"),
    "LAG over the table": ("lag", "api", "LAG(x) OVER (ORDER BY id), no PARTITION BY"),
    "sliding SUM over the table": ("sliding_sum", "api", "SUM over ROWS 2 PRECEDING, no PARTITION BY"),
    "MEDIAN": ("median", "api", f"MEDIAN over {GROUPS} groups"),
    "QUANTILE_CONT": ("quantile", "api", f"QUANTILE_CONT(x, 0.9) over {GROUPS} groups"),
}


def rows(n: int) -> list[tuple]:
    rnd = random.Random(11)
    return [(i, i % GROUPS, rnd.randrange(1_000_000), f"t{i}") for i in range(n)]


def loaded(view: str, base: list):
    from deltasql import Pipeline

    p = Pipeline(dialect="duckdb")
    p.execute(SCHEMA)
    p.execute(f"CREATE VIEW v AS {VIEWS[view]}")
    for i in range(0, len(base), 50_000):
        p.insert("items", base[i:i + 50_000])
        p.step()
    return p


def run_case(how: str, p, n: int, ops: int, budget: float) -> tuple[Timings, int]:
    """Alternating changes that leave the table as it was (insert then delete, update then back)."""
    rnd = random.Random(5)
    times = Timings()
    spent = 0.0
    fresh_gc()
    for i in range(ops):
        k = rnd.randrange(n)
        new = (n + i, k % GROUPS, rnd.randrange(1_000_000), f"t{n + i}")
        if how == "api":
            steps = [lambda: p.insert("items", [new]), lambda: p.delete("items", [new])]
        elif how == "sql_insert":
            steps = [lambda: p.execute(f"INSERT INTO items VALUES ({new[0]}, {new[1]}, {new[2]}, '{new[3]}')"),
                     lambda: p.execute(f"DELETE FROM items WHERE id = {new[0]}")][:1]
        elif how == "sql_update":
            steps = [lambda: p.execute(f"UPDATE items SET x = {new[2]} WHERE id = {k}")]
        elif how == "sql_update_expr":
            steps = [lambda: p.execute(f"UPDATE items SET x = x + 1 WHERE id = {k}")]
        elif how == "sql_delete":
            steps = [lambda: p.execute(f"DELETE FROM items WHERE id = {k}")]
        else:
            steps = [lambda: p.execute(f"DELETE FROM items WHERE tag = 't{k}'")]
        for change in steps:
            t = clock()
            change()
            p.step()
            d = since(t)
            times.add(d)
            spent += d[1]
        if how == "sql_insert":  # undo untimed
            p.delete("items", [new])
            p.step()
        elif how in ("sql_delete", "sql_delete_tag"):  # put the row back, untimed
            p.insert("items", [base_row(k, n)])
            p.step()
        if spent > budget and len(times) >= 3:
            break
    return times, len(times)


_BASE: dict = {}


def base_row(k: int, n: int) -> tuple:
    return _BASE[n][k]


def run(mode: str) -> dict:
    n = SIZES[mode]
    base = _BASE[n] = rows(n)
    res = {"rows": n, "groups": GROUPS, "target": TARGET, "views": VIEWS, "cases": {}}
    for case, (view, how, what) in CASES.items():
        load = Load()
        p = loaded(view, base)
        times, count = run_case(how, p, n, OPS[mode], BUDGET_CPU_S[mode])
        s = summary(times[min(2, len(times) - 1):] if len(times) > 3 else times)
        res["cases"][case] = {"view": view, "how": how, "what": what, "timings": s, "changes": count,
                              "memory": p.memory().get("v"),
                              "load": load.read()}
        del p
        fresh_gc()
        print(f"  {case:<28} {fmt_us(s['cpu_median_us']):>9} CPU  ({count} changes; wall {fmt_us(s['median_us'])})",
              flush=True)
    api = res["cases"]["insert (API)"]["timings"]["cpu_median_us"]
    sql = res["cases"]["INSERT (SQL)"]["timings"]["cpu_median_us"]
    for case, r in res["cases"].items():
        base_us = sql if r["how"].startswith("sql") else api
        r["ratio"] = round(r["timings"]["cpu_median_us"] / base_us, 1)
        r["ratio_api"] = round(r["timings"]["cpu_median_us"] / api, 1)
    print(render_text(res))
    return res


def render_text(res: dict) -> str:
    out = []
    for case, r in res["cases"].items():
        sql = r["how"].startswith("sql")
        baseline = case in ("insert (API)", "INSERT (SQL)")
        mem = r.get("memory")
        out.append([case, r["what"], fmt_us(r["timings"]["cpu_median_us"]), fmt_us(r["timings"]["median_us"]),
                    r["changes"], "-" if baseline else f"{r['ratio']}× {'SQL INSERT' if sql else 'API insert'}",
                    f"{r['ratio_api']}×", "" if baseline else "met" if r["ratio"] <= res["target"] else "**not met**",
                    f"{mem['bytes'] / 2**20:.1f} MiB" if mem else "-"])
    return table(["case", "change", "CPU median", "wall median", "changes timed", "vs baseline",
                  "vs API insert", f"≤ {res['target']:.0f}×", "view state"], out)


def main(argv=None):
    return main_for("cliffs", run, __doc__, argv)


if __name__ == "__main__":
    main()
