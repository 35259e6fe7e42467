"""DuckDB's pattern languages (RE2 regular expressions, GLOB) parsed and translated to Python's re
exactly, or refused; each accepted regular expression also as a syntax tree, which matchers.py runs
when backtracking could be slow."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from . import matchers
from .cache import SizedCache

MAX_RUNE = 0x10FFFF
MAX_REPEAT = 1000  # RE2's limit on a repetition count, and on the product of nested counts


class PatternError(ValueError):
    """A pattern that cannot be used.  ``invalid``: RE2 rejects it too (so DuckDB raises an error);
    otherwise RE2 accepts it but it has no exact translation to Python's re."""

    def __init__(self, message: str, invalid: bool):
        super().__init__(message)
        self.invalid = invalid


def _invalid(message):
    return PatternError(message, True)


def _unsupported(message):
    return PatternError(message, False)


# -- sets of characters: sorted, disjoint, non-adjacent inclusive (lo, hi) code point ranges --------

def _norm(ranges):
    out = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def _negate(ranges):
    out, nxt = [], 0
    for lo, hi in ranges:
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = hi + 1
    if nxt <= MAX_RUNE:
        out.append((nxt, MAX_RUNE))
    return out


def _r(*pairs):
    return tuple((ord(a), ord(b)) for a, b in pairs)


_PERL = {"d": _r("09"), "s": _r("\t\n", "\f\r", "  "), "w": _r("09", "AZ", "__", "az")}
_POSIX = {
    "alnum": _r("09", "AZ", "az"), "alpha": _r("AZ", "az"), "ascii": ((0, 0x7F),), "blank": _r("\t\t", "  "),
    "cntrl": ((0, 0x1F), (0x7F, 0x7F)), "digit": _r("09"), "graph": _r("!~"), "lower": _r("az"),
    "print": _r(" ~"), "punct": _r("!/", ":@", "[`", "{~"), "space": _r("\t\r", "  "), "upper": _r("AZ"),
    "word": _r("09", "AZ", "__", "az"), "xdigit": _r("09", "AF", "af"),
}

# case folding as RE2 does it: characters equivalent under Unicode simple case folding (computed on
# first use from Python's tables: casefold() where it gives one character, else lower())
_ORBITS: dict | None = None
_ORBIT_KEYS: list = []


def _orbits():
    global _ORBITS, _ORBIT_KEYS
    if _ORBITS is None:
        groups: dict = {}
        for cp in range(0x20000):  # no cased characters above the supplementary multilingual plane
            if 0xD800 <= cp <= 0xDFFF:
                continue
            c = chr(cp)
            f = c.casefold()
            if len(f) != 1:
                f = c.lower() if len(c.lower()) == 1 else c
            if f != c:
                groups.setdefault(f, {f}).add(c)
        orbits = {}
        for members in groups.values():
            cps = tuple(sorted(ord(m) for m in members))
            for cp in cps:
                orbits[cp] = cps
        _ORBITS, _ORBIT_KEYS = orbits, sorted(orbits)
    return _ORBITS


def _fold(ranges):
    """The set with every character's case variants added."""
    orbits = _orbits()
    out = list(ranges)
    for lo, hi in ranges:
        i = bisect.bisect_left(_ORBIT_KEYS, lo)
        while i < len(_ORBIT_KEYS) and _ORBIT_KEYS[i] <= hi:
            out.extend((cp, cp) for cp in orbits[_ORBIT_KEYS[i]])
            i += 1
    return _norm(out)


def _char_src(cp: int) -> str:
    c = chr(cp)
    if c.isascii() and c.isalnum():
        return c
    if cp < 0x100:
        return f"\\x{cp:02x}"
    if cp < 0x10000:
        return f"\\u{cp:04x}"
    return f"\\U{cp:08x}"


def _set_src(ranges) -> str:
    if not ranges:
        return "(?!)"
    if len(ranges) == 1 and ranges[0][0] == ranges[0][1]:
        return _char_src(ranges[0][0])
    parts = [_char_src(lo) if lo == hi else f"{_char_src(lo)}-{_char_src(hi)}" for lo, hi in ranges]
    return "[" + "".join(parts) + "]"


_WORD = "[0-9A-Za-z_]"
_ASSERTIONS = {
    "b": f"(?:(?<={_WORD})(?!{_WORD})|(?<!{_WORD})(?={_WORD}))",  # RE2's \b and \B are ASCII-only
    "B": f"(?:(?<={_WORD})(?={_WORD})|(?<!{_WORD})(?!{_WORD}))",
    "A": r"\A", "z": r"\Z",
}
_ASSERTION_KINDS = {"b": "wordb", "B": "nwordb", "A": "bos", "z": "eos"}


