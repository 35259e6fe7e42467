"""Change messages as streams carry them, read into (op, table, row) changes.

JSON, one change per object (``read_json``):

- deltasql's JSON-lines form ``{"table": "orders", "insert": {...}}`` / ``{"table": ..., "delete": [...]}``,
  and Feldera's ``{"insert": {...}}`` / ``{"delete": {...}}``, which is the same without the table (the
  stream's default table is used); ``{"commit": true}`` ends a transaction;
- the Debezium envelope ``{"op": "c"|"r"|"u"|"d"|"t", "before": ..., "after": ..., "source": {"table": ...}}``,
  bare or inside ``{"schema": ..., "payload": ...}``; with the schema, Debezium's encodings are read back
  (Decimal as base64 bytes with its scale, Date as days, Timestamp/MicroTimestamp/NanoTimestamp as
  milli/micro/nanoseconds since the epoch, Time types left as they are).  An update needs ``before``
  (PostgreSQL's REPLICA IDENTITY FULL upstream).

CSV (``read_csv``): a message is one row to insert, its fields in the table's column order, an empty
field NULL.

Numbers in JSON are read exactly (decimals as Decimal).  Errors are ``ValueError`` with the reason; the
caller adds where the message came from.
"""

from __future__ import annotations

import base64
import csv
import datetime
import decimal
import io
import json

COMMIT = "commit"
TRUNCATE = "truncate"
EPOCH = datetime.datetime(1970, 1, 1)


def loads(text: str | bytes):
    try:
        return json.loads(text, parse_float=decimal.Decimal)
    except json.JSONDecodeError as e:
        raise ValueError(f"not valid JSON: {e.msg} (column {e.colno})") from None


def read_json(obj, default_table: str | None) -> list[tuple]:
    """The changes one JSON object carries: [(op, table, row)], op insert, delete, truncate (row None)
    or commit (table and row None)."""
    if not isinstance(obj, dict):
        raise ValueError("a change must be a JSON object")
    if "payload" in obj and ("schema" in obj or set(obj) == {"payload"}):
        return _debezium(obj["payload"], obj.get("schema"), default_table)
    if "op" in obj and ("after" in obj or "before" in obj):
        return _debezium(obj, None, default_table)
    if "commit" in obj:
        if obj != {"commit": True}:
            raise ValueError('a commit line is {"commit": true}, with no other field')
        return [(COMMIT, None, None)]
    ops = [k for k in ("insert", "delete") if k in obj]
    if len(ops) != 1:
        raise ValueError('each change needs exactly one of "insert", "delete" or "commit"')
    extra = set(obj) - {"table", ops[0]}
    if extra:
        raise ValueError(f"unknown field(s) {', '.join(sorted(extra))}")
    table = obj.get("table", default_table)
    if not isinstance(table, str):
        raise ValueError('the change needs a "table" field naming the table')
    row = obj[ops[0]]
    if not isinstance(row, (dict, list)):
        raise ValueError(f'"{ops[0]}" must be an object (by column) or an array')
    return [(ops[0], table, row)]


def _debezium(p, schema, default_table) -> list[tuple]:
    if p is None:
        return []  # a tombstone after a delete
    if not isinstance(p, dict) or "op" not in p:
        raise ValueError('a Debezium payload needs "op"')
    source = p.get("source") or {}
    table = source.get("table") or default_table
    if not isinstance(table, str):
        raise ValueError("a Debezium change without source.table, and no table given for the stream")
    fields = _schema_fields(schema)
    before = _decode(p.get("before"), fields.get("before"))
    after = _decode(p.get("after"), fields.get("after"))
    op = p["op"]
    if op in ("c", "r"):
        return [("insert", table, _need(after, op))]
    if op == "d":
        return [("delete", table, _need(before, op, "before (set REPLICA IDENTITY FULL upstream)"))]
    if op == "u":
        return [("delete", table, _need(before, op, "before (set REPLICA IDENTITY FULL upstream)")),
                ("insert", table, _need(after, op))]
    if op == "t":
        return [(TRUNCATE, table, None)]
    raise ValueError(f"unknown Debezium op {op!r}")


def _need(row, op, what="after"):
    if not isinstance(row, dict):
        raise ValueError(f"a Debezium {op!r} change without {what}")
    return row


def _schema_fields(schema) -> dict:
    """{"before": {column: field schema}, "after": {...}} from a Debezium envelope's schema."""
    out = {}
    for f in (schema or {}).get("fields", []) if isinstance(schema, dict) else []:
        if f.get("field") in ("before", "after"):
            out[f["field"]] = {c.get("field"): c for c in f.get("fields", [])}
    return out


def _decode(row, fields):
    if not isinstance(row, dict) or not fields:
        return row
    return {k: _value(v, fields.get(k)) for k, v in row.items()}


def _value(v, field):
    if v is None or not field:
        return v
    name = field.get("name")
    if name == "org.apache.kafka.connect.data.Decimal":
        scale = int((field.get("parameters") or {}).get("scale", 0))
        unscaled = int.from_bytes(base64.b64decode(v), "big", signed=True)
        return decimal.Decimal(unscaled).scaleb(-scale)
    if name in ("io.debezium.time.Date", "org.apache.kafka.connect.data.Date"):
        return (EPOCH + datetime.timedelta(days=int(v))).date()
    if name in ("io.debezium.time.Timestamp", "org.apache.kafka.connect.data.Timestamp"):
        return EPOCH + datetime.timedelta(milliseconds=int(v))
    if name == "io.debezium.time.MicroTimestamp":
        return EPOCH + datetime.timedelta(microseconds=int(v))
    if name == "io.debezium.time.NanoTimestamp":
        return EPOCH + datetime.timedelta(microseconds=int(v) // 1000)
    return v


def read_csv(text: str, table: str) -> list[tuple]:
    """A CSV message: rows to insert into ``table``, fields in column order, an empty field NULL."""
    out = []
    for record in csv.reader(io.StringIO(text, newline="")):
        if record:
            out.append(("insert", table, [v if v != "" else None for v in record]))
    return out
