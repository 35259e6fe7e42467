"""The runtime on its own (hand-wired circuits, no SQL): empty-step overhead of a 20-operator circuit,
a one-row delta joined against a 1M-row arrangement, bulk rows/s through filter→project, a join and
a group-by, and the closure of a 2,000-node / 1,800-edge random graph (build, then single-edge
inserts and deletes).  ``python -m bench.runtime_ops``"""

from __future__ import annotations

import random

from deltasql.runtime import Circuit
from deltasql.runtime.aggregates import CountStar, Reducer, Sum
from deltasql.runtime.nested import NestedDistinct, NestedJoin, Scope, Select
from deltasql.runtime.operators import Aggregate, Arrange, Filter, Input, Join, Lifted, Map, Output, Plus

from .common import Timings, clock, cpu_or_wall, fmt_rate, fmt_us, main_for, since, summary, table

SIZES = {"full": dict(arranged=1_000_000, bulk=200_000, probes=2_000, empty_steps=20_000, edge_changes=200),
         "quick": dict(arranged=200_000, bulk=50_000, probes=500, empty_steps=5_000, edge_changes=50),
         "smoke": dict(arranged=2_000, bulk=2_000, probes=20, empty_steps=200, edge_changes=5)}


def empty_step(n_steps: int) -> dict:
    """A 20-operator circuit (an input, 16 filters and maps, an arrangement, a self-join and an
    output) stepped with nothing to do: the fixed cost of a tick."""
    c = Circuit()
    src = c.add(Input("x"))
    op = src
    for i in range(8):
        op = c.add(Filter(op, lambda r: True))
        op = c.add(Map(op, lambda r: r))
    left = c.add(Arrange(op, lambda r: (r[0],)))
    c.add(Output(c.add(Join(left, left, lambda a, b: a + b))))
    src.feed({(1, 2): 1})
    c.step()
    samples = Timings()
    for _ in range(n_steps):
        t = clock()
        c.step()
        samples.add(since(t))
    return dict(operators=len(c.ops), **summary(samples))


def probe(arranged: int, probes: int) -> dict:
    """One-row deltas joined against an arrangement of ``arranged`` rows."""
    rng = random.Random(1)
    c = Circuit()
    big, small = c.add(Input("big")), c.add(Input("small"))
    a = c.add(Arrange(big, lambda r: (r[0],)))
    b = c.add(Arrange(small, lambda r: (r[0],)))
    out = c.add(Output(c.add(Join(a, b, lambda x, y: (x[0], x[1], y[1])))))
    keys = arranged // 4
    big.feed({(i % keys, i): 1 for i in range(arranged)})
    t = clock()
    c.step()
    load = since(t)[1]
    samples = Timings()
    for i in range(probes):
        row = (rng.randrange(keys), -i)
        small.feed({row: 1})
        t = clock()
        c.step()
        samples.add(since(t))
        small.feed({row: -1})
        c.step()
    assert not out.contents
    return dict(arranged=arranged, load_s=round(load, 2), **summary(samples))


def bulk(n: int) -> dict:
    """Rows per CPU second pushed in batches of 10,000 through filter→project, a join and a group-by."""
    rng = random.Random(2)
    rows = [(i, rng.randrange(1000), float(rng.randrange(100))) for i in range(n)]
    out = {}

    def drive(build):
        c, inp = build()
        t = clock()
        for i in range(0, n, 10_000):
            inp.feed({r: 1 for r in rows[i:i + 10_000]})
            c.step()
        return n / max(since(t)[1], 1e-9)

    def filter_project():
        c = Circuit()
        inp = c.add(Input("orders"))

        def batch(delta):
            return {(r[0], r[2] * 2): w for r, w in delta.items() if r[2] > 50}
        c.add(Output(c.add(Lifted(inp, batch))))
        return c, inp

    def join():
        c = Circuit()
        inp, cust = c.add(Input("orders")), c.add(Input("customers"))
        cust.feed({(k, k % 25): 1 for k in range(1000)})
        c.step()
        a = c.add(Arrange(inp, lambda r: (r[1],)))
        b = c.add(Arrange(cust, lambda r: (r[0],)))
        c.add(Output(c.add(Join(a, b, lambda o, cu: (o[0], cu[1], o[2])))))
        return c, inp

    def group_by():
        c = Circuit()
        inp = c.add(Input("orders"))
        red = Reducer([CountStar(), Sum("float")], [lambda r: 1, lambda r: r[2]])
        c.add(Output(c.add(Aggregate(inp, lambda r: (r[1],), red))))
        return c, inp

    for name, build in (("filter_project", filter_project), ("join", join), ("group_by", group_by)):
        out[name] = round(drive(build))
    return out


