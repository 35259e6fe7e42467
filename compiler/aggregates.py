"""The aggregate registry: one entry per SQL aggregate, read by everything that needs to know it.

An entry says what the aggregate is called (the sqlglot node classes it is parsed into, with the node
arguments read, and the spellings sqlglot leaves as anonymous calls), how each argument is taken
(``NUMBER``, ``CONDITION``, …: see ``AggregateBinding.aggregate_argument``), its result type, whether the
result may be NULL, what it does with DISTINCT and ORDER BY, and its lowering: the exactly invertible
runtime state (runtime/aggregates.py, runtime/statistics.py) that maintains it.  The binder
(compiler/bind/aggregates.py) builds ``AggCall(entry.fn, …)`` from it, the lowering (compiler/lower.py)
calls ``entry.state(agg_call)``, and constructs.py accepts exactly the node arguments listed.  Adding an
aggregate is one entry here (its state in runtime/ if none fits), and its tests.

Laws every entry relies on:
- NULL inputs are skipped, as SQL aggregates do (the runtime states ignore None); over no non-NULL
  input the result is NULL, except for the entries with ``nullable=False`` (COUNT, TOTAL, …).
- A state is exactly invertible: ``update(s, v, -w)`` undoes ``update(s, v, w)``, so a deletion (of
  the current extreme too) is maintained from the state alone.
- FILTER (WHERE c) is the aggregate over the rows where c is TRUE: every aggregate takes it.
- DISTINCT is the aggregate over the set of distinct non-NULL values: ``distinct=True`` passes it to
  the state, ``SAME`` drops it (MIN, MAX: the set gives the same answer), ``False`` refuses it.
- ORDER BY inside the call is read only where ``order=True`` (STRING_AGG, FIRST, LAST, MODE); every
  other entry's answer does not depend on the order of its input (each state is exact, floating-point
  sums included).  An entry whose answer needs an order says why in ``unordered``: refused without one.

An entry whose binding needs a rule of its own (COUNT(*), a separator, a constant fraction, arguments
swapped or rewritten) names it in ``rule``: the method ``AggregateBinding.agg_<rule>`` builds the call.
An entry with ``refused`` is not maintained: the binder says why at the call's position.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from ..runtime import aggregates as A
from ..runtime import statistics as S
from ..runtime.histogram import BinnedHistogram, Histogram
from ..runtime.temporal_mad import TemporalMad
from ..runtime.temporal_median import TemporalMedian
from ..sqllib import temporal_micros
from ..sqllib.lists import SqlList
from ..sqllib.maps import make_map
from . import aggregate_states as AS
from .export_state import ExportState
from .types import (
    BIGINT,
    BIT,
    BOOLEAN,
    DOUBLE,
    HUGEINT,
    INTERVAL,
    TEXT,
    SqlType,
    decimal_type,
    list_of,
    map_of,
)

# how an argument is taken (AggregateBinding.aggregate_argument)
ANY = "any"  # any value, as bound
SUMMABLE = "summable"  # a number (SQLite: read as one); an untyped NULL is a BIGINT NULL
STATISTIC = "statistic"  # a number (SQLite: read as one); an untyped NULL stays untyped
NUMBER = "number"  # a number (SQLite: read as one); an untyped NULL is a DOUBLE NULL
AS_DOUBLE = "double"  # a NUMBER, cast to DOUBLE
INTEGER = "integer"  # an integer; an untyped NULL is an INTEGER NULL
INTEGER_OR_BIT = "integer_or_bit"  # an integer or a BIT (bit string); an untyped NULL is an INTEGER NULL
CONDITION = "condition"  # a condition (an integer is one where the dialect says so)
BOOLEAN_ARG = "boolean"  # a BOOLEAN, without conversion; an untyped NULL stays untyped

SAME = "same"  # DISTINCT accepted and dropped: the answer over the set is the answer over the multiset


def number_kind(t: SqlType) -> str:
    """How the aggregates of runtime/ keep a number of type t exactly: int, float or decimal."""
    return "float" if t.kind == "float" else "decimal" if t.kind == "decimal" else "int"


def _scale(a) -> int | None:
    return a.arg.type.scale if a.arg.type.kind == "decimal" else None


def first_type(args, dialect) -> SqlType:
    """The result has the (first) argument's type."""
    return args[0].type


