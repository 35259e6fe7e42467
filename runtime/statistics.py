"""Statistical aggregate functions, each exactly invertible (update with -w undoes +w): moments of one
variable (VAR, STDDEV, SKEWNESS, KURTOSIS), co-moments of two (COVAR, CORR, REGR_*), quantiles
(MEDIAN, QUANTILE_CONT/DISC) and ENTROPY, with DuckDB's formulas and edge cases.

Power sums Σxᵏ are kept exactly (floats as integers scaled by 2**1074, decimals as fractions), so a
deletion restores the previous state exactly and results are computed from exact central moments:
    m_k = Σ (x - x̄)ᵏ  expanded in the power sums,  x̄ = Σx / n.
Quantiles keep each group's values in a SortedBag (runtime/ordered.py), so a change costs a search
and a result reads the value at a rank, whatever the group's size; ENTROPY keeps the multiset of
values and recomputes for the touched group only.
Float results may differ from DuckDB's in the last bits (it accumulates in doubles).
"""

from __future__ import annotations

import decimal
import math
from fractions import Fraction

from .aggregates import _FLOAT_SCALE, _INF, _NAN, DECIMAL_CONTEXT, _Multiset, exact_float, order_key
from .ordered import SortedBag


class OutOfRangeError(ArithmeticError):
    """A statistic whose value does not fit a DOUBLE where DuckDB reports an error (SKEWNESS,
    KURTOSIS); the engine reports it as a DataError."""


def _float(x) -> float:
    """An exact value as a DOUBLE, ±inf past its range (as DuckDB's double arithmetic gives)."""
    try:
        return float(x)
    except OverflowError:
        return _INF if x > 0 else -_INF


def _exact(kind: str, v):
    """v as an exact number: (value, scale) with floats scaled to integers by 2**1074."""
    if kind == "float":
        return exact_float(v)
    return Fraction(v) if kind == "decimal" else v


def _non_finite(kind: str, v) -> bool:
    return kind == "float" and (v != v or v in (_INF, -_INF))


class PowerSums:
    """[n, Σx, Σx², …, Σxᵏ, count of non-finite inputs] of the non-NULL inputs."""

    def __init__(self, kind: str, degree: int):
        self.kind = kind  # int, float or decimal
        self.degree = degree

    def new(self):
        return [0] * (self.degree + 2)

    def update(self, st, v, w):
        if v is None:
            return
        st[0] += w
        if _non_finite(self.kind, v):
            st[-1] += w
            return
        x = _exact(self.kind, v)
        p = w
        for k in range(1, self.degree + 1):
            p *= x
            st[k] += p

    def central(self, st):
        """(n, [m2, m3, …]) with m_k = Σ (x - mean)ᵏ, exact, unscaled."""
        n = st[0]
        scale = _FLOAT_SCALE if self.kind == "float" else 1
        s = [Fraction(st[k], scale ** k) for k in range(self.degree + 1)]
        s[0] = Fraction(n)
        mean = s[1] / n
        out = []
        for k in range(2, self.degree + 1):
            # Σ (x - μ)ᵏ = Σ_j C(k, j) (-μ)^(k-j) Σ xʲ
            out.append(sum(math.comb(k, j) * (-mean) ** (k - j) * s[j] for j in range(k + 1)))
        return n, out


class Moments(PowerSums):
    """VAR_SAMP / VAR_POP / STDDEV_SAMP / STDDEV_POP, and SEM = STDDEV_POP / √n."""

    def __init__(self, kind: str, statistic: str):
        super().__init__(kind, 2)
        self.statistic = statistic  # var_samp, var_pop, stddev_samp, stddev_pop, sem

    def result(self, st):
        sample = self.statistic.endswith("samp")
        n = st[0]
        if n < (2 if sample else 1):
            return None
        if n == 1:
            return 0.0  # one value varies by nothing, even an infinite or NaN one (as DuckDB)
        if st[-1]:
            return _NAN
        _, (m2,) = self.central(st)
        var = _float(m2 / (n - 1 if sample else n))
        if self.statistic == "sem":  # the standard error of the mean, DuckDB's: stddev_pop / √n
            return math.sqrt(var) / math.sqrt(n)
        return math.sqrt(var) if self.statistic.startswith("stddev") else var


