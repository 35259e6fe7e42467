"""EQUI_WIDTH_BINS(min, max, bin_count, nice_rounding): the upper boundaries of bins of equal width
between min and max, ascending, the last one max itself (DuckDB's function, reproduced rule for rule).

Laws (DuckDB's): integers are binned in thousandths (so truncation does not shift the boundaries),
DOUBLEs in floating point with every boundary rounded at the step's power of ten when rounding is
nice, timestamps by calendar parts (months, days, micros) with a step made "nice" per unit.  Nice
rounding makes the step a multiple of 2 or 5 times a power of ten and the top boundary a multiple of
the step, and allows up to twice the bins asked for.  max < min, bin_count <= 0, more than
1,000,000 bins and infinite or NaN bounds are errors; a NULL argument gives NULL; min = max gives
[max].  The boundaries are computed in BIGINT, DOUBLE or TIMESTAMP and converted to the type of max
(``out``: 'int' with its width, 'double', 'date' or 'timestamp').
"""

from __future__ import annotations

import calendar
import datetime
import math

from .casts import cast_int
from .dates import _Infinite, epoch_micros
from .errors import DataError
from .lists import SqlList

__all__ = ["equi_width_bins", "sql_is_histogram_other_bin"]

MAX_BIN_COUNT = 1_000_000
_MICROS_PER_SEC = 1_000_000
_MICROS_PER_MINUTE = 60 * _MICROS_PER_SEC
_MICROS_PER_HOUR = 60 * _MICROS_PER_MINUTE
_MICROS_PER_DAY = 24 * _MICROS_PER_HOUR
_EPOCH = datetime.datetime(1970, 1, 1)


def _div(a: int, b: int) -> int:
    """C++ integer division: truncated toward zero (a division by zero gives 0: its result is only
    ever multiplied by that zero again)."""
    if b == 0:
        return 0
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _round_away(x: float) -> float:
    """C's round(): half away from zero."""
    if not math.isfinite(x):
        return x
    t = math.trunc(x)
    if abs(x - t) >= 0.5:
        t += 1 if x > 0 else -1
    return float(t)


# -- integers ------------------------------------------------------------------------------------------

def _int_previous_power_of_ten(n: int) -> int:
    p = 1
    while p < n:
        p *= 10
    return p // 10


def _int_round_to(value: int, num: int, ceiling: bool) -> int:
    return _div(value + (num - 1 if ceiling else _div(num, 2)), num) * num


def _nice(step, p, round_to):
    """DuckDB's nice step near ``step`` (p: the power of ten below it): the nearer of ``step`` rounded
    to a multiple of 2·p (10·p from 3·p on) and of p (5·p from 2·p on); integers and doubles alike."""
    two, five = p * 2, p
    if p * 3 <= step:
        two *= 5
    if p * 2 <= step:
        five *= 5
    a, b = round_to(step, two, False), round_to(step, five, False)
    return a if abs(step - a) < abs(step - b) else b


def _int_nice(step: int) -> int:
    return _nice(step, _int_previous_power_of_ten(step), _int_round_to)


def _wrap64(v: int) -> int:
    v &= (1 << 64) - 1
    return v - (1 << 64) if v >= 1 << 63 else v


def _int_bins(lo: int, hi: int, bins: int, nice: bool) -> list:
    factor = 1000
    mn, mx = lo * factor, hi * factor
    step = _div(mx - mn, bins)
    if nice:
        new_step = _int_nice(step)
        new_max = _int_round_to(mx, new_step, True)
        if new_max != mn and new_step != 0:
            mx, step = new_max, new_step
        bins *= 2
    step = max(step, 1)  # (bins finer than a thousandth: one thousandth apart, as DuckDB 2.0.1 answers)
    out: list = []
    b = mx
    while b > mn:
        real = _wrap64(_div(b, factor))
        if out:
            if real < lo or len(out) >= bins:
                break
            if real == out[-1]:
                b -= step
                continue
        out.append(real)
        b -= step
    return out


# -- doubles -------------------------------------------------------------------------------------------

