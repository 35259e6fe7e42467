"""HEX / TO_HEX, UNHEX / FROM_HEX, BIN / TO_BINARY, UNBIN / FROM_BINARY: values as hexadecimal or binary
digits and back, as DuckDB writes and reads them.

Laws (DuckDB 2.0, checked in tests/test_diff_lenient.py):
- a VARCHAR is written as the digits of its UTF-8 bytes, a BLOB (HEX only) as its bytes, two upper-case
  hex digits or eight binary digits a byte, in order ('duckdb' is 6475636B6462);
- an integer is written as its number, without leading zeros ('0' for zero); a negative one as its two's
  complement in 64 bits, or 128 bits for a HUGEINT (HEX(-1) is sixteen Fs);
- reading, the digits are taken from the right a byte at a time, a short first group padded with
  zeros on the left (UNHEX('abc') is \\x0A\\xBC, FROM_BINARY('101') is \\x05); any other character
  (a space too) is an error; the result is a BLOB;
- NULL in, NULL out.
"""

from __future__ import annotations

from .errors import DataError, show_value


def _twos(n: int, bits: int) -> int:
    return n if n >= 0 else n + (1 << (64 if bits <= 64 else 128))


def sql_hex(v, bits):
    """HEX(v): ``bits`` is v's integer width (0 for a VARCHAR or a BLOB)."""
    if v is None:
        return None
    if isinstance(v, int):
        return f"{_twos(v, bits):X}"
    data = v.encode("utf-8") if isinstance(v, str) else v
    return data.hex().upper()


def sql_bin(v, bits):
    """BIN(v) / TO_BINARY(v): ``bits`` as for sql_hex."""
    if v is None:
        return None
    if isinstance(v, int):
        return f"{_twos(v, bits):b}"
    return "".join(f"{b:08b}" for b in v.encode("utf-8"))


def _read(text: str, digits: str, per_byte: int, base: int, what: str) -> bytes:
    for c in text:
        if c not in digits:
            raise DataError(f"{what}: {show_value(c)} is not a {'hex' if base == 16 else 'binary'} digit "
                            f"(in {show_value(text)})")
    head = len(text) % per_byte
    groups = ([text[:head]] if head else []) + [text[i:i + per_byte] for i in range(head, len(text), per_byte)]
    return bytes(int(g, base) for g in groups)


def sql_unhex(text):
    """UNHEX / FROM_HEX: a BLOB."""
    return None if text is None else _read(text, "0123456789abcdefABCDEF", 2, 16, "UNHEX")


def sql_unbin(text):
    """UNBIN / FROM_BINARY: a BLOB."""
    return None if text is None else _read(text, "01", 8, 2, "FROM_BINARY")
