"""A table's bulk insert path (engine/tables.Table._insert_all_new: a batch of new keys filed at C
speed, commit adding rows known to be new without looking) against a model: random batches of
inserts (some under taken keys, some with a key twice), deletes, rows deleted and inserted again in
one step, statements rolled back, steps committed and discarded.  After every operation the table's
rows, queued changes, key index and errors equal the model's."""

from __future__ import annotations

import random

import pytest

from deltasql import DataError, Pipeline


def _model_insert(model: dict, queued: dict, rows: list) -> bool:
    """The model's plain insert of ``rows`` (all or nothing): False if a key is taken."""
    current = {**model}
    for r, w in queued.items():
        current[r] = current.get(r, 0) + w
    keys = {r[0] for r, w in current.items() if w > 0}
    new = [r[0] for r in rows]
    if len(set(new)) < len(new) or keys & set(new):
        return False
    for r in rows:
        queued[r] = queued.get(r, 0) + 1
        if not queued[r]:
            del queued[r]
    return True


def _current(model: dict, queued: dict) -> dict:
    out = dict(model)
    for r, w in queued.items():
        out[r] = out.get(r, 0) + w
        if not out[r]:
            del out[r]
    return out


@pytest.mark.parametrize("seed", range(6))
def test_bulk_inserts_match_a_model(seed):
    rng = random.Random(seed)
    p = Pipeline()
    p.execute("CREATE TABLE t(k INT PRIMARY KEY, v INT NOT NULL); "
              "CREATE VIEW s AS SELECT COUNT(*) AS n, SUM(v) AS total FROM t")
    t = p._tables["t"]
    model: dict = {}   # committed rows
    queued: dict = {}  # the model's queue
    for _ in range(300):
        op = rng.random()
        cur = _current(model, queued)
        if op < 0.45:  # a batch of inserts: mostly new keys, sometimes a taken one or one twice
            n = rng.randint(1, 40)
            rows = [(rng.randint(0, 400), rng.randint(0, 9)) for _ in range(n)]
            if rng.random() < 0.3:  # rows deleted earlier in this step, inserted again
                rows = [r for r in queued if queued[r] < 0][:3] + rows[:2]
            ok = _model_insert(model, queued, rows)
            if ok:
                p.insert("t", rows)
            else:
                with pytest.raises(DataError, match="constraint violated"):
                    p.insert("t", rows)
        elif op < 0.65 and cur:  # delete some present rows
            rows = rng.sample(sorted(cur), min(len(cur), rng.randint(1, 5)))
            p.delete("t", rows)
            for r in rows:
                queued[r] = queued.get(r, 0) - 1
                if not queued[r]:
                    del queued[r]
        elif op < 0.75:  # a transaction rolled back after inserts
            p.execute("BEGIN")
            rows = [(1000 + i, i) for i in range(rng.randint(2, 30))]
            p.insert("t", rows)
            p.execute("ROLLBACK")
        elif op < 0.95:
            p.step()
            model = _current(model, queued)
            queued = {}
        else:
            p.discard()
            queued = {}
        assert t.current() == _current(model, queued)
        assert t.pending == queued
        assert t.indexes[0] == {r[0]: r for r, w in _current(model, queued).items() if w > 0}
        _same_contents(t, model, queued)
    p.step()
    model = _current(model, queued)
    assert t.contents == model
    n = len(model)
    assert p.view("s").rows() == [(n, sum(r[1] for r in model) if n else None)]


def _same_contents(t, model: dict, queued: dict) -> None:
    """A keyed table's committed rows, read from its key index (engine/tables.KeyedRows), are the
    model's committed rows whatever is queued: as a mapping, by length, by membership and weight."""
    rows = t.contents
    assert dict(rows.items()) == model and rows == model and len(rows) == len(model)
    assert rows.copy() == model and sorted(rows) == sorted(model)
    for r in list(queued) + list(model)[:5]:
        assert (r in rows) == (r in model) and rows.get(r) == model.get(r)
        assert t.weight(r) == _current(model, queued).get(r, 0)


@pytest.mark.parametrize("seed", range(4))
def test_keyed_rows_under_upserts_and_a_second_key(seed):
    """A table with a two-column PRIMARY KEY and a UNIQUE column, under upserts (which replace the
    rows holding either key), deletes, rollbacks, steps and discards: its committed rows (read from
    the primary-key index) equal a model's; a pickled copy is the plain Z-set; restoring it gives
    the same table."""
    import pickle

    rng = random.Random(seed)
    p = Pipeline()
    p.execute("CREATE TABLE t(a INT, b INT, u INT UNIQUE, PRIMARY KEY (a, b)); "
              "CREATE VIEW s AS SELECT a, COUNT(*) AS n FROM t GROUP BY a")
    t = p._tables["t"]
    model: dict = {}
    queued: dict = {}

    def upsert(row):
        cur = _current(model, queued)
        for old in [r for r in cur if r[:2] == row[:2] or (row[2] is not None and r[2] == row[2])]:
            queued[old] = queued.get(old, 0) - 1
            if not queued[old]:
                del queued[old]
        queued[row] = queued.get(row, 0) + 1
        if not queued[row]:
            del queued[row]

    for _ in range(250):
        op = rng.random()
        cur = _current(model, queued)
        if op < 0.45:
            rows = [(rng.randint(0, 6), rng.randint(0, 6), rng.choice([None, rng.randint(0, 30)]))
                    for _ in range(rng.randint(1, 4))]
            p.upsert("t", rows)
            for r in rows:
                upsert(r)
        elif op < 0.65 and cur:
            rows = rng.sample(sorted(cur, key=repr), min(len(cur), rng.randint(1, 3)))
            p.delete("t", rows)
            for r in rows:
                queued[r] = queued.get(r, 0) - 1
                if not queued[r]:
                    del queued[r]
        elif op < 0.72:
            p.execute("BEGIN")
            p.upsert("t", [(rng.randint(0, 6), rng.randint(0, 6), None)])
            p.execute("ROLLBACK")
        elif op < 0.93:
            p.step()
            model, queued = _current(model, queued), {}
        else:
            p.discard()
            queued = {}
        assert t.current() == _current(model, queued)
        _same_contents(t, model, queued)
    saved = pickle.loads(pickle.dumps(t.contents))
    assert type(saved) is dict and saved == model
    p.discard()
    t.contents = saved
    assert t.contents == model and t.current() == model
    assert t.indexes[1] == {r[2]: r for r in model if r[2] is not None}