# -- the translation ---------------------------------------------------------------------------------

@dataclass
class _Piece:
    src: str
    nullable: bool  # can match the empty string
    assertion: bool = False  # an anchor: matches only the empty string
    atomic: bool = True  # src is one unit a quantifier can follow
    repeated: bool = False  # already carries a quantifier
    depth: int = 1  # the largest product of nested repetition counts inside
    varying: bool = False  # holds a repetition whose count varies (*, +, ?, {n,m})
    node: tuple = ("cat", [])  # the syntax tree (see pikevm.py)
    branching: bool = False  # holds an alternation


@dataclass(frozen=True)
class Regex:
    """An accepted pattern: its matcher (``search(s, pos)``, ``fullmatch(s)``: see matchers.py) and its
    number of capturing groups."""

    rx: object
    groups: int


class _Flags:
    __slots__ = ("fold", "dot_nl", "multiline", "ungreedy")

    def __init__(self, fold=False, dot_nl=False, multiline=False, ungreedy=False):
        self.fold, self.dot_nl, self.multiline, self.ungreedy = fold, dot_nl, multiline, ungreedy

    def copy(self):
        return _Flags(self.fold, self.dot_nl, self.multiline, self.ungreedy)


_REPEAT = re.compile(r"\{(\d+)(,(\d*))?\}")


