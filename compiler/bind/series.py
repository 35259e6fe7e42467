"""range(…) / generate_series(…) in FROM with constant bounds: a constant relation.

Law: range excludes its stop, generate_series includes it; integer series step by an integer,
temporal ones by an INTERVAL; a zero step, a NULL bound (no rows) and series of more than
MAX_SERIES rows are handled at compile time.
"""

from __future__ import annotations

from sqlglot import exp

from .. import plan as P
from ..bind_expr import ExprBinder
from ..expr import Lit
from ..scope import Rel
from ..types import BIGINT, TIMESTAMP


def _as_timestamp(v):
    import datetime
    return v if isinstance(v, datetime.datetime) else datetime.datetime(v.year, v.month, v.day)


class SeriesBinding:
    """QueryBinder methods for the constructs above (mixed into QueryBinder)."""

    MAX_SERIES = 1_000_000

    def series_plan(self, f: exp.GenerateSeries, item):
        """range(start, stop[, step]) (stop excluded) or generate_series(…) (stop included) with
        constant bounds: a constant relation of BIGINTs, or of TIMESTAMPs stepped by an INTERVAL.
        One argument is the stop, counting from 0; the step defaults to 1."""
        exclusive = bool(f.args.get("is_end_exclusive"))
        name = "range" if exclusive else "generate_series"
        eb = ExprBinder(self, Rel(P.Values(((),), ())))
        bound = {k: eb.bind(f.args[k]) for k in ("start", "end", "step") if f.args.get(k) is not None}
        for k, v in bound.items():
            if not isinstance(v, Lit):
                raise self.error(f.args[k], f"the arguments of {name}() in FROM must be constants")
        start, stop = bound["start"].value, bound["end"].value
        step = bound["step"].value if "step" in bound else 1
        if None in (start, stop, step):
            return P.Values((), (P.Field(name, BIGINT, False),)), [name]
        kinds = {v.type.kind for k, v in bound.items() if k != "step"}
        if kinds <= {"int"} and bound.get("step", Lit(1, BIGINT)).type.kind == "int":
            if step == 0:
                raise self.error(item, f"the step of {name}() cannot be 0")
            end = stop + (0 if exclusive else (1 if step > 0 else -1))
            count = max(0, -(-(end - start) // step)) if step > 0 else max(0, -(-(start - end) // -step))
            if count > self.MAX_SERIES:
                raise self.error(item, f"{name}() of more than {self.MAX_SERIES:,} rows is not supported")
            values = range(start, end, step)
            return P.Values(tuple((v,) for v in values), (P.Field(name, BIGINT, False),)), [name]
        if kinds <= {"date", "timestamp"} and bound.get("step") is not None and bound["step"].type.kind == "interval":
            from ...sqllib.sqlfuncs import add_interval
            iv = step
            if iv.key() == 0:
                raise self.error(item, f"the step of {name}() cannot be an empty interval")
            up = iv.key() > 0
            cur = _as_timestamp(start)
            stop = _as_timestamp(stop)
            rows = []
            while (cur < stop if up else cur > stop) or (not exclusive and cur == stop):
                rows.append((cur,))
                if len(rows) > self.MAX_SERIES:
                    raise self.error(item, f"{name}() of more than {self.MAX_SERIES:,} rows is not supported")
                cur = add_interval(cur, iv, True)
            return P.Values(tuple(rows), (P.Field(name, TIMESTAMP, False),)), [name]
        raise self.error(item, f"{name}() of {', '.join(str(v.type) for v in bound.values())} is not supported")
