"""BLOB, UUID and BIT values and their text forms, as DuckDB reads and prints them.

- BLOB is ``bytes``; its text escapes every byte that is not printable ASCII, and the quotes and the
  backslash, as ``\\xHH`` (upper-case hex): ``a\\x00b``.  Text reads back as bytes: ASCII characters as
  themselves, ``\\xHH`` (either case) as that byte; any other backslash or a non-ASCII character is an error.
- UUID is ``uuid.UUID``; its text is the lower-case hyphenated form.  Text may be upper- or lower-case, hold
  hyphens anywhere and sit in braces; anything else is an error.  UUIDs order as their 128-bit numbers
  (DuckDB's order too), bytes as their bytes (memcmp, then the shorter first).
- BIT is the ``str`` of its bits, '0101'; DuckDB orders bit strings as their text.  The empty text is the
  one bit '0' (as DuckDB reads it).
"""

from __future__ import annotations

import base64
import re as _re
import uuid as _uuid

from .errors import DataError, show_value

_PLAIN = frozenset(range(0x20, 0x7F)) - {0x22, 0x27, 0x5C}


def blob_text(b: bytes) -> str:
    """A BLOB as CAST(b AS VARCHAR) prints it."""
    return "".join(chr(c) if c in _PLAIN else f"\\x{c:02X}" for c in b)


_ESCAPE = _re.compile(r"\\x([0-9a-fA-F]{2})")


def parse_blob(text: str) -> bytes:
    out = bytearray()
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            m = _ESCAPE.match(text, i)
            if m is None:
                raise DataError(f"cannot convert {show_value(text)} to BLOB: invalid hex escape at {text[i:i + 4]!r}")
            out.append(int(m.group(1), 16))
            i = m.end()
            continue
        if ord(c) > 0x7F:
            raise DataError(f"cannot convert {show_value(text)} to BLOB: a non-ASCII character must be written "
                            f"as \\xHH escapes")
        out.append(ord(c))
        i += 1
    return bytes(out)


def sql_encode(text):
    """ENCODE(VARCHAR): its UTF-8 bytes, a BLOB."""
    if text is None:
        return None
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # (a lone surrogate, which only a Python string can hold)
        raise DataError(f"ENCODE: {show_value(text)} is not Unicode text") from None


def sql_decode(b):
    """DECODE(BLOB): the VARCHAR its bytes spell in UTF-8; bytes that are not UTF-8 are an error."""
    if b is None:
        return None
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError as e:
        raise DataError(f"DECODE: the blob {show_value(blob_text(b))} is not UTF-8 (byte {e.start + 1})") from None


_BASE64 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


def sql_to_base64(b):
    """TO_BASE64 / BASE64(BLOB): its standard base64 text, padded with '='."""
    return None if b is None else base64.b64encode(b).decode("ascii")


def sql_from_base64(text):
    """FROM_BASE64(VARCHAR): the BLOB of standard base64 text, as DuckDB reads it: a multiple of 4
    characters of A-Z a-z 0-9 + /, '=' only as the last group's padding ('xx==' or 'xxx=')."""
    if text is None:
        return None

    def bad(why: str):
        return DataError(f"FROM_BASE64: cannot read {show_value(text)} as base64: {why}")
    n = len(text)
    if n % 4:
        raise bad("its length must be a multiple of 4")
    for i, c in enumerate(text):
        if c in _BASE64:
            continue
        if c != "=" or i % 4 < 2:
            raise bad(f"invalid character {c!r} at position {i}")
        rest = text[i:]
        if n - i > 2 or rest != "=" * len(rest):
            after = next((j for j in range(i, n) if text[j] != "="), n)
            raise bad(f"data after the padding at position {after}")
        break
    return base64.b64decode(text)


def cast_blob(v):
    if v is None:
        return None
    if isinstance(v, (bytes, bytearray)):
        return bytes(v)
    if isinstance(v, str):
        return parse_blob(v)
    raise DataError(f"cannot cast {show_value(v)} to BLOB")


def blob_concat(a, b):
    """BLOB || BLOB."""
    return None if a is None or b is None else a + b


def blob_octet_length(b):
    return None if b is None else len(b)


_HEX32 = _re.compile(r"[0-9a-fA-F]{32}")


def parse_uuid(text: str) -> _uuid.UUID:
    inner = text[1:-1] if text.startswith("{") and text.endswith("}") and len(text) > 1 else text
    digits = inner.replace("-", "")
    if not _HEX32.fullmatch(digits):
        raise DataError(f"cannot convert {show_value(text)} to UUID")
    return _uuid.UUID(hex=digits)


def cast_uuid(v):
    if v is None:
        return None
    if isinstance(v, _uuid.UUID):
        return v
    if isinstance(v, str):
        return parse_uuid(v)
    raise DataError(f"cannot cast {show_value(v)} to UUID")


_BITS = _re.compile(r"[01]*")


def parse_bit(text: str) -> str:
    if not _BITS.fullmatch(text):
        raise DataError(f"cannot convert {show_value(text)} to BIT: a bit string holds only 0 and 1")
    return text or "0"


def cast_bit(v):
    if v is None:
        return None
    if isinstance(v, str):
        return parse_bit(v)
    raise DataError(f"cannot cast {show_value(v)} to BIT")


def _same_length(a: str, b: str, what: str) -> None:
    if len(a) != len(b):
        raise DataError(f"cannot {what} bit strings of different sizes")


def bits_and(a, b):
    if a is None or b is None:
        return None
    _same_length(a, b, "AND")
    return "".join("1" if x == y == "1" else "0" for x, y in zip(a, b))


def bits_or(a, b):
    if a is None or b is None:
        return None
    _same_length(a, b, "OR")
    return "".join("1" if "1" in (x, y) else "0" for x, y in zip(a, b))


def bits_xor(a, b):
    if a is None or b is None:
        return None
    _same_length(a, b, "XOR")
    return "".join("1" if x != y else "0" for x, y in zip(a, b))


def bits_not(a):
    return None if a is None else a.translate(_FLIP)


_FLIP = str.maketrans("01", "10")


def bits_count(a):
    return None if a is None else a.count("1")


def bits_get(a, n):
    """GET_BIT(bits, n): bit n, counted from 0 at the left."""
    if a is None or n is None:
        return None
    if not 0 <= n < len(a):
        raise DataError(f"bit index {n} out of valid range (0..{len(a) - 1})")
    return int(a[n])
