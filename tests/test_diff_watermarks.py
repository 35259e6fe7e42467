"""Watermarks (LATENESS, WATERMARK FOR) and the state they let operators drop, against DuckDB.

Each stream (tests/latestreams.py) holds late rows, NULL times, duplicates and deletions.  After
every step: the pipeline dropped exactly the changes the model finds behind the watermark (its
counter agrees); each view's changes, added up since its creation, equal DuckDB's answer over the
accepted rows only; the MATERIALIZED twin of each view shows the same rows through rows().  At the
end, the views' operators keep a bounded state: a fraction of what the same views keep over the
same tables without watermarks.
"""

from __future__ import annotations

import datetime

import duckdb
import pytest

from deltasql import CompileError, DataError, Pipeline
from tests.latestreams import LateStream, Timed, add_changes, apply, assert_rows, expand, state_entries

S = datetime.timedelta(seconds=1)
EPOCH = "TIMESTAMP '1970-01-01'"


def bid_row(rnd, t):
    return (rnd.randrange(4), rnd.choice([1, 5, 7, 20, None]), t)


def auction_row(rnd, t):
    return (rnd.randrange(4), rnd.randrange(3), t, None if t is None else t + S * rnd.randrange(1, 8))


def person_row(rnd, t):
    return (rnd.randrange(3), rnd.choice(["a", "b", "c"]), t)


