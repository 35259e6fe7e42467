"""The semantics that differ between SQL dialects: division, overflow, literals, LIKE, booleans."""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot.dialects.postgres import Postgres
from sqlglot.trie import new_trie

from .errors import CompileError

# Postgres's to_char template 'HH' is the 12-hour clock, as HH12; sqlglot's mapping lacks it (and so
# left 'HH' as literal text): add it where sqlglot reads Postgres formats
if "HH" not in Postgres.TIME_MAPPING:
    Postgres.TIME_MAPPING = {**Postgres.TIME_MAPPING, "HH": "%I"}
    Postgres.TIME_TRIE = new_trie(Postgres.TIME_MAPPING)


@dataclass(frozen=True)
class Dialect:
    name: str  # the sqlglot dialect name used for parsing
    integer_division: bool  # int / int truncates (sqlite, postgres) instead of giving a float (duckdb)
    division_by_zero_null: bool  # x / 0 and x % 0 are NULL (sqlite) rather than an error (duckdb)
    overflow_to_float: bool  # integer overflow gives a float (sqlite) rather than an error
    decimal_is_float: bool  # DECIMAL columns and 1.5 literals are floating point (sqlite)
    like_case_insensitive: bool  # LIKE ignores ASCII case (sqlite)
    int_to_bool: bool  # integers are truthy in WHERE / AND / NOT (sqlite has no boolean type)
    cast_float_to_int_truncates: bool  # CAST(2.7 AS INT) = 2 (sqlite) rather than 3 (duckdb rounds)
    # a name two columns of a subquery have (SELECT 1 AS a, 2 AS a) is ambiguous when read
    # (postgres) rather than the first of them (duckdb, sqlite)
    duplicate_names_ambiguous: bool
    # DECIMAL arithmetic and SUM whose value does not fit the result's DECIMAL(38, s) are an error (duckdb)
    # rather than exact (postgres, whose NUMERIC results have no precision)
    decimal_overflow: bool
    # an aggregate's arguments and ORDER BY keys are computed for every row it reads and FILTER applied
    # after, so a row FILTER leaves out still fails on an argument that fails (duckdb); rather than
    # computed only for the rows FILTER keeps (postgres, sqlite)
    filter_after_arguments: bool
    # how a string casts to BOOLEAN (sqllib/casts.cast_bool): "duckdb" (true/t/yes/y/1, false/f/no/n/0 in any
    # case, nothing else: no blank around), "postgres" (blanks trimmed, unique prefixes of true/false/yes/no,
    # on/of(f), 1/0), "lenient" (blanks trimmed, DuckDB's words: sqlite, which has no BOOLEAN of its own)
    bool_text: str
    # a number or a string used as a condition (WHERE s, NOT x, CASE WHEN d …) is cast to BOOLEAN (duckdb);
    # else only an integer is (postgres, leniently), or any number and string is truthy (int_to_bool)
    condition_casts: bool


_SQLITE = dict(integer_division=True, division_by_zero_null=True, overflow_to_float=True,
               decimal_is_float=True, like_case_insensitive=True, int_to_bool=True,
               cast_float_to_int_truncates=True, duplicate_names_ambiguous=False, decimal_overflow=False,
               filter_after_arguments=False, bool_text="lenient", condition_casts=False)
_DUCKDB = dict(integer_division=False, division_by_zero_null=False, overflow_to_float=False,
               decimal_is_float=False, like_case_insensitive=False, int_to_bool=False,
               cast_float_to_int_truncates=False, duplicate_names_ambiguous=False, decimal_overflow=True,
               filter_after_arguments=True, bool_text="duckdb", condition_casts=True)
_POSTGRES = dict(_DUCKDB, integer_division=True, duplicate_names_ambiguous=True, decimal_overflow=False,
                 filter_after_arguments=False, bool_text="postgres", condition_casts=False)

_KNOWN = {"duckdb": _DUCKDB, "sqlite": _SQLITE, "postgres": _POSTGRES}


def get_dialect(name: str) -> Dialect:
    """Any sqlglot dialect name; dialects without a profile of their own get DuckDB's semantics
    except where sqlglot marks division as integer/safe for them (see the binder)."""
    import sqlglot

    name = (name or "duckdb").lower()
    try:
        sqlglot.Dialect.get_or_raise(name)
    except ValueError:
        raise CompileError(f"unknown SQL dialect {name!r}") from None
    return Dialect(name=name, **_KNOWN.get(name, _DUCKDB))
