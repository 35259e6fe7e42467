"""The Nexmark queries q0–q22 as deltasql views, each with the DuckDB query used as its oracle.

Written after the Nexmark project's Flink SQL and Feldera's versions (the same questions, our own
text; columns snake_case as in Feldera and RisingWave).  Windows use our table functions
(TUMBLE, HOP, SESSION); the DuckDB forms rewrite them with time_bucket or a join on the
generated window starts, so the oracle never runs our rewrites.  Where Flink leaves ties open
(ROW_NUMBER over equal keys), the order is completed with more columns so there is one answer.

q12 counts bids in processing-time windows: its bid table has one more column, ``p_time TIMESTAMP
DEFAULT NOW()`` (``PROCTIME_COLUMN``), which the pipeline fills with its clock as each row is inserted
(RisingWave's ``p_time … AS proctime()``, Flink's ``PROCTIME()``); the bench drives the clock
deterministically (nexmark_run: the event time of each step's last event) and gives DuckDB the
stamped rows.  Left out: q23 (not in the standard suite).  q13's side input is a static table
``side_input(key, value)`` of 10,000 rows (``SIDE_INPUT``).
"""

from __future__ import annotations

EPOCH = "TIMESTAMP '1970-01-01'"


def _tumble(size: str, table: str = "bid", col: str = "date_time") -> str:
    """DuckDB: ``table`` with the TUMBLE window columns over ``col``."""
    b = f"time_bucket({size}, {col}, {EPOCH})"
    return f"(SELECT *, {b} AS window_start, {b} + {size} AS window_end FROM {table} WHERE {col} IS NOT NULL)"


def _hop(slide_s: int, size_s: int, table: str = "bid") -> str:
    """DuckDB: ``table`` joined with every window start (a multiple of slide) whose window holds the row."""
    size = f"INTERVAL {size_s} SECOND"
    starts = (f"range(time_bucket(INTERVAL {slide_s} SECOND, (SELECT min(date_time) FROM {table}), {EPOCH}) "
              f"- {size}, (SELECT max(date_time) FROM {table}) + INTERVAL 1 SECOND, INTERVAL {slide_s} SECOND) r(ws)")
    return (f"(SELECT {table}.*, r.ws AS window_start, r.ws + {size} AS window_end FROM {table} JOIN {starts} "
            f"ON {table}.date_time >= r.ws AND {table}.date_time < r.ws + {size})")


def _session(gap_s: int, table: str = "bid", key: str = "bidder") -> str:
    """DuckDB: ``table`` with per-``key`` session windows, without window functions."""
    gap = f"INTERVAL {gap_s} SECOND"
    return (f"(WITH s AS (SELECT DISTINCT {key}, date_time FROM {table} b WHERE NOT EXISTS (SELECT 1 FROM {table} c "
            f"WHERE c.{key} = b.{key} AND c.date_time < b.date_time AND c.date_time >= b.date_time - {gap})), "
            f"w AS (SELECT {table}.*, (SELECT max(s.date_time) FROM s WHERE s.{key} = {table}.{key} "
            f"AND s.date_time <= {table}.date_time) AS window_start FROM {table}) "
            f"SELECT w.*, (SELECT max(x.date_time) FROM w x WHERE x.{key} = w.{key} AND x.window_start = "
            f"w.window_start) + {gap} AS window_end FROM w)")


RANKS = ("COUNT(*) FILTER (WHERE price < 10000) AS rank1_bids, "
         "COUNT(*) FILTER (WHERE price >= 10000 AND price < 1000000) AS rank2_bids, "
         "COUNT(*) FILTER (WHERE price >= 1000000) AS rank3_bids")
DISTINCT_RANKS = ", ".join(
    f"COUNT(DISTINCT {c}) AS total_{c}s, "
    f"COUNT(DISTINCT {c}) FILTER (WHERE price < 10000) AS rank1_{c}s, "
    f"COUNT(DISTINCT {c}) FILTER (WHERE price >= 10000 AND price < 1000000) AS rank2_{c}s, "
    f"COUNT(DISTINCT {c}) FILTER (WHERE price >= 1000000) AS rank3_{c}s" for c in ("bidder", "auction"))
WINNERS = ("SELECT A.id, A.seller, A.category, A.expires, MAX(B.price) AS final FROM auction A JOIN bid B "
           "ON A.id = B.auction AND B.date_time BETWEEN A.date_time AND A.expires "
           "GROUP BY A.id, A.seller, A.category, A.expires")
CHANNEL_ID = "regexp_extract(url, '(&|^)channel_id=([^&]*)', 2)"


