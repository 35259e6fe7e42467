"""A LIKE pattern that ends with its escape character (``'a*' ESCAPE '*'``: nothing left to escape).

Such a pattern never matches.  DuckDB (and PostgreSQL) fail with "Like pattern must not end with
escape character" -- but only for a string whose match walks up to that last escape character: DuckDB
matches left to right and answers false at the first character that does not match, so
``'b' LIKE 'a*' ESCAPE '*'`` is false and ``'a' LIKE 'a*' ESCAPE '*'`` an error.  SQLite answers false
for every string.

Laws (DuckDB 2.0's walk, checked on the cases in tests/test_diff_lenient.py):
- the pattern is read left to right; the escape character takes the next pattern character as a
  literal, which must equal the next string character (none left: no match); ``%`` (a run of them)
  at the end matches the rest, otherwise the rest of the pattern is tried against each suffix of the
  string, the longest first and the empty one last, and the first that matches wins;
  ``_`` and a literal need a string character (none left: no match);
- the walk fails exactly when it reads the last pattern character as an escape character;
- whether it gets there depends only on (string position, pattern position), so a position pair that
  answered "no match" once is not walked again (quadratic, not exponential, in the worst case).
"""

from __future__ import annotations

from .errors import DataError, show_value


def dangling(pattern: str, escape: str) -> bool:
    """Whether ``pattern`` ends with an escape character that escapes nothing."""
    i, n = 0, len(pattern)
    while i < n:
        if pattern[i] == escape:
            if i + 1 == n:
                return True
            i += 2
        else:
            i += 1
    return False


def reaches_end(s: str, pattern: str, escape: str, case_insensitive: bool) -> bool:
    """Whether DuckDB's walk of ``s`` along a dangling ``pattern`` reads its last character as an
    escape (then it fails); otherwise the answer is no match."""
    if case_insensitive:
        s, pattern = s.lower(), pattern.lower()
    n, m = len(s), len(pattern)
    no_match: set[tuple[int, int]] = set()

    def walk(si: int, pi: int) -> bool:  # True: the walk reached the dangling escape
        start = (si, pi)
        if start in no_match:
            return False
        while pi < m:
            c = pattern[pi]
            if c == escape:
                if pi + 1 == m:
                    return True
                if si == n or pattern[pi + 1] != s[si]:
                    break
                si, pi = si + 1, pi + 2
            elif c == "%":
                while pi < m and pattern[pi] == "%":
                    pi += 1
                if pi == m:
                    break  # (cannot happen: the pattern ends with its escape character)
                if any(walk(k, pi) for k in range(si, n + 1)):
                    return True
                break
            elif si == n or (c != "_" and c != s[si]):
                break
            else:
                si, pi = si + 1, pi + 1
        no_match.add(start)
        return False

    return walk(0, 0)


def like_dangling(s: str, pattern: str, escape: str, case_insensitive: bool, fails: bool) -> bool:
    """``s LIKE pattern`` for a dangling pattern: false, or DuckDB's error where its walk reaches the
    end (``fails``: not in SQLite)."""
    if fails and reaches_end(s, pattern, escape, case_insensitive):
        raise DataError(f"LIKE pattern {show_value(pattern)} must not end with its escape character "
                        f"{show_value(escape)}")
    return False