class _Parser:
    def __init__(self, pattern: str):
        self.p = pattern
        self.i = 0
        self.groups = 0

    def peek(self, k=0):
        j = self.i + k
        return self.p[j] if j < len(self.p) else ""

    # alternation and concatenation, up to an unconsumed ')' or the end
    def alternation(self, flags: _Flags, nested: bool) -> _Piece:
        branches, seq = [], []
        just_repeated = False  # the previous token was a quantifier
        while self.i < len(self.p):
            c = self.p[self.i]
            stacked, just_repeated = just_repeated, False
            if c == "|":
                self.i += 1
                branches.append(_concat(seq))
                seq = []
                continue
            if c == ")":
                if not nested:
                    raise _invalid("unexpected )")
                break
            m = _REPEAT.match(self.p, self.i) if c == "{" else None
            if c in "*+?" or m:
                if not seq:  # (a flag group is no argument: in a(?i)* the star repeats a)
                    raise _invalid(f"missing argument to repetition operator: {c}")
                if stacked:  # a** or a{2}{3}; but a*(?i)* nests, as RE2 has it
                    raise _invalid("bad repetition operator")
                seq[-1] = self.repeat(seq[-1], m, flags)
                just_repeated = True
                continue
            if self.p.startswith("(?", self.i) and not self.p.startswith("(?P<", self.i) and self.flag_group(flags):
                continue
            if self.p.startswith("\\Q", self.i):
                self.i += 2
                end = self.p.find("\\E", self.i)
                end = len(self.p) if end < 0 else end
                seq.extend(self.literal(ord(ch), flags) for ch in self.p[self.i:end])
                self.i = min(end + 2, len(self.p))
                continue
            seq.append(self.atom(flags))
        branches.append(_concat(seq))
        if len(branches) == 1:
            return branches[0]
        return _Piece("|".join(b.src for b in branches), any(b.nullable for b in branches), atomic=False,
                      depth=max(b.depth for b in branches), varying=any(b.varying for b in branches),
                      node=("alt", [b.node for b in branches]), branching=True)

    def repeat(self, piece: _Piece, m, flags: _Flags) -> _Piece:
        if m:
            lo = int(m.group(1))
            hi = lo if m.group(2) is None else (int(m.group(3)) if m.group(3) else -1)
            if lo > MAX_REPEAT or hi > MAX_REPEAT or (hi >= 0 and lo > hi):
                raise _invalid(f"invalid repetition size: {m.group(0)}")
            self.i = m.end()
            op = m.group(0)
        else:
            op = self.p[self.i]
            self.i += 1
            lo, hi = {"*": (0, -1), "+": (1, -1), "?": (0, 1)}[op]
        lazy = self.peek() == "?"
        if lazy:
            self.i += 1
        if piece.assertion:
            raise _unsupported("a repeated anchor (such as ^* or \\b+) is not supported")
        if piece.nullable and hi != 1:
            # RE2 and Python's re disagree on what a loop over an empty match captures
            raise _unsupported("repeating a subpattern that can match the empty string (such as (a*)*) "
                               "is not supported")
        count = hi if hi >= 0 else lo
        depth = piece.depth * count if m and count > 0 else piece.depth
        if depth > MAX_REPEAT:
            raise _invalid(f"invalid repetition size: {op}")
        greedy = lazy == flags.ungreedy
        if not greedy and not (m and lo == hi):
            op += "?"
        src = piece.src if piece.atomic and not piece.repeated else f"(?:{piece.src})"
        return _Piece(src + op, piece.nullable or lo == 0, repeated=True, atomic=False, depth=depth,
                      varying=piece.varying or lo != hi, node=("rep", piece.node, lo, hi, greedy),
                      branching=piece.branching)

    def flag_group(self, flags: _Flags) -> bool:
        """(?flags) or (?flags:…): True if it was the former (flags now changed for the rest of the
        group); a (?flags:…) group is left for atom(); anything else after (? is an error."""
        j = self.i + 2
        negated = saw_neg = saw_flag = False
        new = flags.copy()
        while True:
            if j >= len(self.p):
                raise _invalid(f"missing ): {self.p[self.i:]}")
            c = self.p[j]
            j += 1
            if c == "-":
                if saw_neg:
                    raise _invalid(f"invalid perl operator: {self.p[self.i:j]}")
                saw_neg = negated = True
                saw_flag = False
            elif c in "imsU":
                saw_flag = True
                attr = {"i": "fold", "m": "multiline", "s": "dot_nl", "U": "ungreedy"}[c]
                setattr(new, attr, not negated)
            elif c in ":)":
                if negated and not saw_flag:
                    raise _invalid(f"invalid perl operator: {self.p[self.i:j]}")
                if c == ":":
                    return False
                self.i = j
                flags.fold, flags.dot_nl, flags.multiline, flags.ungreedy = \
                    new.fold, new.dot_nl, new.multiline, new.ungreedy
                return True
            else:
                return self.bad_group()

    def bad_group(self):
        rest = self.p[self.i:]
        if rest.startswith(("(?=", "(?!")):
            raise _invalid("lookahead (?= and (?! is not supported (RE2 has none)")
        if rest.startswith(("(?<=", "(?<!")):
            raise _invalid("lookbehind (?<= and (?<! is not supported (RE2 has none)")
        if rest.startswith("(?P="):
            raise _invalid("backreferences are not supported (RE2 has none)")
        raise _invalid(f"invalid perl operator: {rest[:3]}")

    def atom(self, flags: _Flags) -> _Piece:
        c = self.p[self.i]
        if c == "(":
            return self.group(flags)
        if c == "[":
            self.i += 1
            ranges = self.char_class(flags)
            return _Piece(_set_src(ranges), False, atomic=bool(ranges), node=("set", ranges))
        if c == ".":
            self.i += 1
            if flags.dot_nl:
                return _Piece("[\\x00-\\U0010ffff]", False, node=("set", [(0, MAX_RUNE)]))
            return _Piece("[^\\n]", False, node=("set", _negate([(10, 10)])))
        if c in "^$":
            self.i += 1
            if flags.multiline:
                return _Piece(f"(?m:{c})", True, assertion=True, node=("assert", "bol" if c == "^" else "eol"))
            return _Piece("\\A" if c == "^" else "\\Z", True, assertion=True,
                          node=("assert", "bos" if c == "^" else "eos"))
        if c == "\\":
            return self.escape(flags)
        self.i += 1
        return self.literal(ord(c), flags)

    def literal(self, cp: int, flags: _Flags) -> _Piece:
        ranges = _fold([(cp, cp)]) if flags.fold else [(cp, cp)]
        return _Piece(_set_src(ranges), False, node=("set", ranges))

    def group(self, flags: _Flags) -> _Piece:
        inner_flags = flags.copy()
        capture = True
        if self.p.startswith("(?P<", self.i):
            end = self.p.find(">", self.i)
            name = self.p[self.i + 4:end] if end >= 0 else ""
            if end < 0 or not re.fullmatch(r"\w+", name, re.ASCII):
                raise _invalid(f"invalid named capture group: {self.p[self.i:end + 1 if end >= 0 else None]}")
            self.i = end + 1
        elif self.p.startswith("(?", self.i):
            # a (?flags:…) group (flag_group has checked the syntax)
            j = self.p.index(":", self.i)
            negated = False
            for c in self.p[self.i + 2:j]:
                if c == "-":
                    negated = True
                else:
                    setattr(inner_flags, {"i": "fold", "m": "multiline", "s": "dot_nl", "U": "ungreedy"}[c],
                            not negated)
            self.i = j + 1
            capture = False
        else:
            self.i += 1
        if capture:
            self.groups += 1
        index = self.groups
        inner = self.alternation(inner_flags, nested=True)
        if self.peek() != ")":
            raise _invalid(f"missing ): {self.p}")
        self.i += 1
        return _Piece(("(" if capture else "(?:") + inner.src + ")", inner.nullable,
                      assertion=inner.assertion and not capture, depth=inner.depth, varying=inner.varying,
                      node=("group", index, inner.node) if capture else inner.node, branching=inner.branching)

    def escape(self, flags: _Flags) -> _Piece:
        c = self.peek(1)
        if c in _ASSERTIONS:
            self.i += 2
            return _Piece(_ASSERTIONS[c], True, assertion=True, node=("assert", _ASSERTION_KINDS[c]))
        if c == "C":
            raise _unsupported("\\C (any byte) is not supported")
        if c == "Z":
            raise _invalid("invalid escape sequence: \\Z (RE2 has \\z for the end of the text)")
        item = self.class_escape(flags)
        if isinstance(item, int):
            return self.literal(item, flags)
        return _Piece(_set_src(item), False, node=("set", item))

    def class_escape(self, flags: _Flags):
        """A backslash escape that stands for a character (its code point) or a set of them."""
        self.i += 1
        if self.i >= len(self.p):
            raise _invalid("trailing \\")
        c = self.p[self.i]
        self.i += 1
        if c in "dswDSW":
            base = list(_PERL[c.lower()])
            if flags.fold:
                base = _fold(base)
            return _negate(base) if c.isupper() else base
        if c in "pP":
            raise _unsupported(f"Unicode character classes (\\{c}) are not supported")
        if "0" <= c <= "7":
            # octal: \0, \0nn, or \nnn with a second digit (a lone \1-\7 would be a backreference)
            digits = c
            while len(digits) < 3 and "0" <= self.peek() <= "7":
                digits += self.p[self.i]
                self.i += 1
            if c != "0" and len(digits) == 1:
                raise _invalid(f"backreferences are not supported (RE2 has none): \\{c}")
            return int(digits, 8)
        if c == "x":
            if self.peek() == "{":
                end = self.p.find("}", self.i)
                digits = self.p[self.i + 1:end] if end >= 0 else ""
                if not re.fullmatch(r"[0-9A-Fa-f]+", digits) or int(digits, 16) > MAX_RUNE:
                    raise _invalid(f"invalid escape sequence: \\x{self.p[self.i:end + 1 if end >= 0 else None]}")
                self.i = end + 1
                return int(digits, 16)
            digits = self.p[self.i:self.i + 2]
            if not re.fullmatch(r"[0-9A-Fa-f]{2}", digits):
                raise _invalid(f"invalid escape sequence: \\x{digits}")
            self.i += 2
            return int(digits, 16)
        simple = {"a": 7, "f": 12, "t": 9, "n": 10, "r": 13, "v": 11}
        if c in simple:
            return simple[c]
        if c.isascii() and not c.isalnum():
            return ord(c)
        raise _invalid(f"invalid escape sequence: \\{c}")

    def char_class(self, flags: _Flags):
        """The set of a bracket expression (after its '['), RE2's rules: ']' first is literal, '-' is
        literal where it cannot make a range, [:name:] POSIX classes, negation after case folding."""
        start = self.i - 1
        negated = self.peek() == "^"
        if negated:
            self.i += 1
        ranges = []
        first = True
        while self.i < len(self.p) and (self.p[self.i] != "]" or first):
            first = False
            if self.p.startswith("[:", self.i):
                end = self.p.find(":]", self.i + 2)
                if end >= 0:
                    name = self.p[self.i + 2:end]
                    neg = name.startswith("^")
                    base = _POSIX.get(name[1:] if neg else name)
                    if base is None:
                        raise _invalid(f"invalid character class range: {self.p[self.i:end + 2]}")
                    base = _fold(base) if flags.fold else list(base)
                    ranges += _negate(base) if neg else base
                    self.i = end + 2
                    continue
            if self.p[self.i] == "\\" and self.peek(1) in "dswDSWpP":
                ranges += self.class_escape(flags)
                continue
            lo = self.class_char(flags)
            hi = lo
            if self.peek() == "-" and self.peek(1) not in ("]", ""):
                self.i += 1
                hi = self.class_char(flags)
                if hi < lo:
                    raise _invalid(f"invalid character class range: {chr(lo)}-{chr(hi)}")
            ranges += _fold([(lo, hi)]) if flags.fold else [(lo, hi)]
        if self.i >= len(self.p):
            raise _invalid(f"missing ]: {self.p[start:]}")
        self.i += 1
        ranges = _norm(ranges)
        return _negate(ranges) if negated else ranges

    def class_char(self, flags: _Flags) -> int:
        if self.p[self.i] == "\\":
            if self.peek(1) in "dswDSWpP":
                raise _invalid("invalid character class range")
            item = self.class_escape(flags)
            return item
        self.i += 1
        return ord(self.p[self.i - 1])


