"""HISTOGRAM(x, bins), HISTOGRAM_EXACT(x, bins) and IS_HISTOGRAM_OTHER_BIN (compiler/histogram_bins.py,
runtime/histogram.py): against DuckDB under random streams with duplicates, NULLs and a final retraction,
grouped and not, integers, doubles, strings and lists, values above every bin (the "other" bin) too."""

import pytest

from deltasql import CompileError, Pipeline
from tests.harness import RETRACT_ALL, Spec, check_steps, streams_test

DDL = "CREATE TABLE t(id INT NOT NULL, g INT, n BIGINT, x DOUBLE, s VARCHAR, i SMALLINT)"
DOMAINS = {"id": list(range(12)), "g": [1, 2, None], "n": [-3, 0, 10, 11, 25, 60], "x": [-1.5, 0.0, 9.5, 10.0, 99.0],
           "s": ["a", "b", "bb", "z", "zz", ""], "i": [1, 2, 3, 7, 40]}

SPEC = Spec(DDL, {
    "v_binned": "SELECT g, histogram(n, [10, 20, 30]) AS h, histogram(x, [0, 10]) AS hx, "
                "histogram(s, ['b', 'a', 'z', 'b']) AS hs, histogram(i, [2, 5]) AS hi FROM t GROUP BY g",
    "v_exact": "SELECT histogram_exact(n, [0, 10, 11]) AS h, histogram_exact(s, ['a', 'zz']) AS hs, "
               "histogram_exact([i], [[1], [2]]) AS hl, histogram_exact(n::VARCHAR, ['10', '25']) AS hv FROM t",
    "v_other": "SELECT g, k, is_histogram_other_bin(k) AS other, is_histogram_other_bin(k::INT) AS other_int, "
               "is_histogram_other_bin(k::DOUBLE) AS other_double FROM (SELECT g, UNNEST(map_keys(h)) AS k "
               "FROM (SELECT g, histogram(n, [0, 20]) AS h FROM t GROUP BY g))",
    "v_empty_bins": "SELECT histogram(n, []) AS h, histogram(x, range(0, 100, 50)) AS hr FROM t",
}, domains=DOMAINS, keys={"t": ("id",)}, null_rate=0.25)


test_binned_histograms = streams_test(SPEC, 12)


def test_fixed_stream():
    rows = [(1, 1, 25, 99.0, "zz", 40), (2, 1, None, 0.0, "a", 1), (3, 2, 60, None, None, 7), (4, None, -3, 10.0, "", 2)]
    check_steps(SPEC, [[], [("+", "t", r) for r in rows], [("-", "t", rows[0])], RETRACT_ALL])


@pytest.mark.parametrize("sql, col, message", [
    ("SELECT histogram(n, CASE WHEN g = 1 THEN [1] ELSE [2] END) FROM t", 31, "constant list"),
    ("SELECT histogram(n, [1, NULL]) FROM t", 22, "cannot be NULL"),
    ("SELECT histogram(n, 5) FROM t", 21, "must be a list"),
    ("SELECT histogram({'a': n}, [{'a': 1}]) FROM t", 8, "not supported"),
    ("SELECT is_histogram_other_bin({'a': n}) FROM t", 8, "not supported"),
    ("SELECT histogram(n::VARCHAR, [1]) FROM t", 8, "not supported"),  # (DuckDB cannot bind it either)
])
def test_refused(sql, col, message):
    p = Pipeline("duckdb")
    p.execute(DDL)
    with pytest.raises(CompileError, match=message) as e:
        p.execute(sql)
    assert (e.value.line, e.value.col) == (1, col)
