"""DATEs before year 1 and after 9999 (sqllib/fardates.py) against DuckDB under random insert/delete
streams, and through the CLI's CSV/JSONL, a durable pipeline's state, the sinks and sharded hashing."""

import datetime
import json
import pickle
import random
import sqlite3

import duckdb
import pytest

from deltasql import CompileError, DataError, Pipeline
from deltasql.sqllib.fardates import MAX_DAYS, MIN_DAYS, FarDate, civil_from_days, days_from_civil, from_days
from deltasql.sqllib.fardates import parse_far_date
from tests.harness import Spec, streams_test
from tests.test_cli import run, write

FAR = [from_days(n) for n in (-746_117, -719_529, -719_528, 3_652_484, 2_932_897, MIN_DAYS, MAX_DAYS, -1_000_000,
                              -106_751_990)]
NEAR = [datetime.date(1, 1, 1), datetime.date(2020, 2, 29), datetime.date(9999, 12, 31), datetime.date(1969, 12, 31)]
TEXTS = ["0044-03-15 (BC)", "-0043-03-16", "12000-01-01", "0001-12-31 (BC)", "5877642-06-25 (BC)", "2020-01-01",
         "0001-01-01", "0000-01-01 (BC)", "12000-02-30", "-1-01-01 (BC)"]

SPECS = {
    "far": Spec("CREATE TABLE t(k INT, d DATE, e DATE, f DATE, s VARCHAR)", {
        "v_parts": "SELECT d, year(d) AS y, month(d) AS m, day(d) AS dd, dayofweek(d) AS dw, isodow(d) AS idw, "
                   "dayofyear(d) AS dy, week(d) AS w, isoyear(d) AS iy, yearweek(d) AS yw, decade(d) AS dc, "
                   "century(d) AS c, millennium(d) AS ml, era(d) AS er, quarter(d) AS q, julian(d) AS j, "
                   "epoch(d) AS ep, date_part(['year', 'doy'], d) AS st, dayname(d) AS dn, monthname(d) AS mn, "
                   "last_day(d) AS ld, d::VARCHAR AS tx, epoch_ms(d) AS ems FROM t",
        "v_epoch_us": "SELECT d, epoch_us(d) AS eus FROM t WHERE d BETWEEN DATE '290000-01-01 (BC)' AND DATE '290000-01-01'",
        "v_arith": "SELECT d, e, k, d + k AS dk, d - k AS dmk, d - e AS df, date_diff('day', d, e) AS dd, "
                   "date_diff('week', e, d) AS dw, date_diff('month', d, e) AS dm, date_diff('year', d, e) AS dy, "
                   "d < e AS lt, d = e AS eq, greatest(d, e) AS g, least(d, e) AS l FROM t",
        "v_text": "SELECT s, TRY_CAST(s AS DATE) AS sd, TRY_CAST(s AS DATE) < DATE '0001-01-01' AS bc FROM t",
        "v_group": "SELECT f, count(*) AS n, min(e) AS mn, max(e) AS mx FROM t GROUP BY f",
        "v_infinite": "SELECT g, g < DATE '0044-03-15 (BC)' AS lt, g > '12000-01-01'::DATE AS gt, year(g) AS y, "
                      "date_part(['year', 'doy'], g) AS st, least(g, DATE '2020-01-01') AS l, "
                      "count(*) OVER (ORDER BY g) AS c FROM (SELECT CASE WHEN k = 1 THEN "
                      "'infinity'::DATE WHEN k = -1 THEN '-infinity'::DATE ELSE f END AS g FROM t)",
        "v_agg": "SELECT k, min(d) AS mn, max(d) AS mx, count(DISTINCT d) AS cd, arg_max(k, d) AS am FROM t GROUP BY k",
        "v_join": "SELECT a.k, b.k AS k2, a.d FROM t a JOIN t b ON a.d = b.e",
        "v_top": "SELECT f, k FROM t ORDER BY f DESC NULLS LAST, k LIMIT 3",
        "v_top_infinite": "SELECT g FROM (SELECT CASE WHEN k = 3 THEN '-infinity'::DATE ELSE f END AS g FROM t) "
                          "ORDER BY g NULLS FIRST LIMIT 4",
        "v_where": "SELECT d FROM t WHERE d < DATE '0001-01-01' OR d > '9999-12-31'::DATE OR d = '0044-03-15 (BC)'",
    }, domains={"k": [0, 1, -1, 400, -800_000, 3],
                "d": FAR + NEAR, "e": FAR + NEAR, "f": FAR + NEAR[1:2] + NEAR[3:], "s": TEXTS}),
}


