"""Streaming time on sharded pipelines: watermarks, late rows, state expiry, NOW() and DEFAULT NOW()
with several workers give what one pipeline gives, against DuckDB.

Each worker sees only its shard of a step, so its own watermarks would differ from the pipeline's:
the coordinator computes the watermarks over the whole step (the same rule, the greatest value minus
the lateness) and the clock's value, judges lateness with them as it queues changes, and hands both
to every worker with the step (engine/shards/cluster.py); every worker's operators then drop by the
watermarks one pipeline would have.  The differential streams of the unsharded tests run here on
three simulated (in-process) workers, and a smaller one on worker processes.
"""

from __future__ import annotations

import datetime

import pytest

from deltasql import Pipeline
from tests import test_diff_id_watermarks as ids
from tests import test_diff_proctime as proctime
from tests import test_diff_temporal as temporal
from tests import test_diff_watermarks as watermarks

SHARDED = {"workers": 3, "backend": "simulated"}
S = datetime.timedelta(seconds=1)


@pytest.mark.parametrize("seed", range(2))
def test_watermarked_views_over_late_streams(seed):
    p, stream = watermarks.run_stream(seed, 40, **SHARDED)
    p.close()


@pytest.mark.parametrize("seed", range(2))
def test_views_keyed_by_ids(seed):
    p, _ = ids.run(seed, 40, **SHARDED)
    p.close()


@pytest.mark.parametrize("seed", range(2))
def test_temporal_filters(seed):
    temporal.run(seed, 40, **SHARDED)[0].close()


@pytest.mark.parametrize("seed", range(2))
def test_processing_time_windows(seed):
    p, _ = proctime.run(seed, 40, **SHARDED)
    p.close()


def test_sharded_state_stays_bounded():
    """The workers drop what the watermarks close: their saved state is a fraction of what the same
    views keep on the same accepted rows without watermarks."""
    steps = 150
    p, stream = watermarks.run_stream(100, steps, **SHARDED)
    plain = watermarks.pipeline(watermarks.PLAIN_DDL, materialized=False, **SHARDED)
    again = watermarks.LateStream(100, watermarks.TABLES)
    try:
        for _ in range(steps):
            accepted, _ = again.judge(again.step())
            watermarks.apply(plain, accepted)
        kept = sum(len(b) for b in p._shards.export_state())
        unbounded = sum(len(b) for b in plain._shards.export_state())
        assert kept * 2 < unbounded, (kept, unbounded)
    finally:
        p.close()
        plain.close()


@pytest.mark.parametrize("backend", ["simulated", "processes"])
def test_late_rows_are_judged_on_the_whole_step(backend):
    with Pipeline(workers=2, backend=backend) as p:
        p.execute("CREATE TABLE t(k INT, ts TIMESTAMP NOT NULL LATENESS INTERVAL '2' SECONDS);"
                  "CREATE MATERIALIZED VIEW c AS SELECT window_start, COUNT(*) AS n FROM TUMBLE(t, ts, "
                  "INTERVAL '10' SECONDS) GROUP BY window_start;"
                  "CREATE VIEW r AS SELECT k FROM t WHERE ts > NOW() - INTERVAL '3' SECOND")
        t0 = datetime.datetime(2024, 1, 1)
        p.insert("t", [(1, t0 + 3 * S), (2, t0 + 12 * S), (3, t0 + 11 * S), (4, t0 + 13 * S)])
        assert sorted(p.step(now=t0 + 12 * S)["r"]) == [((2,), 1), ((3,), 1), ((4,), 1)]
        assert p.watermark("t") == {"ts": t0 + 11 * S}
        p.insert("t", [(5, t0 + 9 * S), (6, t0 + 10 * S)])  # both late, whichever worker would get them
        p.delete("t", [(1, t0 + 3 * S)])
        assert p.step(now=t0 + 15 * S) == {"r": [((2,), -1), ((3,), -1)]}
        assert p.late_rows("t") == 3 and p.now == t0 + 15 * S
        assert sorted(p.view("c").rows()) == [(t0, 1), (t0 + 10 * S, 3)]


def test_a_durable_sharded_pipeline_reopens_with_its_watermarks_and_clock(tmp_path):
    ddl = ("CREATE TABLE t(k INT, ts TIMESTAMP LATENESS INTERVAL '2' SECONDS, at TIMESTAMP DEFAULT NOW());"
           "CREATE VIEW c AS SELECT window_start, COUNT(*) AS n FROM TUMBLE(t, ts, INTERVAL '10' SECONDS) "
           "GROUP BY window_start;"
           "CREATE VIEW r AS SELECT k FROM t WHERE ts > NOW() - INTERVAL '3' SECOND")
    t0 = datetime.datetime(2024, 1, 1)
    steps = [[(k, t0 + S * (3 * i + k % 4 - 2), None) for k in range(i, i + 3)] + [(99, t0 + S * (3 * i - 7), None)]
             for i in range(12)]  # the last row of each step late from the fourth on
    twin = Pipeline()
    twin.execute(ddl)
    p = Pipeline(path=str(tmp_path / "state"), workers=2, backend="simulated")
    p.execute(ddl)
    for i, rows in enumerate(steps):
        if i in (4, 9):  # reopen: from the checkpoint (4) or the journal (9)
            if i == 4:
                p.checkpoint()
            p.close()
            p = Pipeline(path=str(tmp_path / "state"), workers=2, backend="simulated")
        for q in (p, twin):
            q.advance_clock(t0 + S * 3 * i)
            q.insert("t", rows)
        assert p.step() == twin.step(), f"step {i}"
        assert (p.watermark("t"), p.late_rows("t"), p.now) == (twin.watermark("t"), twin.late_rows("t"), twin.now)
    assert twin.late_rows("t") > 0
    p.close()