class Shape(PowerSums):
    """SKEWNESS (sample, adjusted), KURTOSIS (sample excess, adjusted) and KURTOSIS_POP (excess),
    with g1 = (m3/n) / (m2/n)^(3/2) and g2 = (m4/n) / (m2/n)² - 3:
        skewness = g1 · √(n(n-1)) / (n-2)                        (NULL for n < 3)
        kurtosis = ((n+1)·g2 + 6) · (n-1) / ((n-2)(n-3))         (NULL for n < 4)
    A zero variance makes them NULL (as DuckDB)."""

    def __init__(self, kind: str, statistic: str):
        super().__init__(kind, 4)
        self.statistic = statistic  # skewness, kurtosis, kurtosis_pop

    def result(self, st):
        n = st[0]
        least = {"skewness": 3, "kurtosis": 4, "kurtosis_pop": 1}[self.statistic]
        if n < least or n == 1:
            return None  # one value: a zero variance, even an infinite or NaN one
        if st[-1]:
            return _NAN
        _, (m2, m3, m4) = self.central(st)
        if m2 == 0:
            return None
        var = m2 / n
        if max(abs(_float(var)), abs(_float(m3 / n)), abs(_float(m4 / n))) == _INF:
            raise OutOfRangeError(f"{self.statistic.upper()} is out of range")
        try:
            if self.statistic == "skewness":
                g1 = float(m3 / n) / float(var) ** 1.5
                return g1 * math.sqrt(n * (n - 1)) / (n - 2)
            g2 = float((m4 / n) / (var * var)) - 3
        except OverflowError:
            raise OutOfRangeError(f"{self.statistic.upper()} is out of range") from None
        if self.statistic == "kurtosis_pop":
            return g2
        return ((n + 1) * g2 + 6) * (n - 1) / ((n - 2) * (n - 3))


class CoMoments:
    """Statistics of the pairs (y, x) where both are non-NULL: COVAR_POP/SAMP, CORR and the REGR_*
    family.  State: [n, Σx, Σy, Σx², Σy², Σxy, count of pairs with a non-finite value]."""

    def __init__(self, kinds: tuple, statistic: str):
        self.ky, self.kx = kinds
        self.statistic = statistic

    def new(self):
        return [0, 0, 0, 0, 0, 0, 0]

    def update(self, st, v, w):
        y, x = v
        if y is None or x is None:
            return
        st[0] += w
        if _non_finite(self.kx, x) or _non_finite(self.ky, y):
            st[6] += w
            return
        ex, ey = Fraction(_exact(self.kx, x)), Fraction(_exact(self.ky, y))
        st[1] += ex * w
        st[2] += ey * w
        st[3] += ex * ex * w
        st[4] += ey * ey * w
        st[5] += ex * ey * w

    def result(self, st):
        n = st[0]
        stat = self.statistic
        if stat == "regr_count":
            return n
        if n == 0 or (stat == "covar_samp" and n < 2):
            return None
        if st[6]:
            return _NAN
        sx_, sy_ = (_FLOAT_SCALE if k == "float" else 1 for k in (self.kx, self.ky))
        sx, sy = st[1] / sx_, st[2] / sy_
        sxx = st[3] / (sx_ * sx_) - sx * sx / n  # Σ (x - x̄)²
        syy = st[4] / (sy_ * sy_) - sy * sy / n
        sxy = st[5] / (sx_ * sy_) - sx * sy / n
        if stat == "covar_pop":
            return _float(sxy / n)
        if stat == "covar_samp":
            return _float(sxy / (n - 1))
        if stat == "regr_avgx":
            return _float(sx / n)
        if stat == "regr_avgy":
            return _float(sy / n)
        if stat == "regr_sxx":
            return _float(sxx)
        if stat == "regr_syy":
            return _float(syy)
        if stat == "regr_sxy":
            return _float(sxy)
        if stat == "corr":
            if sxx == 0 or syy == 0:
                return _NAN
            return _float(sxy) / math.sqrt(_float(sxx) * _float(syy))
        if stat == "regr_slope":
            return _NAN if sxx == 0 else _float(sxy / sxx)
        if stat == "regr_intercept":
            return None if sxx == 0 else _float(sy / n - (sxy / sxx) * sx / n)
        if stat == "regr_r2":
            if sxx == 0:
                return None
            if syy == 0:
                return 1.0
            return _float(sxy * sxy / (sxx * syy))
        raise ValueError(f"unknown statistic {stat}")