test_against_duckdb = streams_test(SPECS, 20, sort=True)


def test_the_calendar_is_duckdbs():
    """Text, year, day of year, ISO week and Julian day of random days over DuckDB's whole DATE range."""
    rnd = random.Random(19)
    con = duckdb.connect()
    for _ in range(300):
        n = rnd.choice([rnd.randint(MIN_DAYS, MAX_DAYS), rnd.randint(-800_000, -718_000), rnd.randint(2_932_000, 2_940_000)])
        d = from_days(n)
        if type(d) is not FarDate:
            continue
        got = (str(d), d.year, d.timetuple().tm_yday, d.isocalendar()[:2], d.isoweekday(), d.toordinal() + 1_721_425)
        text, y, doy, iy, w, idw, jd = con.execute(
            f"SELECT (DATE '1970-01-01' + {n})::VARCHAR, year(x), dayofyear(x), isoyear(x), week(x), isodow(x), "
            f"julian(x) FROM (SELECT DATE '1970-01-01' + {n} AS x)").fetchone()
        assert got == (text, y, doy, (iy, w), idw, jd)
        assert parse_far_date(text) == d and days_from_civil(*civil_from_days(n)) == n


def test_canonical_equality_order_and_hash():
    """A FarDate is never a date Python can hold; it orders below (BC) or above (after 9999) every Python date,
    between the infinities, and equal FarDates hash alike."""
    bc = days_from_civil(-43, 3, 15)  # 0044-03-15 (BC)
    assert type(from_days(0)) is datetime.date and from_days(bc) == FarDate(bc) and str(FarDate(bc)) == "0044-03-15 (BC)"
    assert hash(FarDate(-5)) == hash(FarDate(-5)) and FarDate(-5) != datetime.date(1, 1, 1)
    p = Pipeline()
    p.execute("CREATE TABLE t(d DATE)")
    p.insert("t", [("infinity",), ("12000-01-01",), ("0044-03-15 (BC)",), (datetime.date(1, 1, 1),), ("-infinity",),
                   (datetime.date(9999, 12, 31),)])
    p.step()
    assert [str(r[0]) for r in p.execute("SELECT d FROM t ORDER BY d")] == [
        "-infinity", "0044-03-15 (BC)", "0001-01-01", "9999-12-31", "12000-01-01", "infinity"]
    with pytest.raises(DataError, match="out of range"):
        from_days(MAX_DAYS + 1)


def test_timestamps_past_python_are_refused_not_null():
    """There is no TIMESTAMP before year 1 here: a cast of a FarDate, or such a text, is an error even under
    TRY_CAST (NULL would be a wrong answer: DuckDB has the value)."""
    p = Pipeline()
    for sql in ("SELECT CAST(DATE '0044-03-15 (BC)' AS TIMESTAMP)", "SELECT TRY_CAST(DATE '12000-01-01' AS TIMESTAMP)",
                "SELECT TRY_CAST('0044-03-15 (BC) 10:00:00' AS TIMESTAMP)", "SELECT DATE '0044-03-15 (BC)' + INTERVAL 1 HOUR"):
        with pytest.raises((CompileError, DataError), match="TIMESTAMP before year 1 or after 9999 is not supported"):
            p.execute(sql)  # (a constant is cast as the view is compiled)
    p.execute("CREATE TABLE t(d TIMESTAMP)")
    with pytest.raises(DataError, match="t.d: cannot convert '0044-03-15 \\(BC\\)' to TIMESTAMP"):
        p.insert("t", [("0044-03-15 (BC)",)])