def sum_type(args, dialect) -> SqlType:
    """SUM: DOUBLE of floats, DECIMAL(38, s) of DECIMAL(p, s), else HUGEINT (SQLite: its 64-bit integer)."""
    t = args[0].type
    if t.kind == "float":
        return DOUBLE
    if t.kind == "decimal":
        return decimal_type(38, t.scale)
    return BIGINT if dialect.name == "sqlite" else HUGEINT


def list_type(args, dialect) -> SqlType:
    """A list of the argument's type."""
    return list_of(args[0].type)


def histogram_type(args, dialect) -> SqlType:
    """HISTOGRAM(x): a MAP from x's type to counts (DuckDB's UBIGINT, here the integer type holding it)."""
    return map_of(args[0].type, HUGEINT)


def exact_or_double(args, dialect) -> SqlType:
    """An interpolated statistic: a DECIMAL keeps its type (DuckDB), anything else is a DOUBLE."""
    return args[0].type if args[0].type.kind == "decimal" else DOUBLE


def _temporal_median(a):
    unit = temporal_micros.UNIT_MICROS.get(a.type.precision, 1) if a.type.kind == "timestamp" else 1
    return TemporalMedian(temporal_micros.counter(unit), temporal_micros.maker(a.type.kind, unit))


def _sum_state(a):
    check = None
    if a.type.kind == "int":
        from ..sqllib import sqlfuncs as F
        check = F.make_int_check(a.type.bits, False)
    kind = number_kind(a.arg.type)
    return A.SumDistinct(kind, _scale(a), check) if a.distinct else A.Sum(kind, _scale(a), check)


def _bit_state(op: str, a):
    """BIT_AND / BIT_OR / BIT_XOR of integers (per-bit counts of the two's complement) or of bit strings."""
    return A.BitStringAggregate(op) if a.type.kind == "bit" else A.BitAggregate(op, a.type.bits)


def _avg_state(a):
    kind = number_kind(a.arg.type)
    return A.AvgDistinct(kind) if a.distinct else A.Avg(kind)


def _wide_decimal(t: SqlType) -> bool:
    """A DECIMAL DuckDB holds in 128 bits (more than 18 digits): its quantiles interpolate otherwise."""
    return t.kind == "decimal" and t.precision > 18


def _quantile_state(a):
    if isinstance(a.param, tuple):  # QUANTILE(x, [q1, …]): the list of those quantiles
        return S.Quantiles([S.Quantile(q, a.fn == "quantile_disc", _scale(a), _wide_decimal(a.arg.type))
                            for q in a.param], SqlList)
    return S.Quantile(a.param, a.fn == "quantile_disc", _scale(a), _wide_decimal(a.arg.type))


def _decimal_average(scale: int):
    from ..sqllib import sqlfuncs as F
    return F.make_decimal_average(scale)


def _co_moments(a):
    return S.CoMoments(tuple(number_kind(x.type) for x in a.arg.args), a.fn)


@dataclass(frozen=True)
class Aggregate:
    """One SQL aggregate (see the module docstring)."""

    fn: str  # its name in the plan IR (AggCall.fn) and in printed plans
    state: Callable[[Any], Any] | None  # AggCall -> the runtime aggregate maintaining it; None: binds to another's
    args: tuple[str, ...] = (ANY,)  # how each argument is taken
    result: SqlType | Callable = DOUBLE  # the result type, or a function (bound arguments, dialect) -> type
    nodes: Mapping[type, tuple[str, ...]] = field(default_factory=dict)  # sqlglot class -> arguments read
    names: tuple[str, ...] = ()  # spellings sqlglot parses as anonymous functions (lower case)
    nullable: bool = True  # whether the result may be NULL (NULL over no non-NULL input)
    distinct: bool | str = False  # True: DISTINCT computed; SAME: dropped; False: refused
    order: bool = False  # whether ORDER BY inside the call is read
    rule: str = ""  # the binding rule of its own, AggregateBinding.agg_<rule>
    refused: str = ""  # why it cannot be maintained ({name}: the name as written)
    unordered: str = ""  # why it cannot be maintained without ORDER BY in the call (order-dependent answers)
    written: bool = True  # False: an aggregate the compiler makes, with no SQL spelling of its own
    # IGNORE NULLS accepted (FIRST, LAST; ANY_VALUE always ignores them): the aggregate over the rows
    # where its argument is not NULL, i.e. FILTER (WHERE x IS NOT NULL) added to the call
    ignore_nulls: bool = False
    always_ignores_nulls: bool = False

    def result_type(self, args, dialect) -> SqlType:
        return self.result(args, dialect) if callable(self.result) else self.result


