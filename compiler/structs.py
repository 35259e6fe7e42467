"""Binding STRUCT expressions: ``{'a': 1, 'b': x}`` and struct_pack(a := 1, …) literals, row(…),
field access (``s.a``, ``s['a']``, struct_extract(s, 'a')), casts to and from structs, and the code
generated for them.

A struct value at run time is a ``sqllib.structs.SqlStruct`` (a tuple of its fields whose class
knows the names), so comparisons, DISTINCT, GROUP BY, joins, ORDER BY and the shard hash need nothing
of their own.  Laws:
- a struct's type is ``STRUCT(name type, …)``; names are compared without case (DuckDB's), each
  distinct; a field NULL is a value of the struct, never the struct's NULL;
- two structs unify (UNION, CASE, comparisons, list elements) when their names agree, field types
  unified as any two values' are; an unnamed struct (row(…)) unifies by position;
- CAST(struct AS STRUCT(…)) matches fields by name (DuckDB's: missing fields NULL, extra ones dropped,
  at least one in common), by position from an unnamed struct; text casts both ways use DuckDB's text.
- s.a of a NULL struct is NULL.
"""

from __future__ import annotations

from sqlglot import exp

from ..sqllib.structs import parse_struct_text, struct_class
from . import lists
from .expr import Call, Col, Lit
from .types import BIGINT, TEXT, SqlType, field_names, list_of, quoted_text, struct_of


def is_struct(e) -> bool:
    return e.type.kind == "struct"


def _field_name(eb, item):
    """The field name of one item of {…} / struct_pack(…): name := value, 'name': value, or a column
    (struct_pack(x) names the field x)."""
    if isinstance(item, exp.PropertyEQ):
        key = item.this
        if isinstance(key, (exp.Identifier, exp.Column)) or (isinstance(key, exp.Literal) and key.is_string):
            return key.name, item.expression
        raise eb.error(item, "a STRUCT field name must be a name or a string")
    if isinstance(item, exp.Column):
        return item.name, item
    if isinstance(item, exp.Alias):
        return item.alias, item.this
    raise eb.error(item, "a STRUCT field needs a name (name := value)")


def pack(eb, node):
    """{'a': 1, 'b': x} / struct_pack(a := 1, b := x): a struct of the values' types."""
    if eb.dialect.name == "sqlite":
        raise eb.error(node, "structs are not supported in the sqlite dialect")
    names, values = [], []
    for item in node.expressions:
        name, value = _field_name(eb, item)
        if name.lower() in (n.lower() for n in names):
            raise eb.error(item, f"duplicate STRUCT field name {name!r}")
        names.append(name)
        values.append(eb.bind(value))
    if not names:
        raise eb.error(node, "a STRUCT needs at least one field")
    return build(names, values)


def row(eb, node, args):
    """row(a, b, …): an unnamed struct (DuckDB's, compared and cast by position)."""
    if eb.dialect.name == "sqlite":
        raise eb.error(node, "structs are not supported in the sqlite dialect")
    if not args:
        raise eb.error(node, "ROW() needs at least one value")
    return build([""] * len(args), [eb.bind(a) for a in args])


def build(names, values):
    """A struct of the bound values, its fields named ``names`` (a constant when they all are)."""
    t = struct_of(zip(names, (v.type for v in values)))
    if all(isinstance(v, Lit) for v in values):
        return Lit(struct_class(tuple(names))(v.value for v in values), t)
    return Call("struct_pack", tuple(values), t, False)


def field_index(eb, node, s, name: str) -> int:
    names = [n.lower() for n in field_names(s.type)]
    if name.lower() not in names:
        raise eb.error(node, f"the {s.type} has no field {name!r}")
    return names.index(name.lower())


def field(eb, node, s, i: int):
    """The i-th field of struct s (NULL for a NULL struct)."""
    t = s.type.fields[i][1]
    if isinstance(s, Lit):
        return Lit(None if s.value is None else s.value[i], t)
    return Call("struct_field", (s, Lit(i, BIGINT)), t, True)  # the registry's entry