def quote_row(rnd, t):
    k = rnd.randrange(4)  # v is a function of (k, ts): rows tied on ASOF's time are equal partners
    return (k, None if t is None else (t.second * 7 + t.microsecond // 1000 + k) % 50, t)


TABLES = {"bid": Timed(bid_row, 2, 4 * S, weight=3), "auction": Timed(auction_row, 2, 3 * S),
          "person": Timed(person_row, 2, 5 * S), "quote": Timed(quote_row, 2, 3 * S)}
DDL = """
CREATE TABLE bid(auction INT, price INT, ts TIMESTAMP LATENESS INTERVAL '4' SECONDS);
CREATE TABLE auction(id INT, seller INT, ts TIMESTAMP, expires TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '3' SECOND);
CREATE TABLE person(id INT, name VARCHAR, ts TIMESTAMP LATENESS INTERVAL 5 SECONDS);
CREATE TABLE quote(k INT, v INT, ts TIMESTAMP LATENESS INTERVAL 3 SECONDS);
"""
PLAIN_DDL = """
CREATE TABLE bid(auction INT, price INT, ts TIMESTAMP);
CREATE TABLE auction(id INT, seller INT, ts TIMESTAMP, expires TIMESTAMP);
CREATE TABLE person(id INT, name VARCHAR, ts TIMESTAMP);
CREATE TABLE quote(k INT, v INT, ts TIMESTAMP);
"""


def tumble(size: str, table: str = "bid") -> str:
    b = f"time_bucket({size}, ts, {EPOCH})"
    return f"(SELECT *, {b} AS window_start, {b} + {size} AS window_end FROM {table} WHERE ts IS NOT NULL)"


def hop(slide_s: int, size_s: int, table: str = "bid") -> str:
    starts = (f"range(TIMESTAMP '2023-12-31 23:00:00', TIMESTAMP '2024-01-01 02:00:00', INTERVAL {slide_s} SECOND) "
              f"r(ws)")
    return (f"(SELECT {table}.*, r.ws AS window_start, r.ws + INTERVAL {size_s} SECOND AS window_end FROM {table} "
            f"JOIN {starts} ON {table}.ts >= r.ws AND {table}.ts < r.ws + INTERVAL {size_s} SECOND)")


# name -> (deltasql view, DuckDB oracle or None for the same text)
VIEWS = {
    "tumble_agg": ("SELECT auction, window_start, window_end, COUNT(*) AS n, SUM(price) AS s, MIN(price) AS lo, "
                   "MAX(price) AS hi, COUNT(DISTINCT price) AS d FROM TUMBLE(bid, ts, INTERVAL '10' SECONDS) "
                   "GROUP BY auction, window_start, window_end",
                   "SELECT auction, window_start, window_end, COUNT(*) AS n, SUM(price) AS s, MIN(price) AS lo, "
                   f"MAX(price) AS hi, COUNT(DISTINCT price) AS d FROM {tumble('INTERVAL 10 SECOND')} w "
                   "GROUP BY auction, window_start, window_end"),
    "hop_agg": ("SELECT window_start, COUNT(*) AS n, MAX(price) AS m FROM HOP(bid, ts, INTERVAL '2' SECOND, "
                "INTERVAL '6' SECOND) GROUP BY window_start",
                f"SELECT window_start, COUNT(*) AS n, MAX(price) AS m FROM {hop(2, 6)} w GROUP BY window_start"),
    "bucket_agg": ("SELECT time_bucket(INTERVAL '5' SECONDS, ts) AS b, auction, AVG(price) AS a FROM bid "
                   "GROUP BY ALL", None),
    "day_agg": ("SELECT strftime(ts, '%Y-%m-%d %H:%M:%S') AS second, COUNT(*) AS n FROM bid GROUP BY 1", None),
    "interval_join": ("SELECT A.id, A.seller, A.expires, MAX(B.price) AS final, COUNT(*) AS n FROM auction A JOIN bid B "
                      "ON A.id = B.auction AND B.ts BETWEEN A.ts AND A.expires GROUP BY A.id, A.seller, A.expires",
                      None),
    "winners_by_seller": ("SELECT seller, COUNT(*) AS n, SUM(final) AS s FROM (SELECT A.id, A.seller, A.expires, "
                          "MAX(B.price) AS final FROM auction A JOIN bid B ON A.id = B.auction AND B.ts BETWEEN "
                          "A.ts AND A.expires GROUP BY A.id, A.seller, A.expires) Q GROUP BY seller", None),
    "window_join": ("SELECT P.id, P.window_start, A.n FROM (SELECT id, window_start FROM TUMBLE(person, ts, "
                    "INTERVAL '10' SECONDS) GROUP BY id, window_start) P JOIN (SELECT seller, window_start, COUNT(*) "
                    "AS n FROM TUMBLE(auction, ts, INTERVAL '10' SECONDS) GROUP BY seller, window_start) A "
                    "ON P.id = A.seller AND P.window_start = A.window_start",
                    "SELECT P.id, P.window_start, A.n FROM (SELECT id, window_start FROM "
                    f"{tumble('INTERVAL 10 SECOND', 'person')} w GROUP BY id, window_start) P JOIN (SELECT seller, "
                    f"window_start, COUNT(*) AS n FROM {tumble('INTERVAL 10 SECOND', 'auction')} w GROUP BY seller, "
                    "window_start) A ON P.id = A.seller AND P.window_start = A.window_start"),
    "window_left_join": ("SELECT A.window_start, A.n, P.k FROM (SELECT window_start, COUNT(*) AS n FROM TUMBLE(auction, "
                         "ts, INTERVAL '5' SECONDS) GROUP BY window_start) A LEFT JOIN (SELECT window_start, COUNT(*) "
                         "AS k FROM TUMBLE(person, ts, INTERVAL '5' SECONDS) GROUP BY window_start) P ON "
                         "A.window_start = P.window_start",
                         f"SELECT A.window_start, A.n, P.k FROM (SELECT window_start, COUNT(*) AS n FROM "
                         f"{tumble('INTERVAL 5 SECOND', 'auction')} w GROUP BY window_start) A LEFT JOIN (SELECT "
                         f"window_start, COUNT(*) AS k FROM {tumble('INTERVAL 5 SECOND', 'person')} w GROUP BY "
                         "window_start) P ON A.window_start = P.window_start"),
    "bid_in_window": ("SELECT B.auction, B.price, B.ts FROM bid B JOIN (SELECT MAX(price) AS m, window_end FROM "
                      "TUMBLE(bid, ts, INTERVAL '10' SECONDS) GROUP BY window_start, window_end) W ON B.price = W.m "
                      "WHERE B.ts >= W.window_end - INTERVAL '10' SECOND AND B.ts < W.window_end",
                      "SELECT B.auction, B.price, B.ts FROM bid B JOIN (SELECT MAX(price) AS m, window_end FROM "
                      f"{tumble('INTERVAL 10 SECOND')} w GROUP BY window_start, window_end) W ON B.price = W.m "
                      "WHERE B.ts >= W.window_end - INTERVAL '10' SECOND AND B.ts < W.window_end"),
    "distinct_window": ("SELECT DISTINCT auction, window_start FROM TUMBLE(bid, ts, INTERVAL '10' SECONDS)",
                        f"SELECT DISTINCT auction, window_start FROM {tumble('INTERVAL 10 SECOND')} w"),
    "top2_window": ("SELECT auction, price, window_start FROM (SELECT auction, price, window_start, ROW_NUMBER() OVER "
                    "(PARTITION BY window_start ORDER BY price DESC NULLS LAST, auction, ts) AS rn FROM TUMBLE(bid, "
                    "ts, INTERVAL '10' SECONDS)) WHERE rn <= 2",
                    "SELECT auction, price, window_start FROM (SELECT auction, price, window_start, ROW_NUMBER() OVER "
                    "(PARTITION BY window_start ORDER BY price DESC NULLS LAST, auction, ts) AS rn FROM "
                    f"{tumble('INTERVAL 10 SECOND')} w) WHERE rn <= 2"),
    "exists_window": ("SELECT id, window_start FROM TUMBLE(person, ts, INTERVAL '10' SECONDS) P WHERE EXISTS (SELECT 1 "
                      "FROM TUMBLE(auction, ts, INTERVAL '10' SECONDS) A WHERE A.seller = P.id AND A.window_start = "
                      "P.window_start)",
                      f"SELECT id, window_start FROM {tumble('INTERVAL 10 SECOND', 'person')} P WHERE EXISTS (SELECT 1 "
                      f"FROM {tumble('INTERVAL 10 SECOND', 'auction')} A WHERE A.seller = P.id AND A.window_start = "
                      "P.window_start)"),
    "union_agg": ("SELECT time_bucket(INTERVAL '10' SECONDS, ts) AS b, COUNT(*) AS n FROM (SELECT ts FROM bid UNION ALL "
                  "SELECT ts FROM person) u GROUP BY 1", None),
    "passthrough": ("SELECT auction, price, ts FROM bid WHERE price > 4", None),
    "asof": ("SELECT B.auction, B.price, B.ts, Q.v FROM bid B ASOF JOIN quote Q ON B.auction = Q.k AND B.ts >= Q.ts",
             None),
    "asof_left": ("SELECT B.auction, B.ts, Q.v, Q.ts AS qts FROM bid B ASOF LEFT JOIN quote Q ON B.auction = Q.k "
                  "AND B.ts > Q.ts", None),
}
# views over views
VIEWS_OVER = {
    "over_tumble": ("SELECT window_start, SUM(n) AS total FROM tumble_agg GROUP BY window_start",
                    "SELECT window_start, SUM(n) AS total FROM ({}) v GROUP BY window_start"),
}
# views whose state must stay bounded (every other view's state holds something that never closes:
# a seller's totals, the auctions of a join without a time in its key)
BOUNDED = ("tumble_agg", "hop_agg", "bucket_agg", "day_agg", "interval_join", "window_join", "window_left_join",
           "bid_in_window", "distinct_window", "top2_window", "exists_window", "union_agg", "passthrough",
           "over_tumble", "asof", "asof_left")


def oracle(name: str) -> str:
    if name in VIEWS:
        sql, duck = VIEWS[name]
        return duck or sql
    _, template = VIEWS_OVER[name]
    return template.format(oracle("tumble_agg"))


def pipeline(ddl: str, materialized: bool = True, **options) -> Pipeline:
    p = Pipeline(**options)
    p.execute(ddl)
    for name, (sql, _) in VIEWS.items():
        p.execute(f"CREATE VIEW {name} AS {sql}")
        if materialized:
            p.execute(f"CREATE MATERIALIZED VIEW {name}_m AS {sql}")
    for name, (sql, _) in VIEWS_OVER.items():
        p.execute(f"CREATE VIEW {name} AS {sql}")
    return p


def duck_apply(con, accepted) -> None:
    for op, table, row in accepted:
        marks = ", ".join("?" for _ in row)
        if op == "+":
            con.execute(f"INSERT INTO {table} VALUES ({marks})", list(row))
        else:
            cols = [c[0] for c in con.execute(f"DESCRIBE {table}").fetchall()]
            cond = " AND ".join(f"{c} IS NOT DISTINCT FROM ?" for c in cols)
            rowid = con.execute(f"SELECT rowid FROM {table} WHERE {cond} LIMIT 1", list(row)).fetchone()
            con.execute(f"DELETE FROM {table} WHERE rowid = ?", [rowid[0]])


def run_stream(seed: int, steps: int, **options):
    """``options``: the Pipeline's (workers=3, backend="simulated": tests/test_time_sharded.py)."""
    stream = LateStream(seed, TABLES)
    p = pipeline(DDL, **options)
    con = duckdb.connect()
    con.execute(PLAIN_DDL)
    names = list(VIEWS) + list(VIEWS_OVER)
    seen = {n: {} for n in names}
    for i in range(steps):
        step = stream.step()
        accepted, late = stream.judge(step)
        changes = apply(p, step)
        duck_apply(con, accepted)
        for t in TABLES:
            assert p.late_rows(t) == stream.late_count[t], f"step {i}: {t}: late rows counted"
            assert p.watermark(t) == {"ts": stream.marks[t]}, f"step {i}: {t}: watermark"
        for n in names:
            add_changes(seen[n], changes.get(n, []))
            theirs = con.execute(oracle(n)).fetchall()
            assert_rows(theirs, expand(seen[n]), f"seed {seed} step {i} view {n}")
            if n in VIEWS:
                assert_rows(theirs, p.view(f"{n}_m").rows(), f"seed {seed} step {i} view {n}_m")
    return p, stream


@pytest.mark.parametrize("seed", range(4))
def test_views_over_late_streams_match_duckdb(seed):
    run_stream(seed, 45)


def test_state_stays_bounded():
    steps = 160
    p, stream = run_stream(100, steps)
    plain = pipeline(PLAIN_DDL, materialized=False)
    again = LateStream(100, TABLES)
    for _ in range(steps):
        step = again.step()
        accepted, _ = again.judge(step)
        apply(plain, accepted)
    accepted_rows = sum(sum(live.values()) for live in stream.live.values())
    assert accepted_rows > 400
    for n in BOUNDED:
        kept, unbounded = state_entries(p, n), state_entries(plain, n)
        assert kept * 5 < unbounded, f"{n}: keeps {kept} state entries, {unbounded} without watermarks"
    # tables keep only the rows at or above their watermarks
    for t in TABLES:
        table = p._tables[t]
        assert table.discarded > 0
        mark = stream.marks[t]
        assert all(r[2] is None or r[2] >= mark for r in table.contents)


def test_late_changes_are_dropped_counted_and_never_reopen_a_window():
    p = Pipeline()
    p.execute("CREATE TABLE t(k INT, ts TIMESTAMP NOT NULL LATENESS INTERVAL '2' SECONDS);"
              "CREATE MATERIALIZED VIEW c AS SELECT window_start, COUNT(*) AS n FROM TUMBLE(t, ts, INTERVAL '10' "
              "SECONDS) GROUP BY window_start")
    t0 = datetime.datetime(2024, 1, 1)
    p.insert("t", [(1, t0 + 3 * S), (2, t0 + 12 * S)])
    p.step()
    assert p.watermark("t") == {"ts": t0 + 10 * S}
    p.insert("t", [(3, t0 + 9 * S), (4, t0 + 10 * S)])  # 9 s is late: its window [0, 10) is closed
    p.delete("t", [(1, t0 + 3 * S)])  # late too: the row stays
    assert p.step() == {"c": [((t0 + 10 * S, 1), -1), ((t0 + 10 * S, 2), 1)]}
    assert p.late_rows("t") == 2
    assert sorted(p.view("c").rows()) == [(t0, 1), (t0 + 10 * S, 2)]
    p.insert("t", [(5, t0 + 5 * S)])
    p.discard()  # dropped changes that were never stepped are not counted
    p.step()
    assert p.late_rows("t") == 2
    assert "late rows dropped: 2" in p.explain("c")


def test_primary_key_upsert_of_a_late_row_is_late():
    p = Pipeline()
    p.execute("CREATE TABLE t(id INT PRIMARY KEY, ts TIMESTAMP LATENESS INTERVAL '1' SECOND, v INT);"
              "CREATE MATERIALIZED VIEW s AS SELECT SUM(v) AS s FROM t")
    t0 = datetime.datetime(2024, 1, 1)
    p.insert("t", [(1, t0, 10), (2, t0 + 5 * S, 20)])
    p.step()
    p.upsert("t", [(1, t0 + 6 * S, 11)])  # replaces (1, t0): behind the watermark, so late as a whole
    p.upsert("t", [(2, t0 + 6 * S, 21)])
    p.step()
    assert p.late_rows("t") == 1
    assert p.view("s").rows() == [(31,)]
    # the primary key's column has no watermark: the table keeps its rows (it is a key index)
    assert sorted(p.table_rows("t")) == [(1, t0, 10), (2, t0 + 6 * S, 21)]


def test_tables_and_views_that_keep_no_rows_say_so():
    p = Pipeline()
    p.execute("CREATE TABLE t(k INT, ts TIMESTAMP LATENESS INTERVAL '1' SECOND);"
              "CREATE TABLE m(k INT, ts TIMESTAMP LATENESS INTERVAL '1' SECOND) WITH ('materialized' = 'true');"
              "CREATE VIEW v AS SELECT k, ts FROM t; CREATE VIEW w AS SELECT k FROM v")
    with pytest.raises(DataError, match="keeps no rows"):
        p.view("v").rows()
    t0 = datetime.datetime(2024, 1, 1)
    p.insert("t", [(1, t0), (2, t0 + 9 * S)])
    p.insert("m", [(1, t0), (2, t0 + 9 * S)])
    assert p.step()["w"] == [((1,), 1), ((2,), 1)]
    p.execute("CREATE MATERIALIZED VIEW fine AS SELECT COUNT(*) AS n FROM m")  # m keeps all its rows
    assert p.view("fine").rows() == [(2,)]
    with pytest.raises(DataError, match="materialized"):
        p.execute("CREATE VIEW late AS SELECT COUNT(*) AS n FROM t")  # its first row was discarded
    with pytest.raises(DataError, match="keeps no rows"):
        p.execute("CREATE VIEW later AS SELECT COUNT(*) AS n FROM v")
    with pytest.raises(DataError, match="materialized"):
        p.execute("SELECT * FROM t")
    assert p.execute("SELECT COUNT(*) FROM m") == [(2,)]
    # DELETE reads what the table keeps: older rows would be late anyway
    p.execute("DELETE FROM t WHERE k > 0")
    assert p.step()["w"] == [((2,), -1)]
    assert p.late_rows("t") == 0


def test_declarations_are_checked_where_they_are_written():
    p = Pipeline()
    cases = {
        "CREATE TABLE x(ts TIMESTAMP LATENESS 5)": (1, 38, "constant INTERVAL"),
        "CREATE TABLE x(ts TIMESTAMP LATENESS INTERVAL 1 MONTH)": (1, 38, "without months"),
        "CREATE TABLE x(n INT LATENESS -1)": (1, 31, "negative"),
        "CREATE TABLE x(ts INT, WATERMARK FOR ts AS ts + 1)": (1, 44, "must be ts or ts - a constant"),
        "CREATE TABLE x(ts INT, WATERMARK FOR zz AS zz - 1)": (1, 38, "not a column"),
        "CREATE TABLE x(ts INT LATENESS foo)": (1, 32, "unknown column 'foo'"),
        "CREATE TABLE x(s VARCHAR LATENESS 1)": (1, 16, "TIMESTAMP, DATE or numeric"),
        "CREATE TABLE x(a INT,\n  d DATE LATENESS INTERVAL '1' HOUR)": (2, 19, "whole days"),
        "CREATE TABLE x(ts INT) WITH ('colour' = 'true')": (1, 30, "unknown property 'colour'"),
        "CREATE TABLE x(ts INT LATENESS 1 LATENESS 2)": (1, 16, "two watermark declarations"),
    }
    for sql, (line, col, text) in cases.items():
        with pytest.raises(CompileError) as e:
            p.execute(sql)
        assert (e.value.line, e.value.col) == (line, col) and text in e.value.message, (sql, e.value)
    assert p.tables == []
    p.execute("CREATE TABLE ok(n BIGINT NOT NULL LATENESS 10 PRIMARY KEY, d DATE LATENESS INTERVAL '2' DAYS, "
              "v DOUBLE, WATERMARK FOR v AS v - 0.5)")
    p.insert("ok", [(100, datetime.date(2024, 1, 10), 3.0)])
    p.step()
    assert p.watermark("ok") == {"n": 90, "d": datetime.date(2024, 1, 8), "v": 2.5}


def test_state_with_its_watermarks_survives_export_and_import():
    """A pipeline rebuilt from the same SQL and given the exported state (tables and circuit, as a
    durable pipeline checkpoints them) continues exactly like the original: same changes, same late
    rows, same watermarks, same discarded rows."""
    import pickle

    from deltasql.runtime.state import export_circuit, import_circuit

    stream = LateStream(7, TABLES)
    a = pipeline(DDL, materialized=False)
    for _ in range(30):
        apply(a, stream.step())
    saved = pickle.dumps({"tables": [(n, t.contents) for n, t in a._tables.items()],
                          "circuit": export_circuit(a.circuit)})
    b = pipeline(DDL, materialized=False)
    state = pickle.loads(saved)
    for name, contents in state["tables"]:
        b._tables[name].contents = contents
    import_circuit(b.circuit, state["circuit"])
    for t in b._tables.values():
        t.discard()
    for i in range(40):
        step = stream.step()
        assert apply(a, step) == apply(b, step), f"step {i}"
        for t in TABLES:
            assert (a.late_rows(t), a.watermark(t), a._tables[t].discarded) == \
                   (b.late_rows(t), b.watermark(t), b._tables[t].discarded)
    assert sum(state_entries(a, n) for n in BOUNDED) == sum(state_entries(b, n) for n in BOUNDED)


def test_emit_final_delivers_each_closed_window_once():
    """WITH ('emit_final' = 'window_start'): only insertions, each window once its start is below the
    watermark's window; what arrived equals DuckDB's windows that are closed."""
    sql = ("SELECT auction, window_start, COUNT(*) AS n, SUM(price) AS s FROM TUMBLE(bid, ts, INTERVAL '10' SECONDS) "
           "GROUP BY auction, window_start")
    duck_sql = (f"SELECT auction, window_start, COUNT(*) AS n, SUM(price) AS s FROM {tumble('INTERVAL 10 SECOND')} w "
                "GROUP BY auction, window_start")
    for seed in range(3):
        stream = LateStream(seed, {"bid": TABLES["bid"]})
        p = Pipeline()
        p.execute(DDL)
        p.execute(f"CREATE VIEW f WITH ('emit_final' = 'window_start') AS {sql}")
        con = duckdb.connect()
        con.execute(PLAIN_DDL)
        seen = {}
        for i in range(60):
            step = stream.step()
            accepted, _ = stream.judge(step)
            changes = apply(p, step).get("f", [])
            assert all(w > 0 for _, w in changes), f"step {i}: a retraction {changes}"
            assert not seen.keys() & {r for r, _ in changes}, f"step {i}: a row delivered twice"
            add_changes(seen, changes)
            duck_apply(con, accepted)
            mark = stream.marks["bid"]
            if mark is None:
                continue
            closed = mark - datetime.timedelta(seconds=(mark - datetime.datetime(1970, 1, 1)).total_seconds() % 10)
            theirs = [r for r in con.execute(duck_sql).fetchall() if r[1] < closed]
            assert_rows(theirs, expand(seen), f"seed {seed} step {i}")


def test_emit_final_needs_a_column_with_a_waterline():
    p = Pipeline()
    p.execute(DDL)
    with pytest.raises(CompileError, match="has no waterline") as e:
        p.execute("CREATE VIEW f WITH ('emit_final' = 'n') AS SELECT auction, COUNT(*) AS n FROM bid GROUP BY auction")
    assert (e.value.line, e.value.col) == (1, 21)
    with pytest.raises(CompileError, match="names no column"):
        p.execute("CREATE VIEW f WITH ('emit_final' = 'nope') AS SELECT auction FROM bid")


def test_a_sink_attached_to_a_stream_view_reads_nothing_it_lacks(tmp_path):
    """A sink attached to a view that keeps no rows is brought up to date only while the view has
    emitted nothing; later it is refused (its rows are gone), and a materialized view works."""
    import json

    p = Pipeline()
    p.execute("CREATE TABLE t(k INT, ts TIMESTAMP LATENESS INTERVAL '1' SECOND); CREATE VIEW v AS SELECT k FROM t;"
              "CREATE MATERIALIZED VIEW m AS SELECT k FROM t")
    early = tmp_path / "early.jsonl"
    p.sink("v", f"jsonl:{early}")
    p.insert("t", [(1, datetime.datetime(2024, 1, 1))])
    p.step()
    assert [json.loads(line)["row"] for line in early.read_text().splitlines()] == [{"k": 1}]
    with pytest.raises(DataError, match="keeps no rows"):
        p.sink("v", f"jsonl:{tmp_path / 'late.jsonl'}")
    p.sink("m", f"jsonl:{tmp_path / 'm.jsonl'}")
    assert "m.jsonl" in " ".join(f.target for f in p.sinks)


def test_a_rolled_back_transaction_takes_its_late_rows_back():
    p = Pipeline()
    p.execute("CREATE TABLE t(k INT, ts TIMESTAMP LATENESS INTERVAL '1' SECOND)")
    p.insert("t", [(1, datetime.datetime(2024, 1, 1, 0, 0, 10))])
    p.step()
    p.execute("BEGIN; INSERT INTO t VALUES (2, TIMESTAMP '2024-01-01 00:00:01'); ROLLBACK")
    p.execute("INSERT INTO t VALUES (3, TIMESTAMP '2024-01-01 00:00:02')")  # autocommit: a step of its own
    p.step()
    assert p.late_rows("t") == 1
