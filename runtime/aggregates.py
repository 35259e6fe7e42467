"""Aggregate functions for the Aggregate operator, each exactly invertible (update with -w undoes +w).

Every function has ``new() -> state``, ``update(state, value, weight)`` and ``result(state)``.
NULL inputs are ignored, as SQL aggregates do (the compiler never passes NULL to COUNT(*)).
Floating-point sums are kept exact (as integers scaled by 2**1074, the smallest subnormal), so a
deletion restores exactly the previous sum and the result is the correctly rounded exact sum.
``Reducer`` combines several functions with their argument extractors into one group reducer; a
function whose update is a line or two says so with ``inline`` (the statements, as Python source),
which the compiler's generated reducers inline instead of calling ``update``.  Both ``inline`` and
``result_code`` address the state through ``slot(j)``, the expression of the j-th item of the list
``new()`` returns: a generated reducer that has both lays those items out flat in the group's state
(compiler/codegen.compiled_reducer), a list of numbers that ``add_state`` adds up as before.
The statistical ones (variance, quantiles, regression, …) are in runtime/statistics.py.
"""

from __future__ import annotations

import decimal
from fractions import Fraction
from math import nan as _NAN  # the one NaN object, sqllib.numbers.NAN (a NaN sum must equal a NaN stored)

SKIP = object()  # an argument extractor returns SKIP for a row that a FILTER clause rejects

_FLOAT_SCALE = 2 ** 1074
DECIMAL_CONTEXT = decimal.Context(prec=200, Emax=10**6, Emin=-10**6)


