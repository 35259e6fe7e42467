"""DATE values outside Python's years 1-9999: DuckDB's DATE reaches 5877642-06-25 (BC) to
5881580-07-10; a FarDate holds one such date as DuckDB does, days since 1970-01-01.

Laws:
- canonical: a date Python can hold is always a ``datetime.date``, never a FarDate (``from_days`` and
  ``from_civil`` choose), so equality and hashing need no cross-type rules: a FarDate equals only the
  FarDate of the same day;
- ordered by the day: a FarDate before year 1 is below every ``datetime.date`` (and above '-infinity'),
  one after 9999 above every finite one (and below 'infinity'); comparisons with a Python date are
  answered by the FarDate whichever side it is on;
- the calendar is the proleptic Gregorian one with astronomical years (year 0 is 1 BC, DuckDB's YEAR()
  of '0044-03-15 (BC)' is -43); it prints as DuckDB does: '0044-03-15 (BC)', '12000-01-01';
- it offers the parts of Python's date interface the date functions read (year, month, day, weekday(),
  isoweekday(), isocalendar(), toordinal(), timetuple().tm_yday, replace(), + and - a timedelta, -
  a date), so they answer for it as for any date; it is no TIMESTAMP (there is no FarTimestamp: a cast
  of one to TIMESTAMP is an error).
"""

from __future__ import annotations

import datetime
import re

from .errors import DataError, Unrepresentable

_EPOCH_ORDINAL = 719_163  # datetime.date(1970, 1, 1).toordinal()
_PY_MIN = datetime.date.min.toordinal() - _EPOCH_ORDINAL  # the first and last days Python's date holds
_PY_MAX = datetime.date.max.toordinal() - _EPOCH_ORDINAL
MIN_DAYS = -2_147_483_646  # DuckDB's first and last finite DATE (5877642-06-25 (BC), 5881580-07-10)
MAX_DAYS = 2_147_483_646


