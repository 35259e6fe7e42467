"""DuckDB's path functions: PARSE_PATH, PARSE_DIRNAME, PARSE_DIRPATH, PARSE_FILENAME.

A separator option names the characters that separate a path's parts: 'forward_slash' '/',
'backslash' '\\', 'system' the system's ('/': DuckDB on a POSIX system), and anything else (NULL, an
unknown word, 'both_slash', the default) either of '/' and '\\'.  Laws, as DuckDB computes them:
- parse_path splits at each separator; a separator at the start is a part of its own ('/'), and empty
  parts (consecutive separators, a trailing one) are dropped; '' is [];
- parse_dirname is what precedes the first separator ('/' for a path that starts with one, '' for a
  path without any);
- parse_dirpath is what precedes the last separator ('/' for the path '/', '' when the last separator
  is the first character of a longer path, or there is none);
- parse_filename is what follows the last separator; with trim_extension, without what follows its
  last '.' (if that '.' is in the file name).
A NULL path is NULL; a NULL separator is the default.  The separator and trim_extension are constants
(the binder requires it: DuckDB reads them from the first row of each batch of rows).
"""

from __future__ import annotations

from .lists import SqlList

__all__ = ["parse_path", "parse_dirname", "parse_dirpath", "parse_filename"]


def _separators(option) -> str:
    if option in ("system", "forward_slash"):
        return "/"
    if option == "backslash":
        return "\\"
    return "/\\"


def _first(s: str, seps: str, start: int = 0) -> int:
    """The position of the first separator at or after ``start`` (-1: none)."""
    found = [i for i in (s.find(c, start) for c in seps) if i >= 0]
    return min(found) if found else -1


def _last(s: str, seps: str) -> int:
    return max(s.rfind(c) for c in seps)


def parse_path(path, option=None):
    if path is None:
        return None
    seps = _separators(option)
    parts: list[str] = []
    i = 0
    while i < len(path):
        j = _first(path, seps, i)
        if j < 0:
            parts.append(path[i:])
            break
        if j > i:
            parts.append(path[i:j])
        elif not parts:  # a separator first: a part of its own
            parts.append(path[j])
        i = j + 1
    return SqlList(parts)


def parse_dirname(path, option=None):
    if path is None:
        return None
    i = _first(path, _separators(option))
    return "" if i < 0 else path[:max(i, 1)]


def parse_dirpath(path, option=None):
    if path is None:
        return None
    i = _last(path, _separators(option))
    if i == 0 and len(path) == 1:
        return path
    return path[:i] if i > 0 else ""


def parse_filename(path, trim_extension=None, option=None):
    if path is None:
        return None
    begin = _last(path, _separators(option)) + 1
    if trim_extension:
        dot = path.rfind(".")
        if dot >= begin:
            return path[begin:dot]
    return path[begin:]