_NOT_DETERMINISTIC = "{name} is not deterministic and cannot be maintained"
_APPROXIMATE = "{name} is approximate (its answer depends on how rows arrive); use the exact aggregate"


def _moments(fn: str, nodes, names=()) -> Aggregate:
    return Aggregate(fn, lambda a: S.Moments(number_kind(a.arg.type), a.fn), (STATISTIC,), DOUBLE, nodes,
                     names, distinct=False)


def _regression(fn: str, node, result=DOUBLE, nullable=True) -> Aggregate:
    return Aggregate(fn, _co_moments, (NUMBER, NUMBER), result, {node: ("this", "expression")},
                     nullable=nullable)


def _shape(fn: str, nodes=None, names=()) -> Aggregate:
    return Aggregate(fn, lambda a: S.Shape(number_kind(a.arg.type), a.fn), (NUMBER,), DOUBLE, nodes or {},
                     names)


AGGREGATES: tuple[Aggregate, ...] = (
    # -- counts and sums (runtime/aggregates.py) -----------------------------------------------------------
    Aggregate("count", lambda a: A.CountDistinct() if a.distinct else A.Count(), (ANY,), BIGINT,
              {exp.Count: ("this", "expressions", "big_int")}, nullable=False, distinct=True, rule="count"),
    Aggregate("count_star", lambda a: A.CountStar(), (), BIGINT, nullable=False, written=False),  # COUNT(*)
    Aggregate("sum", _sum_state, (SUMMABLE,), sum_type, {exp.Sum: ("this",)}, distinct=True),
    Aggregate("avg", _avg_state, (SUMMABLE,), DOUBLE, {exp.Avg: ("this",)}, distinct=True),
    # DuckDB 2.0's DECIMAL_AVERAGE(x) of a DECIMAL: a DECIMAL of its type (misc-19)
    Aggregate("decimal_average", lambda a: A.DecimalAverage(_decimal_average(a.arg.type.scale)), (NUMBER,), first_type,
              names=("decimal_average",), rule="decimal_average"),
    # SQLite's TOTAL(x): the floating-point sum, 0.0 over no rows
    Aggregate("total", lambda a: A.TotalDistinct() if a.distinct else A.Total(), (NUMBER,), DOUBLE,
              names=("total",), nullable=False, distinct=True, rule="total"),
    # COUNT_IF(c) = SUM(CASE WHEN c THEN 1 WHEN NOT c THEN 0 END): NULL when every c is NULL
    Aggregate("sum", None, (BOOLEAN_ARG,), HUGEINT, {exp.CountIf: ("this",)}, rule="count_if"),
    # compensated float sums: ours are exact already
    Aggregate("sum", None, (AS_DOUBLE,), DOUBLE, names=("fsum", "sumkahan", "kahan_sum")),
    Aggregate("avg", None, (AS_DOUBLE,), DOUBLE, names=("favg",)),
    Aggregate("product", lambda a: A.Product(), (AS_DOUBLE,), DOUBLE, names=("product",)),
    # -- extremes ----------------------------------------------------------------------------------------
    Aggregate("min", lambda a: A.Min(), (ANY,), first_type, {exp.Min: ("this", "expressions")}, distinct=SAME,
              rule="extreme"),
    Aggregate("max", lambda a: A.Max(), (ANY,), first_type, {exp.Max: ("this", "expressions")}, distinct=SAME,
              rule="extreme"),
    # ARG_MAX(arg, val) / MAX_BY: arg of the row with the largest val (a pair (val, arg) to the state)
    Aggregate("arg_max", lambda a: A.ArgExtreme(True), (ANY, ANY), first_type, {exp.ArgMax: ("this", "expression")},
              rule="arg_extreme"),
    Aggregate("arg_min", lambda a: A.ArgExtreme(False), (ANY, ANY), first_type, {exp.ArgMin: ("this", "expression")},
              rule="arg_extreme"),
    # ARG_MAX_NULL / ARG_MIN_NULL: the same over the rows where val is not NULL (a NULL arg counts)
    Aggregate("arg_max_null", lambda a: A.ArgExtreme(True, True), (ANY, ANY), first_type, names=("arg_max_null",),
              rule="arg_extreme"),
    Aggregate("arg_min_null", lambda a: A.ArgExtreme(False, True), (ANY, ANY), first_type, names=("arg_min_null",),
              rule="arg_extreme"),
    # -- booleans, bits, strings ---------------------------------------------------------------------------
    Aggregate("bool_and", lambda a: A.BoolAnd(), (CONDITION,), BOOLEAN, {exp.LogicalAnd: ("this",)}, distinct=True),
    Aggregate("bool_or", lambda a: A.BoolOr(), (CONDITION,), BOOLEAN, {exp.LogicalOr: ("this",)}, distinct=True),
    Aggregate("bit_and", lambda a: _bit_state("and", a), (INTEGER_OR_BIT,), first_type, {exp.BitwiseAndAgg: ("this",)}),
    Aggregate("bit_or", lambda a: _bit_state("or", a), (INTEGER_OR_BIT,), first_type, {exp.BitwiseOrAgg: ("this",)}),
    Aggregate("bit_xor", lambda a: _bit_state("xor", a), (INTEGER_OR_BIT,), first_type, {exp.BitwiseXorAgg: ("this",)}),
    # BITSTRING_AGG(x, lo, hi) (constants), the set of values as a bit string; lo = hi = x of a constant x
    # (DuckDB's one-argument form reads the bounds from its column statistics: refused otherwise)
    Aggregate("bitstring_agg", lambda a: A.BitstringAgg(*a.param), (ANY,), BIT, names=("bitstring_agg",),
              distinct=SAME, rule="bitstring_agg"),
    Aggregate("string_agg", lambda a: A.StringAgg(a.param, a.distinct), (ANY,), TEXT,
              {exp.GroupConcat: ("this", "separator")}, distinct=True, order=True, rule="string_agg"),
    # LIST / ARRAY_AGG (x ORDER BY k, …, x): the group's values, NULLs too, in the keys' order (compiler/lists.py
    # refuses an order the keys leave to arrival)
    Aggregate("list", lambda a: A.ListAgg(SqlList, a.distinct), (ANY,), list_type, {exp.ArrayAgg: ("this",)},
              distinct=True, order=True, rule="list"),
    # FIRST / LAST (x ORDER BY k): x at the first (last) row in k's order; MODE(x ORDER BY k): the most
    # frequent x, ties to the one met first in k's order.  Without ORDER BY DuckDB's answer depends on
    # the order it reads rows: refused.
    Aggregate("first", lambda a: A.FirstLast(False), (ANY,), first_type, {exp.First: ("this",)}, order=True,
              ignore_nulls=True, unordered="{name} without ORDER BY is not deterministic (it takes whichever row arrives first) "
                        "and cannot be maintained: write {name}(x ORDER BY …)"),
    Aggregate("last", lambda a: A.FirstLast(True), (ANY,), first_type, {exp.Last: ("this",)}, order=True,
              ignore_nulls=True, unordered="{name} without ORDER BY is not deterministic (it takes whichever row arrives first) "
                        "and cannot be maintained: write {name}(x ORDER BY …)"),
    # ANY_VALUE(x ORDER BY k): the first non-NULL x in k's order (DuckDB), FIRST(x ORDER BY k) IGNORE NULLS
    Aggregate("first", None, (ANY,), first_type, {exp.AnyValue: ("this",)}, order=True, ignore_nulls=True,
              always_ignores_nulls=True,
              unordered="{name} without ORDER BY is not deterministic (it takes whichever non-NULL value arrives "
                        "first) and cannot be maintained: write {name}(x ORDER BY …)"),
    Aggregate("mode", lambda a: A.OrderedMode(), (ANY,), first_type, {exp.Mode: ("this",)}, order=True,
              unordered="MODE without ORDER BY is not supported: DuckDB breaks ties by the order it reads rows; "
                        "write MODE(x ORDER BY …)"),
    # -- statistics (runtime/statistics.py) ---------------------------------------------------------------
    _moments("stddev_samp", {exp.Stddev: ("this",), exp.StddevSamp: ("this",)}),
    _moments("stddev_pop", {exp.StddevPop: ("this",)}),
    _moments("var_samp", {exp.Variance: ("this",)}),
    _moments("var_pop", {exp.VariancePop: ("this",)}),
    _moments("sem", {}, ("sem",)),  # the standard error of the mean: STDDEV_POP / √n (DuckDB)
    _shape("skewness", {exp.Skewness: ("this",)}),
    _shape("kurtosis", {exp.Kurtosis: ("this",)}),
    _shape("kurtosis_pop", names=("kurtosis_pop",)),
    Aggregate("median", lambda a: S.Median(_scale(a), _wide_decimal(a.arg.type)), (STATISTIC,), exact_or_double, {exp.Median: ("this",)},
              rule="median"),
    # MAD(x) = MEDIAN(|x - MEDIAN(x)|): an integer argument is a DOUBLE (DuckDB has no integer MAD)
    Aggregate("mad", lambda a: S.Mad(_scale(a), _wide_decimal(a.arg.type)), (STATISTIC,), exact_or_double,
              names=("mad",), rule="median"),
    # MAD of a DATE, TIMESTAMP(TZ) or TIME: an INTERVAL over microsecond counts (runtime/temporal_mad.py)
    Aggregate("mad_temporal", lambda a: TemporalMad(temporal_micros.micros, temporal_micros.interval_of), (ANY,),
              INTERVAL, written=False),
    # MEDIAN of those: a TIMESTAMP (of a DATE) or the argument's type, in its unit (runtime/temporal_median.py)
    Aggregate("median_temporal", _temporal_median, (ANY,), first_type, written=False),
    Aggregate("quantile_cont", _quantile_state, (NUMBER, ANY), exact_or_double,
              {exp.PercentileCont: ("this", "expression")}, rule="quantile"),
    Aggregate("quantile_disc", _quantile_state, (ANY, ANY), first_type,
              {exp.PercentileDisc: ("this", "expression"), exp.Quantile: ("this", "quantile")}, rule="quantile"),
    Aggregate("entropy", lambda a: S.Entropy(), (ANY,), DOUBLE, names=("entropy",), nullable=False),
    _regression("corr", exp.Corr),
    _regression("covar_pop", exp.CovarPop),
    _regression("covar_samp", exp.CovarSamp),
    _regression("regr_slope", exp.RegrSlope),
    _regression("regr_intercept", exp.RegrIntercept),
    _regression("regr_r2", exp.RegrR2),
    _regression("regr_count", exp.RegrCount, BIGINT, nullable=False),
    _regression("regr_avgx", exp.RegrAvgx),
    _regression("regr_avgy", exp.RegrAvgy),
    _regression("regr_sxx", exp.RegrSxx),
    _regression("regr_syy", exp.RegrSyy),
    _regression("regr_sxy", exp.RegrSxy),
    # -- made by the compiler: a scalar subquery's value (its only row; more than one is an error) --------
    Aggregate("single", lambda a: A.Single(), (ANY,), first_type, written=False),
    # -- refused, with the reason --------------------------------------------------------------------------
    Aggregate("approx_count_distinct", None, nodes={exp.ApproxDistinct: ("this", "accuracy")},
              refused=_APPROXIMATE),
    Aggregate("approx_quantile", None, nodes={exp.ApproxQuantile: ("this", "quantile", "accuracy", "weight")},
              refused=_APPROXIMATE),
    # HISTOGRAM (struct-19): a MAP from value to count, keys ascending (runtime/histogram.py)
    Aggregate("histogram", lambda a: Histogram(make_map), (ANY,), histogram_type, names=("histogram",),
              rule="histogram"),
    # HISTOGRAM(x, bins) (a constant list), HISTOGRAM_EXACT(x, bins): param = (sorted bins, other bin's key)
    # (compiler/histogram_bins.py, runtime/histogram.py)
    Aggregate("histogram_bins", lambda a: BinnedHistogram(make_map, *a.param, False), (ANY, ANY), histogram_type,
              written=False),
    Aggregate("histogram_exact", lambda a: BinnedHistogram(make_map, *a.param, True), (ANY, ANY), histogram_type,
              names=("histogram_exact",), rule="binned_histogram"),
    # -- aggregate states as values (compiler/aggregate_states.py): agg(x) EXPORT_STATE, and the state of a
    # group's states; never NULL (the empty state over no rows)
    Aggregate("export_state", lambda a: runtime_function(a), (ANY,), first_type,
              {ExportState: ("this",)}, nullable=False, rule="export_state"),
    Aggregate("combine_aggr", lambda a: runtime_function(a), (ANY,), first_type,
              names=("combine_aggr",), nullable=False, rule="combine_aggr"),
)

