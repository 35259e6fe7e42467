"""The aggregate registry (compiler/aggregates.py): every entry, as each of its spellings, is bound to
its own aggregate, accepted by the structural check exactly as far as it reads, refused where the
entry says so (not maintainable, DISTINCT it has no state for), and computes what DuckDB computes
under random change streams with NULLs in every argument: grouped and global, with FILTER, and with
DISTINCT where the entry takes it (views built from the entry alone: a new entry is tested here
without a line more)."""

import pytest
from hypothesis import given
from sqlglot import exp

from deltasql import CompileError, Pipeline
from deltasql.compiler import aggregates as AG
from deltasql.compiler import constructs
from tests.harness import Spec, check_random, hypothesis_settings, streams

DDL = "CREATE TABLE t(id INT NOT NULL, g INT, x INT, y DECIMAL(7,2), z DOUBLE, n BIGINT, b BOOLEAN, s VARCHAR)"
DOMAINS = {"id": list(range(24)), "g": [1, 2, 3], "x": [1, 2, 3, 0, -1, 5, -7], "n": [0, 1, 6, -3, 12],
           "z": [0.5, 2.0, -1.25, 10.0, 3.0], "s": ["a", "b", "ab", "", "c"]}
# the columns an argument of each kind is drawn from: one view per choice (a number of each type)
COLUMNS = {AG.ANY: ("x", "s", "y"), AG.SUMMABLE: ("x", "y", "z"), AG.STATISTIC: ("x", "y", "z"),
           AG.NUMBER: ("x", "y", "z"), AG.AS_DOUBLE: ("x", "y", "z"), AG.INTEGER: ("x", "n"), AG.INTEGER_OR_BIT: ("x", "n"),
           AG.CONDITION: ("b",), AG.BOOLEAN_ARG: ("b",)}
# entries whose second argument is a constant (the fraction of a quantile)
WRITTEN = {"quantile_cont": "{name}({}, 0.25)", "quantile_disc": "{name}({}, -0.6)"}
NOT_IN_DUCKDB = {"total"}  # SQLite's TOTAL (tests/test_sqlite.py)
# entries whose answer DuckDB makes depend on the order it reads rows where values tie: compared over
# a column without ties (the key)
ARGUMENTS = {**{fn: [["x", "id"], ["s", "id"], ["y", "id"]]
                for fn in ("arg_max", "arg_min", "arg_max_null", "arg_min_null")},
             "decimal_average": [["y"]]}  # (a DECIMAL only, as DuckDB)


def argument_lists(a: AG.Aggregate) -> list[list[str]]:
    """Argument columns for each view of entry ``a``: the i-th choice of every argument's kind."""
    if a.fn in ARGUMENTS:
        return ARGUMENTS[a.fn]
    kinds = a.args[:1] if a.fn in WRITTEN else a.args
    width = max(len(COLUMNS[k]) for k in kinds)
    return [[COLUMNS[k][(i + j) % len(COLUMNS[k])] for j, k in enumerate(kinds)] for i in range(width)]


def spellings(a: AG.Aggregate, cols: list[str]) -> list[str]:
    """Every way to write a call of ``a`` on ``cols`` (DuckDB's spelling)."""
    out = []
    for node, reads in a.nodes.items():
        if a.fn in WRITTEN:
            name = node(this=exp.column("c"), expression=exp.column("c")).sql("duckdb").split("(")[0]
            out.append(WRITTEN[a.fn].format(*cols, name=name))
        else:
            out.append(node(**{k: exp.column(c) for k, c in zip(reads, cols)}).sql("duckdb"))
    out += [f"{name}({', '.join(cols)})" for name in a.names]
    if a.order:  # an order-sensitive answer (STRING_AGG): ordered by its argument
        out = [f"{sql[:-1]} ORDER BY {cols[0]})" for sql in out]
    return out


def with_distinct(call: str) -> str:
    name, rest = call.split("(", 1)
    return f"{name}(DISTINCT {rest}"


