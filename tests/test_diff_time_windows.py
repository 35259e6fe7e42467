"""Differential tests of time windows (TUMBLE, HOP in both spellings, time_bucket) against DuckDB.

The oracle never sees our window functions: TUMBLE is written with DuckDB's time_bucket aligned
to the epoch, HOP as a join with the generated window starts (range over the test's time span)."""

import datetime

import pytest

from tests.harness import Spec, ViewSpec, streams_test

T0 = datetime.datetime(2024, 1, 1, 0, 0, 0)
TIMES = [T0 + datetime.timedelta(seconds=s, microseconds=m)
         for s, m in [(0, 0), (1, 500_000), (4, 0), (5, 0), (9, 999_999), (10, 0), (12, 0), (17, 250_000),
                      (20, 0), (29, 0), (31, 0), (-1, 0), (-7, 0)]]
DDL = "CREATE TABLE bid(auction INT, price INT, ts TIMESTAMP); CREATE TABLE d(day DATE, v INT)"
DOMAINS = {"auction": [1, 2, 3], "price": [5, 10, 7, 1, 100], "ts": TIMES,
           "day": [datetime.date(2024, 1, 1), datetime.date(2024, 2, 29), datetime.date(2023, 12, 31),
                   datetime.date(2024, 1, 8), datetime.date(2024, 3, 1)], "v": [1, 2, 3]}
# window starts covering TIMES for the oracle's joins
STARTS = "range(TIMESTAMP '2023-12-31 23:59:00', TIMESTAMP '2024-01-01 00:01:00', INTERVAL 1 SECOND) r(ws)"


def spec(views, **kw):
    return Spec(DDL, views, domains=DOMAINS, **kw)


def tumble_oracle(select: str, size: str, rest: str = "") -> str:
    bucket = f"time_bucket({size}, ts, TIMESTAMP '1970-01-01')"
    return (f"SELECT {select} FROM (SELECT *, {bucket} AS window_start, {bucket} + {size} AS window_end "
            f"FROM bid WHERE ts IS NOT NULL) w {rest}")


def hop_oracle(select: str, slide_s: int, size_s: int, offset_s: int = 0, rest: str = "") -> str:
    return (f"SELECT {select} FROM (SELECT bid.*, r.ws AS window_start, r.ws + INTERVAL {size_s} SECOND AS window_end "
            f"FROM bid JOIN {STARTS} ON bid.ts >= r.ws AND bid.ts < r.ws + INTERVAL {size_s} SECOND "
            f"WHERE (epoch(r.ws)::BIGINT - {offset_s}) % {slide_s} = 0) w {rest}")


def session_oracle(select: str, gap_s: int, rest: str = "") -> str:
    """Sessions without window functions: a session starts at a time with no row in the gap before
    it; a row's session is the latest start at or before it; its end the session's last time + gap."""
    gap = f"INTERVAL {gap_s} SECOND"
    return (f"WITH s AS (SELECT DISTINCT ts FROM bid b WHERE ts IS NOT NULL AND NOT EXISTS (SELECT 1 FROM bid c "
            f"WHERE c.ts < b.ts AND c.ts >= b.ts - {gap})), "
            f"w AS (SELECT bid.*, (SELECT max(s.ts) FROM s WHERE s.ts <= bid.ts) AS window_start FROM bid "
            f"WHERE ts IS NOT NULL), "
            f"e AS (SELECT w.*, (SELECT max(x.ts) FROM w x WHERE x.window_start = w.window_start) + {gap} "
            f"AS window_end FROM w) SELECT {select} FROM e {rest}")


def partitioned_session_oracle(select: str, gap_s: int, keys: tuple, rest: str = "") -> str:
    """Sessions per partition (NULL keys one partition, as PARTITION BY treats them)."""
    gap = f"INTERVAL {gap_s} SECOND"
    same = lambda a, b: " AND ".join(f"{a}.{k} IS NOT DISTINCT FROM {b}.{k}" for k in keys)  # noqa: E731
    return (f"WITH s AS (SELECT DISTINCT {', '.join(keys)}, ts FROM bid b WHERE ts IS NOT NULL AND NOT EXISTS "
            f"(SELECT 1 FROM bid c WHERE {same('c', 'b')} AND c.ts < b.ts AND c.ts >= b.ts - {gap})), "
            f"w AS (SELECT bid.*, (SELECT max(s.ts) FROM s WHERE {same('s', 'bid')} AND s.ts <= bid.ts) AS window_start "
            f"FROM bid WHERE ts IS NOT NULL), "
            f"e AS (SELECT w.*, (SELECT max(x.ts) FROM w x WHERE {same('x', 'w')} AND x.window_start = w.window_start) "
            f"+ {gap} AS window_end FROM w) SELECT {select} FROM e {rest}")


