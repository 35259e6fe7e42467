"""Operator laws: for every incremental operator, I(Q^Δ(s)) == Q(I(s)) at every tick, against references.

Each test feeds a random stream of deltas to a one-operator circuit, and after every step compares the
integral of the output (``Output.contents``) with a small non-incremental reference applied to the
integral of the inputs.  The stream ends by retracting every input; then no operator may hold state.

Domains (where each law is claimed):
- linear operators, delay/integrate/differentiate, join, distinct and set operations: arbitrary Z-sets
  (negative integrated weights included; the references are defined there), and set operations on bags
  as well;
- semijoin: any left input with a bag on the right (SQL: a subquery result), and arbitrary Z-sets on
  both sides;
- TopK: bags (SQL), and on arbitrary Z-sets the window ignores rows whose integrated weight is not
  positive;
- Aggregate: bags only (positive integrated weights: a group's row count must be its number of rows,
  a group whose count returns to 0 is dropped with its state).
Bag streams still hold deletions, re-insertions, duplicates and weights > 1.
"""

from __future__ import annotations

import math
from collections import Counter
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deltasql.runtime import Circuit, StepError
from deltasql.runtime.aggregates import (SKIP, Avg, AvgDistinct, BoolAnd, BoolOr, Count, CountDistinct, CountStar, Max,
                                Min, Reducer, ScalarSubqueryError, Single, StringAgg, Sum, SumDistinct)
from deltasql.runtime.statistics import Median, Moments
from deltasql.runtime.operators import (Aggregate, Arrange, Constant, Delay, Differentiate, Distinct, Filter, FlatMap,
                               Input, Integrate, Join, Lifted, Map, Minus, Negate, Output, Plus, Semijoin, SetOp,
                               TopK)
from deltasql.runtime.zset import add_into

from runtime_support import (assert_clean, assert_state_equal, bag_streams, circuit_state, consolidate, examples,
                             retract, run_law, zset_streams, zsets)

KEYS = st.one_of(st.none(), st.integers(0, 3))
ROWS = st.tuples(KEYS, st.integers(0, 4))


def key0(r):
    return None if r[0] is None else (r[0],)


# -- linear operators -----------------------------------------------------------------------------

def f_map(r):
    return (r[1] % 3, r[0])


def f_filter(r):
    return r[0] is not None and r[1] % 2 == 0


def f_flat(r):
    return [(r[1],)] * (r[1] % 3) + [("k", r[0])]


@examples(60)
@given(zset_streams(ROWS))
def test_map(s):
    run_law(lambda c, a: c.add(Map(a, f_map)), lambda A: consolidate((f_map(r), w) for r, w in A.items()), [s])


@examples(60)
@given(zset_streams(ROWS))
def test_filter(s):
    run_law(lambda c, a: c.add(Filter(a, f_filter)), lambda A: {r: w for r, w in A.items() if f_filter(r)}, [s])


@examples(60)
@given(zset_streams(ROWS))
def test_flat_map(s):
    run_law(lambda c, a: c.add(FlatMap(a, f_flat)),
            lambda A: consolidate((x, w) for r, w in A.items() for x in f_flat(r)), [s])


@examples(40)
@given(zset_streams(ROWS))
def test_lifted_batch(s):
    def batch(z):
        return consolidate((f_map(r), w) for r, w in z.items() if f_filter(r))
    run_law(lambda c, a: c.add(Lifted(a, batch)), batch, [s])


@examples(60)
@given(zset_streams(ROWS), zset_streams(ROWS), zset_streams(ROWS))
def test_plus_minus_negate(a, b, d):
    run_law(lambda c, x, y, z: c.add(Plus(x, y, z)),
            lambda A, B, D: consolidate(list(A.items()) + list(B.items()) + list(D.items())), [a, b, d])
    run_law(lambda c, x, y: c.add(Minus(x, y)),
            lambda A, B: consolidate(list(A.items()) + [(r, -w) for r, w in B.items()]), [a, b])
    run_law(lambda c, x: c.add(Negate(x)), lambda A: {r: -w for r, w in A.items()}, [a])


