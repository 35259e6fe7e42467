"""The printed forms of changes and answers: aligned tables, JSON lines and CSV, one value format
shared by all three; and the progress bar drawn on stderr."""

from __future__ import annotations

import csv
import datetime
import decimal
import json
import math
import re
import sys
import time
import uuid

from ..sqllib.fardates import FarDate
from ..sqllib.lists import quote_element
from ..sqllib.sqlfuncs import Interval
from ..sqllib.maps import SqlMap, map_text
from ..sqllib.structs import SqlStruct, struct_text
from ..sqllib.binary import blob_text
from ..sqllib.casts import time_text
from ..sqllib.timestamps import timestamptz_text
from .changefiles import Statement, Unit


def fmt_value(v) -> str:
    """A value as text for tables: NULL, true/false, ISO dates, shortest round-trip floats, intervals
    as SQL writes them (1 day 02:00:00)."""
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, datetime.datetime):
        return v.isoformat(sep=" ") if v.tzinfo is None else timestamptz_text(v)
    if isinstance(v, datetime.time):
        return time_text(v)  # as DuckDB prints it: 12:34:56.5
    if isinstance(v, bytes):
        return blob_text(v)  # a BLOB as DuckDB prints it: a\x00b
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, Interval):
        return v.text()  # as DuckDB prints it; str() is the timedelta's, months folded into days
    if isinstance(v, SqlMap):  # a MAP, as DuckDB prints it: {1=a, 2=NULL}
        return map_text(v, fmt_value, fmt_value, bool(v) and quoted_inside(v[0][0]),
                        any(quoted_inside(x) for _, x in v))
    if isinstance(v, SqlStruct):  # a STRUCT, as DuckDB prints it: {'a': 1, 'b': x y} (unnamed: (1, x y))
        return struct_text(v, [fmt_value] * len(v), [quoted_inside(x) for x in v], all(v.names))
    if isinstance(v, tuple):  # a LIST, as DuckDB prints it: [1, NULL, 'a,b', '2020-01-01 12:00:00']
        return "[" + ", ".join(quote_element(fmt_value(x)) if quoted_inside(x) else fmt_value(x) for x in v) + "]"
    return str(v)


def quoted_inside(x) -> bool:
    """Whether DuckDB quotes this value inside a nested value's text where its text needs it: the value
    form of compiler.types.quoted_text (every type but the numbers and BOOLEAN, and NULL)."""
    return isinstance(x, (str, datetime.date, datetime.time, Interval, bytes, uuid.UUID, FarDate))


def printable(text: str) -> str:
    """Text for a terminal: control characters (and the Unicode line separators) as escapes, so data
    can neither forge a line of the output (a step block) nor send a terminal escape sequence."""
    return text.translate(_ESCAPES) if _CONTROL.search(text) else text


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_ESCAPES = {c: ({"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(chr(c)) or f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}")
            for c in [*range(0x20), *range(0x7f, 0xa0), 0x2028, 0x2029]}


def json_value(v) -> str:
    """A value as JSON text; decimals stay exact JSON numbers, dates are ISO strings."""
    if isinstance(v, decimal.Decimal):
        return str(v) if v.is_finite() else json.dumps(str(v))
    if isinstance(v, float) and not math.isfinite(v):
        return json.dumps(repr(v))
    if v is None or isinstance(v, (bool, int, float, str)):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, SqlMap):  # a MAP: a JSON object, its keys as text
        return "{" + ", ".join(f"{json.dumps(k if isinstance(k, str) else fmt_value(k), ensure_ascii=False)}: "
                               f"{json_value(x)}" for k, x in v) + "}"
    if isinstance(v, SqlStruct) and all(v.names):  # a STRUCT: a JSON object
        return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)}: {json_value(x)}" for k, x in v.items()) + "}"
    if isinstance(v, tuple):  # a LIST: a JSON array
        return "[" + ", ".join(json_value(x) for x in v) + "]"
    return json.dumps(fmt_value(v), ensure_ascii=False)


def weight_text(w: int) -> str:
    sign = "+" if w > 0 else "-"
    return sign if abs(w) == 1 else f"{sign}{abs(w)}"


