"""DATE, TIMESTAMP and INTERVAL arithmetic: an INTERVAL is (months, days, microseconds) as in SQL,
added field by field (months clamp to the last day of the month); EXTRACT, DATE_TRUNC, names of days and
months."""

from __future__ import annotations

import datetime

from .errors import DataError
from .fardates import FarDate, days_of, from_civil, from_days, month_days, timestamp_of

# -- dates, timestamps, intervals ------------------------------------------------------------------

def _infinite(*_args, **_kw):
    raise DataError("an infinite DATE or TIMESTAMP ('infinity') cannot be used here")


class _Infinite:
    """±infinity as DATE or TIMESTAMP (DuckDB's 'infinity' / '-infinity'): equal only to itself, ordered
    before or after every finite value, hashed as ``stand_in()``, the value DuckDB's Python API gives
    for it (the largest or smallest date, which it is built on), printed as 'infinity'; any field or
    arithmetic raises a DataError rather than answer for a real date."""

    sign = 1

    def text(self) -> str:
        return "infinity" if self.sign > 0 else "-infinity"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.text()!r})"

    __str__ = text
    year = month = day = hour = minute = second = microsecond = property(_infinite)
    __add__ = __radd__ = __sub__ = __rsub__ = _infinite
    weekday = isoweekday = isocalendar = timetuple = toordinal = replace = strftime = isoformat = _infinite
    date = time = timestamp = _infinite

    def __reduce__(self):
        return (infinite, (isinstance(self, datetime.datetime), self.sign))

    def stand_in(self):
        """The date or timestamp DuckDB's Python API gives for this infinity."""
        if isinstance(self, datetime.datetime):
            return datetime.datetime.max if self.sign > 0 else datetime.datetime.min
        return datetime.date.max if self.sign > 0 else datetime.date.min

    # not the date it is built on: '-infinity' <> DATE '0001-01-01' and orders before it (and before a
    # FarDate, sqllib/fardates.py)
    def __eq__(self, other):
        return isinstance(other, _Infinite) and other.sign == self.sign and \
            isinstance(other, datetime.datetime) == isinstance(self, datetime.datetime)

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash(self.stand_in())

    def __lt__(self, other):
        return NotImplemented if not _temporal(other) else self.sign < _rank(other)

    def __le__(self, other):
        return NotImplemented if not _temporal(other) else self.sign <= _rank(other)

    def __gt__(self, other):
        return NotImplemented if not _temporal(other) else self.sign > _rank(other)

    def __ge__(self, other):
        return NotImplemented if not _temporal(other) else self.sign >= _rank(other)


def _temporal(v) -> bool:
    return isinstance(v, datetime.date) or type(v) is FarDate


def _rank(v) -> int:
    """-1, 0 or 1: -infinity, a finite value, infinity."""
    return v.sign if isinstance(v, _Infinite) else 0


class InfiniteDate(_Infinite, datetime.date):
    pass


class InfiniteTimestamp(_Infinite, datetime.datetime):
    pass


DATE_INFINITY = InfiniteDate(9999, 12, 31)
DATE_NEG_INFINITY = InfiniteDate(1, 1, 1)
DATE_NEG_INFINITY.sign = -1
TIMESTAMP_INFINITY = InfiniteTimestamp(9999, 12, 31, 23, 59, 59, 999999)
TIMESTAMP_NEG_INFINITY = InfiniteTimestamp(1, 1, 1)
TIMESTAMP_NEG_INFINITY.sign = -1


def infinite(timestamp: bool, sign: int):
    if timestamp:
        return TIMESTAMP_INFINITY if sign > 0 else TIMESTAMP_NEG_INFINITY
    return DATE_INFINITY if sign > 0 else DATE_NEG_INFINITY