def test_plus_with_one_idle_input():
    c = Circuit()
    a, b = c.add(Input("a")), c.add(Input("b"))
    out = c.add(Output(c.add(Plus(a, b))))
    a.feed({(1,): 2})
    c.step()
    b.feed({(1,): -2})
    c.step()
    assert out.contents == {}
    assert out.delta == {(1,): -2}


@examples(30)
@given(zsets(ROWS))
def test_constant(z):
    run_law(lambda c, a: c.add(Plus(a, c.add(Constant(z)))), lambda A: consolidate(list(A.items()) + list(z.items())),
            [[{}, {(9, 9): 1}, {}]], final_retraction=False)


# -- delay, integrate, differentiate --------------------------------------------------------------

def run_values(build, stream):
    """Step a circuit ``build(c, input)`` with one input whose deltas are ``stream``; the op's value per tick."""
    c = Circuit()
    inp = c.add(Input("x"))
    op = build(c, inp)
    out = c.add(Output(op))
    values = []
    for d in stream:
        inp.feed(d)
        c.step()
        values.append(dict(out.delta))
    return values


def prefix_sums(stream):
    acc, out = {}, []
    for d in stream:
        add_into(acc, d)
        out.append(dict(acc))
    return out


@examples(60)
@given(zset_streams(ROWS, max_len=8))
def test_delay(s):
    s = s + [{}, {}]
    assert run_values(lambda c, x: c.add(Delay(x)), s) == [{}] + s[:-1]
    # I(z⁻¹ s)[t] == I(s)[t - 1]
    run = run_values(lambda c, x: c.add(Integrate(c.add(Delay(x)))), s)
    assert run == [{}] + prefix_sums(s)[:-1]


@examples(60)
@given(zset_streams(ROWS, max_len=8))
def test_integrate_differentiate_inverse(s):
    s = s + [{}]
    assert run_values(lambda c, x: c.add(Integrate(x)), s) == prefix_sums(s)
    diffs = [consolidate(list(s[0].items()))] + [
        consolidate(list(b.items()) + [(r, -w) for r, w in a.items()]) for a, b in zip(s, s[1:])]
    assert run_values(lambda c, x: c.add(Differentiate(x)), s) == diffs
    # I ∘ D = id and D ∘ I = id on the stream of values s
    assert run_values(lambda c, x: c.add(Integrate(c.add(Differentiate(x)))), s) == s
    assert run_values(lambda c, x: c.add(Differentiate(c.add(Integrate(x)))), s) == s


# -- join -----------------------------------------------------------------------------------------

def combine(a, b):
    if a[1] + b[1] == 3:  # a residual condition: the pair is dropped
        return None
    return (a[0], a[1], b[1])


def ref_join(A, B, lk=key0, rk=key0):
    pairs = []
    for ra, wa in A.items():
        ka = lk(ra)
        if ka is None:
            continue
        for rb, wb in B.items():
            if rk(rb) == ka:
                r = combine(ra, rb)
                if r is not None:
                    pairs.append((r, wa * wb))
    return consolidate(pairs)


@examples(80)
@given(zset_streams(ROWS), zset_streams(ROWS))
def test_join(a, b):
    run_law(lambda c, x, y: c.add(Join(c.add(Arrange(x, key0)), c.add(Arrange(y, key0)), combine)), ref_join, [a, b])


@examples(80)
@given(zset_streams(ROWS))
def test_self_join_on_one_arrangement(a):
    def build(c, x):
        arr = c.add(Arrange(x, key0))
        return c.add(Join(arr, arr, combine))
    run_law(build, lambda A: ref_join(A, A), [a])


@examples(40)
@given(zset_streams(ROWS))
def test_self_join_on_two_keys(a):
    def k1(r):
        return (r[1],)

    def build(c, x):
        return c.add(Join(c.add(Arrange(x, key0)), c.add(Arrange(x, k1)), combine))
    run_law(build, lambda A: ref_join(A, A, key0, k1), [a])