def dot(eb, node):
    """s.a (sqlglot's Dot after qualify made t.s.a one): the field a of s."""
    s = eb.bind(node.this)
    name = node.expression
    if not isinstance(name, exp.Identifier):
        raise eb.error(node, "a field access needs a field name")
    if not is_struct(s):
        raise eb.error(node, f"cannot access field {name.name!r} of a {s.type}")
    return field(eb, node, s, field_index(eb, node, s, name.name))


def extract(eb, node, s, key_node):
    """struct_extract(s, 'a') and s['a'] (a constant name); of an unnamed struct, a 1-based position."""
    if not is_struct(s):
        raise eb.error(node, f"STRUCT_EXTRACT needs a STRUCT, not {s.type}")
    key = eb.bind(key_node)
    if isinstance(key, Lit) and key.type.kind == "text" and key.value is not None:
        return field(eb, node, s, field_index(eb, node, s, key.value))
    if isinstance(key, Lit) and key.type.kind == "int" and key.value is not None and not any(field_names(s.type)):
        if not 1 <= key.value <= len(s.type.fields):
            raise eb.error(key_node, f"STRUCT_EXTRACT: position {key.value} is out of range for a {s.type}")
        return field(eb, node, s, key.value - 1)
    raise eb.error(key_node, "a STRUCT field is named by a constant string")


def bracket(eb, node, s, shifted: bool):
    """s['a'] (and s[1] of an unnamed struct; ``shifted``: sqlglot made the index 0-based)."""
    if len(node.expressions) != 1 or isinstance(node.expressions[0], exp.Slice):
        raise eb.error(node, "a STRUCT takes one field name in brackets")
    item = node.expressions[0]
    if shifted and isinstance(item, exp.Literal) and not item.is_string:
        item = exp.Literal.number(int(item.this) + 1)
    return extract(eb, node, s, item)


# -- casts ---------------------------------------------------------------------------------------------

def castable(src: SqlType, target: SqlType) -> bool:
    """CAST(src AS target) where either is a struct: struct to struct (by name, at least one field in
    common, or by position from an unnamed struct; each field castable), text to struct, struct to
    text."""
    if src.kind == "null" or src == target:
        return True
    if target.kind == "struct" and src.kind == "struct":
        pairs = field_pairs(src, target)
        return pairs is not None and all(lists.castable(src.fields[i][1], t)
                                         for i, (_, t) in zip(pairs, target.fields) if i is not None)
    if target.kind == "struct":
        return src.kind == "text"
    if src.kind == "struct":
        return target.kind == "text"
    return True


def field_pairs(src: SqlType, target: SqlType):
    """For each field of target, the position of the src field it takes (None: NULL), or None when
    the cast is not one DuckDB makes (no field in common)."""
    sn, tn = field_names(src), field_names(target)
    if not all(sn) or not all(tn):
        return list(range(len(tn))) if len(sn) == len(tn) else None
    lower = [n.lower() for n in sn]
    pairs = [lower.index(n.lower()) if n.lower() in lower else None for n in tn]
    return pairs if any(p is not None for p in pairs) else None


def cast(eb, node, a, t: SqlType, try_: bool):
    return lists.nested_cast(eb, node, a, t, try_, castable, lambda v: convert_constant(eb, v, a.type, t, node))


def convert_constant(eb, v, src: SqlType, target: SqlType, node):
    """A constant struct (or a text read as one, or a struct printed as text) converted now."""
    if target.kind == "text":
        if src.kind != "struct":
            raise eb.error(node, f"cannot convert {src} to {target}")
        return constant_text(eb, v, src, node)
    if src.kind == "text":
        try:
            texts = parse_struct_text(v, field_names(target))
        except Exception:
            raise eb.error(node, f"cannot convert {v!r} to {target}") from None
        return struct_class(field_names(target))(
            None if x is None else eb.convert_literal(x, TEXT, ft, node) for x, (_, ft) in zip(texts, target.fields))
    if src.kind != "struct":
        raise eb.error(node, f"cannot convert {src} to {target}")
    pairs = field_pairs(src, target)
    if pairs is None:
        raise eb.error(node, f"cannot convert {src} to {target}")
    out = []
    for i, (_, ft) in zip(pairs, target.fields):
        x = None if i is None else v[i]
        out.append(None if x is None else eb.convert_literal(x, src.fields[i][1], ft, node))
    return struct_class(field_names(target))(out)