def test_cli_csv_and_jsonl(tmp_path, capsys):
    """Far dates read from CSV and JSONL change files, printed as DuckDB prints them, `check` equal to DuckDB."""
    sql = write(tmp_path, "v.sql", """
        CREATE TABLE t(id INT, d DATE);
        CREATE VIEW v AS SELECT id, d, d + 1 AS n, year(d) AS y, [d] AS l FROM t;
    """)
    csv_file = write(tmp_path, "t.csv", "id,d\n1,0044-03-15 (BC)\n2,12000-01-01\n")
    jsonl = write(tmp_path, "t.jsonl", '{"table": "t", "insert": {"id": 3, "d": "-0099-12-31"}}\n')
    code, out, err = run(capsys, "run", sql, csv_file, jsonl, "--format", "csv")
    assert code == 0, err
    assert out.splitlines()[1:] == [
        "1,v,1,1,0044-03-15 (BC),0044-03-16 (BC),-43,['0044-03-15 (BC)']",
        "1,v,1,2,12000-01-01,12000-01-02,12000,[12000-01-01]",
        "2,v,1,3,0100-12-31 (BC),0099-01-01 (BC),-99,['0100-12-31 (BC)']"]
    code, out, err = run(capsys, "run", sql, csv_file, "--format", "jsonl")
    assert code == 0, err
    assert [json.loads(line)["row"]["d"] for line in out.splitlines()] == ["0044-03-15 (BC)", "12000-01-01"]
    code, out, err = run(capsys, "check", sql, csv_file, jsonl)
    assert code == 0 and "every view equal" in out, out + err


def test_durable_state_and_sinks(tmp_path):
    """A durable pipeline reopens with its far dates; the SQLite and DuckDB sinks write them as DuckDB's text
    (read back by DuckDB as the same DATE); sharded GROUP BY on them answers as one worker."""
    path = str(tmp_path / "state")
    p = Pipeline(path=path)
    p.execute("CREATE TABLE t(id INT, d DATE)")
    p.execute("CREATE VIEW v AS SELECT d, count(*) AS n FROM t GROUP BY d")
    p.insert("t", [(1, "0044-03-15 (BC)"), (2, "12000-01-01"), (3, "0044-03-15 (BC)")])
    p.step()
    p.checkpoint()
    p.close()
    q = Pipeline(path=path)
    assert sorted(map(str, q.view("v").rows())) == sorted(map(str, [(parse_far_date("0044-03-15 (BC)"), 2),
                                                                      (parse_far_date("12000-01-01"), 1)]))
    q.close()
    assert pickle.loads(pickle.dumps(FarDate(-746_117))) == FarDate(-746_117)

    db = str(tmp_path / "s.duckdb")
    lite = str(tmp_path / "s.sqlite")
    p = Pipeline()
    p.execute("CREATE TABLE t(id INT, d DATE)")
    p.execute("CREATE VIEW v AS SELECT id, d FROM t")
    p.sink("v", f"duckdb:{db}")
    p.sink("v", f"sqlite:{lite}")
    p.sink("v", f"jsonl:{tmp_path / 'v.jsonl'}")
    p.insert("t", [(1, "0044-03-15 (BC)"), (2, "12000-01-01")])
    p.step()
    arrow_v = p.view("v").to_arrow()  # date32: the days since 1970, as DuckDB's DATE holds them
    assert duckdb.connect().execute("SELECT id, d::VARCHAR FROM arrow_v ORDER BY id").fetchall() == [
        (1, "0044-03-15 (BC)"), (2, "12000-01-01")]
    p.close()
    with open(tmp_path / "v.jsonl") as f:
        assert sorted(json.loads(line)["row"]["d"] for line in f) == ["0044-03-15 (BC)", "12000-01-01"]
    assert sorted(duckdb.connect(db).execute("SELECT id, d::VARCHAR FROM v").fetchall()) == [
        (1, "0044-03-15 (BC)"), (2, "12000-01-01")]
    assert sorted(sqlite3.connect(lite).execute("SELECT id, d FROM v").fetchall()) == [
        (1, "0044-03-15 (BC)"), (2, "12000-01-01")]

    rnd = random.Random(19)
    rows = [(rnd.randint(0, 3), rnd.choice(FAR + NEAR)) for _ in range(60)]
    answers = []
    for options in ({}, {"workers": 3, "backend": "simulated"}):
        p = Pipeline(**options)
        p.execute("CREATE TABLE t(k INT, d DATE)")
        p.execute("CREATE VIEW g AS SELECT d, count(*) AS n, sum(k) AS s FROM t GROUP BY d")
        p.execute("CREATE VIEW j AS SELECT a.k, b.d FROM t a JOIN t b ON a.d = b.d AND a.k < b.k")
        p.insert("t", rows)
        p.step()
        p.delete("t", rows[:20])
        p.step()
        answers.append((sorted(p.view("g").rows(), key=repr), sorted(p.view("j").rows(), key=repr)))
    assert answers[0] == answers[1] and answers[0][0]