class Quantile(_Multiset):
    """QUANTILE_CONT(x, q) interpolates between the values at ranks floor and ceil of q·(n-1);
    QUANTILE_DISC(x, q) is the value at rank ceil(q·n) - 1.  A negative q counts from the top (as
    DuckDB does for ORDER BY … DESC).  CONT interpolates in doubles as DuckDB does, lo·(1-d) + hi·d
    (over a DECIMAL: over its scaled integers, then truncated to its scale, so an exact
    interpolation would differ in the last digit; over a DECIMAL wider than 18 digits, which DuckDB
    holds in 128 bits: lo + trunc((hi - lo)·d) in those integers); DISC gives the input type."""

    def __init__(self, fraction, discrete: bool, scale: int | None = None, wide: bool = False):
        fraction = Fraction(fraction)
        self.descending = fraction < 0
        self.fraction = abs(fraction)
        self.discrete = discrete
        self.scale = scale
        self.wide = wide

    def new(self):
        return [SortedBag()]  # (order key, value), one item per copy

    def update(self, st, v, w):
        if v is None:
            return
        if v != v:
            v = _NAN  # the one NaN object, so that a copy added is the copy removed
        bag, item = st[0], (order_key(v), v)
        if w > 0:
            for _ in range(w):
                bag.add(item)
        else:
            for _ in range(-w):
                bag.remove(item)

    def result(self, st):
        bag = st[0]
        n = len(bag)
        if not n:
            return None
        if self.discrete:
            return self._at_rank(bag, max(math.ceil(self.fraction * n) - 1, 0))
        pos = float(self.fraction) * (n - 1)
        lo, hi = self._at_rank(bag, math.floor(pos)), self._at_rank(bag, math.ceil(pos))
        return self._interpolate(lo, hi, pos - math.floor(pos))

    def _at_rank(self, bag, rank: int):
        """The value at ``rank`` (0 = the first in the quantile's direction)."""
        return bag.at(len(bag) - 1 - rank if self.descending else rank)[1]

    def _interpolate(self, lo, hi, d: float):
        if self.scale is None:
            return float(lo) if not d or lo == hi else lo * (1 - d) + hi * d
        if not d or lo == hi:
            return lo
        # DECIMAL: interpolated over the scaled integers in doubles, then truncated
        unit = decimal.Decimal(1).scaleb(-self.scale)
        lo_u, hi_u = (int(x.scaleb(self.scale, context=DECIMAL_CONTEXT)) for x in (lo, hi))
        units = lo_u + int((hi_u - lo_u) * d) if self.wide else int(lo_u * (1 - d) + hi_u * d)
        return DECIMAL_CONTEXT.multiply(decimal.Decimal(units), unit).quantize(unit, context=DECIMAL_CONTEXT)


class Quantiles(Quantile):
    """QUANTILE_CONT / QUANTILE_DISC (x, [q1, q2, …]): the list of each quantile of the one sorted
    multiset (``make`` builds the list value)."""

    def __init__(self, quantiles: list, make):
        self.quantiles = quantiles
        self.make = make

    def result(self, st):
        if not len(st[0]):
            return None
        return self.make([q.result(st) for q in self.quantiles])


class Median(Quantile):
    """MEDIAN(x) = QUANTILE_CONT(x, 0.5)."""

    def __init__(self, scale: int | None = None, wide: bool = False):
        super().__init__(Fraction(1, 2), False, scale, wide)


class Mad(Median):
    """MAD(x), the median absolute deviation: MEDIAN(|x - MEDIAN(x)|), both medians interpolated as
    MEDIAN's (over a DECIMAL: in its type, truncated; otherwise in doubles), as DuckDB computes it.
    The state is MEDIAN's sorted multiset; the result reads every value of the touched group
    (O(n log n) per touched group: the deviations' order changes with the median)."""

    def result(self, st):
        bag = st[0]
        n = len(bag)
        if not n:
            return None
        med = super().result(st)
        if self.scale is None:
            devs = [abs(v - med) for _, v in bag]
        else:
            devs = [DECIMAL_CONTEXT.abs(DECIMAL_CONTEXT.subtract(v, med)) for _, v in bag]
        devs.sort(key=order_key)
        pos = (n - 1) / 2
        lo, hi = devs[math.floor(pos)], devs[math.ceil(pos)]
        return self._interpolate(lo, hi, pos - math.floor(pos))


class Entropy(_Multiset):
    """ENTROPY(x) = -Σ p·log2(p) over the distinct non-NULL values, p = count / n (0.0 with none)."""

    def result(self, st):
        counts = st[0]
        n = sum(counts.values())
        if not n:
            return 0.0
        return -sum(c / n * math.log2(c / n) for c in counts.values())
