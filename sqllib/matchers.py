"""Which matcher runs a regular expression, chosen so that no pattern can make a match take more
than linear time, and so that the answer never depends on the choice.

re2.py parses every pattern (RE2's syntax, DuckDB's options) and refuses the few it cannot answer
exactly; what it accepts runs on one of three matchers, all with the semantics of RE2 (leftmost
start, then the first match in priority order):

- Python's ``re`` on re2.py's exact translation, for a pattern without choices (no alternation, no
  repetition of varying count): a backtracking matcher then has nothing to backtrack over, so a
  search takes O(text × pattern);
- RE2 itself (the ``google-re2`` package, the optional extra ``deltasql[re2]``) when it is installed,
  for every other pattern: linear time, in C;
- otherwise pikevm.Program, a Pike VM in pure Python: linear time too (O(text × pattern)), slower
  by a constant factor.

Only the speed depends on what is installed.  ``use_google_re2(False)`` (or the environment variable
DELTASQL_NO_RE2=1 at import) turns RE2 off, so the tests run both paths against DuckDB.
"""

from __future__ import annotations

import itertools
import os
import re

from .pikevm import Match, Program

try:
    import re2 as _google  # google-re2 (absolute import: not this package's re2.py)
    _google.Options  # noqa: B018 - another package named re2 would have no Options
except (ImportError, AttributeError):
    _google = None

_use_google = _google is not None and os.environ.get("DELTASQL_NO_RE2", "") in ("", "0")
_generation = 0  # bumped when the choice changes, so that caches keyed by it drop their entries


def google_re2_available() -> bool:
    return _google is not None


def use_google_re2(on: bool) -> None:
    """Run patterns with choices on RE2 (when installed) or on the Pike VM; for tests."""
    global _use_google, _generation
    _use_google = bool(on) and _google is not None
    _generation += 1


def generation() -> int:
    return _generation


def matcher(pattern: str, fold: bool, dot_nl: bool, literal: bool, src: str, node, groups: int,
            choices: bool):
    """An object with ``search(s, pos=0)`` and ``fullmatch(s)`` returning re.Match-like objects (span,
    start, end, group) for the pattern re2.py accepted, translated (``src``) and parsed (``node``)."""
    if not choices:
        return re.compile(src)
    if _use_google:
        options = _google.Options()
        options.case_sensitive = not fold
        options.dot_nl = dot_nl
        options.literal = literal
        options.log_errors = False
        return _GoogleRE2(_google.compile(pattern.encode("utf-8", "surrogatepass"), options))
    return Program(node, groups)


def _utf8_len(ch: str) -> int:
    return 1 if ch < "\x80" else 2 if ch < "\u0800" else 3 if ch < "\U00010000" else 4


class _GoogleRE2:
    """RE2 over the text's UTF-8 bytes, encoded once per text (google-re2's str interface encodes
    the whole text at every call, which made a global replace quadratic), positions in characters."""

    def __init__(self, rx):
        self.rx = rx
        self.last = (None, b"", None)  # (text, its UTF-8, byte offset of each character or None)

    def _text(self, s: str):
        last = self.last
        if last[0] is not s:
            data = s.encode("utf-8", "surrogatepass")
            offsets = None if len(data) == len(s) else [0, *itertools.accumulate(map(_utf8_len, s))]
            last = self.last = (s, data, offsets)  # one assignment: safe when threads share a pattern
        return last

    def _match(self, s, m, offsets):
        if m is None:
            return None
        slots = []
        for g in range(self.rx.groups + 1):
            a, b = m.span(g)
            if a < 0:
                slots += (None, None)
            elif offsets is None:
                slots += (a, b)
            else:
                slots += (_char_at(offsets, a), _char_at(offsets, b))
        return Match(s, tuple(slots))

    def search(self, s: str, pos: int = 0):
        _, data, offsets = self._text(s)
        pos = max(0, min(pos, len(s)))
        return self._match(s, self.rx.search(data, pos if offsets is None else offsets[pos]), offsets)

    def fullmatch(self, s: str):
        _, data, offsets = self._text(s)
        return self._match(s, self.rx.fullmatch(data), offsets)


def _char_at(offsets: list, byte: int) -> int:
    """The character index at a byte offset (a match starts and ends on character boundaries)."""
    import bisect

    return bisect.bisect_left(offsets, byte)
