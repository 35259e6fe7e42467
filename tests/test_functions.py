"""The scalar function registry (compiler/functions.py): every entry, as each of its spellings, is
bound to its own call, accepted by the structural check, and computes what DuckDB computes under
random change streams with NULLs in every argument (a view per entry, built from the entry alone:
a new entry is tested here without a line more)."""

import pytest
import sqlglot
from hypothesis import given
from sqlglot import exp

from deltasql import CompileError, Pipeline
from deltasql.compiler import constructs, functions as FN
from deltasql.sqllib.lists import SqlList as L
from deltasql.sqllib.maps import make_map
from deltasql.sqllib.structs import struct_class
from tests.harness import Spec, check_random, hypothesis_settings, streams

DDL = ("CREATE TABLE t(x DOUBLE, y DOUBLE, s VARCHAR, s2 VARCHAR, s3 VARCHAR, n BIGINT, dt DATE, ts TIMESTAMP, "
       "xs INT[], ys INT[], xss INT[][], bs BOOLEAN[], m MAP(BIGINT, VARCHAR), m2 MAP(BIGINT, VARCHAR), "
       "st STRUCT(a INT, b VARCHAR))")
# the columns an argument of each kind is drawn from, in order (round and round again)
COLUMNS = {FN.NUMBER: ("x", "y"), FN.STRING: ("s", "s2", "s3"), FN.TEXT_ARG: ("s", "s2", "s3"),
           FN.TEXT_OR_BLOB: ("s", "s2", "s3"),
           FN.AS_BIGINT: ("n",), FN.INT: ("n",), FN.INT32: ("n",), FN.TEMPORAL: ("dt", "ts"), FN.VALUE: ("n", "x"),
           FN.TEXT_OR_LIST: ("s", "xs"), FN.LIST: ("xs", "ys"), FN.LIST_OR_TEXT: ("s", "xs"),
           FN.MAP: ("m", "m2"), FN.STRUCT: ("st",)}
# entries whose list argument must be a list of lists, or of BOOLEANs: the column it is taken from
LIST_COLUMN = {"flatten": "xss", "list_bool_and": "bs", "list_bool_or": "bs"}
# arguments that must be constants (as in DuckDB): the constant written instead of a column
CONSTANTS = {"array_to_string": {1: "'-'"}, "parse_path": {1: "'forward_slash'"}, "parse_dirname": {1: "'backslash'"},
             "parse_dirpath": {1: "'both_slash'"}, "parse_filename": {1: "true", 2: "'backslash'"}}
DOMAINS = {"x": [0.5, 0.25, 2.0, 1.0, 3.5], "y": [0.5, 2.0, 10.0, 1.5],
           "s": ["abc", "Hello World", "", "ÄbÇ", "a.b-c"], "s2": ["b", "ab", "", "l"], "s3": ["x", "yz", ""],
           "n": [0, 1, 2, 3],
           "m": [make_map([(1, "a"), (2, None)]), make_map([]), make_map([(3, "c")]), make_map([(0, "z"), (1, "b")])],
           "m2": [make_map([(1, "q")]), make_map([]), make_map([(2, "a")])],
           "st": [struct_class(("a", "b"))((1, "x")), struct_class(("a", "b"))((None, None))],
           "xs": [L((1, 2)), L(()), L((None,)), L((3, 1, None, 3)), L((0,))], "ys": [L((2, 3)), L(()), L((None, 1))],
           "xss": [L((L((1, 2)), None, L(()))), L(()), L((None,)), L((L((None, 3)),))],
           "bs": [L((True, None)), L(()), L((False, True)), L((True,))]}
