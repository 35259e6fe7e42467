"""Smoke runs of every benchmark workload at tiny sizes, so bench/ keeps working (no timing asserted)."""

import importlib
import json
import shutil

import pytest

pytest.importorskip("duckdb")

WORKLOADS = [("latency", "bench.latency"), ("throughput", "bench.throughput"), ("recursion", "bench.recursion"),
             ("memory", "bench.memory"), ("compile", "bench.compile_time"), ("tpch", "bench.tpch"),
             ("runtime", "bench.runtime_ops"), ("sinks", "bench.sinks"), ("durability", "bench.durability")]


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
    assert (tmp_path / "throughput.png").exists() and (tmp_path / "latency.png").exists()
