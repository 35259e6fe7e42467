"""Tests of the differential harness itself: comparison rules, stream generation, failure reports,
seeded replay, shrinking and the command line."""

import decimal

import pytest

from tests import harness as H
from tests.harness import RETRACT_ALL, RandomChooser, Spec, ViewSpec, diff_multisets, gen_steps

D = decimal.Decimal

# a deliberately wrong oracle: it forgets rows whose b is 3
WRONG = Spec("CREATE TABLE t(a INT, b INT)",
             {"v": ViewSpec("SELECT a, SUM(b) AS s FROM t GROUP BY a",
                            oracle="SELECT a, SUM(b) FILTER (WHERE b <> 3 OR b IS NULL) AS s FROM t GROUP BY a"),
              "other": "SELECT COUNT(*) AS n FROM t"})
RIGHT = Spec("CREATE TABLE t(g INT, x INT NOT NULL, s VARCHAR)",
             {"v": "SELECT g, COUNT(*) AS n, SUM(x) AS s FROM t GROUP BY g"}, domains={"g": [1, 2], "x": [1, 2, 3]})


# -- comparison -------------------------------------------------------------------------------------

def test_floats_compare_with_a_relative_tolerance():
    assert diff_multisets([(0.1 + 0.2,)], [(0.3,)]) == ([], [])
    assert diff_multisets([(1e9,)], [(1e9 + 1e-3,)]) == ([], [])
    assert diff_multisets([(1.0,)], [(1.0001,)]) == ([(1.0,)], [(1.0001,)])
    assert diff_multisets([(float("nan"),)], [(float("nan"),)]) == ([], [])


def test_decimals_compare_exactly_with_their_scale():
    assert diff_multisets([(D("1.50"),)], [(D("1.50"),)]) == ([], [])
    assert diff_multisets([(D("1.50"),)], [(D("1.5"),)]) == ([(D("1.50"),)], [(D("1.5"),)])
    assert diff_multisets([(D("0.00"),)], [(D("-0.00"),)]) == ([], [])   # the sign of zero does not count
    assert diff_multisets([(D("1.5"),)], [(1.5,)]) == ([(D("1.5"),)], [(1.5,)])
    assert diff_multisets([(D("1.5"),)], [(1.5,)], loose=True) == ([], [])


def test_types_must_agree_unless_loose():
    assert diff_multisets([(1,)], [(1.0,)]) == ([(1,)], [(1.0,)])
    assert diff_multisets([(1,)], [(True,)]) == ([(1,)], [(True,)])
    assert diff_multisets([(1,)], [(1.0,)], loose=True) == ([], [])


def test_multisets_count_duplicates():
    assert diff_multisets([(1,), (1,), (2,)], [(1,), (2,), (2,)]) == ([(1,)], [(2,)])
    assert diff_multisets([(None, "a")], [(None, "a")]) == ([], [])


# -- stream generation ---------------------------------------------------------------------------

def test_streams_have_the_promised_shapes():
    h = H.harness(RIGHT)
    seen = set()
    for seed in range(30):
        steps = gen_steps(RandomChooser(seed), h)
        assert steps[-1] == RETRACT_ALL
        assert steps == gen_steps(RandomChooser(seed), h)       # a seed is a stream
        for step in steps[:-1]:
            inserted = [r for sign, _t, r in step if sign == "+"]
            deleted = [r for sign, _t, r in step if sign == "-"]
            if len(inserted) != len(set(inserted)):
                seen.add("duplicate in one step")
            if set(inserted) & set(deleted):
                seen.add("delete and insert of one row in one step")
            for r in inserted:
                if r[0] is None:
                    seen.add("NULL g")
                if r[2] is None:
                    seen.add("NULL s")
                assert r[1] is not None                        # x is NOT NULL
        # a group emptied and refilled later
        model, emptied, refilled = {}, set(), False
        for step in steps[:-1]:
            for sign, _t, r in step:
                model[r] = model.get(r, 0) + (1 if sign == "+" else -1)
            groups = {r[0] for r, n in model.items() if n > 0}
            emptied |= {g for g in (1, 2) if g not in groups and any(r[0] == g for r in model)}
            refilled |= bool(emptied & groups)
        if refilled:
            seen.add("group emptied and refilled")
    assert seen == {"duplicate in one step", "delete and insert of one row in one step", "NULL g", "NULL s",
                    "group emptied and refilled"}


