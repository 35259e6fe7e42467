"""How rows travel between the coordinator and workers: pickle protocol 5 of plain tuples, a batch
per destination per exchange (never a message per row); a step's input rows as lists (``split``).

Law: ``loads(dumps(x)) == x`` with every NaN made the one NaN object (sqllib NAN).  Rows meet in
dicts, where NaN equals only itself, so a NaN unpickled as a fresh float object would split a group;
the batch is searched for NaN's bytes first (pickle writes a float as 8 big-endian bytes), and only a
batch that may hold one is walked.
"""

from __future__ import annotations

import datetime
import decimal
import io
import pickle
import struct
import uuid
from collections import Counter

from ...sqllib.sqlfuncs import NAN

PROTOCOL = 5
_NAN_BYTES = struct.pack(">d", NAN)


def dumps(obj) -> bytes:
    return pickle.dumps(obj, protocol=PROTOCOL)


def loads(data: bytes):
    obj = pickle.loads(data)
    if _NAN_BYTES in data:
        obj = canonical(obj)
    return obj


# the values a row may hold whose pickling keeps their type and value (besides None, bool, int, float,
# str, bytes and the containers, which pickle handles itself); the classes themselves, pickled by name
_KEEPS = frozenset({datetime.date, datetime.datetime, datetime.time, datetime.timedelta, datetime.timezone,
                    decimal.Decimal, uuid.UUID, uuid.SafeUUID})


class _Plain(pickle.Pickler):
    """A pickler that notes any object of another type (an int subclass, an object whose pickling
    makes something else): the C pickler calls ``reducer_override`` only for objects that are not of
    the exact built-in types, so rows of plain values pay nothing for the test."""

    plain = True

    def reducer_override(self, obj):
        t = type(obj)
        if t not in _KEEPS and not (t is type and obj in _KEEPS):
            self.plain = False
        return NotImplemented


def dumps_plain(obj) -> bytes | None:
    """``dumps(obj)``, or None if ``obj`` holds an object that is not a plain value (see _KEEPS):
    what a worker unpickles is then of the same types and values as ``obj``, so a type check of the
    copy is a type check of the original (engine/shards/staging.py)."""
    buf = io.BytesIO()
    pickler = _Plain(buf, protocol=PROTOCOL)
    try:
        pickler.dump(obj)
    except Exception:  # noqa: BLE001 - a value that cannot travel: not plain
        return None
    return buf.getvalue() if pickler.plain else None


def canonical(obj):
    """``obj`` with every float NaN in it (in tuples, lists, dict keys and values) the one NAN."""
    t = type(obj)
    if t is float:
        return NAN if obj != obj else obj
    if t is tuple:
        return tuple(canonical(x) for x in obj)
    if t is list:
        return [canonical(x) for x in obj]
    if t is dict:
        return {canonical(k): canonical(v) for k, v in obj.items()}
    return obj


def split(delta: dict, n: int) -> list:
    """A Z-set cut into n parts that add up to it (every n-th row), each as (rows, weights), weights
    None when every one is 1 (a bulk insert).  Lists, not dicts: the coordinator only slices (a dict
    per part would hash every row again, serially); each worker makes its part a Z-set (``joined``),
    all of them at once."""
    rows = list(delta)
    weights = list(delta.values())
    if weights.count(1) == len(weights):
        return [(rows, None)] if n == 1 else [(rows[i::n], None) for i in range(n)]
    return [(rows, weights)] if n == 1 else [(rows[i::n], weights[i::n]) for i in range(n)]


def counted(batches: list) -> dict:
    """The Z-set of batches of inserted rows (lists): each row with its number of copies."""
    rows = batches[0] if len(batches) == 1 else [r for b in batches for r in b]
    z = dict.fromkeys(rows, 1)
    return z if len(z) == len(rows) else dict(Counter(rows))


def joined(part: tuple) -> dict:
    """The Z-set of a part ``split`` made."""
    rows, weights = part
    return dict.fromkeys(rows, 1) if weights is None else dict(zip(rows, weights))