def _q5(w_bid: str) -> str:
    counts = f"SELECT auction, COUNT(*) AS num, window_start, window_end FROM {w_bid} GROUP BY auction, window_start, window_end"
    return (f"SELECT c.auction, c.num, c.window_start FROM ({counts}) c JOIN (SELECT window_start, MAX(num) AS maxn "
            f"FROM ({counts}) m GROUP BY window_start) x ON c.window_start = x.window_start AND c.num >= x.maxn")


def _q7(w_bid: str) -> str:
    return ("SELECT B.auction, B.price, B.bidder, B.date_time, B.extra FROM bid B JOIN "
            f"(SELECT MAX(price) AS maxprice, window_end AS date_time FROM {w_bid} GROUP BY window_start, window_end) B1 "
            "ON B.price = B1.maxprice WHERE B.date_time >= B1.date_time - INTERVAL '10' SECOND "
            "AND B.date_time < B1.date_time")


def _q8(w_person: str, w_auction: str) -> str:
    return (f"SELECT P.id, P.name, P.window_start FROM (SELECT id, name, window_start, window_end FROM {w_person} "
            "GROUP BY id, name, window_start, window_end) P JOIN (SELECT seller, window_start, window_end FROM "
            f"{w_auction} GROUP BY seller, window_start, window_end) A ON P.id = A.seller AND "
            "P.window_start = A.window_start AND P.window_end = A.window_end")


def _q11(w_bid: str) -> str:
    return (f"SELECT bidder, COUNT(*) AS bid_count, window_start, window_end FROM {w_bid} "
            "GROUP BY bidder, window_start, window_end")


def _q12(w_bid: str) -> str:
    return (f"SELECT bidder, COUNT(*) AS bid_count, window_start, window_end FROM {w_bid} "
            "GROUP BY bidder, window_start, window_end")


# q12's arrival time: the pipeline's clock when the row is inserted; its watermark follows the clock
PROCTIME_COLUMN = "p_time TIMESTAMP DEFAULT NOW() LATENESS INTERVAL '0' SECONDS"
PROCTIME = ("q12",)  # the queries whose bid table has it

# q11's sessions are per bidder
SESSIONS_BY_BIDDER = "SESSION(bid PARTITION BY bidder, date_time, INTERVAL '10' SECOND)"

