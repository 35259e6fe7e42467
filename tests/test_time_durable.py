"""Streaming time in a durable pipeline (engine/durability.py): a pipeline with watermarks, temporal
filters, sessions and emit-on-close views, closed (or released without a checkpoint, as a crash leaves
it) and reopened at random points, goes on exactly like an in-memory twin that never stopped: the same
changes at every step, the same clock (NOW() is an input of the steps the journal replays), the same
watermarks and late-row counts (the late changes a journaled step dropped are counted again when it
is replayed), the same rows in the materialized views.  The views themselves are checked against
DuckDB in test_diff_watermarks.py and test_diff_temporal.py.
"""

from __future__ import annotations

import datetime
import random

import pytest

from deltasql import Pipeline
from tests.latestreams import T0, LateStream, Timed

S = datetime.timedelta(seconds=1)

DDL = """
CREATE TABLE bid(auction INT, price INT, ts TIMESTAMP LATENESS INTERVAL '4' SECONDS);
CREATE MATERIALIZED VIEW recent AS SELECT auction, price, ts FROM bid WHERE ts > NOW() - INTERVAL '6' SECOND;
CREATE VIEW per_window AS SELECT auction, window_start, COUNT(*) AS n, MAX(price) AS m
    FROM TUMBLE(bid, ts, INTERVAL '5' SECONDS) GROUP BY auction, window_start;
CREATE VIEW closed WITH ('emit_final' = 'window_start') AS SELECT window_start, SUM(price) AS s
    FROM TUMBLE(bid, ts, INTERVAL '5' SECONDS) GROUP BY window_start;
CREATE VIEW sessions AS SELECT auction, window_start, window_end, COUNT(*) AS n
    FROM SESSION(bid PARTITION BY auction, ts, INTERVAL '3' SECONDS) GROUP BY auction, window_start, window_end;
"""


def bid_row(rnd, t):
    return (rnd.randrange(4), rnd.choice([1, 5, 7, 20, None]), t)


def run_step(p, step, now):
    for op, table, row in step:
        (p.insert if op == "+" else p.delete)(table, [row])
    return p.step(now=now)


def observed(p) -> tuple:
    return (p.now, p.watermark("bid"), p.late_rows("bid"), sorted(p.view("recent").rows(), key=repr))


@pytest.mark.parametrize("seed", range(4))
def test_a_reopened_pipeline_with_time_goes_on_like_one_that_never_stopped(tmp_path, seed):
    rnd = random.Random(seed)
    stream = LateStream(seed, {"bid": Timed(bid_row, 2, 4 * S)})
    twin = Pipeline()
    twin.execute(DDL)
    path = str(tmp_path / "time.db")
    p = Pipeline(path=path, checkpoint_every=rnd.choice([3, 7, 1000]))
    p.execute(DDL)
    for i in range(40):
        step = stream.step()
        now = T0 + S * (i // 2)  # the clock moves every other step
        assert run_step(p, step, now) == run_step(twin, step, now), f"seed {seed} step {i}"
        assert observed(p) == observed(twin), f"seed {seed} step {i}"
        if rnd.random() < 0.3:
            p.close(checkpoint=rnd.random() < 0.5)  # without a checkpoint: the journal is replayed
            p = Pipeline(path=path)
            assert observed(p) == observed(twin), f"seed {seed} reopened after step {i}"
    assert twin.late_rows("bid") > 0  # the stream had late rows, and they were counted across reopenings
    p.close()


def test_a_step_that_only_moves_the_clock_is_replayed(tmp_path):
    path = str(tmp_path / "clock.db")
    p = Pipeline(path=path)
    p.execute(DDL)
    p.insert("bid", [(1, 5, T0), (2, 7, T0 + 3 * S)])
    p.step(now=T0 + 3 * S)
    assert len(p.view("recent").rows()) == 2
    p.step(now=T0 + 7 * S)  # the first row leaves the temporal filter: nothing else happened
    assert p.view("recent").rows() == [(2, 7, T0 + 3 * S)]
    p.close(checkpoint=False)
    p = Pipeline(path=path)
    assert p.now == T0 + 7 * S
    assert p.view("recent").rows() == [(2, 7, T0 + 3 * S)]
    p.close()
