"""Workload 10: where the time of the headline paths goes -- cProfile of one-row changes and of bulk
batches through join_group, the functions that take the most time of their own, per change or per row.
(Profiling slows Python code down about 2x and counts every call, so read the shares, not the µs.)"""

from __future__ import annotations

import cProfile
import pstats

from . import data
from .common import main_for, table
from .headline import loaded_join_group
from .latency import change_script

SIZES = {"full": dict(orders=1_000_000, changes=4_000, bulk=200_000),
         "quick": dict(orders=100_000, changes=2_000, bulk=50_000),
         "smoke": dict(orders=2_000, changes=100, bulk=2_000)}
TOP = 14


def profiled(fn) -> tuple[list, float, int]:
    """(rows of the top functions by own time, total seconds, total calls) of running fn once."""
    pr = cProfile.Profile()
    pr.enable()
    fn()
    pr.disable()
    st = pstats.Stats(pr)
    total = sum(v[2] for v in st.stats.values())
    calls = sum(v[1] for v in st.stats.values())
    top = sorted(st.stats.items(), key=lambda kv: -kv[1][2])[:TOP]
    rows = []
    for (path, line, name), (_cc, nc, tt, ct, _callers) in top:
        where = path.split("/deltasql/")[-1].split("/perf-18/")[-1] if "/" in path else path
        rows.append({"function": f"{name} ({where}:{line})" if line else name, "calls": nc, "own_s": tt,
                     "cumulative_s": ct})
    return rows, total, calls


def run(mode: str) -> dict:
    z = SIZES[mode]
    p, gen, orders = loaded_join_group(z["orders"])
    script = change_script(gen, orders, z["changes"])

    def changes():
        for kind, row in script:
            (p.insert if kind == "insert" else p.delete)("orders", [row])
            p.step()

    top, total, calls = profiled(changes)
    res = {"change": {"orders": z["orders"], "changes": len(script), "top": top, "total_s": total, "calls": calls}}
    del p
    nc = data.n_customers(z["bulk"])
    q = data.pipeline_with(data.THROUGHPUT_VIEWS, ["join_group"])
    q.insert("regions", data.regions())
    q.insert("customers", data.customers(nc))
    q.step()
    rows = data.Orders(nc).make(z["bulk"])

    def bulk():
        for i in range(0, len(rows), 10_000):
            q.insert("orders", rows[i:i + 10_000])
            q.step()

    top, total, calls = profiled(bulk)
    res["bulk"] = {"rows": len(rows), "top": top, "total_s": total, "calls": calls}
    print(render_text(res))
    return res


def render_text(res: dict) -> str:
    out = []
    for what, per, unit in (("change", res["change"]["changes"], "change"), ("bulk", res["bulk"]["rows"], "row")):
        r = res[what]
        head = (f"One-row changes on join_group at {r['orders']:,} orders: {r['calls'] / per:.0f} Python calls per "
                f"change" if what == "change" else
                f"Bulk load through join_group, batches of 10,000: {r['calls'] / per:.1f} Python calls per row")
        rows = [[x["function"], f"{x['calls'] / per:.2f}", f"{x['own_s'] / r['total_s'] * 100:.1f}%",
                 f"{x['cumulative_s'] / r['total_s'] * 100:.1f}%"] for x in r["top"]]
        out.append(head + "\n\n" + table(["function", f"calls per {unit}", "own time", "with callees"], rows))
    return "\n\n".join(out)


def main(argv=None):
    return main_for("profile", run, __doc__, argv)


if __name__ == "__main__":
    main()
