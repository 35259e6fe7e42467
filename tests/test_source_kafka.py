"""The Kafka source against librdkafka's mock cluster (a real broker protocol on loopback, started by a
producer with test.mock.num.brokers; no Kafka broker can be installed here): JSON changes in deltasql's,
Feldera's and Debezium's forms, CSV rows, several partitions, offsets committed to the group after each
step; views checked against DuckDB on the same rows."""

from __future__ import annotations

import decimal
import json
import random

import pytest

from deltasql import Pipeline
from deltasql.connectors.sources import SourceError, follow
from tests.harness import diff_multisets

ck = pytest.importorskip("confluent_kafka")
duckdb = pytest.importorskip("duckdb")

from deltasql.connectors.sources.kafka import KafkaSource  # noqa: E402

DECLARED = """
CREATE TABLE orders(id INT PRIMARY KEY, customer VARCHAR, amount DECIMAL(10, 2));
CREATE TABLE customers(name VARCHAR PRIMARY KEY, region VARCHAR);
"""
VIEWS = {
    "by_region": "SELECT c.region, COUNT(*) AS n, SUM(o.amount) AS total FROM orders o "
                 "JOIN customers c ON c.name = o.customer GROUP BY c.region",
    "big": "SELECT customer, amount FROM orders WHERE amount > 50",
}


@pytest.fixture(scope="module")
def cluster():
    """A mock cluster that lives as long as the producer holding it; its address for other clients."""
    producer = ck.Producer({"test.mock.num.brokers": 1, "log_level": 3})
    broker = next(iter(producer.list_topics(timeout=10).brokers.values()))
    yield producer, f"{broker.host}:{broker.port}"


def produce(producer, topic, values, partitions=None):
    for i, v in enumerate(values):
        kw = {} if partitions is None else {"partition": i % partitions}
        producer.produce(topic, value=v if isinstance(v, bytes) else json.dumps(v).encode(), **kw)
    producer.flush(10)


def pipeline():
    p = Pipeline()
    p.execute(DECLARED)
    for name, q in VIEWS.items():
        p.execute(f"CREATE VIEW {name} AS {q}")
    return p


def check_views(p):
    duck = duckdb.connect()
    duck.execute(DECLARED)
    for t in p.tables:
        rows = p.table_rows(t)
        if rows:
            duck.executemany(f"INSERT INTO {t} VALUES ({', '.join('?' * len(rows[0]))})", rows)
    for name, q in VIEWS.items():
        assert diff_multisets(duck.execute(q).fetchall(), p.view(name).rows(), loose=True) == ([], []), name


def test_json_forms_across_partitions(cluster):
    producer, addr = cluster
    rnd = random.Random(4)
    model = {}
    changes = []
    for i in range(300):  # a change per message; a key's changes stay in one partition (its order)
        k = rnd.randrange(40)
        old = model.get(k)
        if old is not None and rnd.random() < 0.4:
            changes.append((k, {"table": "orders", "delete": list(old)}))
            del model[k]
        elif old is None:
            row = (k, rnd.choice(["ada", "bob", "cy"]), str(decimal.Decimal(rnd.randrange(1, 10000)) / 100))
            model[k] = row
            changes.append((k, {"insert": {"id": row[0], "customer": row[1], "amount": row[2]}}))  # Feldera's form
        else:  # Debezium's envelope, without a schema
            new = (k, old[1], str(decimal.Decimal(rnd.randrange(1, 10000)) / 100))
            model[k] = new
            changes.append((k, {"op": "u", "before": dict(zip(["id", "customer", "amount"], old)),
                                "after": dict(zip(["id", "customer", "amount"], new)), "source": {"table": "orders"}}))
    for k, ch in changes:
        producer.produce("shop.orders", value=json.dumps(ch).encode(), partition=k % 4)
    producer.flush(10)
    produce(producer, "shop.customers", [b'[{"insert": {"name": "ada", "region": "eu"}}, '
                                         b'{"insert": {"name": "bob", "region": "us"}}]',
                                         b'{"insert": ["cy", "eu"]}\n{"delete": ["bob", "us"]}\n{"insert": ["bob", "ap"]}'],
            partitions=1)  # one partition: Kafka orders messages only within one, and the delete needs the insert
    p = pipeline()
    stats = follow(p, KafkaSource(addr, ["shop.orders"], table="orders", follow=False), max_rows=7)
    assert stats.batches == 300 and stats.steps > 1  # a batch per message
    follow(p, KafkaSource(addr, ["shop.customers"], table="customers", follow=False))
    assert sorted(p.table_rows("orders")) == sorted((k, c, decimal.Decimal(a)) for k, c, a in model.values())
    assert sorted(p.table_rows("customers")) == [("ada", "eu"), ("bob", "ap"), ("cy", "eu")]
    check_views(p)


def test_csv_rows_and_committed_offsets(cluster):
    producer, addr = cluster
    produce(producer, "orders_csv", [b"1,ada,10\n2,bob,60.5", b"3,cy,", b'4,"d, e",70'], partitions=2)
    p = pipeline()
    src = KafkaSource(addr, ["orders_csv"], format="csv", table="orders", group="g-csv", follow=False)
    follow(p, src)
    assert sorted(p.table_rows("orders")) == [(1, "ada", decimal.Decimal("10.00")), (2, "bob", decimal.Decimal("60.50")),
                                              (3, "cy", None), (4, "d, e", decimal.Decimal("70.00"))]
    # each step's offsets went to the group once the step was done: the group has read everything
    c = ck.Consumer({"bootstrap.servers": addr, "group.id": "g-csv"})
    committed = c.committed([ck.TopicPartition("orders_csv", 0), ck.TopicPartition("orders_csv", 1)], timeout=10)
    c.close()
    assert sorted(tp.offset for tp in committed) == [1, 2]


def test_a_bad_message_stops_before_it_is_applied(cluster):
    producer, addr = cluster
    produce(producer, "bad", [{"insert": [1, "ada", 5]}, {"insert": [2, "bob", "five"]}, {"insert": [3, "cy", 1]}],
            partitions=1)
    p = pipeline()
    with pytest.raises(SourceError, match=r"kafka bad\[0\]@1: orders.amount: 'five' is not a valid DECIMAL"):
        follow(p, KafkaSource(addr, ["bad"], table="orders", follow=False))
    assert p.table_rows("orders") == [(1, "ada", decimal.Decimal("5.00"))]


def test_url_and_unknown_topic(cluster):
    _producer, addr = cluster
    src = KafkaSource.from_url(f"kafka://{addr}/a,b?group=x&format=csv&table=orders")
    assert (src.brokers, src.topics, src.group, src.format, src.table) == (addr, ["a", "b"], "x", "csv", "orders")
    with pytest.raises(SourceError, match="unknown option"):
        KafkaSource.from_url(f"kafka://{addr}/a?partition=1")
    with pytest.raises(SourceError, match="no topic 'nothing_here'"):
        follow(pipeline(), KafkaSource(addr, ["nothing_here"], follow=False, config={"allow.auto.create.topics": False}))