def _float_previous_power_of_ten(x: float) -> float:
    p = 1.0
    if x < 1:
        while p > x:
            p /= 10
        return p
    while p < x:
        p *= 10
    return p / 10


def _float_round_to(value: float, num: float, ceiling: bool) -> float:
    with_ = math.ceil if ceiling else _round_away
    try:
        r = float(with_(value / num)) * num
    except (OverflowError, ZeroDivisionError):
        return value
    return r if math.isfinite(r) else value


def _float_nice(step: float) -> float:
    if step == 0:
        return 0.0
    return _nice(step, _float_previous_power_of_ten(step), _float_round_to)


def _double_bins(mn: float, input_max: float, bins: int, nice: bool) -> list:
    if not (math.isfinite(mn) and math.isfinite(input_max)):
        raise DataError("equi_width_bins does not support infinite or nan as min/max value")
    mx = input_max
    span = mx - mn
    step = span / bins if math.isfinite(span) else mx / bins - mn / bins
    power = _float_previous_power_of_ten(step)
    if nice:
        step = _float_nice(step)
        mx = _float_round_to(input_max, step, True)
        bins *= 2
    if step == 0:
        raise DataError("equi_width_bins: the bins have no width")
    scale = 10 / power  # (0 when the step's power of ten overflows: the boundaries are NaN, as in C++)
    out: list = []
    b = mx
    while b > mn:
        real = (_round_away(b * scale) / scale if scale else math.nan) if nice else b
        if out and out[-1] == real:
            if b - step == b:
                break
            b -= step
            continue
        if real <= mn or len(out) >= bins:
            break
        out.append(real)
        if b - step == b:  # a step below the boundary's precision would never move it (DuckDB loops on)
            break
        b -= step
    return out


# -- timestamps ----------------------------------------------------------------------------------------

def _from_micros(m: int) -> datetime.datetime:
    return _EPOCH + datetime.timedelta(microseconds=m)


def _next_month(y, mo):
    return (y + 1, 1) if mo == 12 else (y, mo + 1)


def _next_day(y, mo, d):
    if d + 1 > calendar.monthrange(y, mo)[1]:
        y, mo = _next_month(y, mo)
        return y, mo, 1
    return y, mo, d + 1


