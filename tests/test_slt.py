"""sqllogictest: runner rules, the committed slice, a sample of ../shared/slt, and (DELTASQL_LONG=1) all of it.

The committed slice (tests/slt/data, prefixes of corpus files, see tests/slt/data/README.md) covers:
random/select, random/aggregates, random/expr and random/groupby run the batch way (views registered
on empty tables, data in steps with deletions and re-insertions); index/orderby_nosort (nosort with
ORDER BY, tie handling); index/between; index/delete (DELETE, DROP TABLE and re-CREATE interleaved
with queries, live views re-checked ad hoc after later steps); index/view (the script's own views,
views on views, DROP VIEW); evidence/slt_lang_update, slt_lang_replace (UPDATE, INSERT OR REPLACE,
REPLACE), slt_lang_createview and slt_lang_dropview (statement error records).
"""

from __future__ import annotations

import os
import sqlite3

import pytest

from tests.slt import printing
from tests.slt.runner import SHARED, collect, compare, failure_groups, run_files, totals
from tests.slt.script import parse

HERE = os.path.dirname(os.path.abspath(__file__))
SLICE = os.path.join(HERE, "slt", "data")
KNOWN = os.path.join(HERE, "slt", "known_failures.txt")
LONG = os.environ.get("DELTASQL_LONG") == "1"
# queries per corpus file in the default run (about 30k queries): ~1.5-2 minutes on 2 busy shared cores
SAMPLE = int(os.environ.get("DELTASQL_SLT_SAMPLE", "700"))


def known_failures() -> dict[str, str]:
    """qid -> the BUGS.md entry it waits on (tests/slt/known_failures.txt)."""
    out = {}
    with open(KNOWN) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                qid, _status, ref = line.split(None, 2)
                out[qid] = ref
    return out


def _rate(reports) -> str:
    q, st = totals(reports)
    ran = sum(q.values())
    return (f"{ran} queries: correct {q['correct']}, wrong {q['wrong']}, unsupported {q['unsupported']} "
            f"({100.0 * q['unsupported'] / max(ran, 1):.2f}%), crashed {q['crashed']}")


def _bad(reports):
    return [o for r in reports for o in r.failures if o.status in ("wrong", "crashed")]


# -- printing and comparing, checked against SQLite itself ------------------------------------------

VALUES = [0, 1, -1, 7, -(1 << 63), (1 << 63) - 1, 0.0, -0.5, 1.5, -2.7, 2.5, 1e20, -1e20, 9.9e18, -9.9e18,
          1e300, 3.999999, "", "abc", " 12abc", "-7.9x", "1.5e3", "x y", "héllo", "tab\there",
          "9999999999999999999", True, False]


def test_int_and_text_rendering_match_sqlite():
    """I is sqlite3_column_int64 (CAST AS INTEGER reads text the same way: the integer prefix);
    T of a non-real is its text, (empty) for '', every byte outside ' '..'~' as @."""
    db = sqlite3.connect(":memory:")
    for v in VALUES:
        sv = int(v) if isinstance(v, bool) else v
        want = str(db.execute("SELECT CAST(? AS INTEGER)", (sv,)).fetchone()[0])
        assert printing.render(v, "I") == want, v
        if not isinstance(v, float):
            text = db.execute("SELECT CAST(? AS TEXT)", (sv,)).fetchone()[0]
            want = "(empty)" if text == "" else "".join(chr(b) if 32 <= b <= 126 else "@" for b in text.encode())
            assert printing.render(v, "T") == want, v
    for t in "IRT":
        assert printing.render(None, t) == "NULL"


# printf('%.3f', v) and printf('%!.15g', v) (a REAL's text) by SQLite 3.54; the last ones are SQLite's
# own decimal rounding (half up on decimal digits, at most 16 significant digits for %f), unlike C's
GOLDEN = [(0.0, "0.000", "0.0"), (-0.0, "0.000", "0.0"), (1.0, "1.000", "1.0"), (-1.5, "-1.500", "-1.5"),
          (-0.0004, "-0.000", "-0.0004"), (1.0 / 3, "0.333", "0.333333333333333"),
          (-2.0 / 3, "-0.667", "-0.666666666666667"), (0.1 + 0.2, "0.300", "0.3"), (1e-7, "0.000", "1.0e-07"),
          (123456789.987654, "123456789.988", "123456789.987654"), (1e20, "100000000000000000000.000", "1.0e+20"),
          (9.9e18, "9900000000000000000.000", "9.9e+18"), (3.999999, "4.000", "3.999999"),
          (5e-324, "0.000", "4.94065645841247e-324"),
          (0.0625, "0.063", "0.0625"), (0.9375, "0.938", "0.9375"), (2.0005, "2.001", "2.0005"),
          (123456789012345678.0, "123456789012345700.000", "1.23456789012346e+17"),
          (1.8446744073709552e19, "18446744073709550000.000", "1.84467440737096e+19"),
          (-9223372036854775806.0, "-9223372036854776000.000", "-9.22337203685478e+18")]


@pytest.mark.parametrize("v,fixed,generic", GOLDEN)
def test_real_rendering_is_sqlites_printf(v, fixed, generic):
    assert printing.render(v, "R") == fixed
    assert printing.render(v, "T") == generic
    assert printing.real_text(v) == generic


def test_corpus_real_printing():
    """evidence/slt_lang_aggfunc.test expects sum(DISTINCT x) = -2^63 + small as R like this."""
    assert printing.render(-9223372036854775806, "R") == "-9223372036854776000.000"
    assert printing.render(-18446744073709551616.0, "R") == "-18446744073709550000.000"