# name -> (deltasql view, DuckDB oracle or None for the same text)
QUERIES = {
    "q0": ("SELECT auction, bidder, price, date_time, extra FROM bid", None),
    "q1": ("SELECT auction, bidder, 0.908 * price AS price, date_time, extra FROM bid", None),
    "q2": ("SELECT auction, price FROM bid WHERE auction % 123 = 0", None),
    "q3": ("SELECT P.name, P.city, P.state, A.id FROM auction A JOIN person P ON A.seller = P.id "
           "WHERE A.category = 10 AND P.state IN ('OR', 'ID', 'CA')", None),
    "q4": (f"SELECT category, AVG(final) AS avg_final FROM ({WINNERS}) Q GROUP BY category", None),
    "q5": (_q5("HOP(bid, date_time, INTERVAL '2' SECOND, INTERVAL '10' SECOND)"), _q5(_hop(2, 10))),
    "q6": (f"SELECT seller, id, AVG(final) OVER (PARTITION BY seller ORDER BY expires, id ROWS BETWEEN 10 PRECEDING "
           f"AND CURRENT ROW) AS avg_final FROM ({WINNERS}) Q", None),
    "q7": (_q7("TUMBLE(bid, date_time, INTERVAL '10' SECOND)"), _q7(_tumble("INTERVAL 10 SECOND"))),
    "q8": (_q8("TUMBLE(person, date_time, INTERVAL '10' SECOND)", "TUMBLE(auction, date_time, INTERVAL '10' SECOND)"),
           _q8(_tumble("INTERVAL 10 SECOND", "person"), _tumble("INTERVAL 10 SECOND", "auction"))),
    "q9": ("SELECT id, item_name, seller, category, auction, bidder, price, bid_date_time FROM (SELECT A.id, "
           "A.item_name, A.seller, A.category, B.auction, B.bidder, B.price, B.date_time AS bid_date_time, "
           "ROW_NUMBER() OVER (PARTITION BY A.id ORDER BY B.price DESC, B.date_time, B.bidder, B.url, B.extra) AS rn "
           "FROM auction A JOIN bid B ON A.id = B.auction AND B.date_time BETWEEN A.date_time AND A.expires) "
           "WHERE rn <= 1", None),
    "q10": ("SELECT auction, bidder, price, date_time, extra, strftime(date_time, '%Y-%m-%d') AS dt, "
            "strftime(date_time, '%H:%M') AS hm FROM bid", None),
    "q11": (_q11(SESSIONS_BY_BIDDER), _q11(_session(10))),
    "q12": (_q12("TUMBLE(bid, p_time, INTERVAL '10' SECOND)"), _q12(_tumble("INTERVAL 10 SECOND", "bid", "p_time"))),
    "q13": ("SELECT B.auction, B.bidder, B.price, B.date_time, S.value FROM bid B JOIN side_input S "
            "ON B.auction % 10000 = S.key", None),
    "q14": ("SELECT auction, bidder, 0.908 * price AS price, CASE WHEN hour(date_time) BETWEEN 8 AND 18 THEN 'dayTime' "
            "WHEN hour(date_time) <= 6 OR hour(date_time) >= 20 THEN 'nightTime' ELSE 'otherTime' END AS bid_time_type, "
            "date_time, extra, length(extra) - length(replace(extra, 'c', '')) AS c_counts FROM bid "
            "WHERE 0.908 * price > 1000000 AND 0.908 * price < 50000000", None),
    "q15": (f"SELECT strftime(date_time, '%Y-%m-%d') AS day, COUNT(*) AS total_bids, {RANKS}, {DISTINCT_RANKS} "
            "FROM bid GROUP BY strftime(date_time, '%Y-%m-%d')", None),
    "q16": (f"SELECT channel, strftime(date_time, '%Y-%m-%d') AS day, MAX(strftime(date_time, '%H:%M')) AS minute, "
            f"COUNT(*) AS total_bids, {RANKS}, {DISTINCT_RANKS} FROM bid "
            "GROUP BY channel, strftime(date_time, '%Y-%m-%d')", None),
    "q17": (f"SELECT auction, strftime(date_time, '%Y-%m-%d') AS day, COUNT(*) AS total_bids, {RANKS}, "
            "MIN(price) AS min_price, MAX(price) AS max_price, AVG(price) AS avg_price, SUM(price) AS sum_price "
            "FROM bid GROUP BY auction, strftime(date_time, '%Y-%m-%d')", None),
    "q18": ("SELECT auction, bidder, price, channel, url, date_time, extra FROM (SELECT *, ROW_NUMBER() OVER "
            "(PARTITION BY bidder, auction ORDER BY date_time DESC, price DESC, url, extra) AS rn FROM bid) "
            "WHERE rn <= 1", None),
    "q19": ("SELECT auction, bidder, price, date_time, rn FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY auction "
            "ORDER BY price DESC, date_time, bidder, url, extra) AS rn FROM bid) WHERE rn <= 10", None),
    "q20": ("SELECT auction, bidder, price, channel, url, B.date_time, B.extra, item_name, description, initial_bid, "
            "reserve, A.date_time AS auction_date_time, expires, seller, category, A.extra AS auction_extra "
            "FROM bid B JOIN auction A ON B.auction = A.id WHERE A.category = 10", None),
    "q21": (f"SELECT auction, bidder, price, channel, CASE lower(channel) WHEN 'apple' THEN '0' WHEN 'google' THEN '1' "
            f"WHEN 'facebook' THEN '2' WHEN 'baidu' THEN '3' ELSE {CHANNEL_ID} END AS channel_id FROM bid "
            f"WHERE {CHANNEL_ID} IS NOT NULL OR lower(channel) IN ('apple', 'google', 'facebook', 'baidu')", None),
    "q22": ("SELECT auction, bidder, price, channel, split_part(url, '/', 4) AS dir1, split_part(url, '/', 5) AS dir2, "
            "split_part(url, '/', 6) AS dir3 FROM bid", None),
}

STATELESS = ("q0", "q1", "q2", "q10", "q14", "q21", "q22")
SIDE_INPUT = "CREATE TABLE side_input(key BIGINT, value VARCHAR)"
# deltasql's: the key's watermark closes the table below its greatest key once its rows are in (a
# later row with a smaller key would be late), so the join keeps no bid whose key is below it
# (all but the 1 in 10,000 with key 9999); materialized so a view created after the rows reads them
SIDE_INPUT_WATERMARKED = ("CREATE TABLE side_input(key BIGINT LATENESS 0, value VARCHAR) "
                          "WITH ('materialized' = 'true')")


def side_input_rows():
    return [(k, f"value-{k}") for k in range(10_000)]


def oracle(name: str) -> str:
    sql, duck = QUERIES[name]
    return duck or sql
