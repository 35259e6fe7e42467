"""Watermarks on monotone id columns (Nexmark's person, auction and bid ids), against DuckDB.

A table may declare a LATENESS on any column whose values grow with the stream, not only on a time:
``auction BIGINT LATENESS 3`` says no change will come for an auction id more than 3 below the
greatest seen.  The compiler then bounds what is keyed by such a column: top-k and window partitions
(q18's per (bidder, auction), closed once either id is behind its watermark; q19's per auction),
joins on ids (q3, q20: each side drops the rows no later row of the other side can match), groups and
DISTINCT rows keyed by an id, and what is keyed by a column of one side of a join that only that
side's watermark bounds (q6's seller): its bound there is the least of that watermark and the least
value among the rows the join still keeps of that side.

The streams here (a model of their own, independent of deltasql) have ids that follow the stream's
clock with noise, some late by their id, some by their time, some NULL, duplicates and deletions.
After every step the pipeline dropped exactly the changes the model finds late under any of the
table's watermarks, and each view's changes, added up, equal DuckDB's answer over the accepted rows.
At the end, the operators keep a fraction of what the same views keep without watermarks.
"""

from __future__ import annotations

import datetime
import random

import duckdb
import pytest

from deltasql import Pipeline
from tests.latestreams import add_changes, apply, assert_rows, expand, state_entries, take_one
from tests.test_diff_watermarks import duck_apply

S = datetime.timedelta(seconds=1)
T0 = datetime.datetime(2024, 1, 1)

# table -> [(column, index, lateness)] of its watermarked columns
MARKED = {
    "person": [("id", 0, 2), ("ts", 2, 4 * S)],
    "auction": [("id", 0, 3), ("seller", 1, 2), ("ts", 3, 4 * S)],
    "bid": [("auction", 0, 3), ("bidder", 1, 2), ("ts", 3, 4 * S)],
}
DDL = """
CREATE TABLE person(id BIGINT LATENESS 2, name VARCHAR, ts TIMESTAMP LATENESS INTERVAL '4' SECONDS);
CREATE TABLE auction(id BIGINT LATENESS 3, seller BIGINT LATENESS 2, category INT,
                     ts TIMESTAMP LATENESS INTERVAL '4' SECONDS);
CREATE TABLE bid(auction BIGINT LATENESS 3, bidder BIGINT LATENESS 2, price INT,
                 ts TIMESTAMP LATENESS INTERVAL '4' SECONDS);
"""
PLAIN_DDL = """
CREATE TABLE person(id BIGINT, name VARCHAR, ts TIMESTAMP);
CREATE TABLE auction(id BIGINT, seller BIGINT, category INT, ts TIMESTAMP);
CREATE TABLE bid(auction BIGINT, bidder BIGINT, price INT, ts TIMESTAMP);
"""

VIEWS = {
    # q18: the last bid of each bidder on each auction
    "last_bid": "SELECT auction, bidder, price, ts FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY bidder, auction "
                "ORDER BY ts DESC NULLS LAST, price DESC NULLS LAST) AS rn FROM bid) WHERE rn <= 1",
    # q19: the two highest bids of each auction
    "top_bids": "SELECT auction, price, rn FROM (SELECT auction, price, ROW_NUMBER() OVER (PARTITION BY auction "
                "ORDER BY price DESC NULLS LAST, ts NULLS LAST, bidder NULLS LAST) AS rn FROM bid) WHERE rn <= 2",
    # q20: bids joined with their auction
    "bid_auction": "SELECT B.auction, B.price, A.seller, A.category FROM bid B JOIN auction A ON B.auction = A.id "
                   "WHERE A.category = 1",
    # q3: auctions joined with their seller
    "seller_auction": "SELECT P.name, A.id FROM auction A JOIN person P ON A.seller = P.id WHERE A.category < 2",
    # the sellers of the auctions a join keeps bound what its output's seller may still be (KEPT)
    "bids_per_seller": "SELECT A.seller, COUNT(*) AS n, SUM(B.price) AS s FROM auction A JOIN bid B "
                       "ON A.id = B.auction GROUP BY A.seller",
    # q6: a seller's average over its last closed auctions, after an interval join
    "seller_avg": "SELECT seller, id, AVG(m) OVER (PARTITION BY seller ORDER BY id ROWS BETWEEN 2 PRECEDING AND "
                  "CURRENT ROW) AS a FROM (SELECT A.id, A.seller, MAX(B.price) AS m FROM auction A JOIN bid B "
                  "ON A.id = B.auction AND B.ts BETWEEN A.ts AND A.ts + INTERVAL '3' SECOND "
                  "GROUP BY A.id, A.seller) Q",
    "bids_per_auction": "SELECT auction, COUNT(*) AS n, MAX(price) AS m FROM bid GROUP BY auction",
    "bidders": "SELECT DISTINCT bidder, auction FROM bid",
    "running": "SELECT auction, price, SUM(price) OVER (PARTITION BY auction ORDER BY ts, price, bidder "
               "ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS s FROM bid WHERE ts IS NOT NULL AND price IS NOT NULL "
               "AND bidder IS NOT NULL",
}


