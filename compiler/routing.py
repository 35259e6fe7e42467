"""Routing functions of Exchange operators: delta -> one part per worker, by a stable hash of a key.

The key is a tuple of expressions over the row.  Each part is hashed as runtime/hashing.value_hash
hashes its value, inlined for the common types (numbers keep Python's unsalted numeric hash; text
is CRC-32 of its UTF-8 bytes; other types call value_hash); a key of several parts hashes the tuple
of its parts' hashes.  Two exchanges whose keys hold equal values therefore send them to the same
worker whatever the expressions' types (an INT join key meets a DECIMAL one), which is what the two
sides of a join need.  ``drop_null[i]``: a NULL in part i means the row can never match (a
non-null-safe join key), so it stays on the worker it is on.
"""

from __future__ import annotations

from zlib import crc32

from ..runtime.hashing import NAN_HASH, NONE_HASH, value_hash
from .codegen import row_col
from .expr import Col, substitute

_NUMBERS = ("int", "decimal", "bool")


def part_hash(var: str, kind: str, nullable: bool) -> str:
    """Python code hashing the value in ``var`` as value_hash does."""
    if kind in _NUMBERS:
        code = f"hash({var})"
    elif kind == "float":
        code = f"(hash({var}) if {var} == {var} else {NAN_HASH})"
    elif kind == "text":
        code = f"_crc32({var}.encode('utf-8', 'surrogatepass'))"
    else:
        return f"_value_hash({var})"
    return f"({NONE_HASH} if {var} is None else {code})" if nullable else code


def cut_function(cg, exprs, as_tuple: bool = False):
    """A function (rows, workers) -> [list of rows for each worker] putting each row where
    route_function's function for the same ``exprs`` sends it (the same hash of the same values), or
    with ``as_tuple`` where a Combine sends the partial group of the key tuple (a one-part key hashed
    as a tuple), so that a coordinator can cut a table's batch by the owner of the key an exchange
    reads it by, and that exchange moves none of its rows (engine/shards/staging.py).  A row whose key
    is NULL where the exchange keeps such rows where they are (a join key that never matches) goes to
    the owner of the NULL key: any worker would do, and this one is the same for the row's insert and
    its delete.  The rows are not checked yet: a value of another type may raise, and then the caller
    cuts another way.  It is compiled when first called: only a sharded coordinator calls it, and
    compiling a view should not pay for it."""
    body, h = _key_hash(cg, exprs, (False,) * len(exprs), "")
    if as_tuple and len(exprs) == 1:
        h = f"hash(({h},))"
    lines = ["def cut(rows, n):", "    parts = [[] for _ in range(n)]", "    add = [p.append for p in parts]",
             "    for r in rows:", *body, f"        add[{h} % n](r)", "    return parts"]
    return cg.compile_later("\n".join(lines), "cut")


def table_key(exprs, steps) -> tuple | None:
    """``exprs`` (an exchange's key over the rows of a filter/project chain's ``steps``, codegen's
    batch_function steps) as columns of the chain's input rows, when each part is one column there;
    else None.  Filters do not move columns; a projection's outputs are its expressions."""
    for kind, payload in reversed(steps):
        if kind == "project":
            exprs = tuple(substitute(x, payload) for x in exprs)
    return exprs if all(isinstance(x, Col) for x in exprs) else None


def route_function(cg, exprs, drop_null=None, name_hint: str = "route"):
    """A function (delta, workers, me) -> [delta for each worker] routing rows by the hash of
    ``exprs``."""
    drop_null = drop_null or (False,) * len(exprs)
    name = cg.fresh_name(name_hint)
    body, h = _key_hash(cg, exprs, drop_null, "parts[me][r] = w")
    lines = [f"def {name}(delta, n, me):", "    parts = [{} for _ in range(n)]", "    for r, w in delta.items():",
             *body, f"        parts[{h} % n][r] = w", "    return parts"]
    return cg.compile("\n".join(lines), name)


def _key_hash(cg, exprs, drop_null, keep_null: str) -> tuple:
    """(lines of a loop's body over rows ``r`` computing the key's parts, the expression of its hash):
    a key whose part is NULL where ``drop_null`` says it never matches runs ``keep_null`` and goes on
    to the next row.  The hash is runtime/hashing.value_hash's for one part, the hash of the tuple of
    the parts' hashes for several."""
    cg.env.setdefault("_crc32", crc32)
    cg.env.setdefault("_value_hash", value_hash)
    lines, hashes = [], []
    for i, (x, drop) in enumerate(zip(exprs, drop_null)):
        var = f"k{i}"
        lines.append(f"        {var} = {cg.value(x, row_col('r'))}")
        if drop and x.nullable:
            lines += [f"        if {var} is None:", f"            {keep_null}", "            continue"]
        hashes.append(part_hash(var, x.type.kind, x.nullable and not drop))
    h = hashes[0] if len(hashes) == 1 else f"hash(({', '.join(hashes)},))"
    return lines, h