@examples(40)
@given(zset_streams(ROWS), zset_streams(ROWS))
def test_joins_sharing_an_arrangement(a, b):
    def build(c, x, y):
        ax, ay = c.add(Arrange(x, key0)), c.add(Arrange(y, key0))
        both = c.add(Join(ax, ay, combine))
        self_ = c.add(Map(c.add(Join(ax, ax, combine)), lambda r: ("self",) + r))
        return c.add(Plus(both, self_))
    run_law(build, lambda A, B: consolidate(list(ref_join(A, B).items())
                                            + [(("self",) + r, w) for r, w in ref_join(A, A).items()]), [a, b])


def test_null_keys_never_match():
    c = Circuit()
    x, y = c.add(Input("x")), c.add(Input("y"))
    out = c.add(Output(c.add(Join(c.add(Arrange(x, key0)), c.add(Arrange(y, key0)), lambda a, b: a + b))))
    x.feed({(None, 1): 1, (1, 1): 1})
    y.feed({(None, 2): 1, (1, 2): 1})
    c.step()
    assert out.contents == {(1, 1, 1, 2): 1}


# -- semijoin -------------------------------------------------------------------------------------

def ref_semijoin(mode):
    def ref(L, R):
        counts: dict = {}
        for r, w in R.items():
            k = key0(r)
            if k is not None:
                counts[k] = counts.get(k, 0) + w
        pairs = []
        for r, w in L.items():
            k = key0(r)
            matched = k is not None and counts.get(k, 0) > 0
            if mode == "mark":
                pairs.append((r + (matched,), w))
            elif matched == (mode == "semi"):
                pairs.append((r, w))
        return consolidate(pairs)
    return ref


@pytest.mark.parametrize("mode", ["semi", "anti", "mark"])
@examples(80)
@given(a=zset_streams(ROWS), b=bag_streams(ROWS))
def test_semijoin(mode, a, b):
    """Left: any Z-set; right: a bag (SQL: a subquery result)."""
    run_law(lambda c, x, y: c.add(Semijoin(x, y, key0, key0, mode)), ref_semijoin(mode), [a, b])


@pytest.mark.parametrize("mode", ["semi", "anti", "mark"])
@examples(40)
@given(a=zset_streams(ROWS), b=zset_streams(ROWS))
def test_semijoin_on_zsets(mode, a, b):
    """Both sides arbitrary Z-sets (off the SQL domain on the right, but the law is defined there)."""
    run_law(lambda c, x, y: c.add(Semijoin(x, y, key0, key0, mode)), ref_semijoin(mode), [a, b])


def test_semijoin_right_delta_summing_to_zero():
    c = Circuit()
    x, y = c.add(Input("x")), c.add(Input("y"))
    out = c.add(Output(c.add(Semijoin(x, y, key0, key0, "semi"))))
    x.feed({(0, 0): 1})
    y.feed({(0, 0): 1, (0, 1): -1})  # the right key's count stays 0
    c.step()
    assert out.contents == {}


# -- distinct and set operations ------------------------------------------------------------------

@examples(80)
@given(zset_streams(ROWS))
def test_distinct(s):
    run_law(lambda c, x: c.add(Distinct(x)), lambda A: {r: 1 for r, w in A.items() if w > 0}, [s])


@examples(40)
@given(zset_streams(ROWS))
def test_distinct_idempotent(s):
    run_law(lambda c, x: c.add(Distinct(c.add(Distinct(x)))), lambda A: {r: 1 for r, w in A.items() if w > 0}, [s])


SETOPS = {
    "except_all": lambda a, b: max(0, a - b),
    "intersect_all": lambda a, b: max(0, min(a, b)),
    "except": lambda a, b: int(a > 0 and b <= 0),
    "intersect": lambda a, b: int(a > 0 and b > 0),
}


def ref_setop(kind):
    f = SETOPS[kind]
    return lambda A, B: {r: f(A.get(r, 0), B.get(r, 0)) for r in A.keys() | B.keys() if f(A.get(r, 0), B.get(r, 0))}


@pytest.mark.parametrize("kind", sorted(SETOPS))
@examples(60)
@given(a=zset_streams(ROWS), b=zset_streams(ROWS))
def test_setop(kind, a, b):
    run_law(lambda c, x, y: c.add(SetOp(x, y, kind)), ref_setop(kind), [a, b])