def parse_infinity(text: str, timestamp: bool):
    """'infinity', '+infinity' or '-infinity' (any case) as the infinite value, else None."""
    t = text.strip().lower()
    if t in ("infinity", "+infinity", "-infinity"):
        return infinite(timestamp, -1 if t[0] == "-" else 1)
    return None


class Interval(datetime.timedelta):
    """An SQL interval: months, days and microseconds kept apart (a month has no fixed length), and
    at the same time the timedelta DuckDB's Python API returns for it (a month counted as 30 days),
    which is also how DuckDB compares and orders intervals."""

    __slots__ = ("months", "day_part", "micro_part")

    def __new__(cls, months: int = 0, days: int = 0, micros: int = 0):
        try:
            self = super().__new__(cls, days=months * 30 + days, microseconds=micros)
        except OverflowError:  # past a timedelta's ±999,999,999 days
            raise DataError(f"interval out of range: {months} months {days} days {micros} microseconds") from None
        self.months = months
        self.day_part = days
        self.micro_part = micros
        return self

    def __neg__(self):
        return Interval(-self.months, -self.day_part, -self.micro_part)

    def __add__(self, other):
        if isinstance(other, Interval):
            return Interval(self.months + other.months, self.day_part + other.day_part,
                            self.micro_part + other.micro_part)
        return NotImplemented

    def __sub__(self, other):
        if isinstance(other, Interval):
            return self + (-other)
        return NotImplemented

    def key(self) -> int:
        return (self.months * 30 + self.day_part) * 86_400_000_000 + self.micro_part

    def __repr__(self) -> str:
        return f"Interval(months={self.months}, days={self.day_part}, micros={self.micro_part})"

    def __reduce__(self):
        return (Interval, (self.months, self.day_part, self.micro_part))

    def text(self) -> str:
        parts = []
        years, months = divmod(self.months, 12) if self.months >= 0 else (-((-self.months) // 12),
                                                                          -((-self.months) % 12))
        if years:
            parts.append(f"{years} year{'s' if abs(years) != 1 else ''}")
        if months:
            parts.append(f"{months} month{'s' if abs(months) != 1 else ''}")
        if self.day_part:
            parts.append(f"{self.day_part} day{'s' if abs(self.day_part) != 1 else ''}")
        if self.micro_part or not parts:
            us = abs(self.micro_part)
            h, rem = divmod(us, 3_600_000_000)
            m, rem = divmod(rem, 60_000_000)
            sec, frac = divmod(rem, 1_000_000)
            text = f"{'-' if self.micro_part < 0 else ''}{h:02d}:{m:02d}:{sec:02d}"
            if frac:
                text += f".{frac:06d}".rstrip("0")
            parts.append(text)
        return " ".join(parts)

    __str__ = text  # an interval prints as SQL writes it, not as a timedelta


_UNIT_MICROS = {"microsecond": 1, "millisecond": 1000, "second": 1_000_000, "minute": 60_000_000,
                "hour": 3_600_000_000}


def make_interval(n, unit: str):
    if n is None:
        return None
    try:
        return _make_interval(n, unit.lower().rstrip("s"))
    except (OverflowError, ValueError):  # timedelta keeps at most 999,999,999 days
        raise DataError(f"INTERVAL {n} {unit.upper()} is out of range") from None


def _make_interval(n, unit: str):
    if unit == "year":
        return Interval(months=int(n) * 12)
    if unit == "month":
        return Interval(months=int(n))
    if unit == "week":
        return Interval(days=int(n) * 7)
    if unit == "day":
        return Interval(days=int(n))
    if unit in _UNIT_MICROS:
        return Interval(micros=int(round(n * _UNIT_MICROS[unit])))
    raise DataError(f"unknown interval unit {unit!r}")


def _add_months(d, months: int):
    y, m = divmod(d.month - 1 + months, 12)
    year = d.year + y
    month = m + 1
    last = [31, 29 if (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)) else 28, 31, 30, 31, 30,
            31, 31, 30, 31, 30, 31][month - 1]
    if not isinstance(d, datetime.datetime):  # a DATE: past Python's years a FarDate (sqllib/fardates.py)
        return from_civil(year, month, min(d.day, last))
    return d.replace(year=year, month=month, day=min(d.day, last))


