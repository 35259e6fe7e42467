"""Smoke runs of every benchmark workload at tiny sizes, so bench/ keeps working (no timing asserted)."""

import importlib
import json
import shutil

import pytest

pytest.importorskip("duckdb")

WORKLOADS = [("latency", "bench.latency"), ("throughput", "bench.throughput"), ("recursion", "bench.recursion"),
             ("memory", "bench.memory"), ("compile", "bench.compile_time"), ("tpch", "bench.tpch"),
             ("runtime", "bench.runtime_ops"), ("sinks", "bench.sinks"), ("durability", "bench.durability"),
             ("cliffs", "bench.cliffs"),
             ("profile", "bench.profile"), ("shards", "bench.shards"), ("shard_timeline", "bench.shard_timeline"),
             ("shard_ceiling", "bench.shard_ceiling"), ("design_floor", "bench.design_floor")]
HAS_GIT = shutil.which("git") is not None


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return str(tmp_path_factory.mktemp("bench") / "results.json")


@pytest.mark.parametrize("name,module", WORKLOADS)
def test_workload_runs(name, module, results):
    if name == "tpch" and shutil.which("tpchgen-cli") is None:
        import os
        import sys

        if not os.path.exists(os.path.join(os.path.dirname(sys.executable), "tpchgen-cli")):
            pytest.skip("tpchgen-cli (bench extra) is not installed")
    importlib.import_module(module).main(["--smoke", "--out", results])
    with open(results) as f:
        section = json.load(f)[name]
    assert section["mode"] == "smoke"


def test_report_renders(results, tmp_path):
    pytest.importorskip("matplotlib")
    from bench import report

    for name, module in WORKLOADS:  # the report needs every section; reuse what the tests above stored
        with open(results) as f:
            if name not in json.load(f):
                pytest.skip(f"workload {name} did not run")
    md = tmp_path / "BENCHMARKS.md"
    report.render(results, str(md), str(tmp_path))
    text = md.read_text()
    assert "## 1. Per-change latency" in text and "## 6. TPC-H" in text and "## 7. The runtime alone" in text
    assert "## 9. Sinks" in text
    assert "## 12. Sharding" in text and "### Scaling model" in text
    assert (tmp_path / "throughput.png").exists() and (tmp_path / "latency.png").exists()


def test_sections_record_cpu_time_and_load(results):
    """Every timing has a CPU figure beside the wall one, and each cell the load it ran under."""
    with open(results) as f:
        res = json.load(f)
    if "latency" not in res or "throughput" not in res:
        pytest.skip("the workloads above did not run")
    cell = res["latency"]["sizes"][0]["views"]["join_group"]
    assert cell["deltasql"]["all"]["cpu_median_us"] > 0 and cell["duckdb"]["all"]["cpu_median_us"] > 0
    assert "others_cores" in cell["load"] and cell["load"]["nproc"] >= 1
    thr = res["throughput"]["results"]["join_group"]["10000"]
    assert thr["deltasql"]["cpu_rows_per_s"] > 0 and "others_cores" in thr["load"]


def test_loaded_miss_is_not_judged():
    from bench.report import verdict

    assert verdict(True, {"others_cores": 2.0, "nproc": 2}) == "met"
    assert verdict(False, {"others_cores": 1.5, "nproc": 2}).startswith("not judged")
    assert verdict(False, {"others_cores": 0.2, "nproc": 2}) == "**not met**"


def test_missing_shared_data_is_reported(monkeypatch):
    from bench import recursion

    monkeypatch.setattr(recursion, "GRAPH1000", "/nonexistent/graph1000.txt")
    skipped = []
    assert "graph1000" not in recursion.graphs("smoke", skipped)
    assert skipped and "graph1000" in skipped[0]["what"] and "not found" in skipped[0]["why"]


@pytest.mark.skipif(not HAS_GIT, reason="git is not installed")
def test_compare_runs_two_commits(tmp_path):
    """`--compare REV` checks REV out beside this tree and runs both, each importing its own deltasql."""
    import subprocess

    from bench import sides
    from bench.common import ROOT

    if subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True).returncode != 0:
        pytest.skip("not a git checkout")
    res = sides.compare("HEAD", "smoke", 1)
    a, b = res["baseline"], res["current"]
    assert set(res["sides"]) == {a, b}
    for side in (a, b):
        assert res["sides"][side]["figures"]["change_join_group_us"]["median"] > 0
    assert "one-row change" in sides.render_compare(res)
    out = subprocess.run(["git", "worktree", "list"], cwd=ROOT, capture_output=True, text=True).stdout
    assert "deltasql-compare-" not in out  # the temporary worktree is gone


def _closure_size(edges):
    """Pairs (a, b) with a path a -> b, by a search from every node (the reference for bench.vs_pydbsp)."""
    out = {}
    for a, b in edges:
        out.setdefault(a, set()).add(b)
    total = 0
    for start in out:
        seen, todo = set(), list(out[start])
        while todo:
            n = todo.pop()
            if n not in seen:
                seen.add(n)
                todo.extend(out.get(n, ()))
        total += len(seen)
    return total


@pytest.mark.parametrize("side", ["deltasql", "pydbsp"])
def test_vs_pydbsp_children_build_the_closure(side, tmp_path):
    """Each side of bench.vs_pydbsp builds the whole closure of the same edge file (duplicate lines and
    labels ignored); PyDBSP's side runs only where PyDBSP is installed (Python 3.12+)."""
    from bench import vs_pydbsp
    from bench.recursion import random_graph

    if side == "pydbsp":
        pytest.importorskip("pydbsp")
    edges = random_graph(60, 70, 3) + [(1, 2), (2, 3), (3, 1)]
    path = tmp_path / "edges.txt"
    path.write_text("".join(f"{a} {b} a\n" for a, b in edges + edges[:5]))
    res = (vs_pydbsp.child_deltasql if side == "deltasql" else vs_pydbsp.child_pydbsp)(str(path))
    assert res["rows"] == _closure_size(set(edges)) > len(set(edges))