def _nice_timestamp(ts: datetime.datetime, months: int, days: int, micros: int) -> datetime.datetime:
    """The boundary at or above ts rounded up to the unit the step is counted in."""
    y, mo, d = ts.year, ts.month, ts.day
    time = ts - datetime.datetime(y, mo, d)
    t = time.seconds * _MICROS_PER_SEC + time.microseconds
    if months >= 12:
        if d > 1 or t > 0:
            y, mo = _next_month(y, mo)
            d, t = 1, 0
    elif months > 0 or days >= 1:
        if t > 0:
            y, mo, d = _next_day(y, mo, d)
            t = 0
    else:
        unit = _MICROS_PER_HOUR if micros >= _MICROS_PER_HOUR else _MICROS_PER_MINUTE \
            if micros >= _MICROS_PER_MINUTE else _MICROS_PER_SEC if micros >= _MICROS_PER_SEC else 1
        t = -(-t // unit) * unit  # (carried into the next day, hour, minute past the top)
    return datetime.datetime(y, mo, d) + datetime.timedelta(microseconds=t)


def _round_to_divisor(n: int, divisor: int) -> int:
    return _div(n + _div(divisor, 2), divisor) * divisor


def _nice_interval(months: int, days: int, micros: int) -> tuple:
    if months >= 6:
        return months, 0, 0
    if months > 0 or days >= 5:
        return months, days, 0
    if days > 0 or micros >= 6 * _MICROS_PER_HOUR:
        return months, days, _round_to_divisor(micros, _MICROS_PER_HOUR)
    if micros >= _MICROS_PER_HOUR:
        return months, days, _round_to_divisor(micros, 15 * _MICROS_PER_MINUTE)
    if micros >= 10 * _MICROS_PER_MINUTE:
        return months, days, _round_to_divisor(micros, _MICROS_PER_MINUTE)
    if micros >= _MICROS_PER_MINUTE:
        return months, days, _round_to_divisor(micros, 15 * _MICROS_PER_SEC)
    if micros >= 10 * _MICROS_PER_SEC:
        return months, days, _round_to_divisor(micros, _MICROS_PER_SEC)
    return months, days, micros


def _minus(ts: datetime.datetime, months: int, days: int, micros: int) -> datetime.datetime:
    """ts - INTERVAL (months, days, micros): months first (the day kept, or the month's last), then
    days, then micros (DuckDB's order)."""
    y, mo = divmod(ts.year * 12 + ts.month - 1 - months, 12)
    mo += 1
    day = min(ts.day, calendar.monthrange(y, mo)[1])
    moved = ts.replace(year=y, month=mo, day=day)
    return moved - datetime.timedelta(days=days, microseconds=micros)


def _timestamp_bins(lo: datetime.datetime, hi: datetime.datetime, bins: int, nice: bool) -> list:
    if not nice:
        return [_from_micros(m) for m in _int_bins(epoch_micros(lo), epoch_micros(hi), bins, False)]
    tlo = lo - datetime.datetime(lo.year, lo.month, lo.day)
    thi = hi - datetime.datetime(hi.year, hi.month, hi.day)
    d_months = (hi.year - lo.year) * 12 + hi.month - lo.month
    d_days = hi.day - lo.day
    d_micros = (thi.seconds - tlo.seconds) * _MICROS_PER_SEC + thi.microseconds - tlo.microseconds
    step_months = d_months / bins
    step_days = d_days / bins
    step_micros = d_micros / bins
    if step_months > 0:
        step_days += (step_months - math.floor(step_months)) * 30
    if step_days > 0:
        step_micros += (step_days - math.floor(step_days)) * _MICROS_PER_DAY
    months, days, micros = _nice_interval(math.trunc(step_months), math.trunc(step_days), math.trunc(step_micros))
    value = _nice_timestamp(hi, months, days, micros)
    if months <= 0 and days <= 0 and micros <= 0:
        months, days, micros = 0, 0, 1
    out: list = []
    while value >= lo and len(out) < bins:
        out.append(value)
        value = _minus(value, months, days, micros)
    return out


def _convert(v, out: str, bits: int):
    if out == "int":
        return cast_int(v, bits, False)
    if out == "date":
        return v.date()
    return v


def equi_width_bins(mn, mx, bins, nice, out: str = "int", bits: int = 64):
    if mn is None or mx is None or bins is None or nice is None:
        return None
    if isinstance(mn, _Infinite) or isinstance(mx, _Infinite):
        raise DataError("equi_width_bins does not support infinite or nan as min/max value")
    if isinstance(mn, datetime.date) and not isinstance(mn, datetime.datetime):
        mn = datetime.datetime(mn.year, mn.month, mn.day)
    if isinstance(mx, datetime.date) and not isinstance(mx, datetime.datetime):
        mx = datetime.datetime(mx.year, mx.month, mx.day)
    if mx < mn:
        raise DataError("Invalid input for bin function - max value is smaller than min value")
    if bins <= 0:
        raise DataError("Invalid input for bin function - there must be > 0 bins")
    if bins > MAX_BIN_COUNT:
        raise DataError(f"Invalid input for bin function - max bin count of {MAX_BIN_COUNT} exceeded")
    if mx == mn:
        values = [mx]
    else:
        if isinstance(mn, datetime.datetime):
            values = _timestamp_bins(mn, mx, bins, bool(nice))
        elif isinstance(mn, float):
            values = _double_bins(mn, mx, bins, bool(nice))
        else:
            values = _int_bins(mn, mx, bins, bool(nice))
        if not values:
            values = [mx]
        elif values[0] < mx:
            values[0] = mx
        values.reverse()
    return SqlList(_convert(v, out, bits) for v in values)


def sql_is_histogram_other_bin(v, other):
    """Whether v is the key of HISTOGRAM's "other" bin for its type (``other``: None where no value is)."""
    if v is None:
        return None
    return other is not None and v == other