def exact_float(x: float) -> int:
    """x * 2**1074 as an exact integer (finite floats only)."""
    n, d = x.as_integer_ratio()
    return n * (_FLOAT_SCALE // d)


class ExactFloatSum:
    """An exact, invertible sum of floats: [scaled finite sum, count NaN, count +inf, count -inf]."""

    @staticmethod
    def new():
        return [0, 0, 0, 0]

    @staticmethod
    def add(acc, v: float, w: int) -> None:
        if v != v:
            acc[1] += w
        elif v == _INF:
            acc[2] += w
        elif v == -_INF:
            acc[3] += w
        else:
            acc[0] += exact_float(v) * w

    @staticmethod
    def special(acc):
        """The IEEE result forced by non-finite inputs, or None when every input was finite."""
        if acc[1] or (acc[2] and acc[3]):
            return _NAN
        if acc[2]:
            return _INF
        if acc[3]:
            return -_INF
        return None


_INF = float("inf")


# the names inlined statements (``inline``) refer to, for the namespace of the code they go in
INLINE_NAMES = {"_ExactFloatSum": ExactFloatSum}


class CountStar:
    """COUNT(*): the sum of weights.  The extractor returns any non-NULL value."""

    combinable = True  # its state adds up (add_state): partial counts can be summed

    def new(self):
        return [0]

    def inline(self, slot, v: str):
        """(whether the statements run only for a non-NULL ``v``, the statements) doing
        ``update(st, v, w)``, where ``slot(j)`` is the expression of ``st[j]``: see INLINE_NAMES
        for the names they use."""
        return False, [f"{slot(0)} += w"]

    def update(self, st, v, w):
        st[0] += w

    def result(self, st):
        return st[0]

    def result_code(self, slot, const) -> str | None:
        """``result(st)`` as an expression over ``slot(j)`` (``st[j]``), for a generated reducer to
        inline (``const(value)``: a name for a value the expression reads), or None."""
        return slot(0)


class Count:
    """COUNT(x): rows where x is not NULL."""

    combinable = True

    def new(self):
        return [0]

    def update(self, st, v, w):
        if v is not None:
            st[0] += w

    def inline(self, slot, v: str):
        return True, [f"{slot(0)} += w"]

    def result(self, st):
        return st[0]

    result_code = CountStar.result_code


class Sum:
    """SUM(x): NULL when no non-NULL input.  kind: 'int', 'float' or 'decimal' (with its scale).
    Its state (an exact sum and a count) adds up: so do TOTAL's and AVG's."""

    combinable = True

    def __init__(self, kind: str = "int", scale: int | None = None, check=None):
        self.kind = kind
        self.quantum = decimal.Decimal(1).scaleb(-scale) if scale is not None else None
        self.check = check  # optional range check of the final integer or decimal result (overflow error)

    def new(self):
        # [sum (exact), count of non-NULL inputs]; a float sum is an ExactFloatSum accumulator
        return [ExactFloatSum.new() if self.kind == "float" else 0, 0]

    def update(self, st, v, w):
        if v is None:
            return
        st[1] += w
        if self.kind == "float":
            ExactFloatSum.add(st[0], v, w)
        elif self.kind == "decimal":
            st[0] = DECIMAL_CONTEXT.add(st[0], DECIMAL_CONTEXT.multiply(v, w))
        else:
            st[0] += v * w

    def inline(self, slot, v: str):
        if self.kind == "int":
            return True, [f"{slot(0)} += {v} * w", f"{slot(1)} += w"]
        if self.kind == "float":
            # ExactFloatSum.add unrolled for a finite double n / 2**e: x * 2**1074 is n shifted left
            # by 1074 - e
            return True, [f"{slot(1)} += w", f"if {v} - {v} == 0.0:",
                          f"    n, d = {v}.as_integer_ratio()", f"    {slot(0)}[0] += (n << (1075 - d.bit_length())) * w",
                          "else:", f"    _ExactFloatSum.add({slot(0)}, {v}, w)"]
        return None

    def result(self, st):
        if not st[1]:
            return None
        return self.finish(st[0])

    def result_code(self, slot, const) -> str | None:
        """The sum's result inline (see CountStar.result_code): an integer sum's check, then the
        sum; a float sum's finish."""
        if type(self) is not Sum:  # (TOTAL, AVG: results of their own)
            return None
        total, n = slot(0), slot(1)
        if self.kind == "float":
            return f"(None if not {n} else {const(self.finish)}({total}))"
        if self.kind != "int":
            return None
        if self.check is None:
            return f"(None if not {n} else {total})"
        bounds = getattr(self.check, "bounds", None)
        if bounds is not None:  # the range test inline: the check is called only to raise its error
            lo, hi = bounds
            v = "_v_" + "".join(c if c.isalnum() else "_" for c in total)  # (a name of its own, local where it is written)
            return f"(None if not {n} else {v} if {lo} <= ({v} := {total}) <= {hi} else {const(self.check)}({v}))"
        return f"(None if not {n} else ({const(self.check)}({total}), {total})[1])"

    def finish(self, total):
        if self.kind == "float":
            special = ExactFloatSum.special(total)
            return special if special is not None else total[0] / _FLOAT_SCALE
        if self.kind == "decimal":
            d = decimal.Decimal(total)
            d = d.quantize(self.quantum, context=DECIMAL_CONTEXT) if self.quantum is not None else d
            return self.check(d) if self.check is not None else d
        if self.check is not None:
            self.check(total)
        return total


class Total(Sum):
    """SQLite's TOTAL(x): the floating-point sum, 0.0 when there is no non-NULL input."""

    def __init__(self):
        super().__init__("float")

    def result(self, st):
        return self.finish(st[0]) if st[1] else 0.0


class Avg(Sum):
    """AVG(x) = SUM(x) / COUNT(x), a floating-point result (DuckDB and SQLite both give DOUBLE);
    it accumulates exactly as SUM does."""

    def __init__(self, kind: str = "int"):
        super().__init__(kind)

    def result(self, st):
        if not st[1]:
            return None
        if self.kind == "float":
            special = ExactFloatSum.special(st[0])
            return special if special is not None else float(Fraction(st[0][0], _FLOAT_SCALE * st[1]))
        if self.kind == "decimal":
            return float(Fraction(st[0]) / st[1])
        return st[0] / st[1]  # int / int is correctly rounded in Python

    def result_code(self, slot, const) -> str | None:
        if self.kind != "int" or type(self) is not Avg:
            return None
        return f"(None if not {slot(1)} else {slot(0)} / {slot(1)})"


def add_state(state: list, part: list, sign: int) -> None:
    """``state`` += sign · ``part``, element by element, for the state of a ``combinable`` function:
    a list of exact numbers (ints, DECIMALs summed in DECIMAL_CONTEXT as ``update`` sums them, lists
    of ints).  Law: folding rows into two states and adding one to the other gives the state of
    folding all the rows into one; sign -1 undoes sign +1 exactly."""
    for i, x in enumerate(part):
        if type(x) is list:
            add_state(state[i], x, sign)
        elif isinstance(x, decimal.Decimal) or isinstance(state[i], decimal.Decimal):
            state[i] = (DECIMAL_CONTEXT.add if sign > 0 else DECIMAL_CONTEXT.subtract)(state[i], x)
        else:
            state[i] += x if sign > 0 else -x


def merge_partials(groups: dict, partials: dict, sign: int, new) -> set:
    """Fold partial groups ({key: [row count, state]}, each folded from some of the rows by the same
    combinable functions) into ``groups`` as the rows themselves would have been; sign -1 undoes.
    The keys touched."""
    for k, (n, part) in partials.items():
        g = groups.get(k)
        if g is None:
            g = groups[k] = [0, new()]
        g[0] += n if sign > 0 else -n
        add_state(g[1], part, sign)
    return set(partials)


class _Multiset:
    """Base for functions that keep the multiset of non-NULL values: {value: count}."""

    def new(self):
        return [{}]

    def update(self, st, v, w):
        if v is None:
            return
        counts = st[0]
        n = counts.get(v, 0) + w
        if n:
            counts[v] = n
        else:
            del counts[v]


def order_key(v):
    """A sort key that orders NaN above every other float, as DuckDB does (NaN breaks < otherwise)."""
    return (True, 0.0) if v != v else (False, v)


def _is(a, b) -> bool:
    """a and b are the same value (NaN counts as equal to NaN)."""
    return a == b or (a != a and b != b)


class Min(_Multiset):
    """MIN(x): the multiset plus a cached extreme; deleting the extreme recomputes it (touched group only)."""

    def new(self):
        return [{}, None]

    def update(self, st, v, w):
        if v is None:
            return
        super().update(st, v, w)
        m = st[1]
        if w > 0:
            if m is None or order_key(v) < order_key(m):
                st[1] = v
        elif _is(v, m) and v not in st[0]:
            st[1] = min(st[0], key=order_key) if st[0] else None

    def result(self, st):
        return st[1]


class Max(_Multiset):
    def new(self):
        return [{}, None]

    def update(self, st, v, w):
        if v is None:
            return
        super().update(st, v, w)
        m = st[1]
        if w > 0:
            if m is None or order_key(v) > order_key(m):
                st[1] = v
        elif _is(v, m) and v not in st[0]:
            st[1] = max(st[0], key=order_key) if st[0] else None

    def result(self, st):
        return st[1]


class CountDistinct(_Multiset):
    def result(self, st):
        return len(st[0])


class SumDistinct(_Multiset):
    """SUM(DISTINCT x): recomputed from the distinct values of the touched group."""

    def __init__(self, kind: str = "int", scale: int | None = None, check=None):
        self.sum = Sum(kind, scale, check)

    def result(self, st):
        if not st[0]:
            return None
        s = self.sum.new()
        for v in st[0]:
            self.sum.update(s, v, 1)
        return self.sum.result(s)


class TotalDistinct(SumDistinct):
    """TOTAL(DISTINCT x): 0.0 rather than NULL over no input."""

    def __init__(self):
        super().__init__("float")

    def result(self, st):
        v = super().result(st)
        return 0.0 if v is None else v


class AvgDistinct(_Multiset):
    def __init__(self, kind: str = "int"):
        self.avg = Avg(kind)

    def result(self, st):
        if not st[0]:
            return None
        s = self.avg.new()
        for v in st[0]:
            self.avg.update(s, v, 1)
        return self.avg.result(s)


class BoolAnd:
    """BOOL_AND(x): [count of TRUE, count of FALSE]."""

    def new(self):
        return [0, 0]

    def update(self, st, v, w):
        if v is None:
            return
        st[0 if v else 1] += w

    def result(self, st):
        if not st[0] and not st[1]:
            return None
        return st[1] == 0


class BoolOr(BoolAnd):
    def result(self, st):
        if not st[0] and not st[1]:
            return None
        return st[0] > 0


class StringAgg(_Multiset):
    """STRING_AGG(x, sep [ORDER BY k]): the value is (order key, text); ties fall back to the text."""

    def __init__(self, separator: str = ",", distinct: bool = False):
        self.separator = separator
        self.distinct = distinct

    def update(self, st, v, w):
        if v is None or v[1] is None:
            return
        super().update(st, v, w)

    def result(self, st):
        if not st[0]:
            return None
        parts = []
        for item in sorted(st[0]):
            parts.extend([item[1]] * (1 if self.distinct else st[0][item]))
        return self.separator.join(parts)


class ListAgg(_Multiset):
    """LIST(x ORDER BY k) / ARRAY_AGG: the value is (order key, x); the list holds every x (NULLs too)
    in key order, each as many times as it is counted (once with DISTINCT).  The binder admits only
    keys that include x, so rows tied on the whole key hold equal x and the list is one value whatever
    order rows arrived in.  ``make`` builds the list value (the SQL library's list type)."""

    def __init__(self, make, distinct: bool = False):
        self.make = make
        self.distinct = distinct

    def result(self, st):
        if not st[0]:
            return None
        out = []
        for item in sorted(st[0]):
            out.extend([item[1]] * (1 if self.distinct else st[0][item]))
        return self.make(out)


class ArgExtreme(_Multiset):
    """ARG_MAX(arg, val) / ARG_MIN(arg, val): arg at the row with the largest (smallest) val, over
    the rows where neither is NULL (ARG_MAX_NULL / ARG_MIN_NULL, ``null_arg``: where val is not NULL,
    a NULL arg included).  Ties in val go to the smallest arg, a NULL one last (DuckDB keeps whichever
    row it met first, which an incremental view cannot know).  The multiset holds (val, arg) pairs; a
    deleted extreme is recomputed for the touched group only."""

    def __init__(self, largest: bool, null_arg: bool = False):
        self.largest = largest
        self.null_arg = null_arg

    def new(self):
        return [{}, None]

    def _key(self, pair):
        val, arg = pair
        k = order_key(val)
        a = (True, 0) if arg is None else (False, order_key(arg))
        return (k if self.largest else Desc(k), Desc(a))

    def update(self, st, v, w):
        if v[0] is None or (v[1] is None and not self.null_arg):
            return
        super().update(st, v, w)
        best = st[1]
        if w > 0:
            if best is None or self._key(v) > self._key(best):
                st[1] = v
        elif best is not None and _is(v[0], best[0]) and _is(v[1], best[1]) and v not in st[0]:
            st[1] = max(st[0], key=self._key) if st[0] else None

    def result(self, st):
        return st[1][1] if st[1] is not None else None


class FirstLast(_Multiset):
    """FIRST(x ORDER BY k) / LAST(x ORDER BY k): x at the first (last) row in k's order, NULL or not.
    Rows tied in k are ordered by x itself, NULLs last (DuckDB takes whichever tied row it met
    first, which an incremental view cannot know).  The multiset holds (k's sort key, x) pairs; a
    deleted extreme is recomputed for the touched group only."""

    def __init__(self, last: bool):
        self.last = last

    def new(self):
        return [{}, None]

    def _key(self, v):
        key, x = v
        k = (key, (True, (False, 0)) if x is None else (False, order_key(x)))
        return k if self.last else Desc(k)

    def update(self, st, v, w):
        super().update(st, v, w)
        best = st[1]
        if w > 0:
            if best is None or self._key(v) > self._key(best):
                st[1] = v
        elif best is not None and self._key(v) == self._key(best) and v not in st[0]:
            st[1] = max(st[0], key=self._key) if st[0] else None

    def result(self, st):
        return st[1][1] if st[1] is not None else None


class OrderedMode(_Multiset):
    """MODE(x ORDER BY k): the most frequent non-NULL x; among values tied on the count, the one met
    first in k's order (DuckDB's rule), then the smallest.  The multiset holds (k's sort key, x)
    pairs; the result is recomputed from the touched group's pairs."""

    def update(self, st, v, w):
        if v[1] is not None:
            super().update(st, v, w)

    def result(self, st):
        counts, first = {}, {}
        for (key, x), n in st[0].items():
            counts[x] = counts.get(x, 0) + n
            if x not in first or key < first[x]:
                first[x] = key
        if not counts:
            return None
        return min(counts, key=lambda x: (-counts[x], first[x], order_key(x)))


class Desc:
    """Reverses the order of a value inside a sort key (ORDER BY … DESC, ARG_MIN's ties)."""

    __slots__ = ("v",)

    def __init__(self, v):
        self.v = v

    def __lt__(self, other):
        return other.v < self.v

    def __gt__(self, other):
        return other.v > self.v

    def __eq__(self, other):
        return self.v == other.v

    def __le__(self, other):
        return other.v <= self.v

    def __ge__(self, other):
        return other.v >= self.v

    def __hash__(self):
        return hash(self.v)


class BitAggregate:
    """BIT_AND / BIT_OR / BIT_XOR over integers of ``bits`` bits, invertible through per-bit counts
    of the (two's complement) values: a bit of AND is set when every value has it, of OR when some
    value has it, of XOR when an odd number do.  NULL over no non-NULL input."""

    def __init__(self, op: str, bits: int):
        self.op = op  # and, or, xor
        self.bits = bits

    def new(self):
        return [0, [0] * self.bits]  # [count of non-NULL values, per-bit counts]

    def update(self, st, v, w):
        if v is None:
            return
        st[0] += w
        counts = st[1]
        u = v & ((1 << self.bits) - 1)
        i = 0
        while u:
            if u & 1:
                counts[i] += w
            u >>= 1
            i += 1

    def result(self, st):
        n, counts = st
        if not n:
            return None
        if self.op == "and":
            u = sum(1 << i for i, c in enumerate(counts) if c == n)
        elif self.op == "or":
            u = sum(1 << i for i, c in enumerate(counts) if c)
        else:
            u = sum(1 << i for i, c in enumerate(counts) if c % 2)
        top = 1 << (self.bits - 1)
        return u - (top << 1) if u & top else u


class BitStringAggregate:
    """BIT_AND / BIT_OR / BIT_XOR over bit strings ('0101'): per length, the count of values and of values
    with each bit set (invertible as BitAggregate's).  Values of two lengths at once are DuckDB's error
    (it cannot AND bit strings of different sizes); NULL over no non-NULL input."""

    def __init__(self, op: str):
        self.op = op  # and, or, xor

    def new(self):
        return {}  # length -> [count of values, per-bit counts]

    def update(self, st, v, w):
        if v is None:
            return
        entry = st.get(len(v))
        if entry is None:
            entry = st[len(v)] = [0, [0] * len(v)]
        entry[0] += w
        counts = entry[1]
        for i, bit in enumerate(v):
            if bit == "1":
                counts[i] += w
        if not entry[0]:
            del st[len(v)]

    def result(self, st):
        if not st:
            return None
        if len(st) > 1:
            raise ValueError(f"cannot {self.op.upper()} bit strings of different sizes")  # (a DataError to the user)
        (n, counts), = st.values()
        if self.op == "and":
            return "".join("1" if c == n else "0" for c in counts)
        if self.op == "or":
            return "".join("1" if c else "0" for c in counts)
        return "".join("1" if c % 2 else "0" for c in counts)


class BitstringAgg(_Multiset):
    """BITSTRING_AGG(x, lo, hi): the bit string of hi - lo + 1 bits with bit x - lo set for each value x
    present (the group's set of values, kept as a multiset so a deletion undoes an insertion); NULL over no
    non-NULL input; a value outside [lo, hi] is DuckDB's error.  Without lo and hi (None: read only through
    BIT_COUNT, which no range changes) the range is the values' own."""

    def __init__(self, lo: int | None, hi: int | None):
        self.lo = lo
        self.hi = hi

    def result(self, st):
        counts = st[0]
        if not counts:
            return None
        lo, hi = (self.lo, self.hi) if self.lo is not None else (min(counts), max(counts))
        bits = ["0"] * (hi - lo + 1)
        for v in counts:
            if not lo <= v <= hi:
                raise ValueError(f"Value {v} is outside of provided min and max range ({lo} <-> {hi})")
            bits[v - lo] = "1"
        return "".join(bits)


class Product:
    """PRODUCT(x), a DOUBLE: the exact product of the finite non-zero inputs (a Fraction, divided
    back out on deletion) with counts of zeros, NaNs and infinities, rounded once at the end."""

    def new(self):
        return [0, Fraction(1), 0, 0, 0, 0]  # [n, product, zeros, NaNs, +inf, -inf]

    def update(self, st, v, w):
        if v is None:
            return
        st[0] += w
        if v != v:
            st[3] += w
        elif v == _INF:
            st[4] += w
        elif v == -_INF:
            st[5] += w
        elif v == 0:
            st[2] += w
        else:
            f = Fraction(v)
            st[1] = st[1] * f ** w if w > 0 else st[1] / f ** -w

    def result(self, st):
        n, prod, zeros, nans, pinf, ninf = st
        if not n:
            return None
        if nans or ((pinf or ninf) and zeros):
            return _NAN
        negative = (prod < 0) != bool(ninf % 2)
        if pinf or ninf:
            return -_INF if negative else _INF
        if zeros:
            return -0.0 if negative else 0.0
        try:
            return float(prod)
        except OverflowError:
            return -_INF if negative else _INF


class ScalarSubqueryError(ValueError):
    pass


class Single(_Multiset):
    """The value of a scalar subquery: its only row; more than one row is an error."""

    def update(self, st, v, w):
        counts = st[0]
        n = counts.get(v, 0) + w
        if n:
            counts[v] = n
        else:
            del counts[v]

    def result(self, st):
        counts = st[0]
        if len(counts) == 1:
            (v, n), = counts.items()
            if n == 1:
                return v
        if not counts:
            return None
        raise ScalarSubqueryError("more than one row returned by a subquery used as an expression")


class Reducer:
    """Several aggregate functions over one group, each with its argument extractor row -> value."""

    def __init__(self, functions, extractors):
        self.functions = list(functions)
        self.extractors = list(extractors)

    def new(self):
        return [f.new() for f in self.functions]

    def update(self, state, row, w):
        # every argument is extracted before any state changes: an extractor that raises (a
        # division by zero in SUM(a / b), say) leaves the group untouched
        values = [arg(row) for arg in self.extractors]
        for i, f in enumerate(self.functions):
            v = values[i]
            if v is not SKIP:
                f.update(state[i], v, w)

    def extract(self, delta: dict, key_fn) -> list:
        """(group key, weight, argument values) per row: all user code, nothing changed yet."""
        extractors = self.extractors
        return [(key_fn(row), w, [arg(row) for arg in extractors]) for row, w in delta.items()]

    def apply(self, groups: dict, items: list, sign: int) -> set:
        """Fold extracted items into ``groups`` ({key: [row count, state]}); sign -1 undoes."""
        touched = set()
        functions = self.functions
        for k, w, values in items:
            g = groups.get(k)
            if g is None:
                g = groups[k] = [0, self.new()]
            w *= sign
            g[0] += w
            state = g[1]
            for i, f in enumerate(functions):
                v = values[i]
                if v is not SKIP:
                    f.update(state[i], v, w)
            touched.add(k)
        return touched

    def merge(self, groups: dict, partials: dict, sign: int) -> set:
        """Fold partial groups (``apply`` into another dict) into ``groups``; sign -1 undoes."""
        return merge_partials(groups, partials, sign, self.new)

    def result(self, group):
        """The results over a group ``[row count, state]``."""
        return tuple(f.result(s) for f, s in zip(self.functions, group[1]))


class DecimalAverage(Sum):
    """DuckDB's DECIMAL_AVERAGE(x): SUM / COUNT of a DECIMAL, as a DECIMAL of x's type; the sum is kept
    exactly as SUM keeps it, and ``average(total, count)`` (sqllib.numbers.make_decimal_average: the
    rounding and the range check) finishes it."""

    def __init__(self, average):
        super().__init__("decimal")
        self.average = average

    def result(self, st):
        return self.average(st[0], st[1]) if st[1] else None
