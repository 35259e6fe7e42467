"""FORMAT(fmt, args…) and PRINTF(fmt, args…) as DuckDB computes them (it calls the fmt library): NULL if
any argument is NULL.

DuckDB hands fmt an integer as an integer, a DOUBLE, FLOAT or DECIMAL as a double, a BOOLEAN as a
boolean and every other value as its text (CAST … AS VARCHAR).  fmt then checks each field's type
letter against the value's kind, and an unknown letter is an error, never a guess:

- integer: d x X o b (FORMAT also n; PRINTF also i u c); a boolean takes the integer letters as 0/1,
  and with no letter is 'true'/'false';
- double: e E f F g G (FORMAT also n), or none (FORMAT: the shortest text that reads back, as
  Python's repr writes it; a precision without a letter is refused, fmt reads it its own way);
- text: s, or none.

FORMAT's fields are ``{[index][:spec]}`` with Python's (fmt's) format mini-language; PRINTF's are C's
``%[flags][width][.precision][length]letter`` (``*`` takes the width or precision from an argument;
``hh``/``h`` narrow an integer to 8/16 bits), widths and precisions counting characters.
"""

from __future__ import annotations

import decimal
import re

from .casts import to_text
from .errors import DataError

_INT, _FLOAT, _TEXT, _BOOL = "int", "float", "text", "bool"


class HugeInt(int):
    """A HUGEINT argument of PRINTF (printf_wide): %x %o %b %u print a negative one in 128-bit two's
    complement, where a narrower integer of the same value takes 64 bits."""


def printf_wide(v):
    return None if v is None else HugeInt(v)


def _kind(v):
    if isinstance(v, bool):
        return _BOOL, v
    if isinstance(v, int):
        return _INT, v
    if isinstance(v, (float, decimal.Decimal)):
        return _FLOAT, float(v)
    if isinstance(v, str):
        return _TEXT, v
    return _TEXT, to_text(v)


def _type_error(letter: str, kind: str):
    return DataError(f'Invalid type specifier "{letter}" for formatting a value of type {kind}')


# -- FORMAT ------------------------------------------------------------------------------------------

_FIELD = re.compile(r"\{\{|\}\}|\{(\d*)(?::([^{}]*))?\}|[{}]")
_SPEC = re.compile(r"^(?:(.)?([<>^]))?([-+ ])?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([a-zA-Z%])?$", re.S)
_FORMAT_LETTERS = {_INT: "dxXobn", _FLOAT: "eEfFgGn", _TEXT: "s"}


def sql_format(fmt, *args):
    if fmt is None or any(a is None for a in args):
        return None
    values = [_kind(a) for a in args]
    out = []
    auto = 0
    pos = 0
    for m in _FIELD.finditer(fmt):
        out.append(fmt[pos:m.start()])
        pos = m.end()
        text = m.group()
        if text in ("{{", "}}"):
            out.append(text[0])
            continue
        if text in ("{", "}"):
            raise DataError("FORMAT: invalid format string")
        index = int(m.group(1)) if m.group(1) else auto
        auto += 1
        if index >= len(values):
            raise DataError(f'FORMAT: argument index "{index}" out of range')
        out.append(_format_one(values[index], m.group(2) or ""))
    out.append(fmt[pos:])
    return "".join(out)


def _format_one(value, spec: str) -> str:
    kind, v = value
    m = _SPEC.match(spec)
    if m is None:
        raise DataError("FORMAT: invalid format string")
    letter = m.group(9) or ""
    if kind == _BOOL:
        if not letter:
            return format("true" if v else "false", _without_letter(spec, m))
        kind, v = _INT, int(v)
    if letter and letter not in _FORMAT_LETTERS[kind]:
        raise _type_error(letter, kind)
    if kind == _FLOAT and not letter and m.group(8) is not None:
        raise DataError("FORMAT: a precision needs a type letter (e, f or g) here")
    if kind == _TEXT and (m.group(3) or m.group(4) or m.group(7)):
        raise DataError("FORMAT: invalid format specifier for a string")
    if kind == _FLOAT and not letter:
        body = repr(v) if v == v and v not in (float("inf"), float("-inf")) else str(v)
        if m.group(3) == "+" and not body.startswith("-"):
            body = "+" + body
        elif m.group(3) == " " and not body.startswith("-"):
            body = " " + body
        if m.group(7):
            whole, dot, frac = body.partition(".")
            body = format(int(whole), m.group(7)) + dot + frac if whole.lstrip("+- ").isdigit() else body
        return format(body, _align_only(m, numeric=True))
    if letter == "n":
        spec = spec[:-1] + ("d" if kind == _INT else "g")
    return format(v, spec)


