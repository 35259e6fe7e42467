"""Arrangements of a table's rows with a PRIMARY KEY keyed by other columns keep buckets in the ``rows``
form (runtime/arrangement.py: a list of rows, a dict {row: 1} beyond LIST_MAX rows): the Python
arrangement and the generated Arrange loop against the plain Z-set model, under growth past
LIST_MAX and back, with rollbacks; views against DuckDB under random streams (duplicated values,
NULL join keys, upserts, a final retraction) with LIST_MAX 2 and 32, on one and 3 simulated workers;
a state file written with the old bucket form is refused with a clear message."""

from __future__ import annotations

import random

import pytest

from deltasql import Pipeline
from deltasql.compiler import codegen, lower
from deltasql.compiler.codegen import Codegen, arrange_function
from deltasql.compiler.dialect import get_dialect
from deltasql.compiler.expr import Col
from deltasql.compiler.types import INTEGER
from deltasql.engine.storage import StorageError
from deltasql.runtime import arrangement as A
from deltasql.runtime.arrangement import Arrangement, index_delta
from deltasql.runtime.journal import Journal
from tests.harness import Spec, check_seed

BIG = 10**12

SPEC = Spec(
    "CREATE TABLE o(id INT PRIMARY KEY, c INT, x BIGINT); CREATE TABLE c(c INT PRIMARY KEY, g VARCHAR, y INT)", {
        "v_group": "SELECT c.g, COUNT(*) AS n, SUM(o.x) AS sx FROM o JOIN c ON o.c = c.c GROUP BY c.g",
        "v_rows": "SELECT o.id, o.x, c.g FROM o JOIN c ON o.c = c.c",
        "v_self": "SELECT a.id, b.id AS id2 FROM o a JOIN o b ON a.c = b.c WHERE a.x = b.x",
        "v_left": "SELECT c.c, COUNT(o.id) AS n, SUM(o.x) AS sx FROM c LEFT JOIN o ON o.c = c.c GROUP BY c.c",
        "v_total": "SELECT COUNT(*) AS n, SUM(o.x) AS sx FROM o JOIN c ON o.c = c.c",
    }, domains={"o.id": list(range(80)), "o.c": [0, 1, None], "x": [BIG, BIG + 1, 7, None], "c.c": [0, 1, 2],
                "g": ["k", "l"], "y": [10**9, 1, None]},
    keys={"o": ("id",), "c": ("c",)}, upsert=True, steps=10, max_ops=14)


@pytest.fixture(params=[2, 32], ids=["list_max_2", "list_max_32"])
def list_max(request, monkeypatch):
    monkeypatch.setattr(A, "LIST_MAX", request.param)
    monkeypatch.setattr(codegen, "LIST_MAX", request.param)  # (the generated loops inline it)
    return request.param


@pytest.mark.parametrize("seed", range(8))
def test_rows_buckets_against_duckdb(list_max, seed):
    assert "Arrange[rows]" in _pipeline().circuit_text("v_group")
    check_seed(SPEC, seed)


@pytest.mark.parametrize("seed", range(4))
def test_rows_buckets_against_duckdb_on_3_workers(list_max, seed):
    check_seed(SPEC, seed, workers=3, backend="simulated")


def _pipeline(**options):
    p = Pipeline(**options)
    p.execute(SPEC.ddl)
    for name, sql in SPEC.views.items():
        p.execute(f"CREATE VIEW {name} AS {sql}")
    return p


def _random_deltas(rnd, held: set, n_keys: int):
    """A consolidated delta of rows each held at most once: -1 only for held rows, +1 for others."""
    delta = {}
    for _ in range(rnd.randrange(1, 25)):
        r = (rnd.randrange(n_keys), rnd.randrange(60))
        if r in delta:
            continue
        delta[r] = -1 if r in held else 1
    return delta


def _model(held: set) -> dict:
    out: dict = {}
    for r in held:
        out.setdefault(r[0], {})[r] = 1
    return out


@pytest.mark.parametrize("seed", range(6))
def test_rows_form_against_its_model_with_rollbacks(list_max, seed):
    rnd = random.Random(seed)
    j = Journal()
    arr = Arrangement(j, rows=True)
    cg = Codegen(get_dialect("duckdb"))
    fused = arrange_function(cg, [Col(0, INTEGER, True, "k")], None, scalar=True, rows=True)
    index: dict = {}
    held: set = set()
    grew = False
    for _ in range(120):
        delta = _random_deltas(rnd, held, 3)
        keyed: dict = {}
        fused(delta, keyed, index)
        assert keyed == index_delta(delta, lambda r: r[0])
        arr.apply(keyed)
        if rnd.random() < 0.25:
            j.rollback()
            _add(index, keyed, -1)
        else:
            j.commit()
            for r, w in delta.items():
                (held.add if w > 0 else held.discard)(r)
        for ix in (arr.index, index):
            assert {k: A.bucket_zset(b) for k, b in ix.items()} == _model(held)
            for b in ix.values():
                assert (type(b) is list) == (len(b) <= list_max) or type(b) is dict  # (a dict stays one)
                grew |= type(b) is dict
        assert arr.keyed() == _model(held) and arr.zset() == dict.fromkeys(held, 1)
        assert len(arr) == len(held) and sorted(arr.rows()) == sorted(held)
    assert grew  # some bucket went past LIST_MAX


def _add(index, keyed, sign):
    for k, rows in keyed.items():
        for r, w in rows.items():
            A.file_row(index, k, r, w * sign)


def test_a_state_file_of_the_old_bucket_form_is_refused(tmp_path, monkeypatch):
    path = str(tmp_path / "p.db")
    with monkeypatch.context() as m:  # the arrangement as deltasql built it before the rows form
        m.setattr(lower.Lowering, "_rows_once", lambda self, plan: False)
        with Pipeline(path=path) as p:
            p.execute(SPEC.ddl + "; CREATE VIEW v AS " + SPEC.views["v_group"])
            assert "Arrange[rows]" not in p.circuit_text("v")
            p.insert("c", [(0, "k", 1)])
            p.insert("o", [(1, 0, 5), (2, 0, 6)])
            p.step()
    with pytest.raises(StorageError, match=r"does not compile from the same SQL"):
        Pipeline(path=path)
    with monkeypatch.context() as m:  # the same file, read by the code that wrote it: still whole
        m.setattr(lower.Lowering, "_rows_once", lambda self, plan: False)
        with Pipeline(path=path) as p:
            assert p.view("v").rows() == [("k", 2, 11)]