def test_postgresql_sink(pg_database):
    """The PostgreSQL sink writes a far date as PostgreSQL spells it ('0044-03-15 BC'), read back as the DATE."""
    psycopg = pytest.importorskip("psycopg")
    p = Pipeline()
    p.execute("CREATE TABLE t(id INT, d DATE)")
    p.execute("CREATE VIEW v AS SELECT id, d FROM t")
    p.sink("v", pg_database.dsn)
    p.insert("t", [(1, "0044-03-15 (BC)"), (2, "12000-01-01"), (3, "2020-01-01")])
    p.step()
    p.close()
    with psycopg.connect(pg_database.dsn) as con:
        got = sorted(con.execute("SELECT id, d::text, d - DATE '2000-01-01' FROM v").fetchall())
    assert got == [(1, "0044-03-15 BC", days_from_civil(-43, 3, 15) - days_from_civil(2000, 1, 1)),
                   (2, "12000-01-01", days_from_civil(12000, 1, 1) - days_from_civil(2000, 1, 1)),
                   (3, "2020-01-01", 7305)]


def test_time_bucket_of_far_dates_is_duckdbs():
    """time_bucket of a DATE before year 1 or after 9999 (or with such an origin): the bucket DuckDB gives, and
    an error where DuckDB's has one (a bucket laid on TIMESTAMPs past their range), on 300 random cases."""
    con = duckdb.connect()
    p = Pipeline()
    rnd = random.Random(7)
    widths = ["'3 days'", "'1 week'", "'10 days'", "'2 months'", "'1 month'", "'2 years'", "'7 hours'", "'1 day'"]
    thirds = [None, "'6 days'::INTERVAL", "'-2 days'::INTERVAL", "'3 hours'::INTERVAL", "DATE '0044-02-01 (BC)'",
              "DATE '1970-01-05'", "DATE '3000-01-01 (BC)'"]
    for _ in range(300):
        v = rnd.choice([rnd.randint(-700_000, 2_900_000), rnd.randint(-106_000_000, -719_529),
                        rnd.randint(-800_000, -700_000), rnd.randint(2_932_897, 3_000_000),
                        rnd.randint(-106_751_990, -106_751_900)])
        third = rnd.choice(thirds)
        q = (f"SELECT time_bucket({rnd.choice(widths)}::INTERVAL, DATE '1970-01-01' + {v}"
             f"{', ' + third if third else ''})::VARCHAR")
        answers = []
        for run in (lambda: con.execute(q).fetchone()[0], lambda: p.execute(q)[0][0]):
            try:
                answers.append(run())
            except (duckdb.Error, DataError):
                answers.append("error")
        assert answers[0] == answers[1], q