def _concat(seq) -> _Piece:
    if not seq:
        return _Piece("", True, atomic=False, depth=1)
    if len(seq) == 1:
        return seq[0]
    # the pieces of a sequence are atoms or repetitions: none holds a top-level alternation
    return _Piece("".join(p.src for p in seq), all(p.nullable for p in seq),
                  assertion=all(p.assertion for p in seq), atomic=False, depth=max(p.depth for p in seq),
                  varying=any(p.varying for p in seq), node=("cat", [p.node for p in seq]),
                  branching=any(p.branching for p in seq))


_CACHE = SizedCache()


def translate(pattern: str, fold: bool = False, dot_nl: bool = False, literal: bool = False) -> Regex:
    """An RE2 pattern under DuckDB's options (i: fold, s: dot_nl, l: literal), parsed, checked and
    given a matcher that runs in linear time (matchers.py); raises PatternError."""
    key = (pattern, fold, dot_nl, literal, matchers.generation())
    out = _CACHE.get(key)
    if out is not None:
        return out
    flags = _Flags(fold=fold, dot_nl=dot_nl)
    if literal:
        parser = _Parser("")
        piece = _concat([parser.literal(ord(c), flags) for c in pattern])
    else:
        parser = _Parser(pattern)
        piece = parser.alternation(flags, nested=False)
    try:
        rx = matchers.matcher(pattern, fold, dot_nl, literal, piece.src, piece.node, parser.groups,
                              choices=piece.varying or piece.branching)
    except (re.error, RecursionError, OverflowError) as e:
        raise _unsupported(f"cannot translate the pattern ({e})") from None
    return _CACHE.put(key, Regex(rx, parser.groups))


