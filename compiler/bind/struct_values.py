"""STRUCT and MAP values in expressions: {'a': 1} / struct_pack(a := 1) literals, field access (s.a),
struct_extract(s, 'a'); MAP {k: v}, map(keys, values), map_from_entries(…).  compiler/structs.py and
compiler/maps.py bind them (row(…) and the map functions are registry entries; s['a'] and m[k] reach
them from the bracket rule of bind/strings.py).

Laws: a struct or map is a value (NULL in, NULL out for a field or entry of it); a field is named by a
constant.
"""

from __future__ import annotations

from .. import maps, structs


class StructRules:
    """ExprBinder methods for the constructs above (mixed into ExprBinder)."""

    def _Struct(self, node):  # {'a': 1, 'b': x}, struct_pack(a := 1, b := x)
        return structs.pack(self, node)

    def _Dot(self, node):  # s.a (qualify makes t.s.a one)
        return structs.dot(self, node)

    def _StructExtract(self, node):  # struct_extract(s, 'a')
        return structs.extract(self, node, self.bind(node.this), node.expression)

    def _ToMap(self, node):  # MAP {k: v, …}
        return maps.literal(self, node)

    def _Map(self, node):  # map([keys], [values]), map()
        return maps.from_lists(self, node)

    def _MapFromEntries(self, node):
        return maps.from_entries(self, node)
