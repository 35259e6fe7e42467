"""Binding MAP expressions: MAP {k: v, …}, map([keys], [values]), map_from_entries, m[k], casts to and
from maps, the argument rules and result types of the map functions of the registry (functions.py:
map_keys, map_values, map_entries, map_extract / element_at, map_extract_value, map_contains,
cardinality, map_concat), and the code generated for casts.

A map value at run time is a ``sqllib.maps.SqlMap`` (a tuple of (key, value) entry structs, in the
order given), so comparisons, DISTINCT, GROUP BY, joins, ORDER BY and the shard hash need nothing of
their own.  Laws:
- a map's type is ``MAP(K, V)``: keys unified as list elements are, values too; ``map()`` is
  ``MAP(NULL, NULL)``, which unifies with any map;
- a key the map is asked for is brought to the key type (a string constant read as it);
- building a map with a NULL or repeated key is an error when the row is computed (DuckDB's);
- CAST(map AS MAP(K, V)) casts each key and value; text casts both ways use DuckDB's text form.
"""

from __future__ import annotations

from sqlglot import exp

from ..sqllib.errors import DataError
from ..sqllib.maps import make_map, parse_map_text
from . import lists
from .expr import Call, Col, Lit
from .types import BIGINT, NULLTYPE, TEXT, SqlType, common_type, list_of, map_of, quoted_text, struct_of


def is_map(e) -> bool:
    return e.type.kind == "map"


def key_type(t: SqlType) -> SqlType:
    return t.fields[0][1]


def value_type(t: SqlType) -> SqlType:
    return t.fields[1][1]


def _not_sqlite(eb, node):
    if eb.dialect.name == "sqlite":
        raise eb.error(node, "maps are not supported in the sqlite dialect")


def _build(eb, node, keys, values):
    """The map of bound keys and values (one each per entry), unified to one key and one value type."""
    keys, kt = eb.unify(keys, node, "map keys") if keys else ([], NULLTYPE)
    values, vt = eb.unify(values, node, "map values") if values else ([], NULLTYPE)
    t = map_of(kt, vt)
    if all(isinstance(x, Lit) for x in keys + values):
        try:
            return Lit(make_map((k.value, v.value) for k, v in zip(keys, values)), t)
        except DataError as e:
            raise eb.error(node, str(e)) from None
    return Call("map_pack", tuple(x for kv in zip(keys, values) for x in kv), t, False)  # the registry's entry


def literal(eb, node):
    """MAP {k1: v1, k2: v2, …}."""
    _not_sqlite(eb, node)
    body = node.this
    if isinstance(body, exp.Bracket) and isinstance(body.this, exp.Struct):  # MAP {…}[k], read by sqlglot as MAP ({…}[k])
        inner = exp.ToMap(this=body.this.copy())  # (a copy: the parsed tree stays as it is, bind/dates._TimeToStr)
        inner.meta.update(node.meta)
        m = literal(eb, inner)
        item = body.expressions[0] if len(body.expressions) == 1 else None
        return bracket(eb, body, m, item is not None and lists.index_shifted(body, eb.dialect.name))
    items = body.expressions if isinstance(body, exp.Struct) else None
    if items is None or not all(isinstance(i, exp.PropertyEQ) for i in items):
        raise eb.error(node, "MAP {…} takes key: value pairs")
    return _build(eb, node, [eb.bind(i.this) for i in items], [eb.bind(i.expression) for i in items])


def from_lists(eb, node):
    """map([keys], [values]) (and map(): the empty map)."""
    _not_sqlite(eb, node)
    k, v = node.args.get("keys"), node.args.get("values")
    if k is None and v is None:
        return Lit(make_map(()), map_of(NULLTYPE, NULLTYPE))
    if k is None or v is None or _written_arguments(eb.qb.sql, k) > 2:  # (sqlglot drops a third one)
        raise eb.error(node, "MAP takes a list of keys and a list of values")
    if isinstance(k, exp.Array) and isinstance(v, exp.Array) and len(k.expressions) == len(v.expressions):
        return _build(eb, node, [eb.bind(x) for x in k.expressions], [eb.bind(x) for x in v.expressions])
    keys = lists.list_arg(eb, node, eb.bind(k), "MAP")
    values = lists.list_arg(eb, node, eb.bind(v), "MAP")
    t = map_of(keys.type.elem, values.type.elem)
    return Call("map_from_lists", (keys, values), t, keys.nullable or values.nullable)  # the registry's entry