def add_interval(d, iv: Interval, as_timestamp: bool):
    """date/timestamp + interval; a date plus a sub-day interval becomes a timestamp."""
    if d is None or iv is None:
        return None
    if as_timestamp:
        d = timestamp_of(d)
    try:
        if iv.months:
            d = _add_months(d, iv.months)
        if iv.day_part:
            d = d + datetime.timedelta(days=iv.day_part)
        if iv.micro_part:
            d = d + datetime.timedelta(microseconds=iv.micro_part)
    except OverflowError:
        raise DataError("date out of range") from None
    return d


def add_timedelta(d, delta: datetime.timedelta):
    """A timestamp plus a fixed length (an interval without months, prepared by the compiler)."""
    if d is None:
        return None
    try:
        return d + delta
    except OverflowError:
        raise DataError("date out of range") from None


def sub_interval(d, iv, as_timestamp: bool):
    return None if iv is None else add_interval(d, -iv, as_timestamp)


_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def _hour12(t) -> int:
    return (t.hour + 11) % 12 + 1


# DuckDB's strftime specifiers (its own table, not the C library's): %c, %x and %X are ISO forms,
# %z of a TIMESTAMP is +00 and %Z is empty; %-x drops the padding.  Any other letter is an error.
_STRFTIME = {
    "a": lambda t: _DAYS[t.weekday()][:3], "A": lambda t: _DAYS[t.weekday()],
    "w": lambda t: str((t.weekday() + 1) % 7), "u": lambda t: str(t.isoweekday()),
    "d": lambda t: f"{t.day:02d}", "-d": lambda t: str(t.day),
    "b": lambda t: _MONTHS[t.month - 1][:3], "h": lambda t: _MONTHS[t.month - 1][:3],
    "B": lambda t: _MONTHS[t.month - 1], "m": lambda t: f"{t.month:02d}", "-m": lambda t: str(t.month),
    "y": lambda t: f"{t.year % 100:02d}", "-y": lambda t: str(t.year % 100), "Y": lambda t: str(t.year),
    "G": lambda t: str(t.isocalendar()[0]), "V": lambda t: f"{t.isocalendar()[1]:02d}",
    "H": lambda t: f"{t.hour:02d}", "-H": lambda t: str(t.hour), "I": lambda t: f"{_hour12(t):02d}",
    "-I": lambda t: str(_hour12(t)), "p": lambda t: "AM" if t.hour < 12 else "PM",
    "M": lambda t: f"{t.minute:02d}", "-M": lambda t: str(t.minute), "S": lambda t: f"{t.second:02d}",
    "-S": lambda t: str(t.second), "g": lambda t: f"{t.microsecond // 1000:03d}",
    "f": lambda t: f"{t.microsecond:06d}", "n": lambda t: f"{t.microsecond * 1000:09d}",
    "z": lambda t: "+00", "Z": lambda t: "",
    "j": lambda t: f"{t.timetuple().tm_yday:03d}", "-j": lambda t: str(t.timetuple().tm_yday),
    "U": lambda t: f"{(t.timetuple().tm_yday + 6 - (t.weekday() + 1) % 7) // 7:02d}",
    "W": lambda t: f"{(t.timetuple().tm_yday + 6 - t.weekday()) // 7:02d}",
    "c": lambda t: f"{t.year:04d}-{t.month:02d}-{t.day:02d} {t.hour:02d}:{t.minute:02d}:{t.second:02d}",
    "x": lambda t: f"{t.year:04d}-{t.month:02d}-{t.day:02d}",
    "X": lambda t: f"{t.hour:02d}:{t.minute:02d}:{t.second:02d}",
    "T": lambda t: f"{t.hour:02d}:{t.minute:02d}:{t.second:02d}",
    "%": lambda t: "%",
}


