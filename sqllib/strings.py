"""SQL string functions (NULL in, NULL out): positions are 1-based and count characters; each
dialect's spelling of a function maps to one of these at bind time."""

from __future__ import annotations

import hashlib as _hashlib
import unicodedata

from .casts import to_text
from .errors import DataError

# -- strings ---------------------------------------------------------------------------------------

def substring(s, start, length=None):
    """SUBSTRING(s, start[, length]), 1-based; a negative start counts from the end, position 0 is
    just before the first character, and a negative length takes the characters before start
    (as DuckDB does).  Positions outside the string are dropped."""
    if s is None or start is None:
        return None
    first, last = _span(len(s), start, length)
    return s[first - 1:last] if first <= last else ""


def _span(n: int, start: int, length) -> tuple[int, int]:
    """The 1-based first and last positions SUBSTRING(…, start[, length]) takes of n characters."""
    pos = start if start >= 0 else n + start + 1  # the 1-based position start names
    if length is None:
        first, last = pos, n
    elif length >= 0:
        first, last = pos, pos + length - 1
    else:
        first, last = pos + length, pos - 1
    return max(first, 1), min(last, n)


# Unicode's grapheme cluster break properties (UAX #29) of the code points that are not Other
_OTHER_EXTEND = frozenset((0x200C, 0x09BE, 0x09D7, 0x0B3E, 0x0B57, 0x0BBE, 0x0BD7, 0x0CC2, 0x0CD5, 0x0CD6, 0x0D3E,
                           0x0D57, 0x0DCF, 0x0DDF, 0x1B35, 0x302E, 0x302F, 0xFF9E, 0xFF9F, 0x1D165))
_NOT_SPACING = frozenset((0x102B, 0x102C, 0x1038, 0x1062, 0x1063, 0x1064, 0x1067, 0x1068, 0x1069, 0x106A, 0x106B,
                          0x106C, 0x106D, 0x1083, 0x1087, 0x1088, 0x1089, 0x108A, 0x108B, 0x108C, 0x108F, 0x109A,
                          0x109B, 0x109C, 0x1A61, 0x1A63, 0x1A64, 0xAA7B, 0xAA7D, 0x11720, 0x11721))
_PREPEND = frozenset((0x0600, 0x0601, 0x0602, 0x0603, 0x0604, 0x0605, 0x06DD, 0x070F, 0x0890, 0x0891, 0x08E2,
                      0x0D4E, 0x110BD, 0x110CD, 0x111C2, 0x111C3, 0x1193F, 0x11941, 0x11A3A, 0x11A84, 0x11A85,
                      0x11A86, 0x11A87, 0x11A88, 0x11A89, 0x11D46, 0x11F02))


def _break_property(c: str) -> str:
    o = ord(c)
    if o < 0x7F:
        return "CR" if c == "\r" else "LF" if c == "\n" else "Control" if o < 0x20 else "Other"
    if o == 0x200D:
        return "ZWJ"
    if 0x1F1E6 <= o <= 0x1F1FF:
        return "RI"
    if 0x1F3FB <= o <= 0x1F3FF or 0xE0020 <= o <= 0xE007F or o in _OTHER_EXTEND:
        return "Extend"
    if o in _PREPEND:
        return "Prepend"
    if 0x1100 <= o <= 0x115F or 0xA960 <= o <= 0xA97C:
        return "L"
    if 0x1160 <= o <= 0x11A7 or 0xD7B0 <= o <= 0xD7C6:
        return "V"
    if 0x11A8 <= o <= 0x11FF or 0xD7CB <= o <= 0xD7FB:
        return "T"
    if 0xAC00 <= o <= 0xD7A3:
        return "LV" if (o - 0xAC00) % 28 == 0 else "LVT"
    cat = unicodedata.category(c)
    if cat in ("Mn", "Me"):
        return "Extend"
    if (cat == "Mc" and o not in _NOT_SPACING) or o in (0x0E33, 0x0EB3):
        return "SpacingMark"
    if cat in ("Cc", "Zl", "Zp") or (cat == "Cf" and o != 0x200C):
        return "Control"
    return "Other"