SPECS = {
    "tumble": spec({
        "t_count": ViewSpec("SELECT auction, window_start, window_end, COUNT(*) AS n, SUM(price) AS s "
                            "FROM TUMBLE(bid, ts, INTERVAL '10' SECOND) GROUP BY auction, window_start, window_end",
                            tumble_oracle("auction, window_start, window_end, COUNT(*) AS n, SUM(price) AS s",
                                          "INTERVAL 10 SECOND", "GROUP BY ALL")),
        "t_flink": ViewSpec("SELECT window_start, MAX(price) AS m FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(ts), "
                            "INTERVAL '7' SECOND)) GROUP BY window_start",
                            tumble_oracle("window_start, MAX(price) AS m", "INTERVAL 7 SECOND", "GROUP BY ALL")),
        "t_rows": ViewSpec("SELECT w.auction, w.ts, w.window_end FROM TUMBLE(bid, ts, INTERVAL '3' SECOND) AS w "
                           "WHERE w.price > 5",
                           tumble_oracle("auction, ts, window_end", "INTERVAL 3 SECOND", "WHERE price > 5")),
        "t_offset": ViewSpec("SELECT window_start, COUNT(*) AS n FROM TUMBLE(bid, ts, INTERVAL '10' SECOND, "
                             "INTERVAL '3' SECOND) GROUP BY 1",
                             "SELECT time_bucket(INTERVAL 10 SECOND, ts, TIMESTAMP '1970-01-01 00:00:03') AS "
                             "window_start, COUNT(*) AS n FROM bid WHERE ts IS NOT NULL GROUP BY 1"),
        "t_join": ViewSpec("SELECT a.auction, a.window_start, b.auction AS other FROM TUMBLE(bid, ts, INTERVAL '5' "
                           "SECOND) a JOIN TUMBLE(bid, ts, INTERVAL '5' SECOND) b ON a.window_start = b.window_start "
                           "AND a.auction < b.auction",
                           "WITH w AS (" + tumble_oracle("*", "INTERVAL 5 SECOND") + ") SELECT a.auction, "
                           "a.window_start, b.auction AS other FROM w a JOIN w b ON a.window_start = b.window_start "
                           "AND a.auction < b.auction"),
    }),
    "hop": spec({
        "h_count": ViewSpec("SELECT auction, window_start, window_end, COUNT(*) AS n FROM HOP(bid, ts, "
                            "INTERVAL '2' SECOND, INTERVAL '10' SECOND) GROUP BY auction, window_start, window_end",
                            hop_oracle("auction, window_start, window_end, COUNT(*) AS n", 2, 10,
                                       rest="GROUP BY ALL")),
        "h_uneven": ViewSpec("SELECT window_start, MAX(price) AS m FROM TABLE(HOP(TABLE bid, DESCRIPTOR(ts), "
                             "INTERVAL '3' SECOND, INTERVAL '7' SECOND)) GROUP BY window_start",
                             hop_oracle("window_start, MAX(price) AS m", 3, 7, rest="GROUP BY ALL")),
        "h_offset": ViewSpec("SELECT auction, ts, window_start FROM HOP(bid, ts, INTERVAL '5' SECOND, "
                             "INTERVAL '5' SECOND, INTERVAL '2' SECOND)",
                             hop_oracle("auction, ts, window_start", 5, 5, offset_s=2)),
    }),
    "session": spec({
        "s_count": ViewSpec("SELECT window_start, window_end, COUNT(*) AS n, SUM(price) AS s "
                            "FROM SESSION(bid, ts, INTERVAL '3' SECOND) GROUP BY window_start, window_end",
                            session_oracle("window_start, window_end, COUNT(*) AS n, SUM(price) AS s", 3,
                                           "GROUP BY ALL")),
        "s_rows": ViewSpec("SELECT auction, ts, window_start, window_end FROM TABLE(SESSION(TABLE bid, "
                           "DESCRIPTOR(ts), INTERVAL '5' SECOND))",
                           session_oracle("auction, ts, window_start, window_end", 5)),
    }),
    "session_partitioned": spec({
        "sp_count": ViewSpec("SELECT auction, window_start, window_end, COUNT(*) AS n, SUM(price) AS s, MAX(price) AS m "
                             "FROM SESSION(bid PARTITION BY auction, ts, INTERVAL '3' SECOND) GROUP BY ALL",
                             partitioned_session_oracle("auction, window_start, window_end, COUNT(*) AS n, "
                                                        "SUM(price) AS s, MAX(price) AS m", 3, ("auction",),
                                                        "GROUP BY ALL")),
        "sp_rows": ViewSpec("SELECT auction, price, ts, window_start, window_end FROM TABLE(SESSION(TABLE bid "
                            "PARTITION BY auction, DESCRIPTOR(ts), INTERVAL '4' SECOND))",
                            partitioned_session_oracle("auction, price, ts, window_start, window_end", 4,
                                                       ("auction",))),
        "sp_two_keys": ViewSpec("SELECT price, auction, window_end, COUNT(*) AS n FROM SESSION(bid PARTITION BY "
                                "(auction, price), ts, INTERVAL '5' SECOND) GROUP BY window_end, auction, price",
                                partitioned_session_oracle("price, auction, window_end, COUNT(*) AS n", 5,
                                                           ("auction", "price"), "GROUP BY ALL")),
        "sp_filtered": ViewSpec("SELECT auction, window_start, COUNT(*) AS n FROM SESSION(bid PARTITION BY auction, "
                                "ts, INTERVAL '3' SECOND) WHERE price > 5 GROUP BY auction, window_start",
                                partitioned_session_oracle("auction, window_start, COUNT(*) AS n", 3, ("auction",),
                                                           "WHERE price > 5 GROUP BY ALL")),
    }),
    "time_bucket": spec({
        "b_default": "SELECT time_bucket(INTERVAL '7' SECOND, ts) AS b, COUNT(*) AS n FROM bid GROUP BY 1",
        "b_origin": "SELECT time_bucket(INTERVAL '90' SECOND, ts, TIMESTAMP '2023-12-31 23:59:59') AS b, price "
                    "FROM bid",
        "b_offset": "SELECT time_bucket(INTERVAL '10' SECOND, ts, INTERVAL '4' SECOND) AS b FROM bid",
        "b_month": "SELECT time_bucket(INTERVAL '1' MONTH, day) AS m, SUM(v) AS s FROM d GROUP BY 1",
        "b_week": "SELECT time_bucket(INTERVAL '7' DAY, day) AS w, COUNT(*) AS n FROM d GROUP BY 1",
        "b_days_ts": "SELECT time_bucket(INTERVAL '2' DAY, ts) AS w FROM bid",
    }),
}