def closure(edge_changes: int) -> dict:
    """Transitive closure of a random 2,000-node / 1,800-edge graph in a nested scope."""
    rng = random.Random(7)
    edges = set()
    while len(edges) < 1800:
        a, b = rng.randrange(2000), rng.randrange(2000)
        if a != b:
            edges.add((a, b))
    edges = sorted(edges)
    c = Circuit()
    e = c.add(Input("edges"))
    s = c.add(Scope(e, name="closure"))
    imp, fb = s.imports[0], s.feedback("tc")
    step = s.body.add(NestedJoin(fb, imp, lambda r: (r[1],), lambda r: (r[0],), lambda x, y: (x[0], y[1])))
    tc = s.body.add(NestedDistinct(s.body.add(Plus(imp, step))))
    fb.connect(tc)
    s.export(tc)
    out = c.add(Output(c.add(Select(s, 0))))
    e.feed({x: 1 for x in edges})
    t = clock()
    c.step()
    build = since(t)[1]
    inserts, deletes = Timings(), Timings()
    for _ in range(edge_changes):
        x = edges[rng.randrange(len(edges))]
        e.feed({x: -1})
        t = clock()
        c.step()
        deletes.add(since(t))
        e.feed({x: 1})
        t = clock()
        c.step()
        inserts.add(since(t))
    return dict(edges=len(edges), closure_rows=len(out.contents), build_s=round(build, 3),
                insert=summary(inserts), delete=summary(deletes))


def run(mode: str) -> dict:
    z = SIZES[mode]
    res = {"empty_step": empty_step(z["empty_steps"])}
    print(f"empty step: {fmt_us(res['empty_step']['median_us'])}", flush=True)
    res["probe"] = probe(z["arranged"], z["probes"])
    print(f"probe: {fmt_us(res['probe']['median_us'])}", flush=True)
    res["bulk"] = bulk(z["bulk"])
    print(f"bulk: {res['bulk']}", flush=True)
    res["closure"] = closure(z["edge_changes"])
    print(f"closure: build {res['closure']['build_s']} s", flush=True)
    return res


def render_text(res: dict) -> str:
    e, p, b, cl = res["empty_step"], res["probe"], res["bulk"], res["closure"]

    def times(s):
        return [fmt_us(cpu_or_wall(s)), fmt_us(s["median_us"]), fmt_us(s["p99_us"])]

    rows = [[f"empty step, {e['operators']}-operator circuit", *times(e)],
            [f"one-row delta joined against a {p['arranged']:,}-row arrangement", *times(p)],
            [f"closure of {cl['edges']:,} edges ({cl['closure_rows']:,} rows): single-edge insert", *times(cl["insert"])],
            [f"closure of {cl['edges']:,} edges: single-edge delete", *times(cl["delete"])]]
    text = table(["runtime operation", "CPU median", "wall median", "wall p99"], rows)
    text += "\n\n" + table(["bulk, batches of 10,000", "rows per CPU second"],
                           [[k.replace("_", " "), fmt_rate(v)] for k, v in b.items()])
    text += f"\n\nClosure built in {cl['build_s']} s of CPU (all edges in one step)."
    return text


def main(argv=None):
    return main_for("runtime", run, __doc__, argv)


if __name__ == "__main__":
    main()
