"""Dates and times: EXTRACT / DATE_PART and the part functions (YEAR(), …), DATE_TRUNC, DATE_DIFF,
DATE_ADD, time_bucket, STRFTIME / STRPTIME, MAKE_DATE / MAKE_TIMESTAMP, TO_TIMESTAMP, LAST_DAY,
and NOW() / CURRENT_TIMESTAMP / CURRENT_DATE.

Laws: NULL in, NULL out; a part or unit must be a constant (a unit in a column is refused); a string
constant where a TIMESTAMP is expected is cast at compile time; NOW() reads the pipeline's clock and
is allowed only in a temporal filter (compiler/temporal.py), everywhere else it is not deterministic.
"""

from __future__ import annotations

import re

from sqlglot import exp

from ...sqllib import sqlfuncs as F
from .. import functions as FN
from .. import structs, temporal
from ..duckdb_binding import constant_format
from ..expr import Call, Case, Lit
from ..frontend import token_span
from ..types import BIGINT, BOOLEAN, DATE, DOUBLE, INTERVAL, TEXT, TIMESTAMP
from .builders import call

# DuckDB's functions named after a date part (those sqlglot has no class for)
_PART_FUNCTIONS = {"weekday": "dow", "yearweek": "yearweek", "millisecond": "millisecond",
                   "microsecond": "microsecond", "isoyear": "isoyear", "era": "era", "century": "century",
                   "decade": "decade", "millennium": "millennium", "julian": "julian", "dayofmonth": "day",
                   "weekofyear": "week", "timezone": "timezone", "timezone_hour": "timezone_hour",
                   "timezone_minute": "timezone_minute", "epoch_us": "epoch_us", "epoch_ns": "epoch_ns",
                   "nanosecond": "nanosecond"}