@pytest.mark.parametrize("kind", sorted(SETOPS))
@examples(30)
@given(a=bag_streams(ROWS), b=bag_streams(ROWS))
def test_setop_on_bags(kind, a, b):
    run_law(lambda c, x, y: c.add(SetOp(x, y, kind)), ref_setop(kind), [a, b])


# -- aggregate ------------------------------------------------------------------------------------

INF, NAN = float("inf"), float("nan")
FLOATS = [None, 0.1, 0.2, 0.3, 1e16, -1e16, 1.0, 2.5, -0.5, 5e-324, INF, -INF, NAN]
DECIMALS = [None, Decimal("0.10"), Decimal("1.25"), Decimal("-3.50"), Decimal("2.00")]
INTS = [None, -2, 0, 1, 3, 10 ** 20]
TEXTS = [None, "a", "b", "c"]
# (group, int, float, decimal, bool, string_agg order key, text)
AGG_ROWS = st.tuples(st.sampled_from([None, 0, 1, 2]), st.sampled_from(INTS), st.sampled_from(FLOATS),
                     st.sampled_from(DECIMALS), st.sampled_from([None, True, False]), st.integers(0, 2),
                     st.sampled_from(TEXTS))


def exact_float_sum(xs):
    if any(x != x for x in xs) or (INF in xs and -INF in xs):
        return NAN
    if INF in xs:
        return INF
    if -INF in xs:
        return -INF
    return sum(map(Fraction, xs), Fraction(0))


def ref_sum_float(xs):
    if not xs:
        return None
    s = exact_float_sum(xs)
    return s if isinstance(s, float) else float(s)


def ref_avg_float(xs):
    if not xs:
        return None
    s = exact_float_sum(xs)
    return s if isinstance(s, float) else float(s / len(xs))


def nonnull(rows, i):
    return [r[i] for r in rows if r[i] is not None]


def distinct_values(xs):
    return list(dict.fromkeys(xs))


def ref_moment(statistic, i):
    def ref(rows):
        vs = nonnull(rows, i)
        n = len(vs)
        sample = statistic.endswith("samp")
        if n < (2 if sample else 1):
            return None
        if n == 1:
            return 0.0  # DuckDB: one value varies by nothing, even inf or NaN (fuzz #48)
        if not all(map(math.isfinite, vs)):
            return NAN  # DuckDB: the moments of inf or NaN are NaN
        xs = [Fraction(v) for v in vs]
        mean = sum(xs) / n
        var = sum((x - mean) ** 2 for x in xs) / (n - 1 if sample else n)
        return math.sqrt(var) if statistic.startswith("stddev") else float(var)
    return ref


def duck_order(v):
    """DuckDB's order of doubles: NaN above everything."""
    return (v != v, v)