class IdStream:
    """Steps of changes to person, auction and bid, whose ids follow the clock (an id per second)
    give or take a few, and the model of which changes a pipeline with MARKED's watermarks accepts."""

    def __init__(self, seed: int):
        self.rnd = random.Random(seed)
        self.now = 0.0  # seconds after T0
        self.marks = {t: [None] * len(cols) for t, cols in MARKED.items()}
        self.live = {t: {} for t in MARKED}
        self.late = {t: 0 for t in MARKED}

    def _id(self, at: float):
        r = self.rnd
        return None if r.random() < 0.05 else int(at) + r.randrange(-3, 2)

    def _row(self, table: str):
        r = self.rnd
        late = r.random() < 0.15
        at = self.now - (r.uniform(3, 8) if late else r.uniform(0, 2))
        ts = None if r.random() < 0.05 else T0 + datetime.timedelta(milliseconds=int(at * 1000))
        if table == "person":
            return (self._id(at), r.choice(["a", "b", "c"]), ts)
        if table == "auction":
            return (self._id(at), self._id(at), r.randrange(3), ts)
        return (self._id(at), self._id(at), r.choice([1, 5, 7, 20, None]), ts)

    def step(self) -> list:
        r = self.rnd
        self.now += r.uniform(0, 2.5)
        out = []
        avail = {t: dict(live) for t, live in self.live.items()}
        for _ in range(r.randint(0, 8)):
            table = r.choice(["person", "auction", "auction", "bid", "bid", "bid"])
            live = avail[table]
            if live and r.random() < 0.15:
                out.append(("-", table, take_one(live, r)))
                continue
            row = self._row(table)
            out.append(("+", table, row))
            if r.random() < 0.1:
                out.append(("+", table, row))
        return out

    def is_late(self, table: str, row) -> bool:
        return any(m is not None and row[i] is not None and row[i] < m
                   for (_, i, _), m in zip(MARKED[table], self.marks[table]))

    def judge(self, step: list) -> list:
        accepted = []
        changed = {t: [] for t in MARKED}
        for op, table, row in step:
            if self.is_late(table, row):
                self.late[table] += 1
                continue
            live = self.live[table]
            n = live.get(row, 0) + (1 if op == "+" else -1)
            if n:
                live[row] = n
            else:
                del live[row]
            accepted.append((op, table, row))
            changed[table].append(row)
        for table, cols in MARKED.items():
            for k, (_, i, lateness) in enumerate(cols):
                values = [r[i] for r in changed[table] if r[i] is not None]
                if values:
                    mark = max(values) - lateness
                    if self.marks[table][k] is None or mark > self.marks[table][k]:
                        self.marks[table][k] = mark
        return accepted


def pipeline(ddl: str, **options) -> Pipeline:
    p = Pipeline(**options)
    p.execute(ddl)
    for name, sql in VIEWS.items():
        p.execute(f"CREATE VIEW {name} AS {sql}")
    return p


def run(seed: int, steps: int, check: bool = True, **options):
    stream = IdStream(seed)
    p = pipeline(DDL, **options)
    con = duckdb.connect()
    con.execute(PLAIN_DDL)
    seen = {n: {} for n in VIEWS}
    for i in range(steps):
        step = stream.step()
        accepted = stream.judge(step)
        changes = apply(p, step)
        duck_apply(con, accepted)
        for t, cols in MARKED.items():
            assert p.late_rows(t) == stream.late[t], f"seed {seed} step {i}: {t}: late rows counted"
            assert p.watermark(t) == {c: m for (c, _, _), m in zip(cols, stream.marks[t])}, f"step {i}: {t}"
        for n, sql in VIEWS.items():
            add_changes(seen[n], changes.get(n, []))
            if check:
                assert_rows(con.execute(sql).fetchall(), expand(seen[n]), f"seed {seed} step {i} view {n}")
    return p, stream


@pytest.mark.parametrize("seed", range(4))
def test_views_keyed_by_ids_over_late_streams_match_duckdb(seed):
    run(seed, 45)


def test_state_keyed_by_ids_stays_bounded():
    steps = 200
    p, stream = run(7, steps, check=False)
    plain = pipeline(PLAIN_DDL)
    again = IdStream(7)
    for _ in range(steps):
        apply(plain, again.judge(again.step()))
    assert sum(sum(live.values()) for live in stream.live.values()) > 400
    for n in VIEWS:
        kept, unbounded = state_entries(p, n), state_entries(plain, n)
        assert kept * 4 < unbounded, f"{n}: keeps {kept} state entries, {unbounded} without watermarks"


def test_a_partition_closes_when_either_of_its_ids_is_behind():
    p = Pipeline()
    p.execute("CREATE TABLE bid(auction BIGINT LATENESS 0, bidder BIGINT LATENESS 0, price INT);"
              "CREATE VIEW last_bid AS SELECT auction, bidder, price FROM (SELECT *, ROW_NUMBER() OVER "
              "(PARTITION BY bidder, auction ORDER BY price DESC) AS rn FROM bid) WHERE rn <= 1")
    assert "partitions with bidder < watermark(bid.bidder) or partitions with auction < " \
           "watermark(bid.auction)" in p.explain("last_bid")
    topk = next(op for op in p._views["last_bid"].ops if type(op).__name__ == "TopK")
    p.insert("bid", [(1, 100, 5), (2, 100, 6)])
    p.step()  # the auction watermark is 2: auction 1's partition closed
    assert list(topk.parts) == [(100, 2)]
    p.insert("bid", [(3, 100, 7)])
    p.step()
    assert list(topk.parts) == [(100, 3)]
    p.insert("bid", [(3, 101, 1)])  # the bidder watermark passes 100: (100, 3) closed by its bidder
    p.step()
    assert list(topk.parts) == [(101, 3)]
    p.insert("bid", [(3, 100, 9), (2, 101, 9)])  # late by their bidder, by their auction: dropped, counted
    assert p.step() == {} and p.late_rows("bid") == 2