def days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of year y (astronomical), month m, day d (proleptic Gregorian)."""
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    return era * 146_097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719_468


def civil_from_days(z: int) -> tuple[int, int, int]:
    """(year, month, day) of a day count since 1970-01-01 (the inverse of days_from_civil)."""
    z += 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (m <= 2), m, d


def month_days(y: int, m: int) -> int:
    if m == 2:
        return 29 if y % 4 == 0 and (y % 100 != 0 or y % 400 == 0) else 28
    return 30 if m in (4, 6, 9, 11) else 31


def from_days(n: int):
    """The DATE n days after 1970-01-01: a Python date where it can be one, else a FarDate."""
    if _PY_MIN <= n <= _PY_MAX:
        return datetime.date.fromordinal(n + _EPOCH_ORDINAL)
    if not MIN_DAYS <= n <= MAX_DAYS:
        raise DataError("date out of range (DuckDB's DATE reaches 5877642-06-25 (BC) to 5881580-07-10)")
    return FarDate(n)


def from_civil(y: int, m: int, d: int):
    """The DATE of year y (astronomical: 0 is 1 BC), month m, day d; DataError if there is none."""
    if not (1 <= m <= 12 and 1 <= d <= month_days(y, m)):
        raise DataError(f"date field value out of range: {y}-{m}-{d}")
    if 1 <= y <= 9999:
        return datetime.date(y, m, d)
    return from_days(days_from_civil(y, m, d))


def days_of(v) -> int:
    """Days since 1970-01-01 of a finite DATE (a Python date or a FarDate)."""
    return v.days if type(v) is FarDate else v.toordinal() - _EPOCH_ORDINAL  # (an infinite one raises)


def timestamp_of(d) -> datetime.datetime:
    """A DATE as the TIMESTAMP of its midnight (a TIMESTAMP as it is); a FarDate has none here."""
    if isinstance(d, datetime.datetime):
        return d
    if type(d) is FarDate:
        raise Unrepresentable(f"DATE '{d}' as a TIMESTAMP: a TIMESTAMP before year 1 or after 9999 is not supported")
    return datetime.datetime(d.year, d.month, d.day)


class _YearDay:
    __slots__ = ("tm_yday",)

    def __init__(self, yday: int):
        self.tm_yday = yday


class FarDate:
    """A DATE before year 1 or after year 9999 (see the module's laws)."""

    __slots__ = ("days",)

    def __init__(self, days: int):
        self.days = days

    # -- the calendar --------------------------------------------------------------------------------
    @property
    def year(self) -> int:
        return civil_from_days(self.days)[0]

    @property
    def month(self) -> int:
        return civil_from_days(self.days)[1]

    @property
    def day(self) -> int:
        return civil_from_days(self.days)[2]

    def weekday(self) -> int:
        return (self.days + 3) % 7  # 1970-01-01 was a Thursday

    def isoweekday(self) -> int:
        return self.weekday() + 1

    def toordinal(self) -> int:
        return self.days + _EPOCH_ORDINAL

    def timetuple(self) -> _YearDay:
        return _YearDay(self.days - days_from_civil(self.year, 1, 1) + 1)

    def isocalendar(self) -> tuple[int, int, int]:
        thursday = self.days - self.weekday() + 3
        year = civil_from_days(thursday)[0]
        return year, (thursday - days_from_civil(year, 1, 1)) // 7 + 1, self.isoweekday()

    def replace(self, year=None, month=None, day=None):
        y, m, d = civil_from_days(self.days)
        return from_civil(y if year is None else year, m if month is None else month, d if day is None else day)

    # -- arithmetic ----------------------------------------------------------------------------------
    def __add__(self, other):
        if isinstance(other, datetime.timedelta):
            return from_days(self.days + other.days)
        return NotImplemented

    __radd__ = __add__

    def __sub__(self, other):
        if isinstance(other, datetime.timedelta):
            return from_days(self.days - other.days)
        if type(other) is FarDate or (isinstance(other, datetime.date) and not isinstance(other, datetime.datetime)):
            return _timedelta(self.days - days_of(_finite(other)))
        return NotImplemented

    def __rsub__(self, other):
        if isinstance(other, datetime.date) and not isinstance(other, datetime.datetime):
            return _timedelta(days_of(_finite(other)) - self.days)
        return NotImplemented

    # -- equality, order, hashing -----------------------------------------------------------------
    def _key(self, other):
        """(self's rank, other's rank) or None when other is no DATE."""
        if type(other) is FarDate:
            return self.days, other.days
        if isinstance(other, datetime.date) and not isinstance(other, datetime.datetime):
            sign = getattr(other, "sign", None)  # 'infinity' / '-infinity' (sqllib/dates.py)
            if sign is not None:
                return 0, sign
            return (1, 0) if self.days > 0 else (0, 1)  # a FarDate lies beyond every Python date
        return None

    def __eq__(self, other):
        return type(other) is FarDate and other.days == self.days

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash(("FarDate", self.days))

    def __lt__(self, other):
        k = self._key(other)
        return NotImplemented if k is None else k[0] < k[1]

    def __le__(self, other):
        k = self._key(other)
        return NotImplemented if k is None else k[0] <= k[1]

    def __gt__(self, other):
        k = self._key(other)
        return NotImplemented if k is None else k[0] > k[1]

    def __ge__(self, other):
        k = self._key(other)
        return NotImplemented if k is None else k[0] >= k[1]

    # -- text ----------------------------------------------------------------------------------------
    def isoformat(self) -> str:
        y, m, d = civil_from_days(self.days)
        if y <= 0:
            return f"{1 - y:04d}-{m:02d}-{d:02d} (BC)"
        return f"{y:04d}-{m:02d}-{d:02d}"

    __str__ = isoformat

    def __repr__(self) -> str:
        return f"FarDate({self.isoformat()!r})"

    def __reduce__(self):
        return (FarDate, (self.days,))


def _timedelta(days: int) -> datetime.timedelta:
    if abs(days) > 999_999_999:  # (a timedelta's limit; the date functions count days with days_of instead)
        raise DataError(f"{days} days is out of the INTERVAL range")
    return datetime.timedelta(days=days)


def _finite(d):
    if getattr(d, "sign", None) is not None:
        raise DataError("an infinite DATE or TIMESTAMP ('infinity') cannot be used here")
    return d


# YYYY-MM-DD with a year of any length, '-' before it or ' (BC)' after it (DuckDB's forms), maybe a time
_FAR = re.compile(r"\s*(-?)(\d+)-(\d{1,2})-(\d{1,2})(?:\s*\((BC|AD)\))?(?:(?:T|\s+)\d{1,2}:\d{1,2}(?::\d{1,2}(?:\.\d+)?)?)?"
                  r"\s*(?:\((BC|AD)\))?\s*$", re.I)


def parse_far_date(text: str):
    """A DATE DuckDB reads but Python cannot hold ('0044-03-15 (BC)', '-0043-03-15', '12000-01-01'),
    or None when the text is no such date (the caller reads it as usual)."""
    m = _FAR.match(text)
    if m is None:
        return None
    minus, y, mo, d = m.group(1), int(m.group(2)), int(m.group(3)), int(m.group(4))
    bc = (m.group(5) or m.group(6) or "").upper() == "BC"
    if minus and bc:
        return None
    if bc:
        if y == 0:
            raise DataError(f"cannot convert '{text}' to DATE: there is no year 0 BC")
        y = 1 - y
    elif minus:
        y = -y
    if 1 <= y <= 9999:
        return None
    try:
        return from_civil(y, mo, d)
    except DataError:
        raise DataError(f"cannot convert '{text}' to DATE: date field value out of range") from None