class DateRules:
    """ExprBinder methods for the constructs above (mixed into ExprBinder)."""

    def _Extract(self, node):
        return self.date_part(node, node.this.name if node.this is not None else "", node.expression, "EXTRACT")

    def date_part(self, node, name, value_node, what):
        """EXTRACT / DATE_PART / YEAR() and the like: a part of a DATE, TIMESTAMP or INTERVAL."""
        d = self.bind(value_node)
        if d.type.kind == "text" and isinstance(d, Lit):
            d = self.coerce(d, TIMESTAMP, node)
        return self.date_part_of(node, name, d, what)

    def date_part_of(self, node, name, d, what, in_list=False):
        """The part ``name`` of the bound value d (a DATE, TIMESTAMP, TIME or INTERVAL).  A DATE's time
        zone parts are 0 in a list of parts and an error alone (for a finite date: DuckDB's)."""
        field = F.EXTRACT_ALIASES.get(name.lower())
        if field is None and name in F.FUNCTION_PARTS and what.lower() == name:  # EPOCH_MS(d) …, no DATE_PART name
            field = name
        if field is None:
            raise self.error(node, f"unsupported {what} field {name.lower()!r}")
        if field.startswith("timezone") and d.type.kind == "date" and not in_list:
            return Call("extract", (d,), BIGINT, True, "date_timezone")
        if d.type.kind not in ("date", "timestamp", "interval", "time", "null"):
            raise self.error(node, f"{what} needs a DATE, TIMESTAMP, TIME or INTERVAL, not {d.type}")
        if d.type.kind == "interval" and field not in F.INTERVAL_FIELDS:
            raise self.error(node, f"{what}: the {field} of an INTERVAL is not supported")
        if d.type.kind == "time" and field not in F.TIME_FIELDS | F.FUNCTION_PARTS:
            raise self.error(node, f"{what}: a TIME has no {field} (DuckDB: units not recognized)")
        # (NULL for an infinite DATE or TIMESTAMP, as DuckDB answers)
        return Call("extract", (d,), DOUBLE if field in F.DOUBLE_FIELDS else BIGINT,
                    d.nullable or d.type.kind != "interval", field)

    def date_part_named(self, node, part_node, value_node):
        """DATE_PART(part, d) with the part a value (a column, NULL): a DOUBLE, the part named per row
        (a constant list of parts, DuckDB's STRUCT of parts, is refused)."""
        part = self.bind(part_node)
        if part.type.kind == "list":
            return self.date_parts(node, part, value_node)
        part = self.text_arg(node, part, "DATE_PART")
        d = self.bind(value_node)
        if d.type.kind == "text" and isinstance(d, Lit):
            d = self.coerce(d, TIMESTAMP, node)
        if d.type.kind not in ("date", "timestamp", "interval", "time", "null"):
            raise self.error(node, f"DATE_PART needs a DATE, TIMESTAMP, TIME or INTERVAL, not {d.type}")
        return FN.call("date_part_named", [part, d])

    def date_parts(self, node, parts, value_node):
        """DATE_PART(['year', 'month'], d): DuckDB's STRUCT of the parts, each field named as written and
        typed as its EXTRACT; NULL when d is NULL (an infinite d: every field NULL).  The list must be a
        constant of distinct part names."""
        if not isinstance(parts, Lit) or parts.value is None:
            raise self.error(node, "DATE_PART's list of parts must be a constant list of part names")
        names = list(parts.value)
        if not names:
            raise self.error(node, "DATE_PART needs a non-empty list of part names")
        if any(not isinstance(n, str) for n in names):
            raise self.error(node, "DATE_PART's list of parts must hold part names (no NULL)")
        if len({n.lower() for n in names}) != len(names):
            raise self.error(node, "DATE_PART: a part is named twice in its list (a duplicate STRUCT field)")
        d = self.bind(value_node)
        if d.type.kind == "text" and isinstance(d, Lit):
            d = self.coerce(d, TIMESTAMP, node)
        fields = [self.date_part_of(node, n, d, "DATE_PART", in_list=True) for n in names]
        s = structs.build(names, fields)
        if not d.nullable:
            return s
        return Case(((Call("is_null", (d,), BOOLEAN, False), Lit(None, s.type)),), s, s.type, True)

    def _date_trunc(self, node, unit_node, value_node):
        if self.unit_is_a_column(node):
            raise self.error(node, "DATE_TRUNC with the unit in a column is not supported (the unit must be a "
                                   "constant such as 'month')")
        unit = unit_node.name.lower() if unit_node is not None else ""
        unit = unit.rstrip("s") if unit.endswith("s") and unit[:-1] in F.TRUNC_UNITS else unit
        if unit not in F.TRUNC_UNITS:
            raise self.error(node, f"unsupported DATE_TRUNC unit {unit!r}")
        d = self.bind(value_node)
        if d.type.kind == "text" and isinstance(d, Lit):
            d = self.coerce(d, TIMESTAMP, node)
        if d.type.kind not in ("date", "timestamp", "null"):
            raise self.error(node, f"DATE_TRUNC needs a DATE or TIMESTAMP, not {d.type}")
        return Call("date_trunc", (d,), TIMESTAMP, d.nullable, unit)

    def unit_is_a_column(self, node) -> bool:
        """Whether DATE_TRUNC(u, x) names its unit u without quotes (a column): sqlglot reads both u
        and 'u' as the same unit word, so the source text between '(' and x tells them apart."""
        sql = self.qb.sql or ""
        span = token_span(node.this) if node.this is not None else None
        if span is None:
            return False
        before = sql[:span[0]]
        opened = before.rfind("(")
        if opened < 0:
            return False
        text = before[opened + 1:].strip()
        return bool(re.match(r'^[A-Za-z_"][^,]*,$', text)) and not text.startswith("'")

    def _TimestampTrunc(self, node):
        return self._date_trunc(node, node.args.get("unit"), node.this)

    def _DateTrunc(self, node):
        return self._date_trunc(node, node.args.get("unit"), node.this)

    def _DateDiff(self, node):
        unit = (node.args.get("unit").name.lower() if node.args.get("unit") is not None else "day").rstrip("s")
        if unit not in ("year", "quarter", "month", "week", "day", "hour", "minute", "second", "millisecond",
                        "microsecond"):
            raise self.error(node, f"unsupported DATE_DIFF unit {unit!r}")
        end, start = self.bind(node.this), self.bind(node.expression)
        # DuckDB's date_diff(unit, start, end); sqlglot puts end in `this`
        (start, end), _t = self.unify([start, end], node, "DATE_DIFF")
        if _t.kind == "time" and unit not in ("hour", "minute", "second", "millisecond", "microsecond"):
            raise self.error(node, f"DATE_DIFF: a TIME has no {unit} (DuckDB: units not recognized)")
        for x in (start, end):
            if x.type.kind == "text":
                raise self.error(node, "DATE_DIFF needs DATE or TIMESTAMP arguments")
        return FN.call("date_diff", [Lit(unit, TEXT), start, end])

    def _DateAdd(self, node):
        d = self.bind(node.this)
        n = self.bind(node.expression)
        unit = node.args.get("unit")
        unit = unit.name.lower() if unit is not None else "day"
        if n.type.kind == "interval":
            iv = n
        elif isinstance(n, Lit):
            iv = Lit(F.make_interval(n.value, unit), INTERVAL)
        else:
            iv = call("make_interval", [n], INTERVAL, unit)
        return call("add_interval", [self.coerce(d, TIMESTAMP, node) if d.type.kind == "text" else d, iv], TIMESTAMP)

    def _DateBin(self, node):
        """time_bucket(width, ts [, origin | offset]): the start of ts's bucket (sqllib/timebucket.py)."""
        width = self.bind(node.this)
        if width.type.kind != "interval":
            raise self.error(node, f"time_bucket needs an INTERVAL width, not {width.type}")
        value = self.bind(node.expression)
        if value.type.kind == "text" and isinstance(value, Lit):
            value = self.coerce(value, TIMESTAMP, node)
        value = self.temporal_arg(node, value, "time_bucket")
        args = [width, value]
        third = node.args.get("unit")
        mode = None
        if third is not None:
            extra = self.bind(third)
            if extra.type.kind == "text" and isinstance(extra, Lit):
                extra = self.coerce(extra, TIMESTAMP, node)
            if extra.type.kind == "interval":
                mode = "offset"
            else:
                extra = self.temporal_arg(node, extra, "time_bucket's origin")
                mode = "origin"
            args.append(extra)
        t = DATE if value.type.kind == "date" else TIMESTAMP
        return call("time_bucket", args, t, mode)

    allow_now = False  # a WHERE conjunct may read the pipeline's clock (compiler/temporal.py)

    def now(self, node):
        """NOW() / CURRENT_TIMESTAMP: the pipeline's clock, in a temporal filter only (before the
        registry's entry, which refuses them as not deterministic)."""
        if not self.allow_now:
            what = {exp.CurrentDate: "CURRENT_DATE", exp.CurrentTimestamp: "CURRENT_TIMESTAMP"}.get(type(node), "NOW()")
            raise self.error(node, temporal.MISPLACED.replace("NOW()", what, 1))
        return temporal.now_call()

    def _CurrentTimestamp(self, node):
        return self.now(node)

    def _CurrentDate(self, node):
        now = self.now(node)
        return Call("cast", (now,), DATE, False, DATE)

    def _TimeToStr(self, node):
        # (copies: a new node adopts the children it is given, and the tree must stay as it was
        # parsed: windows and aggregates are found in it by their place, and a sharded pipeline's
        # workers bind it again)
        args = [a.copy() for a in (node.this, node.args.get("format")) if a is not None]
        return self._Anonymous(exp.Anonymous(this="strftime", expressions=args))

    def _LastDay(self, node):
        if node.args.get("unit") is not None:
            raise self.error(node, "LAST_DAY with a unit is not supported")
        return self.function(FN.BY_FN["last_day"], node, [node.this])

    def _DateFromParts(self, node):
        self.not_sqlite(node, "MAKE_DATE")
        parts = [node.args.get(k) for k in ("year", "month", "day")]
        if any(p is None for p in parts) or any(node.args.get(k) is not None for k in node.args
                                                if k not in ("year", "month", "day")):
            raise self.error(node, "MAKE_DATE takes a year, a month and a day")
        return self.function(FN.BY_FN["make_date"], node, parts)

    def _StrToTime(self, node):
        """STRPTIME(text, format) (DuckDB: a TIMESTAMP); Postgres's TO_TIMESTAMP(text, format) (a
        TIMESTAMPTZ), whose format sqlglot has already turned into %-codes."""
        self.not_sqlite(node, "STRPTIME")
        text = self.to_text(self.bind(node.this), node)
        fmt = self.to_text(self.bind(node.args["format"]), node)
        constant_format(self, node, fmt, "STRPTIME")
        if self.dialect.name == "postgres":
            return FN.call("strptime_tz", [text, fmt])
        return FN.call("strptime", [text, fmt])

    def _UnixToTime(self, node):
        """TO_TIMESTAMP(seconds since the epoch): a TIMESTAMPTZ."""
        self.not_sqlite(node, "TO_TIMESTAMP")
        scale = node.args.get("scale")
        if isinstance(scale, exp.Literal) and scale.name == "3" and len([k for k in node.args if node.args[k]]) == 2:
            arg = self.bind(node.this)  # DuckDB's EPOCH_MS(d) of a DATE, TIMESTAMP or TIME (of a number: not built)
            if arg.type.kind in ("date", "timestamp", "timestamptz", "time"):
                return self.date_part_of(node, "epoch_ms", arg, "epoch_ms")
        if isinstance(scale, exp.Literal) and scale.name == "6" and len([k for k in node.args if node.args[k]]) == 2:
            n = self.numeric_arg(node, self.bind(node.this))  # MAKE_TIMESTAMP(microseconds since 1970)
            return FN.call("make_timestamp", [n])
        if any(node.args.get(k) is not None for k in node.args if k != "this"):
            raise self.error(node, "TO_TIMESTAMP takes one number (seconds since 1970-01-01)")
        n = self.numeric_arg(node, self.bind(node.this))
        return FN.call("to_timestamp", [n])

    def _TimestampFromParts(self, node):
        """MAKE_TIMESTAMP(year, month, day, hour, minute, seconds) or (microseconds since 1970)."""
        self.not_sqlite(node, "MAKE_TIMESTAMP")
        names = [k for k in ("year", "month", "day", "hour", "min", "sec") if node.args.get(k) is not None]
        if set(node.args) - {"year", "month", "day", "hour", "min", "sec"} and any(
                node.args.get(k) is not None for k in set(node.args) - {"year", "month", "day", "hour", "min", "sec"}):
            raise self.error(node, "MAKE_TIMESTAMP takes a year, month, day, hour, minute and seconds")
        if names not in (["year"], ["year", "month", "day", "hour", "min", "sec"]):
            raise self.error(node, "MAKE_TIMESTAMP takes six parts (or microseconds since 1970)")
        args = [self.numeric_arg(node, self.bind(node.args[k])) for k in names]
        return FN.call("make_timestamp", args)

    def _TimeToUnix(self, node):
        self.not_sqlite(node, "EPOCH")
        return self.date_part(node, "epoch", node.this, "EPOCH")

    def part_function(self, node, part, what, value_node=None):
        self.not_sqlite(node, what)
        return self.date_part(node, part, node.this if value_node is None else value_node, what)

    def _Year(self, node):
        return self.part_function(node, "year", "YEAR")

    def _Month(self, node):
        return self.part_function(node, "month", "MONTH")

    def _Day(self, node):
        return self.part_function(node, "day", "DAY")

    _DayOfMonth = _Day

    def _Hour(self, node):
        return self.part_function(node, "hour", "HOUR")

    def _Minute(self, node):
        return self.part_function(node, "minute", "MINUTE")

    def _Second(self, node):
        return self.part_function(node, "second", "SECOND")

    def _Quarter(self, node):
        return self.part_function(node, "quarter", "QUARTER")

    def _Week(self, node):
        if node.args.get("mode") is not None:
            raise self.error(node, "WEEK with a mode is not supported")
        return self.part_function(node, "week", "WEEK")

    _WeekOfYear = _Week

    def _DayOfWeek(self, node):
        return self.part_function(node, "dow", "DAYOFWEEK")

    def _DayOfWeekIso(self, node):
        return self.part_function(node, "isodow", "ISODOW")

    def _DayOfYear(self, node):
        return self.part_function(node, "doy", "DAYOFYEAR")