def test_unique_keys_stay_unique():
    s = Spec("CREATE TABLE t(id INT NOT NULL, x INT)", {"v": "SELECT id FROM t"},
             domains={"id": [1, 2, 3, 4]}, keys={"t": ("id",)})
    for seed in range(20):
        model = {}
        for step in gen_steps(RandomChooser(seed), H.harness(s))[:-1]:
            for sign, _t, r in step:
                model[r] = model.get(r, 0) + (1 if sign == "+" else -1)
                ids = [row[0] for row, n in model.items() for _ in range(n)]
                assert len(ids) == len(set(ids)), (seed, step)


# -- failures, replay, shrinking -------------------------------------------------------------------

def test_a_wrong_oracle_is_caught_and_reported():
    failures = [(seed, H.run(WRONG, gen_steps(RandomChooser(seed), H.harness(WRONG)), seed)) for seed in range(10)]
    seed, f = next((s, f) for s, f in failures if f is not None)
    assert f.kind == "mismatch" and f.view == "v" and f.seed == seed
    assert any(r[1] is not None for r in f.extra)
    report = f.report()
    assert f"seed {seed}" in report and f"at step {f.step}" in report
    assert "missing (oracle has, pipeline lacks)" in report and "repro:" in report
    assert "CREATE VIEW other" not in report                  # the repro keeps only the failing view
    with pytest.raises(H.Mismatch):
        H.check_seed(WRONG, seed)


def test_replay_shrinks_to_a_minimal_stream():
    seed = next(s for s in range(10) if H.run(WRONG, gen_steps(RandomChooser(s), H.harness(WRONG)), s))
    f = H.replay(seed, WRONG)
    assert f is not None and f.seed == seed
    ops = [op for step in f.steps if step != RETRACT_ALL for op in step]
    assert len(ops) == 1 and ops[0][0] == "+" and ops[0][2][1] == 3      # one insert of a row with b = 3
    assert list(f.spec.views) == ["v"]
    assert H.replay(seed, WRONG).steps == f.steps                         # deterministic


def test_repro_script_runs():
    f = H.replay(next(s for s in range(10) if H.run(WRONG, gen_steps(RandomChooser(s), H.harness(WRONG)), s)), WRONG)
    script = H.repro_script(f.spec, f.steps, f.view)
    printed = []
    exec(compile(script, "<repro>", "exec"), {"print": lambda *args: printed.append(args)})
    # the script shows the pipeline's rows, which the (wrong) oracle disagrees with
    assert [name for name, _rows in printed] == ["v"] and printed[0][1] != f.expected


def test_a_pipeline_error_the_oracle_does_not_share_is_a_failure():
    s = Spec("CREATE TABLE t(a INT)",
             {"v": ViewSpec("SELECT a * 1000000000 AS x FROM t", oracle=lambda tables: [(a * 10 ** 9 if a is not None
                                                                                          else None,) for (a,) in tables["t"]])})
    f = H.run(s, [[("+", "t", (5,))], RETRACT_ALL])
    assert f is not None and f.kind == "error" and f.view == "v" and "overflow" in f.message


def test_python_oracles_see_the_current_tables():
    s = Spec("CREATE TABLE t(a INT)", {"v": ViewSpec("SELECT a FROM t WHERE a > 1",
                                                     oracle=lambda tables: [r for r in tables["t"] if r[0] and r[0] > 1])})
    assert H.run(s, [[("+", "t", (1,)), ("+", "t", (2,)), ("+", "t", (2,))], [("-", "t", (2,))], RETRACT_ALL]) is None


def test_shrunk_streams_skip_deletes_of_absent_rows():
    assert H.run(RIGHT, [[("-", "t", (1, 1, None))], [("+", "t", (1, 1, None))], RETRACT_ALL]) is None


# -- command line ----------------------------------------------------------------------------------

def test_cli_seeds_and_replay(capsys):
    assert H.main(["--spec", "tests.test_diff_harness:RIGHT", "--seeds", "0-3"]) == 0
    assert "0 of 4 seeds failed" in capsys.readouterr().out
    assert H.main(["--spec", "tests.test_diff_harness:WRONG", "--seeds", "0-9"]) == 1
    out = capsys.readouterr().out
    seed = int(out.split("seed ")[1].split(":")[0])
    assert H.main(["--spec", "tests.test_diff_harness:WRONG", "--replay", str(seed)]) == 1
    out = capsys.readouterr().out
    assert f"seed {seed}" in out and "repro:" in out
    assert H.main(["--spec", "tests.test_diff_joins:SPECS:inner", "--replay", "3"]) == 0