def render_table(header: list[str] | None, rows: list[list], indent: str = "  ") -> str:
    """Aligned columns under an optional header; numeric columns right-aligned."""
    cells = [[printable(fmt_value(v)) for v in r] for r in rows]
    header = [printable(h) for h in header] if header is not None else None
    n = len(header) if header is not None else max((len(r) for r in rows), default=0)
    widths = [max([len(header[i]) if header is not None else 0] + [len(r[i]) for r in cells]) for i in range(n)]
    numeric = [bool(rows) and all(r[i] is None or (isinstance(r[i], (int, float, decimal.Decimal))
                                                   and not isinstance(r[i], bool)) for r in rows)
               for i in range(n)]

    def line(items):
        out = [(s.rjust(w) if numeric[i] else s.ljust(w)) for i, (s, w) in enumerate(zip(items, widths))]
        return (indent + "  ".join(out)).rstrip()

    return "\n".join(([line(header)] if header is not None else []) + [line(r) for r in cells])


def change_order(change):
    """Rows in order of their first column, and for equal first columns (a group's key, mostly) the
    removals before the additions that replace them."""
    row, w = change
    key = tuple((v is None, type(v).__name__, 0 if v is None else v) for v in row)
    return key[:1], w, key


class Printer:
    """Writes each step's view changes in the chosen format."""

    def __init__(self, fmt: str, out, progress: "Progress"):
        self.fmt = fmt
        self.out = out
        self.progress = progress
        self.csv = csv.writer(out, lineterminator="\n") if fmt == "csv" else None
        self.csv_header_done = False

    def step(self, number: int, unit: Unit, changes: dict, views: list[str], columns) -> None:
        if self.fmt == "none":
            return
        shown = [v for v in views if changes.get(v)]
        changes = {v: sorted(changes[v], key=change_order) for v in shown}
        if self.fmt == "table":
            text = [f"== step {number}  {printable(unit.where)}" + ("" if shown else "  (no view changes)")]
            for v in shown:
                text.append(printable(v))
                text.append(render_table(["w"] + columns(v), [[weight_text(w), *row] for row, w in changes[v]]))
            self._write("\n".join(text) + "\n")
        elif self.fmt == "jsonl":
            lines = []
            for v in shown:
                cols = columns(v)
                for row, w in changes[v]:
                    body = ", ".join(f"{json.dumps(c)}: {json_value(x)}" for c, x in zip(cols, row))
                    lines.append(f'{{"step": {number}, "view": {json.dumps(v)}, "weight": {w}, "row": {{{body}}}}}')
            if lines:
                self._write("\n".join(lines) + "\n")
        else:
            self.progress.clear()
            for v in shown:
                if not self.csv_header_done:
                    self.csv.writerow(["step", "view", "weight", *columns(v)])
                    self.csv_header_done = True
                for row, w in changes[v]:
                    self.csv.writerow([number, v, w, *("" if x is None else fmt_value(x) for x in row)])

    def query(self, st: Statement, answer) -> None:
        """An ad-hoc query's rows (not in csv format, which holds one view's changes)."""
        if self.fmt == "table":
            body = render_table(answer.columns, answer.rows) if answer.rows else "  (no rows)"
            self._write(f"== query  {st.where}\n{body}\n")
        elif self.fmt == "jsonl":
            lines = []
            for row in answer.rows:
                body = ", ".join(f"{json.dumps(c)}: {json_value(x)}" for c, x in zip(answer.columns, row))
                lines.append(f'{{"query": {json.dumps(st.where)}, "row": {{{body}}}}}\n')
            self._write("".join(lines))

    def _write(self, text: str) -> None:
        self.progress.clear()
        self.out.write(text)


class Progress:
    """A progress bar on stderr, drawn when stderr is a terminal (or when forced) and there is more
    than one unit of work."""

    def __init__(self, total: int, force: bool = False, stream=None):
        self.stream = stream if stream is not None else sys.stderr
        self.total = total
        self.on = total > 1 and (force or self.stream.isatty())
        self.start = time.monotonic()
        self.last = 0.0
        self.drawn = False

    def update(self, done: int, late: int = 0) -> None:
        """Draw the bar at ``done`` units; ``late``: late rows the watermarks dropped so far."""
        if not self.on:
            return
        now = time.monotonic()
        if now - self.last < 0.1 and done < self.total:
            return
        self.last = now
        filled = 30 * done // self.total
        note = f" {late} late row{'s' if late != 1 else ''} dropped" if late else ""
        self.stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{self.total} "
                          f"{now - self.start:.1f}s{note}\033[K")
        self.stream.flush()
        self.drawn = True

    def clear(self) -> None:
        if self.drawn:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.drawn = False
