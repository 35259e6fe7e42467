"""Pattern matching: LIKE/ILIKE with an escape character, GLOB, and regular expressions (RE2
syntax, translated to Python's re by re2.py at bind time or, for pattern values, at run time; cached)."""

from __future__ import annotations

import re

from . import re2 as _re2
from .cache import SizedCache
from .errors import DataError
from .like_escape import dangling, like_dangling
from .lists import SqlList
from .strings import _clusters
from .structs import struct_class

# -- LIKE and GLOB: wildcards matched in linear time ----------------------------------------------

class Wildcard:
    """A pattern of single-character items and "any run" stars (LIKE's % and _, GLOB's * ? [..]),
    matched without backtracking: the stars cut it into segments of fixed length; the first must
    match at the start, the last at the end, and each one between at its leftmost place after the
    one before (taking a later place never helps the segments after it).  Each segment is a regex
    without repetition, so a search costs O(len(s) * len(segment)) and the whole match
    O(len(s) * len(pattern)), where a regex of .* pieces backtracks exponentially
    (LIKE '%a%a%a%a%a%a%a%a%a%b' on 50 characters ran for minutes)."""

    __slots__ = ("first", "middle", "last", "stars", "widths")

    def __init__(self, items, flags: int = 0):
        """``items``: regex sources of one character each, None for a star."""
        segments = [[]]
        for item in items:
            if item is None:
                segments.append([])
            else:
                segments[-1].append(item)
        self.stars = len(segments) > 1
        self.widths = [len(seg) for seg in segments]
        compiled = [re.compile("".join(seg), flags | re.DOTALL) for seg in segments]
        self.first, self.last = compiled[0], compiled[-1]
        self.middle = [rx for rx, w in zip(compiled[1:-1], self.widths[1:-1]) if w]

    def fullmatch(self, s: str) -> bool:
        if not self.stars:
            return self.first.fullmatch(s) is not None
        first, last = self.widths[0], self.widths[-1]
        end = len(s) - last
        if end < first or self.first.match(s, 0, first) is None or self.last.fullmatch(s, end) is None:
            return False
        pos = first
        for rx in self.middle:
            m = rx.search(s, pos, end)
            if m is None:
                return False
            pos = m.end()
        return True


_LIKE_CACHE = SizedCache()


def like(s, pattern, case_insensitive=False, escape=None, dangling_fails=True):
    """s LIKE pattern: % any run, _ one character, optional escape character.  A pattern ending with
    its escape character never matches, and is an error where DuckDB's walk reaches it
    (like_escape.py; ``dangling_fails`` False: SQLite's plain no match)."""
    if s is None or pattern is None:
        return None
    key = (pattern, case_insensitive, escape)
    matcher = _LIKE_CACHE.get(key)
    if matcher is None and escape is not None and dangling(pattern, escape):
        return like_dangling(s, pattern, escape, case_insensitive, dangling_fails)
    if matcher is None:
        items = []
        i = 0
        while i < len(pattern):
            ch = pattern[i]
            if escape is not None and ch == escape and i + 1 < len(pattern):
                items.append(re.escape(pattern[i + 1]))
                i += 2
                continue
            items.append(None if ch == "%" else "." if ch == "_" else re.escape(ch))
            i += 1
        matcher = _LIKE_CACHE.put(key, Wildcard(items, re.IGNORECASE if case_insensitive else 0))
    return matcher.fullmatch(s)


# -- regular expressions and GLOB (patterns translated by re2.py) ----------------------------------

def _regex(p, opts):
    """A pattern already translated at compile time, or a pattern value translated now (cached)."""
    if type(p) is _re2.Regex:
        return p
    try:
        return _re2.translate(p, *opts)
    except _re2.PatternError as e:
        raise DataError(f"regular expression {p!r}: {e}") from None


def regexp_matches(s, p, opts):
    """REGEXP_MATCHES: the pattern matches somewhere in s."""
    if s is None or p is None:
        return None
    return _regex(p, opts).rx.search(s) is not None


def regexp_full_match(s, p, opts):
    if s is None or p is None:
        return None
    return _regex(p, opts).rx.fullmatch(s) is not None


def regexp_extract(s, p, group, opts):
    """REGEXP_EXTRACT: the group of the first match; '' without a match or for a group that took no part."""
    if s is None or p is None:
        return None
    rx = _regex(p, opts)
    m = rx.rx.search(s)
    if m is None or group > rx.groups:
        return ""
    return m.group(group) or ""


def regexp_extract_groups(s, p, names, opts):
    """REGEXP_EXTRACT(s, p, ['a', 'b']): a struct of groups 1, 2, … of the first match, named as the
    list says ('' without a match or for a group that took no part, as REGEXP_EXTRACT of each)."""
    if s is None:
        return None
    m = p.rx.search(s)  # (the pattern is a constant, translated at compile time)
    cls = struct_class(tuple(names))
    if m is None:
        return cls(("",) * len(names))
    return cls(m.group(i) or "" for i in range(1, len(names) + 1))


