"""String operators and the string functions whose binding needs a rule of their own
(|| and CONCAT, SUBSTRING, TRIM, POSITION, LPAD/RPAD, CONCAT_WS, SHA256, CHR, s[i] and s[a:b]).

Laws: || is NULL if either side is, CONCAT skips NULLs (except in SQLite); non-text operands are
converted to text; positions are 1-based and slices inclusive, as in DuckDB.
"""

from __future__ import annotations

from sqlglot import exp

from .. import functions as FN
from .. import lists, maps, structs
from ..duckdb_binding import concat_ws_arity
from ..expr import Call, Case, Lit
from ..types import BIGINT, TEXT
from .builders import call, is_null


class StringRules:
    """ExprBinder methods for the constructs above (mixed into ExprBinder)."""

    def _DPipe(self, node):
        a, b = self.bind(node.this), self.bind(node.expression)
        if lists.is_list(a) or lists.is_list(b):
            return lists.concat_operator(self, node, a, b)
        if a.type.kind == b.type.kind == "blob":
            return FN.call("blob_concat", [a, b])
        return call("concat", [self.to_text(a, node), self.to_text(b, node)], TEXT)

    def _Concat(self, node):
        args = [self.to_text(self.bind(x), node) for x in node.expressions]
        if self.dialect.name == "sqlite" or node.args.get("safe") is False:
            out = args[0]
            for a in args[1:]:
                out = call("concat", [out, a], TEXT)
            return out
        return FN.call("concat_ws_free", args)

    def _Substring(self, node):
        s = self.to_text(self.bind(node.this), node)
        start = self.coerce(self.bind(node.args["start"]), BIGINT, node) if node.args.get("start") else Lit(1, BIGINT)
        args = [s, start]
        if node.args.get("length") is None:
            return FN.call("substring", args)
        length = self.coerce(self.bind(node.args["length"]), BIGINT, node)
        out = FN.call("substring", args + [length])
        if not length.nullable:
            return out
        # the runtime function reads a missing length as "to the end": a NULL length is NULL
        return Case(((is_null(length), Lit(None, TEXT)),), out, TEXT, True)

    def _Trim(self, node):
        s = self.to_text(self.bind(node.this), node)
        where = (node.args.get("position") or "both").lower()
        if where not in ("both", "leading", "trailing"):
            where = "both"
        args = [s]
        if node.expression is not None:
            args.append(self.to_text(self.bind(node.expression), node))
        return Call("trim", tuple(args), TEXT, any(a.nullable for a in args), where)

    def _StrPosition(self, node):
        hay = self.to_text(self.bind(node.this), node)
        needle = self.to_text(self.bind(node.args["substr"]), node)
        if node.args.get("position") is not None:
            raise self.error(node, "POSITION with a start offset is not supported")
        return FN.call("position", [needle, hay])

    def _Pad(self, node):
        args = [self.to_text(self.bind(node.this), node), self.coerce(self.bind(node.expression), BIGINT, node)]
        if node.args.get("fill_pattern") is not None:
            args.append(self.to_text(self.bind(node.args["fill_pattern"]), node))
        return FN.call("lpad" if node.args.get("is_left") else "rpad", args)

    def _ConcatWs(self, node):
        concat_ws_arity(self, node, len(node.expressions))
        args = [self.to_text(self.bind(x), node) for x in node.expressions]
        return FN.call("concat_ws", args)

    def _SHA2(self, node):
        length = node.args.get("length")
        if length is not None and not (isinstance(length, exp.Literal) and length.name == "256"):
            raise self.error(node, "only SHA256 is supported (as in DuckDB)")
        return self.function(FN.BY_FN["sha256"], node, [node.this])

    def _Chr(self, node):
        self.not_sqlite(node, "CHR")
        if len(node.expressions) != 1 or node.args.get("charset"):
            raise self.error(node, "CHR takes one argument")
        n = self.int_arg(node, self.bind(node.expressions[0]), "CHR", max_bits=32)
        return FN.call("chr", [n])

    def _Bracket(self, node):
        """s[i] and s[a:b] on strings (DuckDB's 1-based, inclusive slices)."""
        s = self.bind(node.this)
        if lists.is_list(s):
            item = node.expressions[0] if len(node.expressions) == 1 else None
            return lists.bracket(self, node, s, item is not None and not isinstance(item, exp.Slice)
                                 and lists.index_shifted(node, self.dialect.name))
        if maps.is_map(s):  # m[k] (compiler/maps.py)
            item = node.expressions[0] if len(node.expressions) == 1 else None
            return maps.bracket(self, node, s, item is not None and not isinstance(item, exp.Slice)
                                and lists.index_shifted(node, self.dialect.name))
        if structs.is_struct(s):  # s['a'] (compiler/structs.py)
            item = node.expressions[0] if len(node.expressions) == 1 else None
            return structs.bracket(self, node, s, item is not None and not isinstance(item, exp.Slice)
                                   and lists.index_shifted(node, self.dialect.name))
        self.not_sqlite(node, "string slicing")
        if s.type.kind not in ("text", "null"):
            raise self.error(node, f"cannot index a value of type {s.type}")
        s = self.text_arg(node, s, "string slicing")
        if len(node.expressions) != 1:
            raise self.error(node, "a string takes one index or slice")
        item = node.expressions[0]
        if not isinstance(item, exp.Slice):
            i = self.int_arg(item, self.bind(item), "a string index")
            if lists.index_shifted(node, self.dialect.name):  # back to the 1-based position written
                i = Lit(i.value + 1, BIGINT) if isinstance(i, Lit) and i.value is not None else \
                    call("add", [self.coerce(i, BIGINT, item), Lit(1, BIGINT)], BIGINT)
            return FN.call("string_element", [s, i])
        if item.args.get("step") is not None:
            raise self.error(item, "slices with a step are not supported for strings (as in DuckDB)")
        bounds = [item.this, item.expression]
        args = [s] + [self.int_arg(b, self.bind(b), "a string slice") if b is not None else Lit(None, BIGINT)
                      for b in bounds]
        return Call("string_slice", tuple(args), TEXT, any(a.nullable for a, b in zip(args[1:], bounds)
                                                           if b is not None) or s.nullable,
                    tuple(b is not None for b in bounds))