def constant_text(eb, v, t: SqlType, node):
    return struct_text_of(v, t, lambda x, ft: eb.convert_literal(x, ft, TEXT, node))


def struct_text_of(v, t: SqlType, text):
    from ..sqllib.structs import struct_text
    return struct_text(v, [lambda x, ft=ft: text(x, ft) for _, ft in t.fields],
                       [quoted_text(ft) for _, ft in t.fields], all(field_names(t)))


# -- code generation (codegen.Codegen calls these for the calls and casts above) ---------------------------

def gen_pack(cg, e: Call, col) -> str:
    cls = cg.const(struct_class(field_names(e.type)))
    return f"{cls}(({''.join(cg.value(a, col) + ', ' for a in e.args)}))"


def gen_cast(cg, src: SqlType, target: SqlType, a: str) -> str:
    """A cast to or from a struct: each field through its own type's cast (a function of ``_v``)."""
    def conv(s: SqlType, t: SqlType) -> str:
        return cg._cast(Call("cast", (Col(0, s, False),), t, False, t), lambda i: "_v")
    if src.kind == "null":
        return "None"
    if target.kind == "text":
        converts = ", ".join(f"lambda _v: {conv(ft, TEXT)}" for _, ft in src.fields)
        quotes = tuple(quoted_text(ft) for _, ft in src.fields)
        return f"_struct_text({a}, ({converts},), {quotes!r}, {all(field_names(src))})"
    cls = cg.const(struct_class(field_names(target)))
    if src.kind == "text":
        names = field_names(target)
        parts = ", ".join(f"(None if (_x := _f[{k}]) is None else (lambda _v: {conv(TEXT, ft)})(_x))"
                          for k, (_, ft) in enumerate(target.fields))
        return f"_cast_struct({a}, {cls}, lambda _s: (lambda _f: ({parts},))(_parse_struct_text(_s, {names!r})))"
    pairs = field_pairs(src, target)
    parts = []
    for i, (_, ft) in zip(pairs or [], target.fields):
        if i is None:
            parts.append("None")
            continue
        st = src.fields[i][1]
        if st == ft or ft.kind == "null":
            parts.append(f"_s[{i}]")
        else:
            parts.append(f"(None if (_x := _s[{i}]) is None else (lambda _v: {conv(st, ft)})(_x))")
    return f"_cast_struct({a}, {cls}, lambda _s: ({', '.join(parts)},))"



# -- registry argument rules and result types (functions.py) ------------------------------------------------

def struct_arg(eb, node, e, what):
    """A function's argument that must be a named struct (NULL: a NULL struct of no fields)."""
    if e.type.kind == "null":
        return Lit(None, struct_of(()))
    if not is_struct(e) or not all(field_names(e.type)):
        raise eb.error(node, f"{what} needs a STRUCT with named fields, not {e.type}")
    return e


def prepare_keys(eb, node, args, what):
    """struct_keys(s): the names, a constant list the call returns for a struct that is not NULL."""
    from ..sqllib.lists import SqlList
    return [args[0], Lit(SqlList(field_names(args[0].type)), list_of(TEXT))]



def field_type(args) -> SqlType:
    """struct_field(s, i): the type of s's i-th field."""
    return args[0].type.fields[args[1].value][1]


def row_type(args) -> SqlType:
    return struct_of(("", a.type) for a in args)


lists.NESTED_CASTABLE["struct"] = castable
