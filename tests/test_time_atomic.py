"""A step that fails leaves the streaming-time state as it was: watermarks, late counts, discarded
rows, expired state, sessions, temporal filters and held final rows.

Two twin pipelines run the same random stream with late rows; at random steps one of them also gets a
row that makes a view fail (a value too big for a TINYINT), which must fail the whole step; it then
discards that step's changes, and both continue.  The twins must agree on every later step's
changes, on the watermarks and the counts, and on the state they keep."""

import datetime

import pytest

from deltasql import DataError, Pipeline
from tests.latestreams import LateStream, Timed, apply, state_entries

S = datetime.timedelta(seconds=1)
DDL = """
CREATE TABLE bid(bidder INT, price INT, ts TIMESTAMP LATENESS INTERVAL '3' SECONDS);
CREATE TABLE quote(k INT, v INT, ts TIMESTAMP LATENESS INTERVAL '2' SECONDS);
CREATE VIEW sessions AS SELECT bidder, window_start, window_end, COUNT(*) AS n, MAX(price) AS m
    FROM SESSION(bid PARTITION BY bidder, ts, INTERVAL '4' SECONDS) GROUP BY ALL;
CREATE VIEW session_rows AS SELECT * FROM SESSION(bid PARTITION BY bidder, ts, INTERVAL '2' SECONDS);
CREATE VIEW windows AS SELECT bidder, window_start, COUNT(DISTINCT price) AS d
    FROM TUMBLE(bid, ts, INTERVAL '5' SECONDS) GROUP BY bidder, window_start;
CREATE VIEW final WITH ('emit_final' = 'window_start') AS SELECT window_start, SUM(price) AS s
    FROM TUMBLE(bid, ts, INTERVAL '5' SECONDS) GROUP BY window_start;
CREATE VIEW joined AS SELECT B.bidder, B.price, Q.v FROM bid B JOIN quote Q ON B.bidder = Q.k
    AND B.ts BETWEEN Q.ts AND Q.ts + INTERVAL '3' SECONDS;
CREATE VIEW asof AS SELECT B.bidder, B.ts, Q.v FROM bid B ASOF JOIN quote Q ON B.bidder = Q.k AND B.ts >= Q.ts;
CREATE VIEW recent AS SELECT bidder, price FROM bid WHERE ts > NOW() - INTERVAL '4' SECONDS;
CREATE VIEW poison AS SELECT CAST(price AS TINYINT) AS p FROM bid;
"""
VIEWS = ("sessions", "session_rows", "windows", "final", "joined", "asof", "recent")


def bid_row(rnd, t):
    return (rnd.randrange(3), rnd.choice([1, 2, 3, 5, 8]), t)


def quote_row(rnd, t):
    k = rnd.randrange(3)
    return (k, None if t is None else (t.second + k) % 7, t)


TABLES = {"bid": Timed(bid_row, 2, 3 * S, weight=3), "quote": Timed(quote_row, 2, 2 * S)}


def as_set(changes):
    return {name: sorted(rows, key=repr) for name, rows in changes.items()}


@pytest.mark.parametrize("seed", range(3))
def test_failed_steps_change_nothing(seed):
    stream = LateStream(seed, TABLES)
    a, b = Pipeline(), Pipeline()
    a.execute(DDL)
    b.execute(DDL)
    failures = 0
    for i in range(80):
        step = stream.step()
        now = stream.now
        if stream.rnd.random() < 0.25:
            for op, table, row in step:
                try:
                    (a.insert if op == "+" else a.delete)(table, [row])
                except DataError:
                    pass
            a.insert("bid", [(0, 1000, stream.now)])
            with pytest.raises(DataError, match="does not fit"):
                a.step(now=now)
            a.discard()
            failures += 1  # (the model never saw the step: its rows are gone for both twins)
            continue
        stream.judge(step)
        for p in (a, b):
            p.advance_clock(now)
        assert as_set(apply(a, step)) == as_set(apply(b, step)), f"step {i}"
        for t in TABLES:
            assert (a.watermark(t), a.late_rows(t), a._tables[t].discarded) == \
                   (b.watermark(t), b.late_rows(t), b._tables[t].discarded), f"step {i}: {t}"
    assert failures > 5
    for v in VIEWS:
        assert state_entries(a, v) == state_entries(b, v), v
