"""The JSON-lines change log (``jsonl:PATH``): one file for all the views, a line per changed row,
exactly the lines ``deltasql run --format jsonl`` prints:

    {"step": 3, "view": "revenue", "weight": -1, "row": {"customer": "ada", "n": 2, "total": 15.00}}

A weight of +k adds k copies of the row, -k removes k.  Values: numbers as JSON numbers (DECIMAL
exact, as written: 15.00), NaN and infinities as the strings "nan", "inf", "-inf", BOOLEAN as
true/false, DATE, TIMESTAMP and INTERVAL as strings ('2024-02-29', '2024-02-29 13:45:10.5',
'1 month 2 days 03:00:00'), NULL as null.  The commit record is PATH.deltasql (see ``changelog``);
a reader that must not see a half-written step reads the file up to the length the record gives.
"""

from __future__ import annotations

import json

from ..formats import change_order, json_value
from .changelog import ChangeLog
from .values import check_values


class JsonlSink(ChangeLog):
    kind = "jsonl"

    def __init__(self, target: str, path: str):
        self.path = path
        super().__init__(target, path, path + ".deltasql")

    def _file(self, view) -> str:
        return self.path

    def _lines(self, step: int, view, changes: list) -> str:
        head = f'{{"step": {step}, "view": {json.dumps(view.name, ensure_ascii=False)}, "weight": '
        names = [json.dumps(n, ensure_ascii=False) + ": " for n in view.names]
        lines = []
        for row, w in sorted(changes, key=change_order):
            check_values(row, view)
            body = ", ".join(n + json_value(v) for n, v in zip(names, row))
            lines.append(f'{head}{w}, "row": {{{body}}}}}\n')
        return "".join(lines)