# spellings of entries that sqlglot parses into a node shared with others (LOG) or that the binder
# reaches from a node of its own with a check first (TRUNC, SHA2)
WRITTEN = {"octet_length": "octet_length(CAST(s2 AS BLOB))", "get_bit": "get_bit(CAST('0110' AS BIT), CAST({} AS INTEGER))",
           "log10": "log10({})", "log2": "log2({})", "log": "log({}, {})", "trunc": "trunc({})",
           "sha256": "sha256({})", "power": "pow({}, {})", "last_day": "last_day({})",
           "make_date": "make_date(2000 + {}, {} + 1, {} + 1)", "round": "round({}, CAST({} AS INTEGER))",
           "round_even": "round_even({}, CAST({} AS INTEGER))",
           "substring": "substring({}, {}, {})", "position": "position({} IN {})", "lpad": "lpad({}, CAST({} AS INTEGER), 'xy')",
           "rpad": "rpad({}, CAST({} AS INTEGER), 'xy')", "chr": "chr(CAST({} AS INTEGER) + 65)", "concat_ws": "concat_ws({}, s2, s3)",
           "strftime": "strftime({}, '%Y/%m/%d %H')", "age": "age({1}, TIMESTAMP '2020-01-01 00:00:00')",
           "date_diff": "date_diff('month', {1}, DATE '2024-02-29')",
           "strptime": "strptime(CAST(2000 + n AS VARCHAR) || '-03', '%Y-%m')", "to_timestamp": "to_timestamp({})",
           "make_timestamp": "make_timestamp(2000 + n, 1 + n, 1, n, n, {})", "trunc_digits": "trunc({}, CAST({} AS INTEGER) - 1)",
           "to_base": "to_base({}, CAST({} AS INTEGER) * 5 + 2, CAST({} AS INTEGER))",
           "factorial": "factorial(CAST({} AS INTEGER) * 10)", "binom": "binom(CAST({} AS INTEGER) * 40, CAST({} AS INTEGER) * 20)",
           "format": "format({} || ' {{}} {{:>4}} {{:.2f}} {{:x}} {{}}', s2, x, y, n, dt)",
           "printf": "printf({} || ' %s|%5d|%.3e|%-6s|%x', s2, n, x, ts, n)",
           "list_sort": "list_sort({})", "jaro_winkler_similarity": "jaro_winkler_similarity({}, {}, {} / 4)",
           "decimal_division": "decimal_division(CAST({} AS DECIMAL(6,2)), CAST({} AS DECIMAL(4,1)) + 1)", "list_range": "range(-{}, {} + 3)",
           "list_zip": "list_zip({}, ys, bs, n > 1)", "list_series": "generate_series({}, 4, {} + 1)",
           "equi_width_bins": "equi_width_bins(least({0}, {1}), greatest({0}, {1}), abs({2}) + 1, {3} > 1)",
           "decode": "decode(encode(s))", "to_base64": "to_base64(encode(s))"}
# entries whose other spellings take INTEGER arguments the test table's BIGINT column cannot give (DuckDB
# does not narrow BIGINT implicitly): only their WRITTEN spelling
ONLY_WRITTEN = {"list_zip", "equi_width_bins", "to_base", "factorial", "binom", "format", "printf", "decimal_division", "octet_length",
                "get_bit", "decode", "to_base64",
                "jaro_winkler_similarity"}  # (sqlglot writes its node with a third argument as UPPER(…) calls)
# entries with no spelling in DuckDB: Postgres's TO_TIMESTAMP(text, format) (tests/test_edges.py)
NOT_IN_DUCKDB = {"strptime_tz"}
# entries taking an aggregate state, which no column holds: tests/test_diff_export_state.py
OF_STATES = {f.fn for f in FN.FUNCTIONS if FN.STATE in f.args}


def arguments(f: FN.Function) -> list[str]:
    taken = {kind: 0 for kind in COLUMNS}
    out = []
    for kind in f.args:
        out.append(COLUMNS[kind][taken[kind] % len(COLUMNS[kind])])
        taken[kind] += 1
    if f.fn in LIST_COLUMN:
        out[0] = LIST_COLUMN[f.fn]
    for i, c in CONSTANTS.get(f.fn, {}).items():
        out[i] = c
    return out


def spellings(f: FN.Function) -> list[str]:
    """Every way to write a call of ``f`` on the test table's columns (DuckDB's spelling)."""
    cols = arguments(f)
    if f.fn in ONLY_WRITTEN:
        return [WRITTEN[f.fn].format(*cols)]
    out = []
    for node, reads in f.nodes.items():
        args = {k: sqlglot.parse_one(c) for k, c in zip(reads, cols)}
        out.append(node(**{k: [v] if k == "expressions" else v for k, v in args.items()}).sql("duckdb"))
    out += [f"{name}({', '.join(cols)})" for name in f.names]
    if f.fn in WRITTEN:
        out.append(WRITTEN[f.fn].format(*cols))
    return out


CALLS = [(f.fn, sql) for f in FN.FUNCTIONS if f.deterministic and f.written and f.fn not in OF_STATES
         for sql in spellings(f)]