def test_sorting_and_hashing():
    rows = [["9", "a"], ["-5", "b"], ["10", "c"]]
    assert printing.arrange(rows, "rowsort") == ["-5", "b", "10", "c", "9", "a"]  # strings, not numbers
    assert printing.arrange(rows, "valuesort") == ["-5", "10", "9", "a", "b", "c"]
    assert printing.arrange(rows, "nosort") == ["9", "a", "-5", "b", "10", "c"]
    import hashlib
    assert printing.md5_values(["1", "2"]) == hashlib.md5(b"1\n2\n").hexdigest()
    digest = hashlib.md5(b"1\n2\n").hexdigest()
    assert printing.hash_line(["1", "2"]) == f"2 values hashing to {digest}"


def test_parser_records():
    text = ("# comment\r\nhash-threshold 8\r\n\r\nstatement ok\r\nCREATE TABLE t(a INT)\r\n\r\n"
            "skipif mssql # not compatible\r\nonlyif sqlite\r\nquery IT rowsort label-1\r\nSELECT a,\r\n'x' FROM t\r\n"
            "----\r\n1\r\nx\r\n\r\nonlyif mysql\r\nhalt\r\n\r\nstatement error\r\nDROP TABLE nope\r\n\r\n"
            "query I nosort\r\nSELECT 1\r\n----\r\n3 values hashing to abc\r\n\r\nhalt\r\n\r\nquery I\r\nSELECT 2\r\n")
    recs = parse(text)
    kinds = [r.kind for r in recs]
    assert kinds == ["hash-threshold", "statement", "query", "halt", "statement", "query", "halt", "query"]
    q = recs[2]
    assert (q.types, q.sort, q.label, q.sql, q.results) == ("IT", "rowsort", "label-1", "SELECT a,\n'x' FROM t",
                                                             ["1", "x"])
    assert q.conditions == [("skipif", "mssql"), ("onlyif", "sqlite")] and q.applies()
    assert not recs[3].applies()  # onlyif mysql halt: not for us
    assert recs[4].expect_error and recs[4].sql == "DROP TABLE nope"
    assert recs[7].sort == "nosort" and recs[7].results is None


def _query(sql, types, sort, results):
    return parse(f"query {types} {sort}\n{sql}\n----\n" + "\n".join(results) + "\n")[0]


def test_compare_rules():
    # nosort without ORDER BY: SQLite's order is arbitrary, compare as sorted rows
    q = _query("SELECT a, b FROM t", "IT", "nosort", ["2", "y", "1", "x"])
    assert compare(q, [(1, "x"), (2, "y")], 2)[0]
    assert not compare(q, [(1, "x"), (2, "z")], 2)[0]
    # nosort with ORDER BY: the order counts, except among rows tied on the keys
    q = _query("SELECT a, b FROM t ORDER BY 1", "IT", "nosort", ["1", "y", "1", "x", "2", "z"])
    assert compare(q, [(1, "x"), (1, "y"), (2, "z")], 2)[0]
    assert not compare(q, [(2, "z"), (1, "x"), (1, "y")], 2)[0]
    hashed = printing.hash_line(["1", "y", "1", "x", "2", "z", "3", "w", "4", "v"])
    q = _query("SELECT a, b FROM t ORDER BY a", "IT", "nosort", [hashed])
    assert compare(q, [(1, "x"), (1, "y"), (2, "z"), (3, "w"), (4, "v")], 2)[0]
    assert not compare(q, [(1, "x"), (1, "y"), (2, "z"), (4, "v"), (3, "w")], 2)[0]
    # wrong column count, integer printing of reals, NULL
    q = _query("SELECT a FROM t", "I", "rowsort", ["-2", "NULL"])
    assert compare(q, [(-2.7,), (None,)], 1)[0]
    assert not compare(q, [(-2.7, 1), (None, 1)], 2)[0]


# -- running the corpus ---------------------------------------------------------------------------------

def test_committed_slice():
    reports = run_files(collect([SLICE]), seed=0)
    print("\nslt slice:", _rate(reports))
    assert len(reports) == 12
    q, st = totals(reports)
    assert sum(q.values()) >= 1700
    bad = _bad(reports)
    assert not bad, "\n".join(f"{o.status} {o.qid}: {o.sql}\n{o.detail}" for o in bad)


def _check_against_known(reports):
    known = known_failures()
    bad = _bad(reports)
    new = [o for o in bad if o.qid not in known]
    print(f"\nslt corpus: {_rate(reports)}; {len(bad)} known failures hit, {len(new)} new")
    for status, cause, outs in failure_groups(reports)[:15]:
        print(f"  {len(outs):>6} {status:<11} {cause}")
    assert not new, "new wrong/crashed results (fix them, or add them to tests/slt/known_failures.txt " \
                    "with a BUGS.md entry):\n" + "\n\n".join(f"{o.status} {o.qid}: {o.sql}\n{o.detail}" for o in new)


@pytest.mark.skipif(not os.path.isdir(SHARED), reason="../shared/slt is not present")
@pytest.mark.skipif(LONG, reason="DELTASQL_LONG=1 runs the whole corpus instead")
def test_shared_corpus_sample():
    reports = run_files(collect([SHARED]), sample=SAMPLE, seed=0, jobs=2)
    _check_against_known(reports)


@pytest.mark.skipif(not os.path.isdir(SHARED), reason="../shared/slt is not present")
@pytest.mark.skipif(not LONG, reason="set DELTASQL_LONG=1 for the whole corpus (about 20 minutes on 2 cores)")
def test_shared_corpus_full():
    reports = run_files(collect([SHARED]), seed=0, jobs=2)
    _check_against_known(reports)
