"""DuckDB's string positions are 32-bit: SUBSTRING, SUBSTRING_GRAPHEME, LEFT, ``s[i]`` and
``array_extract(s, i)`` of a string fail on an offset or a length outside [-2^32, 2^32 - 1], whatever
the string (DuckDB's "Substring offset/length outside of supported range").

Laws (checked against DuckDB 2.0 at both ends of the range):
- the check is made only for a row whose string and bounds are all non-NULL (a NULL string is NULL
  whatever the bounds), the offset before the length;
- inside the range the answer is the unchecked function's (sqllib/strings.py): these wrappers add the
  error and change nothing else;
- LEFT(s, n) checks only n above the range (a very negative n is the empty string, as in DuckDB);
- without a length, SUBSTRING takes 2^32 - 1 characters, not "the rest": from a start far before the
  string that leaves its end out (SUBSTRING('abc', -4294967296) is 'ab').
SQLite and PostgreSQL have no such limit: their entries keep the unchecked functions.
"""

from __future__ import annotations

from .errors import DataError
from .strings import _ALL, sql_left, string_element, substring, substring_grapheme

LOW, HIGH = -(2 ** 32), 2 ** 32 - 1


def check_offset(i: int) -> None:
    if i > HIGH:
        raise DataError(f"Substring offset {i} is outside of the supported range (> {HIGH})")
    if i < LOW:
        raise DataError(f"Substring offset {i} is outside of the supported range (< {LOW})")


def check_length(n: int) -> None:
    if n > HIGH:
        raise DataError(f"Substring length {n} is outside of the supported range (> {HIGH})")
    if n < LOW:
        raise DataError(f"Substring length {n} is outside of the supported range (< {LOW})")


def _checked_length(start: int, length) -> int:
    """The length SUBSTRING takes (2^32 - 1 when left out), start and length checked."""
    check_offset(start)
    length = HIGH if length is None or length is _ALL else length
    check_length(length)
    return length


def duck_substring(s, start, length=None):
    """SUBSTRING(s, start[, length]) with DuckDB's 32-bit range checks."""
    if s is None or start is None:
        return None
    return substring(s, start, _checked_length(start, length))


def duck_substring_grapheme(s, start, length=_ALL):
    """SUBSTRING_GRAPHEME with DuckDB's 32-bit range checks (a NULL length is NULL)."""
    if s is None or start is None or length is None:
        return None
    return substring_grapheme(s, start, _checked_length(start, length))


def duck_string_element(s, index):
    """s[i] / array_extract(s, i) of a string with DuckDB's 32-bit range check of i."""
    if s is None or index is None:
        return None
    check_offset(index)
    return string_element(s, index)


def duck_left(s, n):
    """LEFT(s, n): DuckDB fails on n above the 32-bit range."""
    if s is None or n is None:
        return None
    if n > HIGH:
        check_length(n)
    return sql_left(s, n)
