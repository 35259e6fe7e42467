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
from .expr import Col

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


def owner_column(exprs) -> int | None:
    """The column of the input row whose value alone is a key of ``exprs``, hashed as a number (an
    INTEGER, DECIMAL or BOOLEAN column: Python's own hash, NONE_HASH for NULL), or None: with it, the
    coordinator can cut a table's batch by the worker owning each row's key, as route_function's
    function would (engine/shards/staging.py), so that the exchange moves nothing."""
    if len(exprs) == 1 and isinstance(exprs[0], Col) and exprs[0].type.kind in _NUMBERS:
        return exprs[0].index
    return None


def route_function(cg, exprs, drop_null=None, name_hint: str = "route"):
    """A function (delta, workers, me) -> [delta for each worker] routing rows by the hash of
    ``exprs``."""
    drop_null = drop_null or (False,) * len(exprs)
    cg.env.setdefault("_crc32", crc32)
    cg.env.setdefault("_value_hash", value_hash)
    name = cg.fresh_name(name_hint)
    lines = [f"def {name}(delta, n, me):", "    parts = [{} for _ in range(n)]",
             "    for r, w in delta.items():"]
    hashes = []
    for i, (x, drop) in enumerate(zip(exprs, drop_null)):
        var = f"k{i}"
        lines.append(f"        {var} = {cg.value(x, row_col('r'))}")
        if drop and x.nullable:
            lines.append(f"        if {var} is None:")
            lines.append("            parts[me][r] = w")
            lines.append("            continue")
        hashes.append(part_hash(var, x.type.kind, x.nullable and not drop))
    h = hashes[0] if len(hashes) == 1 else f"hash(({', '.join(hashes)},))"
    lines.append(f"        parts[{h} % n][r] = w")
    lines.append("    return parts")
    return cg.compile("\n".join(lines), name)
