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
    p.step()
    model = _current(model, queued)
    assert t.contents == model
    n = len(model)
    assert p.view("s").rows() == [(n, sum(r[1] for r in model) if n else None)]
