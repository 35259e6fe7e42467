"""FORMAT and PRINTF (sqllib/formatting.py) against DuckDB, call by call: each format and argument kind
(integers, doubles, DECIMALs, booleans, text, dates), flags, widths, precisions, '*', length modifiers,
positional fields, and the type errors DuckDB raises (a DataError here).  tests/test_functions.py runs
both in views under change streams."""

import re

import duckdb
import pytest

from deltasql import CompileError, DataError, Pipeline

CALLS = """
printf('hello')|printf(NULL)|printf('%s', 'hello')|printf('%s: %s', 'hello', 'world')|printf('%s', NULL)
printf(NULL, 'hello', 'world')|printf('%d', TRUE)|printf('%d', 33)|printf('%d + %d = %d', 3, 5, 3 + 5)
printf('%04d', 33)|printf('%s %02d:%02d:%02d %s', 'time', 12, 3, 16, 'AM')|printf('%10d', 1992)
printf('%hhd %hd %d %lld', 33::TINYINT, 12::SMALLINT, 40::INTEGER, 80::BIGINT)|printf('%hhd', 300)
printf('%s %s', DATE '1992-01-01', TIMESTAMP '1992-01-01 12:01:00')|printf('%d', 120381902481294715712::HUGEINT)
printf('%.3f', '1.234'::DECIMAL)|printf('%d %x %o %#x %#o', 100, 100, 100, 100, 100)|printf('%b', -5)
printf('%c', 65)|printf('%*d', 5, 10)|printf('%.2f', 10.0::FLOAT)|printf('%.4f', 0.5)
printf('floats: %4.2f %+.0e %E', 3.1416, 3.1416, 3.1416)|printf('%s', 'hello', 'world')|printf('%s', 1.5::DOUBLE)
printf('%d', 1.5)|printf('%5s|%-5s|', 'a', 'b')|printf('%s %s', 'a')|printf('%i %u', 5, 6)|printf('%10.3s|', 'abcdef')
printf('%-+5d|', 3)|printf('% d', 3)|printf('%05.1f', -2.5)|printf('%#o', 8)|printf('%#o', 0)|printf('%5%')
printf('%%')|printf('%.2s', 'ÄbÇ')|printf('%-*d|', 5, 10)|printf('%.*f', 2, 3.14159)|printf('%f', 'nan'::DOUBLE)
printf('%5.2f', 'inf'::DOUBLE)|printf('%G', 1e-10)|printf('%s', INTERVAL 1 DAY)|printf('%08b', 5)|printf('%s', true)
printf('%5s', true)|printf('%x %X %o %u', -1, -255, -8, -1)|printf('%d', DATE '1992-01-01')|printf('%e', 0)
format('hello')|format(NULL)|format('{}', 'hello')|format('{}: {}', 'hello', 'world')|format('{}', NULL)
format(NULL, 'hello', 'world')|format('{} {}', TRUE, FALSE)|format('{}', 33)|format('{} + {} = {}', 3, 5, 3 + 5)
format('{} {}', DATE '1992-01-01', TIMESTAMP '1992-01-01 12:01:00')|format('{}', 1.50::DECIMAL(5,2))
format('{}', 1.5::DOUBLE)|format('{}', 1e20::DOUBLE)|format('{}', 0.1::DOUBLE)|format('{}', 1.0::DOUBLE)
format('{:d}', 5)|format('{:.2f}', 1.5)|format('{:>5}', 'ab')|format('{0} {0}', 'ab')|format('{:x}', 255)
format('{} {}', 1)|format('{:d}', 'a')|format('{}', 0.1::FLOAT)|format('{:,}', 1234567)|format('{:e}', 1234.5)
format('{:g}', 0.00001)|format('{}', 1e-5::DOUBLE)|format('{}', 123456789012.0::DOUBLE)|format('{}', 1e16::DOUBLE)
format('{:f}', 5)|format('{:s}', 5)|format('{:d}', 1.5::DOUBLE)|format('{:s}', 'a')|format('{:d}', true)
format('{:s}', true)|format('{:>6}', true)|format('{!r}', 'a')|format('{0.x}', 'a')|format('{:%}', 0.5)
format('{:n}', 5)|format('{:c}', 65)|format('{:b}', 5)|format('{:#x}', 255)|format('{:+}', 5)
format('{:08.3f}', -3.14159)|format('{:^7}', 'ab')|format('{:*<6}', 'ab')|format('{:,}', 1234.5)|format('{:_}', 1234567)
format('{}', -0.0::DOUBLE)|format('{}', 'nan'::DOUBLE)|format('{}', 'inf'::DOUBLE)|format('{:.2e}', 12345.678)
format('{{}}')|format('{1} {0}', 'a', 'b')|format('{:5d}', -42)|format('{:+}', 1.5)|format('{:10}', 1.5)
format('{:<10}|', 1.5)|format('{:010}', 1.5)|format('{:5}', 'ab')|format('{:5}', 42)
"""


@pytest.mark.parametrize("call", [c for line in CALLS.strip().splitlines()
                                  for c in re.split(r"\|(?=(?:printf|format)\()", line)])
def test_against_duckdb(call):
    try:
        want = ("rows", duckdb.connect().execute(f"SELECT {call}").fetchall())
    except duckdb.Error:
        want = ("error",)
    p = Pipeline()
    p.execute("CREATE TABLE one(x INT)")
    try:
        p.execute(f"CREATE VIEW v AS SELECT {call} AS r FROM one")
        p.insert("one", [(1,)])
        p.step()
        got = ("rows", p.view("v").rows())
    except DataError:
        got = ("error",)
    except CompileError as e:
        got = ("refused", e.message)
    assert got == want