def sql_strftime(d, fmt):
    """STRFTIME(d, format) with DuckDB's format specifiers (see _STRFTIME); an infinite DATE or TIMESTAMP
    is 'infinity' or '-infinity' whatever the format (DuckDB's answer)."""
    if d is None or fmt is None:
        return None
    if isinstance(d, _Infinite):
        return d.text()
    t = timestamp_of(d)
    out, i, n = [], 0, len(fmt)
    while i < n:
        c = fmt[i]
        if c != "%":
            out.append(c)
            i += 1
            continue
        spec = fmt[i + 1:i + 3] if fmt[i + 1:i + 2] == "-" else fmt[i + 1:i + 2]
        f = _STRFTIME.get(spec)
        if f is None:
            raise DataError(f"strftime: unknown format specifier %{spec}")
        out.append(f(t))
        i += 1 + len(spec)
    return "".join(out)


def date_diff_days(a, b):
    """date - date: whole days (DuckDB's BIGINT)."""
    if a is None or b is None:
        return None
    if type(a) is FarDate or type(b) is FarDate:  # (may be more days than a timedelta holds)
        return days_of(a) - days_of(b)
    return (a - b).days


def date_diff(unit: str, start, end):
    """DATE_DIFF(unit, start, end): the number of unit boundaries between start and end (WEEK: whole weeks
    of days between the dates, DuckDB's answer)."""
    if start is None or end is None:
        return None
    unit = unit.lower().rstrip("s")
    if isinstance(start, datetime.time):  # two TIMEs: as two times of one day
        start, end = (datetime.datetime.combine(datetime.date(1970, 1, 1), t) for t in (start, end))
    if unit in ("year", "quarter", "month"):
        months = (end.year - start.year) * 12 + (end.month - start.month)
        return {"year": end.year - start.year, "quarter": (end.year * 12 + end.month - 1) // 3
                - (start.year * 12 + start.month - 1) // 3, "month": months}[unit]
    if unit in ("week", "day"):  # the days between the dates (times dropped); weeks: those days / 7, truncated
        days = days_of(end) - days_of(start)  # (as DuckDB: not Monday boundaries)
        return days if unit == "day" else (days // 7 if days >= 0 else -(-days // 7))
    a, b = timestamp_of(start), timestamp_of(end)
    micros = {"hour": 3_600_000_000, "minute": 60_000_000, "second": 1_000_000, "millisecond": 1000,
              "microsecond": 1}.get(unit)
    if micros is None:
        raise DataError(f"unknown DATE_DIFF unit {unit!r}")
    ta, tb = date_trunc(unit, a), date_trunc(unit, b)
    delta = tb - ta
    return (delta.days * 86_400_000_000 + delta.seconds * 1_000_000 + delta.microseconds) // micros


def interval_mul(iv, n):
    if iv is None or n is None:
        return None
    if isinstance(n, int):
        return Interval(iv.months * n, iv.day_part * n, iv.micro_part * n)
    # fractional multiples spill months and days into the smaller units, as DuckDB does
    months = iv.months * n
    days = iv.day_part * n + (months - int(months)) * 30
    micros = iv.micro_part * n + (days - int(days)) * 86_400_000_000
    return Interval(int(months), int(days), int(round(micros)))


def timestamp_diff(a, b):
    """timestamp - timestamp: an interval of days and microseconds."""
    if a is None or b is None:
        return None
    delta = a - b
    return Interval(0, delta.days, delta.seconds * 1_000_000 + delta.microseconds)


def time_add_interval(t, iv):
    """TIME + INTERVAL: the time of day moved by the interval's time part, around the clock (DuckDB drops
    the interval's months and days)."""
    if t is None or iv is None:
        return None
    micros = (((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond + iv.micro_part) \
        % 86_400_000_000
    seconds, micro = divmod(micros, 1_000_000)
    return datetime.time(seconds // 3600, seconds // 60 % 60, seconds % 60, micro)


def date_add_time(d, t):
    """DATE + TIME: the TIMESTAMP of that day at that time (an infinite date stays infinite)."""
    if d is None or t is None:
        return None
    if isinstance(d, _Infinite):
        return infinite(True, d.sign)
    return datetime.datetime.combine(d, t)


def date_add_days(d, n):
    """DATE + INTEGER: past Python's years 1-9999 a FarDate (sqllib/fardates.py), as DuckDB's DATE goes on."""
    if d is None or n is None:
        return None
    try:
        return d + datetime.timedelta(days=n)
    except OverflowError:
        return from_days(days_of(d) + n)


def _day_micros(d):
    return ((d.hour * 60 + d.minute) * 60 + d.second) * 1_000_000 + d.microsecond \
        if isinstance(d, datetime.datetime) else 0


_EXTRACT = {
    "year": lambda d: d.year, "month": lambda d: d.month, "day": lambda d: d.day,
    "quarter": lambda d: (d.month - 1) // 3 + 1,
    "dow": lambda d: d.isoweekday() % 7,
    "isodow": lambda d: d.isoweekday(), "doy": lambda d: d.timetuple().tm_yday,
    "week": lambda d: d.isocalendar()[1], "isoyear": lambda d: d.isocalendar()[0],
    "yearweek": lambda d: _yearweek(*d.isocalendar()[:2]),
    "decade": lambda d: d.year // 10 if d.year >= 0 else -(-d.year // 10),  # DuckDB's year / 10, truncated
    "century": lambda d: (d.year - 1) // 100 + 1 if d.year > 0 else -((-d.year) // 100 + 1),
    "millennium": lambda d: (d.year - 1) // 1000 + 1 if d.year > 0 else -((-d.year) // 1000 + 1),
    "era": lambda d: 1 if d.year > 0 else 0,
    "hour": lambda d: d.hour if isinstance(d, datetime.datetime) else 0,
    "minute": lambda d: d.minute if isinstance(d, datetime.datetime) else 0,
    "second": lambda d: d.second if isinstance(d, datetime.datetime) else 0,
    "millisecond": lambda d: (d.second * 1000 + d.microsecond // 1000) if isinstance(d, datetime.datetime) else 0,
    "microsecond": lambda d: (d.second * 1_000_000 + d.microsecond) if isinstance(d, datetime.datetime) else 0,
    "epoch": lambda d: (d - datetime.datetime(1970, 1, 1)).total_seconds() if isinstance(d, datetime.datetime)
    else float(days_of(d) * 86400),
    "julian": lambda d: float(d.toordinal() + 1_721_425) + _day_micros(d) / 86_400_000_000,
    "timezone": lambda d: 0, "timezone_hour": lambda d: 0, "timezone_minute": lambda d: 0,
    "date_timezone": lambda d: _no_zone(d),  # DuckDB's TIMEZONE(date) (not in a list of parts): an error
    # functions only (EPOCH_MS(d), …), no names of DATE_PART's: BIGINTs, an error past 64 bits as in DuckDB
    "epoch_ms": lambda d: _epoch_us(d) // 1000 if isinstance(d, datetime.datetime) else days_of(d) * 86_400_000,
    "epoch_us": lambda d: _epoch_us(d),
    "epoch_ns": lambda d: _int64(_epoch_us(d) * 1000, d, "nanoseconds"),
    "nanosecond": lambda d: (d.second * 1_000_000 + d.microsecond) * 1000 if isinstance(d, datetime.datetime) else 0,
}
FUNCTION_PARTS = frozenset({"epoch_ms", "epoch_us", "epoch_ns", "nanosecond"})


def _epoch_us(d) -> int:
    """Microseconds since 1970-01-01 of a DATE or TIMESTAMP (an aware one: of its UTC instant)."""
    if isinstance(d, datetime.datetime):
        if d.tzinfo is not None:
            d = d.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        delta = d - _EPOCH
        return _int64((delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds, d, "microseconds")
    return _int64(days_of(d) * 86_400_000_000, d, "microseconds")


def _int64(n: int, d, unit: str) -> int:
    if not -(1 << 63) <= n < (1 << 63):
        raise DataError(f"could not convert {d} to {unit} (past a BIGINT)")
    return n


def _yearweek(year, week):
    """DuckDB's YEARWEEK: the ISO year * 100 and the week, the week subtracted before year 1 (44 BC's
    week 11 is -4311)."""
    return year * 100 + (week if year > 0 else -week)


def _no_zone(d):
    raise DataError('a DATE has no time zone part (DuckDB: "date" units "timezone" not recognized)')


# DuckDB's names for the parts (date_part, EXTRACT), each mapped to one of _EXTRACT's
EXTRACT_ALIASES = {alias: part for part, aliases in {
    "year": "year yr y years yrs", "month": "month mon months mons", "day": "day days d dayofmonth",
    "decade": "decade dec decades decs", "century": "century cent centuries c",
    "millennium": "millennium mil millenniums millennia mils millenium",
    "microsecond": "microseconds microsecond us usec usecs usecond useconds",
    "millisecond": "milliseconds millisecond ms msec msecs msecond mseconds",
    "second": "second sec seconds secs s", "minute": "minute min minutes mins m", "hour": "hour hours hr hrs h",
    "epoch": "epoch", "dow": "dow dayofweek weekday", "isodow": "isodow", "week": "week weeks w weekofyear",
    "doy": "doy dayofyear", "quarter": "quarter quarters", "yearweek": "yearweek", "isoyear": "isoyear",
    "era": "era", "julian": "julian", "timezone": "timezone", "timezone_hour": "timezone_hour",
    "timezone_minute": "timezone_minute",
}.items() for alias in aliases.split()}
INTERVAL_FIELDS = frozenset({"year", "month", "day", "hour", "minute", "second", "epoch"})
TIME_FIELDS = frozenset({"hour", "minute", "second", "millisecond", "microsecond", "epoch"})
DOUBLE_FIELDS = frozenset({"epoch", "julian"})

EXTRACT_FIELDS = frozenset(_EXTRACT)


def date_part_named(part, d):
    """DATE_PART(part, d) with the part a value (a column): the part named, as a DOUBLE (DuckDB's type for
    it; a whole part's integer, EPOCH and JULIAN their fractions); NULL for a NULL part; an unknown name
    is an error, as in DuckDB, except for an infinite DATE or TIMESTAMP, which is NULL first."""
    if part is None or d is None or isinstance(d, _Infinite):
        return None
    field = EXTRACT_ALIASES.get(part.lower())
    if field is None or (isinstance(d, Interval) and field not in INTERVAL_FIELDS) or \
            (isinstance(d, datetime.time) and field not in TIME_FIELDS):
        raise DataError(f"extract specifier {part!r} not recognized")
    v = extract(field, d)
    return None if v is None else float(v)


def extract(field: str, d):
    """A part of a DATE, TIMESTAMP or INTERVAL; NULL for an infinite DATE or TIMESTAMP (as DuckDB)."""
    if d is None or isinstance(d, _Infinite):
        return None
    if isinstance(d, Interval):
        return _extract_interval(field, d)
    if isinstance(d, datetime.time):
        return _extract_time(field, d)
    return _EXTRACT[field](d)


def _extract_time(field, t):
    """A part of a TIME (TIME_FIELDS): the seconds with the milli- or microseconds, EPOCH its seconds since
    midnight as a DOUBLE."""
    if field == "hour":
        return t.hour
    if field == "minute":
        return t.minute
    if field == "second":
        return t.second
    if field == "millisecond":
        return t.second * 1000 + t.microsecond // 1000
    if field == "microsecond":
        return t.second * 1_000_000 + t.microsecond
    micros = ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond
    if field == "epoch":
        return micros / 1_000_000
    if field in FUNCTION_PARTS:
        return {"epoch_ms": micros // 1000, "epoch_us": micros, "epoch_ns": micros * 1000,
                "nanosecond": (t.second * 1_000_000 + t.microsecond) * 1000}[field]
    raise DataError(f"EXTRACT({field}) is not defined for TIME")


def _extract_interval(field, iv):
    if field == "year":
        return int(iv.months / 12)
    if field == "month":
        return iv.months - int(iv.months / 12) * 12
    if field == "day":
        return iv.day_part
    if field == "hour":
        return int(iv.micro_part / 3_600_000_000)
    if field == "minute":
        return int(iv.micro_part / 60_000_000) % 60
    if field == "second":
        return int(iv.micro_part / 1_000_000) % 60
    if field == "epoch":
        return (iv.months * 30 + iv.day_part) * 86400 + iv.micro_part / 1_000_000
    raise DataError(f"EXTRACT({field}) is not defined for intervals")


TRUNC_UNITS = ("millennium", "century", "decade", "year", "quarter", "month", "week", "day", "hour",
               "minute", "second", "millisecond", "microsecond")


def date_trunc(unit: str, d, as_date: bool = False):
    if d is None:
        return None
    ts = timestamp_of(d)
    if unit in ("millennium", "century"):  # DuckDB counts them from year 0: 2019 -> 2000, 1999 -> 1900
        span = 1000 if unit == "millennium" else 100
        if ts.year < span:
            raise DataError(f"DATE_TRUNC('{unit}', {d}) is a date before year 1, which is not supported")
        ts = ts.replace(year=ts.year // span * span, month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    elif unit == "decade":
        ts = ts.replace(year=ts.year // 10 * 10, month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    elif unit == "year":
        ts = ts.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    elif unit == "quarter":
        ts = ts.replace(month=(ts.month - 1) // 3 * 3 + 1, day=1, hour=0, minute=0, second=0, microsecond=0)
    elif unit == "month":
        ts = ts.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    elif unit == "week":
        ts = (ts - datetime.timedelta(days=ts.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    elif unit == "day":
        ts = ts.replace(hour=0, minute=0, second=0, microsecond=0)
    elif unit == "hour":
        ts = ts.replace(minute=0, second=0, microsecond=0)
    elif unit == "minute":
        ts = ts.replace(second=0, microsecond=0)
    elif unit == "second":
        ts = ts.replace(microsecond=0)
    elif unit == "millisecond":
        ts = ts.replace(microsecond=ts.microsecond // 1000 * 1000)
    elif unit != "microsecond":
        raise DataError(f"unknown DATE_TRUNC unit {unit!r}")
    return ts.date() if as_date else ts



# -- more dates --------------------------------------------------------------------------------------

_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                "October", "November", "December")


def dayname(d):
    """DAYNAME (NULL for an infinite DATE or TIMESTAMP, as DuckDB answers; so are MONTHNAME and LAST_DAY)."""
    return None if d is None or isinstance(d, _Infinite) else _DAY_NAMES[d.weekday()]


def monthname(d):
    return None if d is None or isinstance(d, _Infinite) else _MONTH_NAMES[d.month - 1]


def last_day(d):
    """LAST_DAY: the last day of the month, as a DATE."""
    if d is None or isinstance(d, _Infinite):
        return None
    y, m = d.year, d.month
    return from_civil(y, m, month_days(y, m))


def make_date(year, month, day):
    if year is None or month is None or day is None:
        return None
    try:
        return datetime.date(year, month, day)
    except (ValueError, OverflowError):
        if 1 <= month <= 12 and 1 <= day <= 31 and not 1 <= year <= 9999:
            raise DataError(f"make_date: year {year} is outside the supported range 1-9999") from None
        raise DataError(f"make_date: date out of range: {year}-{month}-{day}") from None


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _month_days(year, month):
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return 29 if month == 2 and leap else _MONTH_DAYS[month - 1]


def age(a, b):
    """AGE(a, b): a - b in years, months, days and time, field by field with borrows (as DuckDB and
    Postgres compute it; a borrowed month is the length of the earlier timestamp's month)."""
    if a is None or b is None:
        return None
    a, b = timestamp_of(a), timestamp_of(b)
    diff = [a.year - b.year, a.month - b.month, a.day - b.day, a.hour - b.hour, a.minute - b.minute,
            a.second - b.second, a.microsecond - b.microsecond]
    flipped = a < b
    if flipped:
        diff = [-x for x in diff]
    years, months, days, hours, minutes, seconds, micros = diff
    while micros < 0:
        micros += 1_000_000
        seconds -= 1
    while seconds < 0:
        seconds += 60
        minutes -= 1
    while minutes < 0:
        minutes += 60
        hours -= 1
    while hours < 0:
        hours += 24
        days -= 1
    while days < 0:
        earlier = a if flipped else b
        days += _month_days(earlier.year, earlier.month)
        months -= 1
    while months < 0:
        months += 12
        years -= 1
    sign = -1 if flipped else 1
    return Interval(sign * (years * 12 + months), sign * days,
                    sign * (((hours * 60 + minutes) * 60 + seconds) * 1_000_000 + micros))


_EPOCH = datetime.datetime(1970, 1, 1)


def epoch_micros(ts: datetime.datetime) -> int:
    """A naive TIMESTAMP as DuckDB holds it: microseconds since 1970-01-01 00:00:00 (exact, any year)."""
    d = ts - _EPOCH
    return (d.days * 86_400 + d.seconds) * 1_000_000 + d.microseconds


def sql_strptime(text, fmt):
    """STRPTIME(text, format) (Postgres: TO_TIMESTAMP(text, format), its format read as %-codes)."""
    if text is None or fmt is None:
        return None
    try:
        return datetime.datetime.strptime(text, fmt)
    except ValueError:
        raise DataError(f"could not parse '{text}' according to the format '{fmt}'") from None


def sql_strptime_tz(text, fmt):
    """Postgres's TO_TIMESTAMP(text, format): a TIMESTAMPTZ (the session zone is UTC)."""
    v = sql_strptime(text, fmt)
    return None if v is None else v.replace(tzinfo=datetime.timezone.utc)


def sql_to_timestamp(seconds):
    """TO_TIMESTAMP(seconds since 1970-01-01 UTC): a TIMESTAMPTZ, to the microsecond."""
    if seconds is None:
        return None
    try:
        micros = round(seconds * 1_000_000) if isinstance(seconds, float) else int(seconds * 1_000_000)
        return (_EPOCH + datetime.timedelta(microseconds=micros)).replace(tzinfo=datetime.timezone.utc)
    except (OverflowError, ValueError):
        raise DataError(f"TO_TIMESTAMP({seconds}) is out of the TIMESTAMP range") from None


def sql_make_timestamp(*parts):
    """MAKE_TIMESTAMP(year, month, day, hour, minute, seconds), or (microseconds since 1970)."""
    if any(p is None for p in parts):
        return None
    try:
        if len(parts) == 1:
            return _EPOCH + datetime.timedelta(microseconds=int(parts[0]))
        year, month, day, hour, minute, seconds = parts
        whole = int(seconds // 1)
        micros = round((seconds - whole) * 1_000_000)
        return datetime.datetime(int(year), int(month), int(day), int(hour), int(minute), whole) + \
            datetime.timedelta(microseconds=micros)
    except (OverflowError, ValueError) as e:
        raise DataError(f"MAKE_TIMESTAMP{tuple(parts)}: {e}") from None