def test_every_entry_is_written_somehow():
    written = {f.fn for f in FN.FUNCTIONS if f.deterministic and f.written}
    assert {fn for fn, _ in CALLS} == written - NOT_IN_DUCKDB - OF_STATES


@pytest.mark.parametrize("sql", [sql for f in FN.FUNCTIONS if not f.deterministic for sql in spellings(f)])
def test_not_deterministic_refused(sql):
    p = Pipeline()
    p.execute(DDL)
    with pytest.raises(CompileError, match="is not deterministic; a view cannot be maintained over it"):
        p.execute(f"CREATE VIEW v AS SELECT {sql} AS r FROM t")
    assert "v" not in p.views


@pytest.mark.parametrize("fn, sql", CALLS)
def test_each_spelling_binds_to_its_entry(fn, sql):
    p = Pipeline()
    p.execute(DDL)
    p.execute(f"CREATE VIEW v AS SELECT {sql} AS r FROM t")
    assert f"{fn}(" in p.plan_text("v"), p.plan_text("v")


def test_constructs_accepts_exactly_the_arguments_read():
    """Every argument constructs.py accepts of a registry function's node is one the function reads, but
    those it accepts only with given values (ENCODE's character set: UTF-8), which nothing needs to read."""
    for f in FN.FUNCTIONS:
        for node, reads in f.nodes.items():
            accepted = constructs.ACCEPTED[node]
            assert {a for a, spec in accepted.items() if spec is constructs.ANY} == set(reads), node


@pytest.mark.parametrize("fn", sorted({fn for fn, _ in CALLS}))
@hypothesis_settings(default=4)
@given(rnd=streams())
def test_entry_against_duckdb(fn, rnd):
    views = {f"v{i}": f"SELECT {', '.join(arguments(FN.BY_FN[fn]))}, {sql} AS r FROM t"
             for i, (g, sql) in enumerate(CALLS) if g == fn}
    check_random(Spec(DDL, views, domains=DOMAINS), rnd)


# (a list or map function needs a list or map, which SQLite cannot have: its literals and column types are
# refused)
@pytest.mark.parametrize("f", [f for f in FN.FUNCTIONS if not f.sqlite and f.written and f.fn not in NOT_IN_DUCKDB | OF_STATES
                               and FN.LIST not in f.args and FN.MAP not in f.args and FN.STRUCT not in f.args],
                         ids=lambda f: f.fn)
def test_not_in_sqlite(f):
    p = Pipeline(dialect="sqlite")
    p.execute(DDL.split(", xs ")[0] + ")")  # SQLite has no list types
    # (sqlglot's sqlite parser wants MySQL's ENCODE(x USING charset): a syntax error there, also inside
    # TO_BASE64's written spelling)
    expected = "syntax error" if f.fn in ("encode", "decode", "to_base64") else "not supported in the sqlite dialect|unsupported function"
    with pytest.raises(CompileError, match=expected):
        p.execute(f"CREATE VIEW v AS SELECT {spellings(f)[0]} FROM t")


@pytest.mark.parametrize("sql", ["floor(x, 1)", "ceil(x, 1)"])
def test_arguments_not_read_are_refused(sql):
    """FLOOR / CEIL with a number of digits (other dialects' form; DuckDB has none) was computed
    without its digits: now refused, as DuckDB refuses it."""
    p = Pipeline()
    p.execute(DDL)
    with pytest.raises(CompileError, match="not supported"):
        p.execute(f"CREATE VIEW v AS SELECT {sql} FROM t")


def test_postgres_to_timestamp_of_text():
    """Postgres's TO_TIMESTAMP(text, format), the one entry DuckDB cannot spell: a TIMESTAMPTZ in UTC,
    NULL for NULL."""
    import datetime

    p = Pipeline(dialect="postgres")
    p.execute("CREATE TABLE t(s VARCHAR)")
    p.execute("CREATE VIEW v AS SELECT s, to_timestamp(s, 'YYYY-MM-DD HH24:MI') AS r FROM t")
    p.insert("t", [("2024-03-05 17:30",), (None,)])
    p.step()
    assert sorted(p.view("v").rows(), key=str) == sorted(
        [("2024-03-05 17:30", datetime.datetime(2024, 3, 5, 17, 30, tzinfo=datetime.timezone.utc)), (None, None)],
        key=str)