def _written_arguments(sql: str, first) -> int:
    """How many arguments the call whose first argument is ``first`` has in the SQL text (0: unknown)."""
    from sqlglot.tokens import Tokenizer, TokenType

    from .positions import token_span
    span = token_span(first) if sql else None
    if span is None:
        return 0
    opening = sql.rfind("(", 0, span[0])
    try:
        tokens = Tokenizer(dialect="duckdb").tokenize(sql[opening:])
    except Exception:
        return 0
    depth, count = 0, 1
    for t in tokens:
        if t.token_type in (TokenType.L_PAREN, TokenType.L_BRACKET, TokenType.L_BRACE):
            depth += 1
        elif t.token_type in (TokenType.R_PAREN, TokenType.R_BRACKET, TokenType.R_BRACE):
            depth -= 1
            if depth == 0:
                return count
        elif t.token_type == TokenType.COMMA and depth == 1:
            count += 1
    return 0


def from_entries(eb, node):
    """map_from_entries([(k, v), …] / a list of two-field structs)."""
    _not_sqlite(eb, node)
    arg = node.this
    if isinstance(arg, exp.Array):  # (k, v) in a list literal: DuckDB's row values
        arg = arg.copy().transform(lambda n: _row(n) if isinstance(n, exp.Tuple) else n)
    entries = lists.list_arg(eb, node, eb.bind(arg), "MAP_FROM_ENTRIES")
    elem = entries.type.elem
    if elem.kind == "null":
        return Call("map_from_entries", (entries,), map_of(NULLTYPE, NULLTYPE), entries.nullable)
    if elem.kind != "struct" or len(elem.fields) != 2:
        raise eb.error(node, f"MAP_FROM_ENTRIES needs a list of (key, value) structs, not {entries.type}")
    t = map_of(elem.fields[0][1], elem.fields[1][1])
    return Call("map_from_entries", (entries,), t, entries.nullable)  # the registry's entry


def _row(t: exp.Tuple) -> exp.Expression:
    out = exp.Anonymous(this="row", expressions=[x.copy() for x in t.expressions])
    out.meta.update(t.meta)
    return out


def bracket(eb, node, m, shifted: bool):
    """m[k]: k's value (NULL when absent); ``shifted``: sqlglot made an integer constant 0-based."""
    if len(node.expressions) != 1 or isinstance(node.expressions[0], exp.Slice):
        raise eb.error(node, "a MAP takes one key in brackets")
    key = eb.bind(node.expressions[0])
    if shifted and key.type.kind == "int":  # back to the key written
        key = Lit(key.value + 1, key.type) if isinstance(key, Lit) and key.value is not None else \
            Call("add", (eb.coerce(key, BIGINT, node), Lit(1, BIGINT)), BIGINT, key.nullable)
    m, key = _with_key(eb, node, m, key, "a MAP subscript")
    return Call("map_extract_value", (m, key), value_type(m.type), True)


def _with_key(eb, node, m, key, what):
    """(map, key) with the key brought to the map's key type (a string constant read as it)."""
    kt = key_type(m.type)
    if isinstance(key, Lit) and key.type.kind == "text" and kt.kind not in ("text", "null"):
        key = eb.coerce(key, kt, node)
    t = common_type(kt, key.type)
    if t is None:
        raise eb.error(node, f"{what}: cannot look up a {key.type} in a {m.type}")
    if t != kt:
        m = eb.coerce(m, map_of(t, value_type(m.type)), node)
    return m, eb.coerce(key, t, node)


# -- registry argument rules and result types (functions.Function.prepare / result) -------------------

def map_arg(eb, node, e, what):
    if is_map(e):
        return e
    if e.type.kind == "null":
        return Lit(None, map_of(NULLTYPE, NULLTYPE))
    raise eb.error(node, f"{what} needs a MAP, not {e.type}")


