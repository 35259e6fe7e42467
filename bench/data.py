"""The orders/customers/regions schema, its views and a seeded data generator shared by workloads 1, 2 and 4."""

from __future__ import annotations

import random

N_REGIONS = 25
STATUSES = ("pending", "paid", "shipped", "delivered", "returned")

SCHEMA = """
CREATE TABLE regions(region VARCHAR PRIMARY KEY, zone VARCHAR NOT NULL);
CREATE TABLE customers(c_id INT PRIMARY KEY, name VARCHAR NOT NULL, region VARCHAR NOT NULL);
CREATE TABLE orders(o_id INT PRIMARY KEY, c_id INT NOT NULL, amount INT NOT NULL, status VARCHAR NOT NULL);
"""

# Workload 1 (latency) and 4 (memory): the views named in the issue.
LATENCY_VIEWS = {
    "join_group": """
SELECT c.region, COUNT(*) AS n_orders, SUM(o.amount) AS revenue
FROM orders o JOIN customers c ON o.c_id = c.c_id
GROUP BY c.region""",
    "distinct_status": """
SELECT DISTINCT c_id, status FROM orders""",
    "left_join": """
SELECT c.c_id, c.region, COUNT(o.o_id) AS n_orders, SUM(o.amount) AS revenue
FROM customers c LEFT JOIN orders o ON o.c_id = c.c_id
GROUP BY c.c_id, c.region""",
}

# Workload 2 (throughput).
THROUGHPUT_VIEWS = {
    "filter_project": """
SELECT o_id, c_id, amount * 2 AS doubled FROM orders WHERE amount > 500 AND status <> 'returned'""",
    "join_group": LATENCY_VIEWS["join_group"],
    "distinct_status": LATENCY_VIEWS["distinct_status"],
    "join3": """
SELECT o.o_id, o.amount, c.name, r.zone
FROM orders o JOIN customers c ON o.c_id = c.c_id JOIN regions r ON c.region = r.region""",
}


def n_customers(n_orders: int) -> int:
    return max(100, n_orders // 10)


def regions() -> list[tuple]:
    return [(f"region{i:02d}", f"zone{i % 5}") for i in range(N_REGIONS)]


def customers(n: int, seed: int = 1) -> list[tuple]:
    rnd = random.Random(seed)
    return [(i, f"customer{i}", f"region{rnd.randrange(N_REGIONS):02d}") for i in range(n)]


class Orders:
    """A seeded stream of order rows.  Orders reference the first 90% of the customers, so the LEFT
    JOIN view has customers without orders; later one-row changes may hit any customer."""

    def __init__(self, n_customers: int, seed: int = 2):
        self.rnd = random.Random(seed)
        self.nc = n_customers
        self.next_id = 0

    def make(self, n: int, any_customer: bool = False) -> list[tuple]:
        rnd, out = self.rnd, []
        top = self.nc if any_customer else max(1, int(self.nc * 0.9))
        for _ in range(n):
            out.append((self.next_id, rnd.randrange(top), rnd.randrange(1, 1001), STATUSES[rnd.randrange(5)]))
            self.next_id += 1
        return out


def pipeline_with(views: dict, names) -> "object":
    """A fresh Pipeline with the schema and the named views."""
    from deltasql import Pipeline

    p = Pipeline(dialect="duckdb")
    p.execute(SCHEMA)
    for name in names:
        p.execute(f"CREATE VIEW {name} AS {views[name]}")
    return p


def duck_with_schema(threads=None):
    from .common import DUCKDB_THREADS, duck

    con = duck(DUCKDB_THREADS if threads is None else threads)
    con.execute(SCHEMA)
    return con