test_time_windows = streams_test(SPECS, 10)


def test_window_columns_and_errors():
    from deltasql import CompileError, Pipeline

    p = Pipeline()
    p.execute("CREATE TABLE bid(auction INT, ts TIMESTAMP)")
    p.execute("CREATE VIEW v AS SELECT * FROM TUMBLE(bid, ts, INTERVAL '10' SECOND)")
    assert p.columns("v") == ["auction", "ts", "window_start", "window_end"]
    p.execute("CREATE VIEW h AS SELECT * FROM TABLE(HOP(TABLE bid, DESCRIPTOR(ts), INTERVAL 1 SECOND, "
              "INTERVAL 2 SECOND))")
    assert p.columns("h") == ["auction", "ts", "window_start", "window_end"]
    p.insert("bid", [(1, T0 + datetime.timedelta(seconds=1, milliseconds=500))])
    p.step()
    assert sorted(r[2] for r in p.view("h").rows()) == [T0, T0 + datetime.timedelta(seconds=1)]
    with pytest.raises(CompileError, match="HOP's size must be a constant INTERVAL") as e:
        p.execute("CREATE VIEW bad AS SELECT * FROM HOP(bid, ts, INTERVAL '1' MONTH, INTERVAL '2' MONTH)")
    assert e.value.line == 1
    with pytest.raises(CompileError, match="TUMBLE takes"):
        p.execute("CREATE VIEW bad AS SELECT * FROM TUMBLE(bid, ts)")
    with pytest.raises(CompileError, match="must be positive"):
        p.execute("CREATE VIEW bad AS SELECT * FROM TUMBLE(bid, ts, INTERVAL '0' SECOND)")
    assert "bad" not in p.views