BY_NODE: dict[type, Aggregate] = {node: a for a in AGGREGATES for node in a.nodes}
BY_NAME: dict[str, Aggregate] = {name: a for a in AGGREGATES for name in a.names}
# the entry whose state maintains each aggregate of the plan IR (AggCall.fn)
BY_FN: dict[str, Aggregate] = {a.fn: a for a in AGGREGATES if a.state is not None}

NODE_CLASSES = tuple(BY_NODE)  # the sqlglot classes that are aggregate calls
AGGREGATE_FUNCTION_NAMES = frozenset(BY_NAME)  # the aggregates sqlglot parses as anonymous functions


def is_aggregate(node) -> bool:
    """Whether a sqlglot node is an aggregate call (one the registry knows, maintained or refused)."""
    return isinstance(node, NODE_CLASSES) or (isinstance(node, exp.Anonymous)
                                              and node.name.lower() in AGGREGATE_FUNCTION_NAMES)


def lookup(node) -> Aggregate | None:
    """The entry of an aggregate call node."""
    if isinstance(node, exp.Anonymous):
        return BY_NAME.get(node.name.lower())
    return BY_NODE.get(type(node))


def check_decimal_sum(state, a) -> None:
    """DuckDB's SUM of a DECIMAL(p, s) is a DECIMAL(38, s) that fails when the total does not fit it
    (lower.py asks for it in the dialects that have it, Dialect.decimal_overflow)."""
    from ..sqllib import sqlfuncs as F
    target = state.sum if isinstance(state, A.SumDistinct) else state
    target.check = F.make_decimal_check(a.type.precision, a.type.scale, "SUM")