def ref_median(i):
    def ref(rows):
        xs = sorted(nonnull(rows, i), key=duck_order)
        if not xs:
            return None
        lo, hi = xs[(len(xs) - 1) // 2], xs[len(xs) // 2]
        if isinstance(lo, float):
            return (lo + hi) / 2  # as DuckDB computes it for DOUBLE
        return float((Fraction(lo) + Fraction(hi)) / 2)
    return ref


MOMENTS = [(Moments(kind, stat), (lambda i: lambda r: r[i])(i), ref_moment(stat, i))
           for stat in ("var_samp", "var_pop", "stddev_samp", "stddev_pop")
           for kind, i in (("int", 1), ("float", 2), ("decimal", 3))]


def ref_string_agg(rows):
    items = sorted((r[5], r[6]) for r in rows if r[6] is not None)
    return "|".join(t for _, t in items) if items else None


# (aggregate function, argument extractor, reference over the group's rows as a list with repeats)
AGGREGATES = [
    (CountStar(), lambda r: 1, len),
    (Count(), lambda r: r[1], lambda rows: len(nonnull(rows, 1))),
    (Sum("int"), lambda r: r[1], lambda rows: sum(nonnull(rows, 1)) if nonnull(rows, 1) else None),
    (Sum("float"), lambda r: r[2], lambda rows: ref_sum_float(nonnull(rows, 2))),
    (Sum("decimal", scale=2), lambda r: r[3],
     lambda rows: sum(nonnull(rows, 3)).quantize(Decimal("0.01")) if nonnull(rows, 3) else None),
    (Avg("int"), lambda r: r[1],
     lambda rows: float(Fraction(sum(nonnull(rows, 1)), len(nonnull(rows, 1)))) if nonnull(rows, 1) else None),
    (Avg("float"), lambda r: r[2], lambda rows: ref_avg_float(nonnull(rows, 2))),
    (Avg("decimal"), lambda r: r[3],
     lambda rows: float(Fraction(sum(nonnull(rows, 3))) / len(nonnull(rows, 3))) if nonnull(rows, 3) else None),
    (Min(), lambda r: r[1], lambda rows: min(nonnull(rows, 1), default=None)),
    (Max(), lambda r: r[1], lambda rows: max(nonnull(rows, 1), default=None)),
    (Min(), lambda r: r[6], lambda rows: min(nonnull(rows, 6), default=None)),
    (Max(), lambda r: r[6], lambda rows: max(nonnull(rows, 6), default=None)),
    (CountDistinct(), lambda r: r[1], lambda rows: len(set(nonnull(rows, 1)))),
    (SumDistinct("int"), lambda r: r[1], lambda rows: sum(set(nonnull(rows, 1))) if nonnull(rows, 1) else None),
    (SumDistinct("float"), lambda r: r[2], lambda rows: ref_sum_float(distinct_values(nonnull(rows, 2)))),
    (SumDistinct("decimal", scale=2), lambda r: r[3],
     lambda rows: sum(set(nonnull(rows, 3))).quantize(Decimal("0.01")) if nonnull(rows, 3) else None),
    (AvgDistinct("int"), lambda r: r[1],
     lambda rows: float(Fraction(sum(set(nonnull(rows, 1))), len(set(nonnull(rows, 1)))))
     if nonnull(rows, 1) else None),
    (AvgDistinct("float"), lambda r: r[2], lambda rows: ref_avg_float(distinct_values(nonnull(rows, 2)))),
    (BoolAnd(), lambda r: r[4], lambda rows: all(nonnull(rows, 4)) if nonnull(rows, 4) else None),
    (BoolOr(), lambda r: r[4], lambda rows: any(nonnull(rows, 4)) if nonnull(rows, 4) else None),
    (StringAgg("|"), lambda r: (r[5], r[6]), ref_string_agg),
    (StringAgg(",", distinct=True), lambda r: (r[6], r[6]),
     lambda rows: ",".join(sorted(set(nonnull(rows, 6)))) if nonnull(rows, 6) else None),
    (Median(), lambda r: r[1], ref_median(1)),
    (Median(), lambda r: r[2], ref_median(2)),
    (Min(), lambda r: r[2], lambda rows: min(nonnull(rows, 2), key=duck_order, default=None)),
    (Max(), lambda r: r[2], lambda rows: max(nonnull(rows, 2), key=duck_order, default=None)),
    *MOMENTS,
    # COUNT(x) FILTER (WHERE b): the extractor skips rows the filter rejects
    (Count(), lambda r: r[1] if r[4] else SKIP, lambda rows: len([r for r in rows if r[4] and r[1] is not None])),
    (CountStar(), lambda r: 1 if r[4] is False else SKIP, lambda rows: len([r for r in rows if r[4] is False])),
]


def norm_value(v):
    """Comparable form of a result: NaN equals NaN; decimals compare with their scale."""
    if isinstance(v, float) and v != v:
        return "NaN"
    if isinstance(v, Decimal):
        return ("decimal", str(v))
    return v


def norm(z: dict) -> dict:
    return consolidate((tuple(norm_value(v) for v in r), w) for r, w in z.items())


def ref_aggregate(bag: dict, global_: bool) -> dict:
    assert all(w > 0 for w in bag.values())
    groups: dict = {}
    for r, w in bag.items():
        groups.setdefault(() if global_ else (r[0],), []).extend([r] * w)
    if global_:
        groups.setdefault((), [])
    return {k + tuple(ref(rows) for _, _, ref in AGGREGATES): 1 for k, rows in groups.items()}


def build_aggregate(global_):
    def build(c, x):
        reducer = Reducer([f for f, _, _ in AGGREGATES], [e for _, e, _ in AGGREGATES])
        key = (lambda r: ()) if global_ else (lambda r: (r[0],))
        return c.add(Aggregate(x, key, reducer, global_=global_))
    return build


@pytest.mark.parametrize("global_", [False, True], ids=["grouped", "global"])
@examples(80)
@given(s=bag_streams(AGG_ROWS, max_len=8, max_edits=5))
def test_aggregate_every_function(global_, s):
    run_law(build_aggregate(global_), lambda A: ref_aggregate(A, global_), [s], compare=norm)


def test_global_aggregate_emits_one_row_on_empty_input():
    c = Circuit()
    x = c.add(Input("x"))
    out = c.add(Output(build_aggregate(True)(c, x)))
    c.step()
    expected = ref_aggregate({}, True)
    assert norm(out.contents) == norm(expected)
    assert len(out.contents) == 1
    (row,) = out.contents
    assert row[0] == 0 and row[2] is None  # COUNT(*) = 0, SUM(x) IS NULL
    c.step()
    assert out.delta == {}
    row_ = (0, 5, 1.0, Decimal("1.00"), True, 0, "a")
    x.feed({row_: 2})
    c.step()
    x.feed({row_: -2})
    c.step()
    assert norm(out.contents) == norm(expected)


@pytest.mark.parametrize("fn", [Min, Max])
def test_min_max_deleting_the_current_extreme(fn):
    c = Circuit()
    x = c.add(Input("x"))
    out = c.add(Output(c.add(Aggregate(x, lambda r: (r[0],), Reducer([fn()], [lambda r: r[1]])))))
    pick = min if fn is Min else max
    rows = {("g", v): n for v, n in [(5, 2), (1, 1), (9, 1), (3, 3)]}
    x.feed(rows)
    c.step()
    while rows:
        ext = pick(v for _, v in rows)
        assert out.contents == {("g", ext): 1}
        x.feed({("g", ext): -1})  # delete one copy of the current extreme
        c.step()
        rows[("g", ext)] -= 1
        if not rows[("g", ext)]:
            del rows[("g", ext)]
    assert out.contents == {}
    assert_clean(c)


def run_aggregate_rows(fn, rows_in_order):
    """The output of an Aggregate of ``fn`` after feeding ``rows_in_order`` one step each."""
    c = Circuit()
    x = c.add(Input("x"))
    out = c.add(Output(c.add(Aggregate(x, lambda r: (), Reducer([fn], [lambda r: r[0]]), global_=True))))
    for v in rows_in_order:
        x.feed({(v,): 1})
        c.step()
    (row,) = out.contents
    return norm_value(row[0])


def test_nan_orders_greatest_in_min_max_median():
    """DuckDB orders NaN above every double: MAX(1, NaN) = NaN, MIN = 1, MEDIAN(1, NaN, 3) = 3."""
    for order in ([1.0, NAN, 3.0], [NAN, 1.0, 3.0], [3.0, 1.0, NAN]):
        assert run_aggregate_rows(Max(), order) == "NaN", order
        assert run_aggregate_rows(Min(), order) == 1.0, order
        assert run_aggregate_rows(Median(), order) == 3.0, order


@pytest.mark.parametrize("special", [INF, NAN], ids=["inf", "nan"])
def test_moments_of_non_finite_doubles(special):
    """DuckDB: VAR_SAMP / STDDEV_POP over (1.0, inf) or (1.0, NaN) are NaN."""
    for stat in ("var_samp", "var_pop", "stddev_samp", "stddev_pop"):
        assert run_aggregate_rows(Moments("float", stat), [1.0, special]) == "NaN"


# -- Single (scalar subquery) ---------------------------------------------------------------------

SINGLE_ROWS = st.tuples(st.sampled_from([0, 1]), st.sampled_from([None, 1, 2]))


def run_single(targets):
    """Step an Aggregate of Single through bags ``targets``; a target giving a group two rows (or one
    row twice) must fail with ScalarSubqueryError and change nothing, and is then withdrawn."""
    c = Circuit()
    x = c.add(Input("x"))
    red = Reducer([Single()], [lambda r: r[1]])
    out = c.add(Output(c.add(Aggregate(x, lambda r: (r[0],), red))))
    total: dict = {}
    for target in targets + [{}]:
        delta = consolidate(list(target.items()) + [(r, -w) for r, w in total.items()])
        counts = Counter()
        for r, w in target.items():
            counts[r[0]] += w
        x.feed(delta)
        if any(n > 1 for n in counts.values()):
            before = circuit_state(c)
            with pytest.raises(StepError) as err:
                c.step()
            assert isinstance(err.value.cause, ScalarSubqueryError)
            assert_state_equal(before, circuit_state(c))
            x.feed(retract(delta))  # withdraw the failed change
            continue
        c.step()
        total = dict(target)
        assert out.contents == {(r[0], r[1]): 1 for r in total}
    assert_clean(c)


@examples(60)
@given(targets=st.lists(st.dictionaries(st.sampled_from([0, 1]), st.sampled_from([None, 1, 2]), max_size=2)
                        .map(lambda d: {(g, v): 1 for g, v in d.items()}), min_size=1, max_size=8))
def test_single_value(targets):
    """At most one row per group: Single is that row's value (NULL included)."""
    run_single(targets)


def test_single_raises_on_two_rows_in_a_group():
    c = Circuit()
    x = c.add(Input("x"))
    agg = c.add(Aggregate(x, lambda r: (r[0],), Reducer([Single()], [lambda r: r[1]])))
    out = c.add(Output(agg))
    x.feed({(0, 1): 1, (1, 5): 1})
    c.step()
    for bad in ({(0, 2): 1}, {(0, 1): 1}):  # a second row; the same row twice
        x.feed(bad)
        with pytest.raises(StepError) as err:
            c.step()
        assert err.value.op is agg and isinstance(err.value.cause, ScalarSubqueryError)
        x.feed(retract(bad))
    assert out.contents == {(0, 1): 1, (1, 5): 1}


@examples(60)
@given(targets=st.lists(st.dictionaries(SINGLE_ROWS, st.integers(1, 2), max_size=3), min_size=1, max_size=8))
def test_single_raises_on_two_rows(targets):
    run_single(targets)


# -- TopK -----------------------------------------------------------------------------------------

def topk_order(r):
    return (r[1], r)  # a total order: ties broken by the whole row


def ref_topk(limit, offset):
    def ref(A):
        parts: dict = {}
        for r, w in A.items():
            if w > 0:
                parts.setdefault(r[0], []).append(r)
        out: dict = {}
        for rows in parts.values():
            bag = [r for r in sorted(rows, key=topk_order) for _ in range(A[r])]
            window = bag[offset:] if limit is None else bag[offset:offset + limit]
            for r in window:
                out[r] = out.get(r, 0) + 1
        return out
    return ref


TOPK_ROWS = st.tuples(st.sampled_from([None, 0, 1]), st.integers(0, 5))


@pytest.mark.parametrize("limit,offset", [(1, 0), (2, 0), (3, 1), (None, 2), (2, 3), (0, 0)])
@examples(60)
@given(s=bag_streams(TOPK_ROWS, max_len=8))
def test_topk_on_bags(limit, offset, s):
    run_law(lambda c, x: c.add(TopK(x, lambda r: r[0], topk_order, limit, offset)), ref_topk(limit, offset), [s])


@pytest.mark.parametrize("limit,offset", [(2, 1), (None, 1)])
@examples(40)
@given(s=zset_streams(TOPK_ROWS, max_len=8))
def test_topk_ignores_non_positive_rows(limit, offset, s):
    """Off the SQL domain: rows whose integrated weight is negative are not in the window."""
    run_law(lambda c, x: c.add(TopK(x, lambda r: r[0], topk_order, limit, offset)), ref_topk(limit, offset), [s])


def test_topk_global_partition_with_heavy_row():
    c = Circuit()
    x = c.add(Input("x"))
    out = c.add(Output(c.add(TopK(x, lambda r: (), topk_order, 3, 1))))
    x.feed({(0, 1): 5, (0, 2): 1})
    c.step()
    assert out.contents == {(0, 1): 3}
    x.feed({(0, 1): -3, (0, 0): 1})
    c.step()
    assert out.contents == {(0, 1): 2, (0, 2): 1}
