"""A smoke run of the CDC benchmark (bench/cdc.py) at tiny sizes, so it keeps working (no timing asserted)."""

import json

import pytest

pytest.importorskip("psycopg2")
pytest.importorskip("duckdb")


def test_cdc_benchmark_runs(pg_server, tmp_path):  # pg_server: skip (or fail in CI) where no server can run
    from bench import cdc

    out = tmp_path / "results.json"
    cdc.main(["--smoke", "--out", str(out)])
    section = json.loads(out.read_text())["cdc"]
    assert section["mode"] == "smoke"
    assert section["latency"]["n"] == cdc.LATENCY_TX["smoke"]
    assert section["orders_at_end"] == cdc.SIZES["smoke"] + cdc.LATENCY_TX["smoke"] + 2 * cdc.THROUGHPUT_ROWS["smoke"]
    assert section["catch_up"]["rows"] == cdc.THROUGHPUT_ROWS["smoke"]
