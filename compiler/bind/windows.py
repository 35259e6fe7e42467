"""Window functions: OVER (PARTITION BY … ORDER BY … frame) -> P.Window nodes.

Laws: one Window node per distinct (PARTITION BY, ORDER BY); in a correlated SELECT the domain
columns lead the partition key, so each outer row's rows are a partition of their own; the default
frame is RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW; a RANGE offset bounds the single ORDER
BY key by key ± offset, widened so that it cannot overflow.
"""

from __future__ import annotations

from sqlglot import exp

from .. import plan as P
from ..aggregates import is_aggregate
from ..bind_expr import ExprBinder
from ..expr import Lit, is_constant
from ..scope import Rel
from ..types import BIGINT, DOUBLE, TIMESTAMP

_SKIPS_NULLS = (exp.Lag, exp.Lead, exp.FirstValue, exp.LastValue, exp.NthValue)


class WindowBinding:
    """QueryBinder methods for the constructs above (mixed into QueryBinder)."""

    def windows(self, rel: Rel, nodes, prefix: int = 0) -> None:
        """Add one column per window function to rel (one Window node per PARTITION BY / ORDER BY).
        In a correlated SELECT each outer row's rows are a partition of their own (the domain columns
        lead the partition key)."""
        groups: dict = {}
        for w in nodes:
            spec = (tuple(w.args.get("partition_by") or []), w.args.get("order"))
            groups.setdefault(spec, []).append(w)
        for (partition, order), members in groups.items():
            eb = ExprBinder(self, rel)
            part = tuple(rel.col(i) for i in range(prefix)) + tuple(eb.bind(p) for p in partition)
            keys = []
            for o in (order.expressions if order is not None else []):
                e = eb.bind(o.this)
                desc = bool(o.args.get("desc"))
                nf = o.args.get("nulls_first")
                if nf is None:
                    nf = not desc if self.dialect.name == "sqlite" else False
                keys.append(P.SortKey(e, desc, bool(nf)))
            calls = [self.window_call(w, eb, order) for w in members]
            base = rel.width
            rel.plan = P.Window(rel.plan, part, tuple(keys), tuple(calls),
                                tuple(f"$window{base + i}" for i in range(len(calls))))
            for i, w in enumerate(members):
                rel.ast_map[w] = base + i

    def window_call(self, w, eb: ExprBinder, order) -> P.WinCall:
        f = w.this
        frame = self.window_frame(w.args.get("spec"), order, eb)
        # IGNORE NULLS: LAG / LEAD count, and FIRST_VALUE / LAST_VALUE / NTH_VALUE pick among, only the
        # rows whose argument is not NULL (an aggregate reads it itself: agg_call)
        ignore = isinstance(f, exp.IgnoreNulls) and isinstance(f.this, _SKIPS_NULLS)
        if ignore:
            f = f.this
        nulls = "_ignore_nulls" if ignore else ""
        ranking = {exp.RowNumber: "row_number", exp.Rank: "rank", exp.DenseRank: "dense_rank",
                   exp.PercentRank: "percent_rank", exp.CumeDist: "cume_dist"}
        if isinstance(f, (exp.Rank, exp.PercentRank)) and f.expressions:
            return self.framed_rank(f, w, eb, order, frame)
        if type(f) in ranking:
            fn = ranking[type(f)]
            t = DOUBLE if fn in ("percent_rank", "cume_dist") else BIGINT
            return P.WinCall(fn, (), t, False)
        if isinstance(f, exp.Ntile):
            if f.this is None:
                raise self.error(f, "NTILE needs the number of buckets")
            n = self.constant_int(f.this, "NTILE")
            if n < 1:
                raise self.error(f, "NTILE needs a positive number of buckets")
            return P.WinCall("ntile", (), BIGINT, False, None, n)
        if isinstance(f, (exp.Lag, exp.Lead)):
            x = eb.bind(f.this)
            # a negative offset looks the other way (DuckDB: LAG(x, -1) is LEAD(x, 1))
            offset = self.constant_int(f.args["offset"], "the LAG/LEAD offset", signed=True) \
                if f.args.get("offset") else 1
            default = eb.bind(f.args["default"]) if f.args.get("default") is not None else Lit(None, x.type)
            (x, default), t = eb.unify([x, default], f, "LAG/LEAD")
            shift = offset if isinstance(f, exp.Lag) else -offset
            return P.WinCall("lag" + nulls, (x, default), t, True, None, shift)
        if isinstance(f, (exp.FirstValue, exp.LastValue, exp.NthValue)):
            x = eb.bind(f.this)
            which = {exp.FirstValue: "first", exp.LastValue: "last", exp.NthValue: "nth"}[type(f)]
            nth = self.nth_position(f, eb) if which == "nth" else 1
            return P.WinCall("frame_value" + nulls, (x,), x.type, True, frame, (which, nth))
        if isinstance(f, exp.Anonymous) and f.name.lower() == "fill":
            return self.fill_call(f, eb, order)
        inner = f.this if isinstance(f, exp.Filter) else f
        inner = inner.this if isinstance(inner, exp.IgnoreNulls) else inner
        if is_aggregate(inner):
            agg = self.agg_call(f, eb)
            return P.WinCall("agg", (), agg.type, agg.nullable, frame, agg)
        raise self.error(f, f"unsupported window function {f.sql(dialect=self.dialect.name)}")

    def framed_rank(self, f, w, eb: ExprBinder, order, frame) -> P.WinCall:
        """RANK(ORDER BY k) / PERCENT_RANK(ORDER BY k) OVER (… ORDER BY o [frame]), DuckDB's form: each
        row's frame (by o) ordered by k; RANK is 1 + the frame's rows whose k sorts before the row's,
        PERCENT_RANK (RANK - 1) / (the frame's rows - 1), 0 for a frame of one row.  Only frames that
        hold the row itself (DuckDB's answer otherwise is not defined here): refused if not."""
        what = "RANK" if isinstance(f, exp.Rank) else "PERCENT_RANK"
        if order is None:
            raise self.error(f, f"ORDER BY inside {what}() OVER a window without ORDER BY is not supported")
        arg = f.expressions[0]
        if not isinstance(arg, exp.Order) or len(f.expressions) != 1:
            raise self.error(f, f"{what} takes no arguments but an ORDER BY")
        shape = frame[2] if frame is not None and frame[0] == "exclude" else frame
        if (frame is not None and frame[0] == "exclude") or (shape is not None and (
                shape[1][0] not in ("unbounded", "preceding", "current") or
                shape[2][0] not in ("current", "following", "unbounded_following") or
                "value" in (shape[1][0], shape[2][0]))):
            raise self.error(w, f"ORDER BY inside {what}() with a frame that may leave out the current row "
                                f"is not supported")
        keys = []
        for o in arg.expressions:
            desc = bool(o.args.get("desc"))
            nf = o.args.get("nulls_first")
            keys.append(P.SortKey(eb.bind(o.this), desc, bool(nf) if nf is not None else False))
        fn = "framed_rank" if what == "RANK" else "framed_percent_rank"
        return P.WinCall(fn, (), BIGINT if what == "RANK" else DOUBLE, False, frame, tuple(keys))

    def nth_position(self, f, eb: ExprBinder):
        """NTH_VALUE's position: a positive constant, or an integer expression of the row (BIGINT;
        each row's NULL or k below 1 gives NULL, as DuckDB does)."""
        value = f.args["offset"]
        k = eb.bind(value)
        if is_constant(k):
            nth = self.constant_int(value, "NTH_VALUE")
            if nth < 1:
                raise self.error(f, "NTH_VALUE needs a positive position")
            return nth
        if k.type.kind not in ("int", "null"):
            raise self.error(value, f"NTH_VALUE's position must be an integer, not {k.type}")
        return eb.coerce(k, BIGINT, value)

    def fill_call(self, f, eb: ExprBinder, order) -> P.WinCall:
        """FILL(x [ORDER BY k]) OVER (…): x's NULLs interpolated along k, or along the window's ORDER BY
        when the call has none (exactly one key either way: DuckDB's rule).  x and k are numbers of at
        most 64 bits, FLOATs, DOUBLEs, DECIMALs of up to 18 digits, DATEs or TIMESTAMPs."""
        if len(f.expressions) != 1:
            raise self.error(f, "FILL takes one argument")
        arg = f.expressions[0]
        keys = order.expressions if order is not None else []
        if isinstance(arg, exp.Order):
            keys, arg = arg.expressions, arg.this
        if len(keys) != 1:
            raise self.error(f, "FILL functions must have only one ORDER BY expression")
        o = keys[0]
        x, k = eb.bind(arg), eb.bind(o.this)
        value_kind = _fill_kind(x.type, False)
        if value_kind is None:
            raise self.error(f, f"FILL of {x.type} is not supported" if x.type.numeric or
                             x.type.kind in ("date", "timestamp") else "FILL argument must support subtraction")
        key_kind = _fill_kind(k.type, True)
        if key_kind is None:
            raise self.error(f, f"FILL ordered by {k.type} is not supported" if k.type.numeric or
                             k.type.kind in ("date", "timestamp") else "FILL ordering must support subtraction")
        desc = bool(o.args.get("desc"))
        nf = o.args.get("nulls_first")
        sort_key = P.SortKey(k, desc, bool(nf) if nf is not None else False)
        bits = {"date": 32, "timestamp": 64, "double": 64, "float": 32}.get(value_kind) or x.type.bits or \
            (16 if x.type.precision <= 4 else 32 if x.type.precision <= 9 else 64)  # a DECIMAL's integer
        return P.WinCall("fill", (x, k), x.type, True, None, (sort_key, value_kind, key_kind, bits))

    def window_frame(self, spec, order, eb: ExprBinder):
        """The frame of an OVER (…) as runtime/windows.py describes it."""
        if spec is None:
            return None  # the default: RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        mode = (spec.args.get("kind") or "").lower()
        if mode not in ("rows", "range", "groups"):
            raise self.error(spec, f"{mode.upper() or 'this'} window frames are not supported")

        def bound(value, side):
            if value is None:
                return ("current", None)
            text = value if isinstance(value, str) else None
            side = (side or "").lower()
            if text is not None and text.upper() == "UNBOUNDED":
                return ("unbounded", None) if side == "preceding" else ("unbounded_following", None)
            if text is not None and text.upper() == "CURRENT ROW":
                return ("current", None)
            if mode == "range":
                return ("value", self.range_limit(value, side, order, eb))
            # ROWS and GROUPS: a count of rows or of peer groups
            offset = eb.bind(value)
            if is_constant(offset):
                n = self.constant_int(value, "a window frame offset")
            else:  # read from each row: cast to BIGINT as DuckDB casts it, checked as the frame is built
                if not offset.type.numeric:
                    raise self.error(value, f"a window frame offset must be a number, not {offset.type}")
                n = eb.coerce(offset, BIGINT, value)
            return ("preceding", n) if side == "preceding" else ("following", n)

        start = bound(spec.args.get("start"), spec.args.get("start_side"))
        end = bound(spec.args.get("end"), spec.args.get("end_side")) if spec.args.get("end") is not None \
            else ("current", None)
        self.check_frame_order(spec, start, end, spec.args.get("start_side"), spec.args.get("end_side"))
        frame = (mode, start, end)
        if "value" in (start[0], end[0]):
            o = order.expressions[0]
            key = eb.bind(o.this)
            if key.type.kind == "date":  # compared with its limits, which are timestamps
                key = eb.coerce(key, TIMESTAMP, o.this)
            frame = (mode, start, end, key, bool(o.args.get("desc")))
        exclude = " ".join(str(spec.args.get("exclude") or "").lower().split())
        if exclude in ("current row", "group", "ties"):  # runtime/windows.py excluded_rows
            return ("exclude", exclude, frame)
        if exclude not in ("", "no others"):
            raise self.error(spec, f"EXCLUDE {exclude.upper()} in a window frame is not supported")
        return frame

    def check_frame_order(self, spec, start, end, start_side, end_side) -> None:
        """DuckDB's rules on the bounds' kinds (whatever the offsets): a frame cannot start at
        UNBOUNDED FOLLOWING nor end at UNBOUNDED PRECEDING, and a frame starting at the current row
        or after it cannot end before it."""
        if start[0] == "unbounded_following":
            raise self.error(spec, "a window frame cannot start at UNBOUNDED FOLLOWING")
        if end[0] == "unbounded":
            raise self.error(spec, "a window frame cannot end at UNBOUNDED PRECEDING")
        ends_before = end[0] == "preceding" or (end[0] == "value" and (end_side or "").lower() == "preceding")
        starts_after = start[0] == "following" or (start[0] == "value" and (start_side or "").lower() == "following")
        if ends_before and (start[0] == "current" or starts_after):
            where = "the current row" if start[0] == "current" else "a following row"
            raise self.error(spec, f"a window frame starting from {where} cannot end at a preceding row")
        if starts_after and end[0] == "current":
            raise self.error(spec, "a window frame starting from a following row cannot end at the current row")

    def range_limit(self, value, side: str, order, eb: ExprBinder):
        """The expression a RANGE offset bound stops at: the ORDER BY key minus the offset for
        PRECEDING (plus for FOLLOWING), the other way round for a descending key."""
        if order is None or len(order.expressions) != 1:
            raise self.error(value, "a RANGE frame with an offset needs exactly one ORDER BY expression")
        o = order.expressions[0]
        offset = eb.bind(value)
        if not isinstance(offset, Lit):
            raise self.error(value, "a RANGE frame offset must be a constant")
        if offset.value is None or (offset.type.numeric and offset.value < 0) or \
                (offset.type.kind == "interval" and offset.value.key() < 0):
            raise self.error(value, "a RANGE frame offset must not be NULL or negative")
        key = eb.bind(o.this)
        key_ast, value_ast = o.this.copy(), value.copy()
        if key.type.numeric and offset.type.numeric:
            if key.type.kind == "int":  # widened, so that key ± offset cannot overflow
                key_ast = exp.cast(key_ast, "HUGEINT")
        elif key.type.kind in ("date", "timestamp") and offset.type.kind in ("interval", "int"):
            # a DATE key moves as a TIMESTAMP, by days when the offset is a number
            key_ast = exp.cast(key_ast, "TIMESTAMP")
            if offset.type.kind == "int":
                value_ast = exp.Interval(this=exp.Literal.string(str(offset.value)), unit=exp.var("DAY"))
        else:
            raise self.error(value, f"a RANGE offset of type {offset.type} cannot bound an ORDER BY of type "
                                    f"{key.type}")
        down = (side == "preceding") != bool(o.args.get("desc"))
        return eb.bind((exp.Sub if down else exp.Add)(this=key_ast, expression=value_ast))


def _fill_kind(t, key: bool) -> str | None:
    """How FILL computes with a value or key of type t (sqllib/fill.py), None if it cannot."""
    if t.kind == "int" and t.bits <= 64:
        return "int"
    if t.kind == "float":
        return "double" if t.bits == 0 or key else "float"
    if t.kind == "decimal" and (key or t.precision <= 18):  # (a wider one interpolates in 128 bits)
        return f"decimal:{t.scale}"
    if t.kind in ("date", "timestamp"):
        return t.kind
    return None