def _clusters(s: str) -> list[str]:
    """s cut into extended grapheme clusters as UAX #29 cuts them (SUBSTRING_GRAPHEME, LENGTH_GRAPHEME;
    REVERSE keeps its own simpler rule, which DuckDB's REVERSE follows).  Two rules need data the
    standard library does not have: a zero-width joiner between two emoji (GB11) and the Indic conjunct
    rule (GB9c); a string where either could apply is an error rather than a guess, and so is one with CR LF
    (DuckDB joins them when it counts but not always when it cuts from the end)."""
    if "\r\n" in s:
        raise DataError("SUBSTRING_GRAPHEME / LENGTH_GRAPHEME of a non-ASCII string holding CR LF is not supported")
    out: list[str] = []
    prev = None
    ri_odd = False
    for c in s:
        p = _break_property(c)
        if prev is None:
            out.append(c)
        else:
            join = ((prev == "CR" and p == "LF")
                    or (prev not in ("Control", "CR", "LF") and p not in ("Control", "CR", "LF") and (
                        p in ("Extend", "ZWJ", "SpacingMark") or prev == "Prepend"
                        or (prev == "L" and p in ("L", "V", "LV", "LVT"))
                        or (prev in ("LV", "V") and p in ("V", "T"))
                        or (prev in ("LVT", "T") and p == "T")
                        or (prev == "RI" and p == "RI" and ri_odd))))
            if prev == "ZWJ" and not join and p == "Other" and not c.isascii():
                raise DataError("SUBSTRING_GRAPHEME / LENGTH_GRAPHEME of a zero-width joiner before a symbol "
                                "(an emoji sequence) is not supported")
            if p == "Other" and prev == "Extend" and unicodedata.name(out[-1][-1], "").endswith("VIRAMA"):
                raise DataError("SUBSTRING_GRAPHEME / LENGTH_GRAPHEME of an Indic conjunct (a virama between "
                                "letters) is not supported")
            if join:
                out[-1] += c
            else:
                out.append(c)
        ri_odd = p == "RI" and not (prev == "RI" and ri_odd)
        prev = p
    return out


_ALL = object()  # SUBSTRING_GRAPHEME's length left out (a NULL length is NULL)


def substring_grapheme(s, start, length=_ALL):
    """SUBSTRING_GRAPHEME: SUBSTRING counting grapheme clusters (_clusters) instead of code points."""
    if s is None or start is None or length is None:
        return None
    if length is _ALL:
        length = None
    if s.isascii():  # (DuckDB's fast path: an ASCII string's clusters are its characters, CR LF two)
        return substring(s, start, length)
    g = _clusters(s)
    first, last = _span(len(g), start, length)
    return "".join(g[first - 1:last]) if first <= last else ""


def length_grapheme(s):
    return None if s is None else len(s) if s.isascii() else len(_clusters(s))


def sql_contains(s, sub):
    if s is None or sub is None:
        return None
    return sub in s


def sql_starts_with(s, prefix):
    if s is None or prefix is None:
        return None
    return s.startswith(prefix)


def sql_ends_with(s, suffix):
    if s is None or suffix is None:
        return None
    return s.endswith(suffix)


# the longest string repeat/lpad/rpad build (characters): repeat('x', 1e9) would take gigabytes before
# anything could fail; past this it is a DataError (DuckDB's own limit is 4 GB)
MAX_STRING = 100_000_000


def _check_length(n: int, what: str) -> None:
    if n > MAX_STRING:
        raise DataError(f"{what} would make a string of {n} characters, over the limit of {MAX_STRING}")


