"""Plain live sources: JSON-lines changes on standard input as they arrive (through the CLI, in a real
pipe), a directory whose new files are steps, the change formats (deltasql's, Feldera's, Debezium's)."""

from __future__ import annotations

import base64
import datetime
import decimal
import io
import json
import os
import subprocess
import sys
import threading
import time

import pytest

from deltasql import Pipeline
from deltasql.connectors.sources import DirectorySource, SourceError, StreamSource, follow
from deltasql.connectors.sources.messages import read_json

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VIEWS = """
CREATE TABLE orders(id INT PRIMARY KEY, customer VARCHAR, amount DECIMAL(10, 2));
CREATE VIEW revenue AS SELECT customer, COUNT(*) AS n, SUM(amount) AS total FROM orders GROUP BY customer;
"""


def pipeline() -> Pipeline:
    p = Pipeline()
    p.execute(VIEWS)
    return p


def test_stdin_lines_are_applied_as_they_arrive(tmp_path):
    views = tmp_path / "v.sql"
    views.write_text(VIEWS)
    proc = subprocess.Popen([sys.executable, "-m", "deltasql", "run", str(views), "-", "--format", "jsonl"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)

    def send(obj):
        proc.stdin.write((json.dumps(obj) + "\n").encode())
        proc.stdin.flush()

    def next_step():  # each of the first two steps changes one row of the view
        return [json.loads(proc.stdout.readline())]

    send({"table": "orders", "insert": {"id": 1, "customer": "ada", "amount": 5}})
    assert next_step() == [{"step": 1, "view": "revenue", "weight": 1, "row": {"customer": "ada", "n": 1, "total": 5.0}}]
    send({"table": "orders", "insert": [2, "bob", "2.5"]})  # an array in column order, a decimal as text
    assert next_step()[0]["row"] == {"customer": "bob", "n": 1, "total": 2.5}
    # with commit lines, nothing of a transaction shows before its commit arrives
    send({"commit": True})
    send({"table": "orders", "delete": [1, "ada", 5]})
    send({"table": "orders", "insert": [1, "ada", 7]})
    time.sleep(0.5)
    send({"commit": True})
    got = [json.loads(proc.stdout.readline()) for _ in range(2)]
    assert sorted((c["weight"], c["row"]["total"]) for c in got) == [(-1, 5.0), (1, 7.0)]
    assert {c["step"] for c in got} == {3}
    proc.stdin.close()
    assert proc.wait(60) == 0
    assert proc.stdout.read() == b""


def test_stdin_bad_line_names_its_line_and_changes_nothing():
    p = pipeline()
    src = StreamSource(io.BytesIO(b'{"table": "orders", "insert": [1, "ada", 5]}\n'
                                  b'{"table": "orders", "insert": [2, "bob", "five"]}\n'), name="<in>")
    with pytest.raises(SourceError, match=r"<in>:2: orders.amount: 'five' is not a valid DECIMAL\(10,2\)"):
        follow(p, src)
    assert p.table_rows("orders") == [(1, "ada", decimal.Decimal("5.00"))]


def test_stdin_through_python_api_and_the_cli_pipe(tmp_path):
    views = tmp_path / "v.sql"
    views.write_text(VIEWS)
    changes = "".join(json.dumps(c) + "\n" for c in [
        {"table": "orders", "insert": {"id": 1, "customer": "ada", "amount": 5}},
        {"commit": True},
        {"table": "orders", "insert": {"id": 2, "customer": "ada", "amount": 1}},
        {"table": "orders", "insert": {"id": 3, "customer": "cy", "amount": 1}},
    ])  # the lines after the last commit are one more step at the end of input
    for batch_rows, steps in (("10000", 1), ("1", 2)):  # what is waiting is one step, up to --batch-rows
        out = subprocess.run([sys.executable, "-m", "deltasql", "run", str(views), "-", "--batch-rows", batch_rows],
                             input=changes.encode(), capture_output=True, cwd=ROOT, timeout=60)
        assert out.returncode == 0, out.stderr
        text = out.stdout.decode()
        assert text.count("== step") == steps and "6.00" in text
    p = pipeline()
    stats = p.follow(StreamSource(io.BytesIO(changes.encode())))
    assert stats.steps >= 1 and sorted(p.view("revenue").rows()) == [("ada", 2, decimal.Decimal("6.00")),
                                                                    ("cy", 1, decimal.Decimal("1.00"))]


def test_directory_files_are_steps_in_name_order(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "001.orders.csv").write_text("id,customer,amount\n1,ada,5\n2,bob,\n")
    (d / ".hidden.orders.csv").write_text("id,customer,amount\n9,zed,9\n")
    p = pipeline()
    steps = []
    stop = threading.Event()
    src = DirectorySource(str(d), poll=0.05)
    t = threading.Thread(target=lambda: steps.append(follow(p, src, on_step=lambda c, s: steps.append(c),
                                                            stop=stop.is_set)))
    t.start()
    deadline = time.monotonic() + 30
    while not steps and time.monotonic() < deadline:
        time.sleep(0.01)
    (d / "002.jsonl").write_text('{"table": "orders", "delete": [2, "bob", null]}\n'
                                 '{"table": "orders", "insert": {"id": 3, "customer": "ada", "amount": 1.5}}\n')
    while len(steps) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    stop.set()
    t.join(30)
    assert sorted(steps[0]["revenue"], key=repr) == sorted(
        [(("bob", 1, None), 1), (("ada", 1, decimal.Decimal("5.00")), 1)], key=repr)
    assert sorted(steps[1]["revenue"], key=repr) == sorted(
        [(("bob", 1, None), -1), (("ada", 1, decimal.Decimal("5.00")), -1), (("ada", 2, decimal.Decimal("6.50")), 1)],
        key=repr)
    assert sorted(p.table_rows("orders")) == [(1, "ada", decimal.Decimal("5.00")), (3, "ada", decimal.Decimal("1.50"))]


def test_directory_without_follow_takes_what_is_there(tmp_path):
    duckdb = pytest.importorskip("duckdb")
    d = tmp_path / "in"
    d.mkdir()
    duckdb.connect().execute(f"COPY (SELECT 1 AS id, 'ada' AS customer, 2.5::DECIMAL(10,2) AS amount) "
                             f"TO '{d / 'a.orders.parquet'}' (FORMAT parquet)")
    (d / "b.orders.csv").write_text("customer,id\nbob,2\n")
    p = pipeline()
    stats = p.follow(str(d), follow=False)
    assert stats.steps == 2
    assert sorted(p.table_rows("orders")) == [(1, "ada", decimal.Decimal("2.50")), (2, "bob", None)]


def test_feldera_and_debezium_forms():
    assert read_json({"insert": {"id": 1}}, "orders") == [("insert", "orders", {"id": 1})]
    assert read_json({"table": "t", "delete": [1]}, "orders") == [("delete", "t", [1])]
    schema = {"fields": [{"field": "before", "fields": []}, {"field": "after", "fields": [
        {"field": "amount", "name": "org.apache.kafka.connect.data.Decimal", "parameters": {"scale": "2"}},
        {"field": "day", "name": "io.debezium.time.Date"},
        {"field": "at", "name": "io.debezium.time.MicroTimestamp"}]}]}
    after = {"id": 7, "amount": base64.b64encode((-1234).to_bytes(2, "big", signed=True)).decode(), "day": 19000,
             "at": 1_700_000_000_123_456}
    got = read_json({"schema": schema, "payload": {"op": "c", "before": None, "after": after,
                                                   "source": {"table": "orders"}}}, None)
    assert got == [("insert", "orders", {"id": 7, "amount": decimal.Decimal("-12.34"),
                                         "day": datetime.date(2022, 1, 8),
                                         "at": datetime.datetime(2023, 11, 14, 22, 13, 20, 123456)})]
    assert read_json({"op": "u", "before": {"id": 1}, "after": {"id": 2}, "source": {"table": "t"}}, None) == \
        [("delete", "t", {"id": 1}), ("insert", "t", {"id": 2})]
    assert read_json({"op": "t", "before": None, "after": None, "source": {"table": "t"}}, None) == \
        [("truncate", "t", None)]
    with pytest.raises(ValueError, match="REPLICA IDENTITY FULL"):
        read_json({"op": "d", "before": None, "after": None, "source": {"table": "t"}}, None)
