"""STRUCT values in expressions: {'a': 1} / struct_pack(a := 1) literals, field access (s.a), and
struct_extract(s, 'a'); compiler/structs.py binds them (row(…) is a registry entry, s['a'] reaches
it from the bracket rule of bind/strings.py).

Laws: a struct is a value (NULL in, NULL out for a field of it); a field is named by a constant.
"""

from __future__ import annotations

from .. import structs


class StructRules:
    """ExprBinder methods for the constructs above (mixed into ExprBinder)."""

    def _Struct(self, node):  # {'a': 1, 'b': x}, struct_pack(a := 1, b := x)
        return structs.pack(self, node)

    def _Dot(self, node):  # s.a (qualify makes t.s.a one)
        return structs.dot(self, node)

    def _StructExtract(self, node):  # struct_extract(s, 'a')
        return structs.extract(self, node, self.bind(node.this), node.expression)
