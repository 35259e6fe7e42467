"""SET calendar (compiler/settings.py): the Gregorian calendar, the one the date functions follow, is
accepted (DuckDB's test files set it before their ICU date tests); any other calendar is refused by name."""

import datetime

import pytest

from deltasql import CompileError, Pipeline


def test_gregorian_is_accepted_and_changes_nothing():
    p = Pipeline()
    p.execute("CREATE TABLE t(d DATE)")
    p.execute("SET Calendar = 'gregorian'")
    p.execute("CREATE VIEW v AS SELECT d + 1 AS n, dayname(d) AS w FROM t")
    p.insert("t", [(datetime.date(2020, 2, 28),)])
    p.step()
    assert p.execute("SELECT * FROM v") == [(datetime.date(2020, 2, 29), "Friday")]
    p.execute("PRAGMA calendar('GREGORIAN')")
    p.execute("RESET calendar")


@pytest.mark.parametrize("value", ["japanese", "buddhist", "islamic"])
def test_other_calendars_are_refused_by_name(value):
    p = Pipeline()
    with pytest.raises(CompileError, match=f"unrecognized value '{value}' for calendar: expected gregorian"):
        p.execute(f"SET calendar = '{value}'")