def prepare_key(eb, node, args, what):
    m, key = _with_key(eb, node, args[0], args[1], what)
    return [m, key]


def prepare_maps(eb, node, args, what):
    """map_concat(a, b, …): every map brought to their common type."""
    t = map_of(NULLTYPE, NULLTYPE)
    for a in args:
        c = common_type(t, a.type)
        if c is None:
            raise eb.error(node, f"{what}: cannot combine a {t} and a {a.type}")
        t = c
    return [eb.coerce(a, t, node) for a in args]


def keys_type(args) -> SqlType:
    return list_of(key_type(args[0].type))


def values_type(args) -> SqlType:
    return list_of(value_type(args[0].type))


def entries_type(args) -> SqlType:
    return list_of(struct_of((("key", key_type(args[0].type)), ("value", value_type(args[0].type)))))


def value_of(args) -> SqlType:
    return value_type(args[0].type)


def same_map(args) -> SqlType:
    return args[0].type


def pack_type(args) -> SqlType:  # (map_pack is built with its type by _build)
    return map_of(args[0].type if args else NULLTYPE, args[1].type if args else NULLTYPE)


# -- casts ----------------------------------------------------------------------------------------------

def castable(src: SqlType, target: SqlType) -> bool:
    """map to map (keys and values castable), text to map, map to text."""
    if src.kind == "null" or src == target:
        return True
    if src.kind == target.kind == "map":
        return all(lists.castable(s, t) for (_, s), (_, t) in zip(src.fields, target.fields))
    if target.kind == "map":
        return src.kind == "text"
    if src.kind == "map":
        return target.kind == "text"
    return True


def cast(eb, node, a, t: SqlType, try_: bool):
    return lists.nested_cast(eb, node, a, t, try_, castable, lambda v: convert_constant(eb, v, a.type, t, node))


def convert_constant(eb, v, src: SqlType, target: SqlType, node):
    """A constant map (or a text read as one, or a map printed as text) converted now."""
    if target.kind == "text":
        if src.kind != "map":
            raise eb.error(node, f"cannot convert {src} to {target}")
        from ..sqllib.maps import map_text
        kt, vt = key_type(src), value_type(src)
        return map_text(v, lambda x: eb.convert_literal(x, kt, TEXT, node),
                        lambda x: eb.convert_literal(x, vt, TEXT, node), quoted_text(kt), quoted_text(vt))
    kt, vt = key_type(target), value_type(target)
    if src.kind == "text":
        try:
            pairs = parse_map_text(v)
        except DataError as e:
            raise eb.error(node, str(e)) from None
        sk = sv = TEXT
    elif src.kind == "map":
        pairs, sk, sv = list(v), key_type(src), value_type(src)
    else:
        raise eb.error(node, f"cannot convert {src} to {target}")
    try:
        return make_map((eb.convert_literal(k, sk, kt, node), None if x is None else eb.convert_literal(x, sv, vt, node))
                        for k, x in pairs)
    except DataError as e:
        raise eb.error(node, str(e)) from None


def gen_cast(cg, src: SqlType, target: SqlType, a: str) -> str:
    """A cast to or from a map: each key and value through its own type's cast (a function of ``_v``)."""
    def conv(s: SqlType, t: SqlType) -> str:
        return "lambda _v: " + cg._cast(Call("cast", (Col(0, s, False),), t, False, t), lambda i: "_v")
    if src.kind == "null":
        return "None"
    if target.kind == "text":
        kt, vt = key_type(src), value_type(src)
        return f"_map_text({a}, {conv(kt, TEXT)}, {conv(vt, TEXT)}, {quoted_text(kt)}, {quoted_text(vt)})"
    kt, vt = key_type(target), value_type(target)
    if src.kind == "text":
        return f"_cast_text_map({a}, {conv(TEXT, kt)}, {conv(TEXT, vt)})"
    return f"_cast_map({a}, {conv(key_type(src), kt)}, {conv(value_type(src), vt)})"


lists.NESTED_CASTABLE["map"] = castable