# -- GLOB ----------------------------------------------------------------------------------------------

def glob(pattern: str, sqlite: bool = False):
    """A GLOB pattern as items for patterns.Wildcard (regex sources of one character each, None for
    a '*'), or None for a pattern that matches nothing (an unterminated '[').  DuckDB: [!…] negates
    and a backslash escapes the next character; SQLite: [^…] negates and there is no escape
    character."""
    items = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            items.append(None)
        elif c == "?":
            items.append("[\\x00-\\U0010ffff]")
        elif c == "\\" and not sqlite:
            if i + 1 == n:
                return None
            i += 1
            items.append(re.escape(pattern[i]))
        elif c == "[":
            j = i + 1
            negated = j < n and pattern[j] == ("^" if sqlite else "!")
            if negated:
                j += 1
            ranges = []
            first = True
            while j < n and (pattern[j] != "]" or first):
                first = False
                lo = ord(pattern[j])
                if j + 2 < n and pattern[j + 1] == "-" and pattern[j + 2] != "]":
                    ranges.append((lo, ord(pattern[j + 2])) if lo <= ord(pattern[j + 2]) else (1, 0))
                    j += 3
                else:
                    ranges.append((lo, lo))
                    j += 1
            if j >= n:
                return None  # no closing bracket: nothing matches
            ranges = _norm(r for r in ranges if r[0] <= r[1])
            items.append(_set_src(_negate(ranges) if negated else ranges))
            i = j
        else:
            items.append(re.escape(c))
        i += 1
    return items


# -- regexp_replace's replacement text --------------------------------------------------------------

@dataclass(frozen=True)
class Rewrite:
    """A parsed replacement: literal strings and group numbers (RE2's \\0-\\9, and \\\\ for a backslash)."""

    parts: tuple
    max_group: int


def rewrite(text: str) -> Rewrite:
    parts, buf, top = [], [], -1
    i = 0
    while i < len(text):
        c = text[i]
        if c != "\\":
            buf.append(c)
            i += 1
            continue
        nxt = text[i + 1] if i + 1 < len(text) else ""
        if nxt == "\\":
            buf.append("\\")
        elif nxt.isdigit() and nxt.isascii():
            if buf:
                parts.append("".join(buf))
                buf = []
            parts.append(int(nxt))
            top = max(top, int(nxt))
        else:
            raise _invalid("invalid replacement: '\\' must be followed by a digit or '\\'")
        i += 2
    if buf:
        parts.append("".join(buf))
    return Rewrite(tuple(parts), top)
