"""TIME WITH TIME ZONE (TIMETZ) values: a time of day and a UTC offset, compared as DuckDB compares them.

A value is a ``TimeTZ``, a ``datetime.time`` carrying its offset as a fixed ``tzinfo`` (what DuckDB's Python
API returns for it), but with DuckDB's equality and order rather than Python's:

- equal only when the time and the offset are both equal ('12:00:00+01' and '11:00:00+00', the same
  instant, are two values: GROUP BY and DISTINCT keep both, as DuckDB does);
- ordered by the instant, time - offset, not wrapped around midnight ('00:30:00+15:59' sorts before
  '11:00:00+00'), then by the offset, the greater first ('12:00:00+01' < '11:00:00+00' < '10:00:00-01').

Text is read as DuckDB reads it: [date ]HH:MM[:SS[.fraction]] then an optional offset ±HH[[:]MM[[:]SS]]
up to ±15:59:59 (none: +00), a fraction past microseconds cut (DuckDB's 24:00:00 has no Python time: refused
even under TRY_CAST, ``Unrepresentable``); printed as DuckDB prints it, '12:00:00+01',
'02:30:00+04:30:45'.  A TIME cast to TIMETZ takes +00, a TIMETZ cast to TIME keeps its time of day, a
TIMESTAMPTZ its UTC time with +00.
"""

from __future__ import annotations

import datetime
import re

from .dates import _Infinite
from .errors import DataError, Unrepresentable, show_value
from .timestamps import DATE_ONLY, parse_date

_MAX_OFFSET = 16 * 3600 - 1  # ±15:59:59
_TEXT = re.compile(r"""\s*(?:\d+[-/ ]\d{1,2}[-/ ]\d{1,2}(?:T|\s+))?(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d*))?)?
    \s*(?:(?P<utc>Z|UTC)|(?P<sign>[+-])(\d{1,2})(?::?(\d{2}))?(?::?(\d{2}))?)?\s*$""", re.X | re.I)
_ZONES: dict[int, datetime.timezone] = {}


def _zone(seconds: int) -> datetime.timezone:
    z = _ZONES.get(seconds)
    if z is None:
        z = _ZONES[seconds] = datetime.timezone(datetime.timedelta(seconds=seconds))
    return z


def _offset(t: datetime.time) -> int:
    off = datetime.time.utcoffset(t)
    return 0 if off is None else off.days * 86_400 + off.seconds


def _key(t: datetime.time) -> tuple[int, int]:
    off = _offset(t)
    micros = ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond
    return micros - off * 1_000_000, -off


class TimeTZ(datetime.time):
    """A TIMETZ value (see the module docstring)."""

    __slots__ = ()

    def __eq__(self, other):
        if isinstance(other, datetime.time) and other.tzinfo is not None:
            return _key(self) == _key(other)
        return NotImplemented

    def __ne__(self, other):
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __lt__(self, other):
        return _key(self) < _key(other) if isinstance(other, datetime.time) else NotImplemented

    def __le__(self, other):
        return _key(self) <= _key(other) if isinstance(other, datetime.time) else NotImplemented

    def __gt__(self, other):
        return _key(self) > _key(other) if isinstance(other, datetime.time) else NotImplemented

    def __ge__(self, other):
        return _key(self) >= _key(other) if isinstance(other, datetime.time) else NotImplemented

    # Python's hash of an aware time (of its UTC time): equal to that of the datetime.time DuckDB's API
    # gives for the same value, which compares equal to it; values of one instant share it
    __hash__ = datetime.time.__hash__

    def text(self) -> str:
        """As DuckDB prints it: 12:34:56[.5]+01[:30[:45]]."""
        out = f"{self.hour:02d}:{self.minute:02d}:{self.second:02d}"
        if self.microsecond:
            out += f".{self.microsecond:06d}".rstrip("0")
        off = _offset(self)
        sign = "-" if off < 0 else "+"
        h, rest = divmod(abs(off), 3600)
        m, s = divmod(rest, 60)
        out += f"{sign}{h:02d}"
        if m or s:
            out += f":{m:02d}"
        if s:
            out += f":{s:02d}"
        return out

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"TimeTZ({self.text()!r})"

    def __reduce__(self):
        return (_make, (self.hour, self.minute, self.second, self.microsecond, _offset(self)))


def _make(h: int, m: int, s: int, us: int, offset: int) -> TimeTZ:
    return TimeTZ(h, m, s, us, tzinfo=_zone(offset))


def parse_timetz(text: str) -> TimeTZ:
    if DATE_ONLY.match(text):  # a date alone: its midnight at +00, as DuckDB reads it
        parse_date(text)
        return _make(0, 0, 0, 0, 0)
    m = _TEXT.match(text)
    if m is None:
        raise DataError(f"cannot convert '{text}' to TIME WITH TIME ZONE: expected HH:MM[:SS[.US]][±HH[:MM[:SS]]]")
    h, mi, s = (int(x or 0) for x in m.group(1, 2, 3))
    micro = int((m.group(4) or "")[:6].ljust(6, "0"))
    off = 0
    if m.group("sign"):
        oh, om, os = (int(x or 0) for x in m.group(7, 8, 9))
        if om > 59 or os > 59:
            raise DataError(f"cannot convert '{text}' to TIME WITH TIME ZONE: offset out of range")
        off = oh * 3600 + om * 60 + os
        off = -off if m.group("sign") == "-" else off
    if h == 24 and mi == s == micro == 0:
        raise Unrepresentable(f"cannot convert '{text}' to TIME WITH TIME ZONE: 24:00:00 (DuckDB's end of a day) is "
                              f"not supported")
    if h > 23 or mi > 59 or s > 59 or abs(off) > _MAX_OFFSET:
        raise DataError(f"cannot convert '{text}' to TIME WITH TIME ZONE: field value out of range")
    return _make(h, mi, s, micro, off)


def cast_timetz(v):
    """CAST(v AS TIMETZ): from text, a TIME (+00), a TIMESTAMPTZ (its UTC time, +00), or itself."""
    if v is None or type(v) is TimeTZ:
        return v
    if isinstance(v, str):
        return parse_timetz(v)
    if isinstance(v, datetime.datetime) and not isinstance(v, _Infinite) and v.tzinfo is not None:
        u = v.astimezone(datetime.timezone.utc)
        return _make(u.hour, u.minute, u.second, u.microsecond, 0)
    if isinstance(v, datetime.time):
        return _make(v.hour, v.minute, v.second, v.microsecond, _offset(v))
    raise DataError(f"cannot cast {show_value(v)} to TIME WITH TIME ZONE")


def timetz_time(v):
    """CAST(TIMETZ AS TIME): its time of day, the offset dropped (as DuckDB)."""
    if v is None:
        return None
    return datetime.time(v.hour, v.minute, v.second, v.microsecond)