def sql_lpad(s, n, fill=" "):
    """LPAD as PostgreSQL does it: s cut or padded on the left to n characters; an empty fill pads
    nothing (s as it is)."""
    if s is None or n is None or fill is None:
        return None
    _check_length(n, "lpad")
    if n <= len(s):
        return s[:max(n, 0)]
    if not fill:
        return s
    need = n - len(s)
    return (fill * (need // len(fill) + 1))[:need] + s


def sql_rpad(s, n, fill=" "):
    """RPAD as PostgreSQL does it (see sql_lpad), on the right."""
    if s is None or n is None or fill is None:
        return None
    _check_length(n, "rpad")
    if n <= len(s):
        return s[:max(n, 0)]
    if not fill:
        return s
    need = n - len(s)
    return s + (fill * (need // len(fill) + 1))[:need]


def duck_lpad(s, n, fill=" "):
    """LPAD as DuckDB does it: an empty fill where padding is needed is an error."""
    if fill == "" and s is not None and n is not None and n > len(s):
        raise DataError("Insufficient padding in LPAD")
    return sql_lpad(s, n, fill)


def duck_rpad(s, n, fill=" "):
    """RPAD as DuckDB does it: an empty fill where padding is needed is an error."""
    if fill == "" and s is not None and n is not None and n > len(s):
        raise DataError("Insufficient padding in RPAD")
    return sql_rpad(s, n, fill)


def concat_ws(sep, *parts):
    """CONCAT_WS(sep, a, b, …): the non-NULL arguments joined by sep; NULL if sep is NULL."""
    if sep is None:
        return None
    return sep.join(to_text(p) for p in parts if p is not None)


def sql_length(s):
    return None if s is None else len(s)


def sql_upper(s):
    return None if s is None else s.upper()


def sql_lower(s):
    return None if s is None else s.lower()


def sql_trim(s, chars=" ", where="both"):
    """TRIM / LTRIM / RTRIM: NULL when the string or the characters to trim are NULL."""
    if s is None or chars is None:
        return None
    if where == "leading":
        return s.lstrip(chars)
    if where == "trailing":
        return s.rstrip(chars)
    return s.strip(chars)


def sql_replace(s, old, new):
    if s is None or old is None or new is None:
        return None
    if old == "":
        return s
    return s.replace(old, new)


def sql_position(needle, haystack):
    if needle is None or haystack is None:
        return None
    return haystack.find(needle) + 1


def concat_skip_null(*parts):
    """CONCAT(a, b, …): NULL arguments are skipped (the || operator propagates NULL instead)."""
    return "".join(to_text(p) for p in parts if p is not None)


def sql_left(s, n):
    if s is None or n is None:
        return None
    return s[:n] if n >= 0 else s[:max(len(s) + n, 0)]


def sql_right(s, n):
    if s is None or n is None:
        return None
    if n >= 0:
        return s[max(len(s) - n, 0):] if n else ""
    return s[-n:]


def _extends(c: str, prev: str) -> bool:
    """Whether code point c continues the grapheme cluster that prev ended (a simplified form of
    Unicode's extended grapheme cluster rules: marks, joiners, emoji modifiers, variation selectors,
    tags and Hangul jamo sequences; CR LF stays two, as in DuckDB)."""
    o = ord(c)
    if prev == "\u200d":  # a zero-width joiner glues the next character on
        return True
    if unicodedata.category(c) in ("Mn", "Mc", "Me") or c == "\u200d":
        return True
    if 0x1F3FB <= o <= 0x1F3FF or 0xFE00 <= o <= 0xFE0F or 0xE0020 <= o <= 0xE007F:
        return True
    p = ord(prev)
    if 0x1160 <= o <= 0x11FF and (0x1100 <= p <= 0x11FF or 0xAC00 <= p <= 0xD7A3):  # jamo V/T after L/V/LV
        return True
    return False


def graphemes(s: str) -> list[str]:
    """s cut into grapheme clusters (what a reader sees as one character)."""
    out: list[str] = []
    ri_open = False  # a regional indicator waiting for its pair (a flag is two of them)
    for c in s:
        is_ri = 0x1F1E6 <= ord(c) <= 0x1F1FF
        if out and (_extends(c, out[-1][-1]) or (is_ri and ri_open)):
            out[-1] += c
            ri_open = False
        else:
            out.append(c)
            ri_open = is_ri
    return out


_MARKS = frozenset(("Mn", "Mc", "Me"))


def sql_strip_accents(s):
    """STRIP_ACCENTS: every mark taken off its letter (é -> e, ố -> o), as DuckDB's utf8proc does: the
    canonical decomposition without its marks (categories Mn, Mc, Me), composed again.  Letters that are
    not a base and a mark (ø, ß, æ, ł) stay."""
    if s is None:
        return None
    if s.isascii():
        return s
    bare = "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) not in _MARKS)
    return unicodedata.normalize("NFC", bare)


def sql_reverse(s):
    """REVERSE by grapheme clusters, as DuckDB does (an accent or a skin tone stays on its letter)."""
    if s is None:
        return None
    if s.isascii():
        return s[::-1]
    return "".join(reversed(graphemes(s)))


def sql_repeat(s, n):
    """REPEAT(s, n): s n times (none for n <= 0); a list's elements n times (DuckDB's list overload)."""
    if s is None or n is None:
        return None
    if n > 0 and s:
        _check_length(len(s) * n, "repeat")
    if isinstance(s, tuple):  # a list (sqllib.lists.SqlList)
        return type(s)(tuple(s) * max(n, 0))
    return s * max(n, 0)



# -- more string functions -------------------------------------------------------------------------

def split_part(s, delimiter, index):
    """SPLIT_PART: the index-th piece (1-based, negative from the end), '' when there is none; an
    empty delimiter splits into characters."""
    if s is None or delimiter is None or index is None:
        return None
    parts = list(s) if delimiter == "" else s.split(delimiter)
    n = len(parts)
    if 0 < index <= n:
        return parts[index - 1]
    if 0 < -index <= n:
        return parts[n + index]
    return ""


def string_slice(s, start, end, has_start, has_end):
    """s[start:end] as DuckDB slices strings: 1-based, both ends included, negative positions counted
    from the end, clamped to the string; an omitted bound is the string's start or end."""
    if s is None or (has_start and start is None) or (has_end and end is None):
        return None
    n = len(s)
    lo = 1 if not has_start else (n + start + 1 if start < 0 else start)
    hi = n if not has_end else (n + end + 1 if end < 0 else end)
    lo, hi = max(lo, 1), min(hi, n)
    return s[lo - 1:hi] if lo <= hi else ""


def string_element(s, index):
    """s[index]: the character at a 1-based position (negative from the end), '' outside the string."""
    if s is None or index is None:
        return None
    i = index if index > 0 else len(s) + index + 1
    return s[i - 1] if index and 1 <= i <= len(s) else ""


def sql_translate(s, source, target):
    """TRANSLATE: each character of source replaced by the one at its position in target (the first
    occurrence counts), or removed where target is shorter."""
    if s is None or source is None or target is None:
        return None
    table = {}
    for i, c in enumerate(source):
        table.setdefault(ord(c), target[i] if i < len(target) else None)
    return s.translate(table)


def sql_ascii(s):
    if s is None:
        return None
    return ord(s[0]) if s else 0


def sql_chr(n):
    if n is None:
        return None
    if not 0 <= n <= 0x10FFFF or 0xD800 <= n <= 0xDFFF:
        raise DataError(f"CHR({n}): not a valid Unicode code point")
    return chr(n)


def _digest(name):
    def digest(s):
        if s is None:
            return None
        return _hashlib.new(name, s if isinstance(s, bytes) else s.encode("utf-8", "surrogatepass")).hexdigest()
    digest.__name__ = f"sql_{name}"
    return digest


sql_md5, sql_sha1, sql_sha256 = _digest("md5"), _digest("sha1"), _digest("sha256")


def bit_count(n, bits):
    """BIT_COUNT: set bits of the two's-complement form at the argument's width."""
    if n is None:
        return None
    return bin(n & ((1 << bits) - 1)).count("1")


# DuckDB's UPPER/LOWER map each character on its own (Unicode simple case mapping): no 'SS' for 'ß',
# no final sigma, 'i' for 'İ'
_UPPER_SINGLE: dict | None = None


def _upper_single():
    global _UPPER_SINGLE
    if _UPPER_SINGLE is None:
        multi = {chr(cp) for cp in range(0x20000) if not 0xD800 <= cp <= 0xDFFF and len(chr(cp).upper()) > 1}
        table = {}
        for cp in range(0x20000):
            if 0xD800 <= cp <= 0xDFFF:
                continue
            low = chr(cp).lower()
            if low in multi and low != chr(cp):
                table.setdefault(low, chr(cp))  # the capital whose lowercase is the character
        _UPPER_SINGLE = table
    return _UPPER_SINGLE


def duck_upper(s):
    if s is None:
        return None
    u = s.upper()
    if len(u) == len(s):
        return u
    table = _upper_single()
    return "".join(c.upper() if len(c.upper()) == 1 else table.get(c, c) for c in s)


def duck_lower(s):
    if s is None:
        return None
    if "\u03a3" not in s and "\u0130" not in s:
        return s.lower()
    return "".join("i" if c == "\u0130" else c.lower() for c in s)


def ascii_lower(s):
    """SQLite's NOCASE: only ASCII letters fold."""
    if s is None:
        return None
    return s.lower() if s.isascii() else "".join(c.lower() if c.isascii() else c for c in s)


def sql_overlay(s, r, start, length=-1):
    """OVERLAY(s PLACING r FROM start [FOR length]) as DuckDB computes it: the characters of s before
    position start, r, then those from position start + length on (positions before the first
    character count as the first); a length left out or negative is r's."""
    if s is None or r is None or start is None or length is None:
        return None
    if length < 0:
        length = len(r)
    return s[:max(start - 1, 0)] + r + s[max(start - 1 + length, 0):]


def sql_regexp_escape(s):
    """The pattern matching s literally (RE2's QuoteMeta): every ASCII character but letters,
    digits and '_' escaped with a backslash, NUL as \\x00."""
    if s is None:
        return None
    out = []
    for c in s:
        if c == "\0":
            out.append("\\x00")
        elif c.isascii() and not (c.isalnum() or c == "_"):
            out.append("\\" + c)
        else:
            out.append(c)
    return "".join(out)


def sql_unicode(s):
    """The code point of the first character; -1 for the empty string (DuckDB's UNICODE / ORD)."""
    if s is None:
        return None
    return ord(s[0]) if s else -1


def sql_strlen(s):
    """The length in bytes of the UTF-8 text."""
    return None if s is None else len(s.encode("utf-8", "surrogatepass"))


def sql_bit_length(s):
    return None if s is None else 8 * len(s.encode("utf-8", "surrogatepass"))


_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def sql_to_base(n, radix, min_length=0):
    """TO_BASE(n, radix[, min_length]): n >= 0 written in base 2 to 36 (digits then capitals),
    left-padded with zeros to min_length (0 to 64)."""
    if n is None or radix is None or min_length is None:
        return None
    if n < 0:
        raise DataError("TO_BASE: the number must be greater than or equal to 0")
    if not 2 <= radix <= 36:
        raise DataError("TO_BASE: the radix must be between 2 and 36")
    if not 0 <= min_length <= 64:
        raise DataError("TO_BASE: min_length must be between 0 and 64")
    out = []
    while n:
        n, d = divmod(n, radix)
        out.append(_DIGITS[d])
    return "".join(reversed(out)).rjust(max(min_length, 1), "0")