# entries tested elsewhere: whose value is an aggregate state, which a view cannot output
# (tests/test_diff_export_state.py); whose second argument is a constant list of bins
# (tests/test_diff_histogram_bins.py); whose range is two constants (tests/test_diff_bitstring_agg.py)
ELSEWHERE = {"export_state", "combine_aggr", "histogram_exact", "bitstring_agg"}
WRITTEN_ENTRIES = [a for a in AG.AGGREGATES if a.written and not a.refused and a.fn not in ELSEWHERE]
MAINTAINED = [a for a in WRITTEN_ENTRIES if not (set(a.names) & NOT_IN_DUCKDB)]
CALLS = [(a, sql) for a in WRITTEN_ENTRIES for cols in argument_lists(a) for sql in spellings(a, cols)]


def _id(a: AG.Aggregate) -> str:
    return "/".join([a.fn] + [n.__name__ for n in a.nodes] + list(a.names))


def test_every_entry_is_written_somehow():
    assert {id(a) for a, _ in CALLS} == {id(a) for a in WRITTEN_ENTRIES}


def test_constructs_accepts_exactly_the_arguments_read():
    for a in AG.AGGREGATES:
        for node, reads in a.nodes.items():
            assert set(constructs.ACCEPTED[node]) == set(reads), node


@pytest.mark.parametrize("a, sql", CALLS, ids=[sql for _, sql in CALLS])
def test_each_spelling_binds_to_its_entry(a, sql):
    p = Pipeline(dialect="sqlite" if set(a.names) & NOT_IN_DUCKDB else "duckdb")
    p.execute(DDL)
    p.execute(f"CREATE VIEW v AS SELECT g, {sql} AS r FROM t GROUP BY g")
    plan = p.plan_text("v")
    assert f"{a.fn}(" in plan or (a.fn == "count" and "count_star(" in plan), plan


REFUSED = [(a, f"{a.fn}(x, 0.5)" if a.fn == "approx_quantile" else f"{a.fn}(x)") for a in AG.AGGREGATES if a.refused]


@pytest.mark.parametrize("a, sql", REFUSED, ids=[sql for _, sql in REFUSED])
def test_refused_with_the_entrys_reason(a, sql):
    p = Pipeline()
    p.execute(DDL)
    with pytest.raises(CompileError) as e:
        p.execute(f"CREATE VIEW v AS SELECT {sql} AS r FROM t")
    # (DuckDB's ANY_VALUE parses with IGNORE NULLS, which the structural check refuses first)
    assert e.value.message in (a.refused.format(name=sql.split("(")[0].upper()), "IGNORE NULLS is not supported")
    assert e.value.line == 1 and "v" not in p.views


NO_DISTINCT = [(a, sql) for a, sql in CALLS if not a.distinct and not set(a.names) & NOT_IN_DUCKDB]


@pytest.mark.parametrize("a, sql", NO_DISTINCT, ids=[sql for _, sql in NO_DISTINCT])
def test_distinct_refused_where_the_entry_has_no_state_for_it(a, sql):
    p = Pipeline()
    p.execute(DDL)
    # sqlglot cannot parse DISTINCT before two arguments: a syntax error there
    refusal = "DISTINCT is not supported in" + ("|syntax error|several DISTINCT" if len(a.args) > 1 else "")
    with pytest.raises(CompileError, match=refusal):
        p.execute(f"CREATE VIEW v AS SELECT {with_distinct(sql)} AS r FROM t")


@pytest.mark.parametrize("a", MAINTAINED, ids=_id)
@hypothesis_settings(default=4)
@given(rnd=streams())
def test_entry_against_duckdb(a, rnd):
    views = {}
    for i, cols in enumerate(argument_lists(a)):
        for j, sql in enumerate(spellings(a, cols)):
            views[f"g{i}_{j}"] = f"SELECT g, {sql} AS r FROM t GROUP BY g"
            views[f"f{i}_{j}"] = f"SELECT {sql} FILTER (WHERE x > 0) AS r, COUNT(*) AS c FROM t"
            if a.distinct:
                views[f"d{i}_{j}"] = f"SELECT g, {with_distinct(sql)} AS r FROM t GROUP BY g"
    check_random(Spec(DDL, views, domains=DOMAINS, keys={"t": ("id",)}, rel_tol=1e-7), rnd)
