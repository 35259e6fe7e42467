"""The CSV change log (``csv:DIR``): a file per view, DIR/VIEW.csv, a record per changed row:

    step,weight,customer,n,total
    3,-1,ada,2,15.00

The first two columns are the step and the weight (+k adds k copies of the row, -k removes k); they
are named step and weight, with an underscore in front while the view has a column of that name.
NULL is an empty field and an empty string is ``""`` (PostgreSQL's COPY … CSV convention; DuckDB
reads it so with ``allow_quoted_nulls=false``); a field holding a comma, a quote or a line break is
quoted.  Values: DECIMAL exact in plain notation, DOUBLE shortest round-trip (nan, inf, -inf),
BOOLEAN true/false, DATE, TIMESTAMP and INTERVAL as in ``jsonl``.  The commit record is
DIR/.deltasql (see ``changelog``).
"""

from __future__ import annotations

import decimal
import glob
import os

from ..formats import change_order, fmt_value
from .changelog import ChangeLog, bookkeeping_names, safe_file_name
from .values import check_values

_SPECIAL = (",", '"', "\n", "\r")


def field(v) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        if v == "" or any(ch in v for ch in _SPECIAL) or v != v.strip():
            return '"' + v.replace('"', '""') + '"'
        return v
    if isinstance(v, decimal.Decimal):
        return format(v, "f")
    text = fmt_value(v)  # (a list, struct or map's text holds commas and quotes: quoted as a string is)
    return '"' + text.replace('"', '""') + '"' if any(ch in text for ch in _SPECIAL) else text


class CsvSink(ChangeLog):
    kind = "csv"

    def __init__(self, target: str, directory: str):
        self.directory = directory
        super().__init__(target, directory, os.path.join(directory, ".deltasql"))

    def _create(self) -> None:
        os.makedirs(self.directory, exist_ok=True)

    def _file(self, view) -> str:
        return os.path.join(self.directory, safe_file_name(view) + ".csv")

    def _header(self, view) -> str:
        return ",".join(field(n) for n in (*bookkeeping_names(view), *view.names)) + "\n"

    def _lines(self, step: int, view, changes: list) -> str:
        lines = []
        for row, w in sorted(changes, key=change_order):
            check_values(row, view)
            lines.append(f"{step},{w}," + ",".join(field(v) for v in row) + "\n")
        return "".join(lines)

    def _leftovers(self) -> list[str]:
        return glob.glob(os.path.join(self.directory, "*.csv"))
