"""Named arguments (DuckDB's ``name := value``) of the functions that have them, rewritten to
positions before binding:

    LAG("offset" := 2, col := x)                =  LAG(x, 2)
    LEAD(x, "default" := 0)                     =  LEAD(x, 1, 0)        (the omitted offset: 1)
    PERCENTILE_CONT(quantile := 0.5) WITHIN …   =  PERCENTILE_CONT(0.5) WITHIN …
    QUANTILE_CONT(x, quantile := 0.5)           =  QUANTILE_CONT(x, 0.5)    (and the _DISC forms)

Laws (DuckDB's binder rules): positional arguments come first and fill the parameters in order; a
named argument fills the parameter of its name (names compared without case); a parameter given
twice, or a name the function does not have, is an error.  An optional parameter left out before
one given by name takes its default (LAG/LEAD's offset: 1).  Functions not listed keep their named
arguments, which the binder refuses as before.
"""

from __future__ import annotations

from sqlglot import exp

from .positions import error_at

_SHIFT = (("col", "this", None), ("offset", "offset", exp.Literal.number(1)), ("default", "default", None))


def _parameters(call) -> tuple | None:
    """The call's parameters in order: (name, sqlglot arg key, the default when left out before a
    later one); None for a function whose named arguments are not read here."""
    if isinstance(call, (exp.Lag, exp.Lead)):
        return _SHIFT
    if isinstance(call, (exp.PercentileCont, exp.PercentileDisc)):
        if isinstance(call.parent, exp.WithinGroup):  # PERCENTILE_CONT(q) WITHIN GROUP (ORDER BY x)
            return (("quantile", "this", None),)
        return (("x", "this", None), ("quantile", "expression", None))  # QUANTILE_CONT(x, q)
    return None


def bind_named_arguments(query: exp.Expression, sql: str) -> None:
    """Rewrite every call with named arguments of a function listed above to positions."""
    for node in list(query.find_all(exp.PropertyEQ)):
        params = _parameters(node.parent)
        if params is not None and node.arg_key in {k for _, k, _ in params}:
            _rewrite(node.parent, params, sql)


def _name(call) -> str:
    """The function's name as written (sqlglot reads QUANTILE_CONT(x, q) as a PERCENTILE_CONT node)."""
    if isinstance(call, (exp.PercentileCont, exp.PercentileDisc)) and not isinstance(call.parent, exp.WithinGroup):
        return "QUANTILE_CONT" if isinstance(call, exp.PercentileCont) else "QUANTILE_DISC"
    return call.sql_name()


def _rewrite(call, params, sql: str) -> None:
    given = [(k, call.args.get(k)) for _, k, _ in params if call.args.get(k) is not None]
    if not any(isinstance(v, exp.PropertyEQ) for _, v in given):
        return  # (done already, through another of its arguments)
    values: dict[str, exp.Expression] = {}
    positional = [v for _, v in given if not isinstance(v, exp.PropertyEQ)]
    named = [v for _, v in given if isinstance(v, exp.PropertyEQ)]
    for (_, key, _), v in zip(params, positional):
        values[key] = v
    by_name = {name: key for name, key, _ in params}
    for v in named:
        name = v.this.name.lower()
        if name not in by_name:
            raise error_at(v, f"{_name(call)} has no parameter named {name!r} (it has "
                              f"{', '.join(n for n, _, _ in params)})", sql)
        if by_name[name] in values:
            raise error_at(v, f"{_name(call)}'s parameter {name!r} is given twice", sql)
        values[by_name[name]] = v.expression
    last = max(i for i, (_, key, _) in enumerate(params) if key in values)
    for i, (name, key, default) in enumerate(params):
        if key not in values and i < last:
            if default is None:
                raise error_at(call, f"{_name(call)} needs its parameter {name!r}", sql)
            values[key] = default.copy()
    for _, key, _ in params:
        call.set(key, values.get(key))
