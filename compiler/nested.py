"""TRY_CAST to and from nested types (lists, ARRAYs, structs, maps), as DuckDB makes it: element by
element, so an element, field, key or value that does not convert is NULL while the rest convert
([ 'a', '1' ] to INT[] is [NULL, 1]); a list of the wrong length for an ARRAY, or a text that is not
the nested value's text, is NULL as a whole (an inner one: that element).

``try_conversion(cg, src, target)`` is Python source of a function of one value (None passes) that
never raises a DataError; codegen calls it for a try_cast whose source or target is nested.
"""

from __future__ import annotations

from ..sqllib.structs import struct_class
from .expr import Call, Col
from .types import SqlType, field_names

def try_conversion(cg, src: SqlType, target: SqlType) -> str:
    if src == target or src.kind == "null":
        return "(lambda _v: _v)" if src == target else "(lambda _v: None)"
    if target.kind == "list" and src.kind in ("list", "text"):
        elem_src = src.elem if src.kind == "list" else src
        return f"(lambda _v: _try_list(_v, {try_conversion(cg, elem_src, target.elem)}, {target.size}))"
    if target.kind == "struct" and src.kind in ("struct", "text"):
        from . import structs
        cls = cg.const(struct_class(field_names(target)))
        if src.kind == "text":
            convs = ", ".join(try_conversion(cg, src, ft) for _, ft in target.fields)
            return f"(lambda _v: _try_struct_text(_v, {cls}, {field_names(target)!r}, ({convs},)))"
        pairs = structs.field_pairs(src, target) or []
        convs = ", ".join("None" if i is None else try_conversion(cg, src.fields[i][1], ft)
                          for i, (_, ft) in zip(pairs, target.fields))
        return f"(lambda _v: _try_struct(_v, {cls}, {tuple(pairs)!r}, ({convs},)))"
    if target.kind == "map" and src.kind in ("map", "text"):
        ks, vs = (src.fields[0][1], src.fields[1][1]) if src.kind == "map" else (src, src)
        kt, vt = target.fields[0][1], target.fields[1][1]
        return (f"(lambda _v: _try_map(_v, {try_conversion(cg, ks, kt)}, {try_conversion(cg, vs, vt)}))")
    conversion = cg._cast(Call("cast", (Col(0, src, False),), target, False, target), lambda i: "_v")
    return f"(lambda _w: _try_cast(lambda _v: {conversion}, _w))"
