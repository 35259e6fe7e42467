"""How rows travel between the coordinator and workers: pickle protocol 5 of plain tuples, a batch
per destination per exchange (never a message per row); a step's input rows as lists (``split``).

Law: ``loads(dumps(x)) == x`` with every NaN made the one NaN object (sqllib NAN).  Rows meet in
dicts, where NaN equals only itself, so a NaN unpickled as a fresh float object would split a group;
the batch is searched for NaN's bytes first (pickle writes a float as 8 big-endian bytes), and only a
batch that may hold one is walked.
"""

from __future__ import annotations

import pickle
import struct

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


def joined(part: tuple) -> dict:
    """The Z-set of a part ``split`` made."""
    rows, weights = part
    return dict.fromkeys(rows, 1) if weights is None else dict(zip(rows, weights))
