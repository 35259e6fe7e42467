"""Which sqlglot nodes are aggregate calls: the node classes sqlglot parses aggregates into, and the
aggregates it leaves as anonymous functions. Read by the structural check (constructs.py) and by the
binders, so it sits below both."""

from __future__ import annotations

from sqlglot import exp

AGGREGATES = (exp.Count, exp.Sum, exp.Avg, exp.Min, exp.Max, exp.LogicalAnd, exp.LogicalOr,
              exp.GroupConcat, exp.AnyValue, exp.Stddev, exp.StddevSamp, exp.StddevPop, exp.Variance,
              exp.VariancePop, exp.Median, exp.ArgMax, exp.ArgMin, exp.PercentileCont, exp.PercentileDisc,
              exp.Quantile, exp.BitwiseAndAgg, exp.BitwiseOrAgg, exp.BitwiseXorAgg, exp.CountIf, exp.Corr,
              exp.CovarPop, exp.CovarSamp, exp.RegrSlope, exp.RegrIntercept, exp.RegrR2, exp.RegrCount,
              exp.RegrAvgx, exp.RegrAvgy, exp.RegrSxx, exp.RegrSyy, exp.RegrSxy, exp.Skewness, exp.Kurtosis,
              exp.ApproxDistinct, exp.ApproxQuantile, exp.First, exp.Last, exp.Mode, exp.ArrayAgg)
# aggregates sqlglot parses as anonymous functions
AGGREGATE_FUNCTION_NAMES = frozenset({"total", "product", "fsum", "favg", "sumkahan", "kahan_sum", "entropy",
                                      "kurtosis_pop", "histogram"})


def is_aggregate(node) -> bool:
    return isinstance(node, AGGREGATES) or (isinstance(node, exp.Anonymous)
                                           and node.name.lower() in AGGREGATE_FUNCTION_NAMES)