def _matches(s, rx):
    """Every match of rx in s, left to right; after an empty match the search goes on one character
    further (RE2's global matching, as DuckDB)."""
    pos, n = 0, len(s)
    search = rx.rx.search
    while pos <= n:
        m = search(s, pos)
        if m is None:
            return
        yield m
        start, end = m.start(), m.end()
        pos = end + 1 if end == start else end


def regexp_extract_all(s, p, group, opts):
    """REGEXP_EXTRACT_ALL: the group of every match (_matches; NULL for a group that took no part).
    A group given per row: NULL gives NULL, a negative one [] (DuckDB's answers)."""
    if s is None or p is None or group is None:
        return None
    if group < 0:
        return SqlList(())
    rx = _regex(p, opts)
    out = []
    for m in _matches(s, rx):
        if group > rx.groups:  # (DuckDB checks the group on a match only: no match is [])
            raise DataError(f"regexp_extract_all: the pattern has {rx.groups} groups, not {group}")
        out.append(m.group(group))  # NULL for a group that took no part (unlike REGEXP_EXTRACT)
    return SqlList(out)


def regexp_extract_all_groups(s, p, names, opts):
    """REGEXP_EXTRACT_ALL(s, p, ['a', 'b']): a struct of groups 1, 2, … of every match (_matches), named
    as the list says (NULL for a group that took no part, as REGEXP_EXTRACT_ALL of each)."""
    if s is None:
        return None
    cls = struct_class(tuple(names))
    groups = range(1, len(names) + 1)
    return SqlList(cls(m.group(i) for i in groups) for m in _matches(s, p))


def regexp_split(s, p, opts):
    """string_split_regex / regexp_split_to_array(s, p): the pieces of s between matches of p, as DuckDB
    cuts them: each search starts where the last piece ended; an empty match right there makes a piece
    of the one character (grapheme cluster, in a non-ASCII string) at that place, and ends the list when
    that was the last; any other match ends the piece where it starts; at the end of s the last piece is
    '' (or what is left without a match).  '' gives [''] ([] for an empty pattern); a NULL pattern [s]."""
    if s is None:
        return None
    if p is None:
        return SqlList((s,))
    if not s:
        return SqlList(() if p == "" else ("",))
    rx = _regex(p, opts)
    n = len(s)
    bounds = None
    pieces, start = [], 0
    while True:
        m = rx.rx.search(s, start)
        if m is None:
            pieces.append(s[start:])
            break
        if m.start() == m.end() == start:
            if start >= n:
                pieces.append("")
                break
            if s.isascii():
                nxt = start + 1
            else:
                bounds = bounds if bounds is not None else _cluster_ends(s)
                nxt = next(b for b in bounds if b > start)
            pieces.append(s[start:nxt])
            start = nxt
            if start >= n:
                break
        else:
            pieces.append(s[start:m.start()])
            start = m.end()
    return SqlList(pieces)


def _cluster_ends(s: str) -> list[int]:
    out, at = [], 0
    for c in _clusters(s):
        at += len(c)
        out.append(at)
    return out


def regexp_replace(s, p, replacement, opts, every):
    """REGEXP_REPLACE: the first match (or, with 'g', each) replaced, as RE2's Replace/GlobalReplace do
    it: after a match, an empty match at its end is skipped by one character."""
    if s is None or p is None or replacement is None:
        return None
    rx = _regex(p, opts)
    if type(replacement) is not _re2.Rewrite:
        try:
            replacement = _re2.rewrite(replacement)
        except _re2.PatternError as e:
            raise DataError(f"regexp_replace: {e}") from None
    if replacement.max_group > rx.groups:
        raise DataError(f"regexp_replace: the replacement asks for group \\{replacement.max_group} but the "
                        f"pattern has {rx.groups}")
    parts = replacement.parts
    search = rx.rx.search
    if not every:
        m = search(s)
        if m is None:
            return s
        return s[:m.start()] + "".join(x if type(x) is str else (m.group(x) or "") for x in parts) + s[m.end():]
    out, pos, last_end, n, count = [], 0, -1, len(s), 0
    while pos <= n:
        m = search(s, pos)
        if m is None:
            break
        start, end = m.span()
        out.append(s[pos:start])
        if start == end == last_end:
            out.append(s[start:start + 1])
            pos = start + 1
            continue
        out.extend(x if type(x) is str else (m.group(x) or "") for x in parts)
        pos = last_end = end
        count += 1
    if not count:
        return s
    out.append(s[pos:])
    return "".join(out)


def glob_match(s, pattern, sqlite):
    """s GLOB pattern (DuckDB's or SQLite's rules, see re2.glob); case-sensitive."""
    if s is None or pattern is None:
        return None
    key = (pattern, sqlite)
    matcher = _GLOB_CACHE.get(key)
    if matcher is None:
        items = _re2.glob(pattern, sqlite)
        matcher = _GLOB_CACHE.put(key, Wildcard(items) if items is not None else False)
    return matcher is not False and matcher.fullmatch(s)


_GLOB_CACHE = SizedCache()