def runtime_function(a, decimal_overflow: bool = False):
    """The runtime aggregate maintaining the plan's aggregate call ``a`` (a P.AggCall); with
    ``decimal_overflow`` (the dialect's), a DECIMAL SUM fails when its total does not fit its type."""
    f = BY_FN[a.fn].state(a) if a.fn not in ("export_state", "combine_aggr") else \
        AS.state_function(a, AggregateFunction(a.type.agg, decimal_overflow))
    if a.fn == "sum" and a.type.kind == "decimal" and decimal_overflow:
        check_decimal_sum(f, a)
    return f


class AggregateFunction:
    """() -> the runtime aggregate an aggregate state is of (a state value carries it to FINALIZE:
    picklable, so a state crosses between worker processes)."""

    def __init__(self, agg, decimal_overflow: bool):
        self.agg = agg
        self.decimal_overflow = decimal_overflow

    def __call__(self):
        return runtime_function(self.agg, self.decimal_overflow)


def accepted() -> dict[type, tuple[str, ...]]:
    """For constructs.py: each node class of the registry -> the node arguments the binder reads."""
    return {node: reads for a in AGGREGATES for node, reads in a.nodes.items()}


def _check() -> None:
    """Every written aggregate binds to an fn that has a state, and no two maintained entries share one."""
    maintained = [a.fn for a in AGGREGATES if a.state is not None]
    assert len(maintained) == len(set(maintained)), "two states for one fn"
    for a in AGGREGATES:
        assert a.refused or a.fn in BY_FN, f"{a.fn}: no entry maintains it"
        assert not (a.refused and a.state), a.fn


_check()