def _without_letter(spec: str, m) -> str:
    return spec[:-1] if m.group(9) else spec


def _align_only(m, numeric: bool) -> str:
    fill, align, zero, width = m.group(1) or "", m.group(2) or "", m.group(5), m.group(6) or ""
    if not align:
        if zero and numeric:
            return "0>" + width if width else ""
        align = ">" if numeric else "<"
    return f"{fill}{align}{width}"


# -- PRINTF ------------------------------------------------------------------------------------------

_CONVERSION = re.compile(r"%([-+ #0]*)(\*|\d+)?(?:\.(\*|\d*))?(hh|h|ll|l|L|z|j|t)?([a-zA-Z%])")
_PRINTF_LETTERS = {_INT: "diuxXobc", _FLOAT: "eEfFgG", _TEXT: "s"}


def sql_printf(fmt, *args):
    if fmt is None or any(a is None for a in args):
        return None
    values = [_kind(a) for a in args]
    taken = 0

    def take():
        nonlocal taken
        if taken >= len(values):
            raise DataError(f'PRINTF: argument index "{taken}" out of range')
        taken += 1
        return values[taken - 1]

    out = []
    pos = 0
    for m in _CONVERSION.finditer(fmt):
        out.append(fmt[pos:m.start()])
        pos = m.end()
        flags, width, precision, length, letter = m.groups()
        if letter == "%":
            if flags or width or precision is not None or length:
                raise DataError(f'PRINTF: argument index "{taken}" out of range')
            out.append("%")
            continue
        if width == "*":
            width = str(_star(take()))
        if precision == "*":
            precision = str(_star(take()))
        if width and width.startswith("-"):
            flags, width = flags + "-", width[1:]
        out.append(_printf_one(take(), flags, width or "", precision, length or "", letter))
    rest = fmt[pos:]
    if "%" in rest:
        raise DataError("PRINTF: invalid format string")
    out.append(rest)
    return "".join(out)


def _star(value) -> int:
    kind, v = value
    if kind != _INT:
        raise DataError("PRINTF: a * width or precision takes an integer")
    return v


def _printf_one(value, flags: str, width: str, precision, length: str, letter: str) -> str:
    kind, v = value
    wide = isinstance(v, HugeInt)
    if kind == _BOOL:
        if letter == "s":
            return _pad("true" if v else "false", flags, width)
        kind, v = _INT, int(v)
    if letter not in _PRINTF_LETTERS[kind]:
        raise _type_error(letter, kind)
    prec = "" if precision is None else "." + (precision or "0")
    if kind == _TEXT:
        return _pad(v if precision is None else v[:int(precision or 0)], flags, width)
    if kind == _FLOAT:
        return ("%" + flags + width + prec + letter) % v
    if length in ("hh", "h"):
        bits = 8 if length == "hh" else 16
        v &= (1 << bits) - 1
        if letter in "di" and v >= 1 << (bits - 1):
            v -= 1 << bits
    if letter in "xXobu" and v < 0:  # unsigned: two's complement of the 64-bit (or 128-bit) integer
        v &= (1 << (64 if v >= -(1 << 63) and not wide else 128)) - 1
    if letter == "c":
        return _pad(chr(v), flags, width)
    if letter == "b":
        return _pad(format(v, "b"), flags, width, zero_ok=True)
    if letter == "o" and "#" in flags:
        body = ("%" + flags.replace("#", "") + prec + "o") % v
        body = body if body.lstrip("-+ ").startswith("0") else body.replace(body.lstrip("-+ "), "0" + body.lstrip("-+ "), 1)
        return _pad(body, flags.replace("#", ""), width, zero_ok=True)
    conv = "d" if letter in "iu" else letter
    return ("%" + flags + width + prec + conv) % v


def _pad(text: str, flags: str, width: str, zero_ok: bool = False) -> str:
    n = int(width) if width else 0
    if len(text) >= n:
        return text
    if "-" in flags:
        return text + " " * (n - len(text))
    if zero_ok and "0" in flags:
        sign = text[0] if text[:1] in "+- " else ""
        return sign + "0" * (n - len(text)) + text[len(sign):]
    return " " * (n - len(text)) + text
