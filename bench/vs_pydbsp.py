"""Building a transitive closure: deltasql's recursive view against PyDBSP's hand-written indexed
reachability circuit, on the same edges, on the same interpreter, in the same run.

PyDBSP (pure-Python DBSP without SQL, MIT licence) needs Python 3.12 or newer and is installed from
PyPI (``pydbsp==2.1.0``) into a venv under bench/out/venvs made from the first CPython >= 3.12 found
(bench.sides.interpreters: PATH, /usr/bin, pyenv).  Its circuit is
``pydbsp.indexed_relational_operators.IndexedIncrementalReachabilityBody`` (a sort-merge-indexed hop
join of the delayed closure with the edges, plus the edges, through its doubly-incremental distinct),
driven to its fixpoint by ``Evaluator.saturate_inner``, each iteration's delta pushed back as the next state
(the way PyDBSP's body operators document).  deltasql runs
``WITH RECURSIVE reach … UNION`` as a view (bench.recursion's closure) on the same interpreter.

Each round runs each side in a fresh process (interleaved, the order rotating), builds the closure of
every graph from empty, and reports CPU and wall seconds and the closure's size; both sides must
produce the same number of rows.  Graphs: ``../shared/graphs/graph1000.txt`` (PyDBSP's own 1,009-edge
graph; skipped, and said so, when missing), the random 9,000-node 9,000-edge graph of bench.recursion
(a 261,698-row closure), and any edge file given with ``--graph`` (``src dst [label]`` per line; PyDBSP's
graph10000.txt is one such file; it is not on this machine).

``python -m bench.vs_pydbsp [--rounds N] [--graph FILE ...] [--out FILE]``"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

PYDBSP = "pydbsp==2.1.0"
CHILD_TIMEOUT_S = 1800


# -- the children: one build per process --------------------------------------------------------

def read_edges(path: str) -> list[tuple[int, int]]:
    """The distinct edges of a ``src dst [label]`` file, in file order (PyDBSP keeps a set too)."""
    seen: dict = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2:
                seen[(int(parts[0]), int(parts[1]))] = None
    return list(seen)


def child_deltasql(path: str) -> dict:
    from deltasql import Pipeline

    from .common import clock, fresh_gc, since
    from .recursion import SCHEMA, VIEWS

    edges = read_edges(path)
    p = Pipeline()
    p.execute(SCHEMA)
    p.execute(f"CREATE VIEW closure AS {VIEWS['closure']}")
    fresh_gc()
    t = clock()
    p.insert("edges", edges)
    p.step()
    wall, cpu = since(t)
    import deltasql
    return {"rows": len(p.view("closure")), "wall": wall, "cpu": cpu, "imported": deltasql.__file__}


def child_pydbsp(path: str) -> dict:
    import gc
    import time

    import pydbsp
    from pydbsp.circuit import Circuit
    from pydbsp.compute import ComputeCtx
    from pydbsp.core import Antichain, dbsp_time
    from pydbsp.evaluate import Evaluator
    from pydbsp.indexed_relational_operators import IndexedIncrementalReachabilityBody
    from pydbsp.operator import Input
    from pydbsp.storage import DictStorage
    from pydbsp.zset import ZSet, ZSetAddition

    edges = ZSet({e: 1 for e in read_edges(path)})
    group = ZSetAddition()
    ev = Evaluator(circuit=Circuit(), storage=DictStorage(), ctx=ComputeCtx(lattice=dbsp_time(2)), group=group)
    source = Input(frontier=Antichain(dbsp_time(1))).connect(ev.circuit, ())
    state = Input(frontier=Antichain(dbsp_time(2))).connect(ev.circuit, ())
    body = IndexedIncrementalReachabilityBody(edge_group=group).connect(ev.circuit, (source, state))
    gc.collect()
    w0, c0 = time.perf_counter(), time.process_time()
    ev.push(source, edges, t=(0,))
    closure: dict = {}
    iterations = 0
    for k, diff in ev.saturate_inner(body, 0, is_empty=lambda d: not d.inner):
        ev.push(state, diff, t=(0, k))  # the body's delta is its own next state delta
        for row, w in diff.inner.items():
            closure[row] = closure.get(row, 0) + w
        iterations = k + 1
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    bad = [r for r, w in closure.items() if w not in (0, 1)]
    if bad:
        raise RuntimeError(f"PyDBSP's closure has weights other than 0/1, e.g. {bad[:3]}")
    version = getattr(pydbsp, "__version__", None) or _dist_version("pydbsp")
    return {"rows": sum(1 for w in closure.values() if w), "wall": wall, "cpu": cpu, "iterations": iterations,
            "version": version}


def _dist_version(name: str) -> str:
    from importlib.metadata import version
    return version(name)


# -- the parent ---------------------------------------------------------------------------------

def pydbsp_python() -> tuple[str, str] | None:
    """(label, python of a venv with sqlglot and PyDBSP), or None when no CPython >= 3.12 is found."""
    from .sides import SQLGLOT, interpreters, venv_python

    for label, exe in interpreters().items():
        if tuple(map(int, label.split()[1].split(".")[:2])) >= (3, 12):
            return label, venv_python(label, exe, ["sqlglot", "pydbsp"], [SQLGLOT, PYDBSP], prefix="pydbsp-")
    return None


def run_child(python: str, side: str, path: str) -> dict:
    from .common import ROOT
    from .sides import shim

    with shim(ROOT) as d:
        env = dict(os.environ, PYTHONPATH=d)
        cmd = [python, "-m", "bench.vs_pydbsp", "--child", side, path]
        out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def graphs(extra: list[str], tmp: str) -> tuple[dict[str, str], list[str]]:
    """label -> edge file, and the graphs skipped with why."""
    from .common import SHARED
    from .recursion import GRAPH1000, RANDOM_BIG, random_graph

    out, skipped = {}, []
    if os.path.exists(GRAPH1000):
        out["graph1000 (PyDBSP's, 1,009 edges)"] = GRAPH1000
    else:
        skipped.append(f"graph1000: {GRAPH1000} is missing (../shared not present; set DELTASQL_SHARED, now {SHARED})")
    n, m, seed = RANDOM_BIG["full"]
    path = os.path.join(tmp, "random.txt")
    with open(path, "w") as f:
        f.writelines(f"{a} {b}\n" for a, b in random_graph(n, m, seed))
    out[f"random {n}/{m} (seed {seed})"] = path
    for g in extra:
        if os.path.exists(g):
            out[os.path.basename(g)] = g
        else:
            skipped.append(f"{g}: no such file")
    return out, skipped


def run(rounds: int, extra: list[str]) -> dict:
    from .common import Load

    found = pydbsp_python()
    if found is None:
        return {"skipped": "no CPython 3.12 or newer on this machine (PyDBSP needs one)"}
    label, py = found
    load = Load()
    with tempfile.TemporaryDirectory(prefix="deltasql-vs-pydbsp-") as tmp:
        files, skipped = graphs(extra, tmp)
        per: dict = {g: {"deltasql": [], "pydbsp": []} for g in files}
        for r in range(rounds):
            sides = ["deltasql", "pydbsp"] if r % 2 == 0 else ["pydbsp", "deltasql"]
            for g, path in files.items():
                for side in sides:
                    res = run_child(py, side, path)
                    per[g][side].append(res)
                    print(f"  round {r + 1}/{rounds} {g:<36} {side:<8} {res['rows']:>8} rows  "
                          f"CPU {res['cpu']:.3f} s  wall {res['wall']:.3f} s", flush=True)
    out: dict = {"interpreter": label, "python": py, "rounds": rounds, "load": load.read(), "skipped": skipped,
                 "graphs": {}}
    for g, sides in per.items():
        rows = {s: {x["rows"] for x in xs} for s, xs in sides.items()}
        if len(rows["deltasql"] | rows["pydbsp"]) != 1:
            raise RuntimeError(f"{g}: the closures differ in size: {rows}")
        entry: dict = {"rows": rows["deltasql"].pop()}
        for s, xs in sides.items():
            cpus, walls = sorted(x["cpu"] for x in xs), sorted(x["wall"] for x in xs)
            entry[s] = {"cpu_median": statistics.median(cpus), "cpu_min": cpus[0], "cpu_max": cpus[-1],
                        "wall_median": statistics.median(walls)}
            if s == "pydbsp":
                entry["pydbsp_version"] = xs[0]["version"]
                entry["iterations"] = xs[0]["iterations"]
        entry["speedup_cpu"] = entry["pydbsp"]["cpu_median"] / entry["deltasql"]["cpu_median"]
        out["graphs"][g] = entry
    return out


def render(res: dict) -> str:
    from .common import describe_load, table

    if "graphs" not in res:
        return f"Skipped: {res.get('skipped')}."
    rows = []
    for g, e in res["graphs"].items():
        d, p = e["deltasql"], e["pydbsp"]
        rows.append([g, f"{e['rows']:,}", str(e["iterations"]), f"{d['cpu_median']:.3f} s ({d['cpu_min']:.3f}–{d['cpu_max']:.3f})",
                     f"{p['cpu_median']:.3f} s ({p['cpu_min']:.3f}–{p['cpu_max']:.3f})",
                     f"{d['wall_median']:.3f} s / {p['wall_median']:.3f} s", f"{e['speedup_cpu']:.2f}×"])
    version = next(iter(res["graphs"].values()))["pydbsp_version"]
    text = table(["graph", "closure rows", "fixpoint iterations", "deltasql CPU (median, min–max)", f"PyDBSP {version} CPU",
                  "wall deltasql / PyDBSP", "PyDBSP CPU ÷ deltasql CPU"], rows)
    text += (f"\n\nBoth on {res['interpreter']}, {res['rounds']} interleaved rounds, a fresh process per build; "
             f"{describe_load(res['load'])}.")
    for s in res["skipped"]:
        text += f"\nSkipped: {s}."
    return text


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--graph", action="append", default=[], help="another edge file (src dst [label] per line)")
    ap.add_argument("--out", help="save the results as section 'vs_pydbsp' of this JSON file")
    ap.add_argument("--child", nargs=2, metavar=("SIDE", "EDGES"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        side, path = args.child
        print(json.dumps(child_deltasql(path) if side == "deltasql" else child_pydbsp(path)))
        return 0
    res = run(args.rounds, args.graph)
    if args.out:
        from .common import save_section
        save_section(args.out, "vs_pydbsp", res)
    print(render(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
