"""The Ray backend: a local Ray (ray.init()) runs the workers as actors; the answers are those of
one worker, checked against DuckDB after every step (recursion, windows, top-k, global aggregates,
a view created over existing data), and a failing step changes nothing."""

from __future__ import annotations

import pytest

from deltasql import DataError, Pipeline
from tests.test_shards import MIXED, _same_as_one_worker

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def local_ray():
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    yield
    if started:
        ray.shutdown()


def test_ray_same_as_one_worker(local_ray):
    _same_as_one_worker(MIXED, range(1), workers=2, backend="ray")


def test_ray_failed_step_changes_nothing(local_ray):
    with Pipeline(workers=2, backend="ray") as p:
        p.execute("CREATE TABLE t(k INT, x BIGINT); "
                  "CREATE VIEW s AS SELECT k, CAST(SUM(x) AS INTEGER) AS s FROM t GROUP BY k")
        p.insert("t", [(k, 1) for k in range(10)])
        p.step()
        p.insert("t", [(3, 3_000_000_000)])
        with pytest.raises(DataError, match=r"^s: integer overflow"):
            p.step()
        p.insert("t", [(3, 4)])
        assert p.step() == {"s": [((3, 1), -1), ((3, 5), 1)]}
