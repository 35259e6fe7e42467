"""Binding LIST expressions: list literals, casts to and from lists, indexing and slicing, ``||`` on
lists, the argument rules of the list functions of the registry (functions.py), lambdas
(list_transform, list_filter, list_reduce), the LIST / ARRAY_AGG aggregate and UNNEST (plan.Unnest).

A list value at run time is a ``sqllib.lists.SqlList`` (a tuple ordered as DuckDB orders lists), so
comparisons, DISTINCT, GROUP BY, joins and ORDER BY on lists are those of any other value.  Laws:
- a list's type is ``elem[]``; the elements of a literal are unified as UNION branches are (a string
  literal adopts the others' type), and ``[]`` is a list of the NULL type, which unifies with any list;
- an element NULL is a value of the list, never the list's NULL: ``[NULL]`` is not NULL;
- indices are 1-based as written (sqlglot moves a literal index to 0-based when it parses ``x[i]``;
  ``index_shifted`` says when, and the 1 is added back).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from ..sqllib.casts import to_text
from ..sqllib.lists import SqlList, list_text, parse_list_text
from .errors import CompileError
from .expr import Call, Col, Lit
from .types import (BIGINT, BOOLEAN, DOUBLE, HUGEINT, NULLTYPE, REAL, TEXT, SqlType, common_type, decimal_type, list_of,
                    quoted_text, struct_of)


def is_list(e) -> bool:
    return e.type.kind == "list"


def array(eb, node):
    """[a, b, …], ARRAY[a, b, …], list_value(a, b, …): a list of the elements' common type."""
    if eb.dialect.name == "sqlite":
        raise eb.error(node, "lists are not supported in the sqlite dialect")
    items = [eb.bind(x) for x in node.expressions]
    items, t = eb.unify(items, node, "list elements") if items else ([], NULLTYPE)
    lt = list_of(t)
    if all(isinstance(x, Lit) for x in items):
        return Lit(SqlList(x.value for x in items), lt)
    return Call("list_value", tuple(items), lt, False)


def list_arg(eb, node, e, what):
    """A function's argument that must be a list (NULL: a NULL list of NULL elements); a fixed-size
    ARRAY is taken as the LIST it is (DuckDB's: list_sort of an INT[2] is an INT[])."""
    if e.type.kind == "list":
        return as_list(e)
    if e.type.kind == "null":
        return Lit(None, list_of(NULLTYPE))
    raise eb.error(node, f"{what} needs a list, not {e.type}")


def as_list(e):
    """A list expression typed as a LIST (an ARRAY's value is a list: no conversion at run time)."""
    if not e.type.size:
        return e
    t = list_of(e.type.elem)
    return Lit(e.value, t) if isinstance(e, Lit) else Call("cast", (e,), t, e.nullable, t)


def element_of(eb, node, lst, x, what):
    """(list, x) with x and the list's elements brought to their common type."""
    if isinstance(x, Lit) and x.type.kind == "text" and lst.type.elem.kind not in ("text", "null"):
        x = eb.coerce(x, lst.type.elem, node)  # a string constant is read as the element type
    t = common_type(lst.type.elem, x.type)
    if t is None:
        raise eb.error(node, f"{what}: cannot compare {x.type} with the elements of a {lst.type}")
    return coerce(eb, lst, list_of(t), node), eb.coerce(x, t, node)


def lists_of_common_type(eb, node, args, what):
    """Lists brought to one list type (list_concat, list_has_any, …)."""
    t = NULLTYPE
    for a in args:
        c = common_type(t, a.type.elem)
        if c is None:
            raise eb.error(node, f"{what}: cannot combine a {list_of(t)} and a {a.type}")
        t = c
    return [coerce(eb, a, list_of(t), node) for a in args]


def coerce(eb, e, target: SqlType, node):
    if e.type == target:
        return e
    if isinstance(e, Lit):
        if e.value is None:
            return Lit(None, target)
        return Lit(convert_constant(eb, e.value, e.type, target, node), target)
    return Call("cast", (e,), target, e.nullable, target)


def convert_constant(eb, v, src: SqlType, target: SqlType, node):
    """A constant list (or a text read as one) converted to ``target`` now."""
    if src.kind == "text":
        try:
            items = parse_list_text(v)
        except Exception:
            raise eb.error(node, f"cannot convert {v!r} to {target}") from None
        return sized(eb, node, SqlList(None if x is None else eb.convert_literal(x, TEXT, target.elem, node)
                                       for x in items), target)
    if src.kind != "list":
        raise eb.error(node, f"cannot convert {src} to {target}")
    return sized(eb, node, SqlList(None if x is None else
                   (convert_constant(eb, x, src.elem, target.elem, node) if target.elem.kind == "list"
                    else eb.convert_literal(x, src.elem, target.elem, node)) for x in v), target)


def sized(eb, node, v, target: SqlType):
    """A constant converted to an ARRAY type has its length (else the cast stays, to fail at run time)."""
    if target.size and len(v) != target.size:
        raise eb.error(node, f"cannot cast a list of length {len(v)} to {target}")
    return v


def cast(eb, node, a, t: SqlType, try_: bool):
    """CAST to or from a list: list to list (each element cast), text to list (DuckDB's text form read),
    list to text (printed as DuckDB prints it)."""
    def fold(v):
        return constant_text(v, a.type) if t.kind == "text" else convert_constant(eb, v, a.type, t, node)
    return nested_cast(eb, node, a, t, try_, castable, fold)


def nested_cast(eb, node, a, t: SqlType, try_: bool, castable, fold):
    """CAST / TRY_CAST to or from a nested type (lists here, structs.py, maps.py): refused unless
    ``castable``; a constant converted now (``fold``, raising CompileError where it does not convert),
    else a run-time cast (TRY_CAST: element by element, compiler/nested.py)."""
    if not castable(a.type, t):
        raise eb.error(node, f"cannot cast {a.type} to {t}")
    if isinstance(a, Lit) and a.value is not None:
        try:
            return Lit(fold(a.value), t)
        except CompileError:
            return Call("try_cast" if try_ else "cast", (a,), t, try_, t)
    if isinstance(a, Lit):
        return Lit(None, t)
    return Call("try_cast" if try_ else "cast", (a,), t, try_ or a.nullable, t)


def index_shifted(bracket, dialect: str) -> bool:
    """Whether sqlglot moved a 1-based index to 0-based when parsing x[i]: it does so (subtracting 1)
    exactly where the indexed value's type is unknown or an array at parse time (not for a string
    literal: '🦆ab'[1] keeps its 1) and it can type the index as an integer, which the result still is."""
    from sqlglot.optimizer.annotate_types import annotate_types

    this_t = bracket.this.type or annotate_types(bracket.this.copy(), dialect=dialect).type
    if this_t is not None and this_t.this not in (exp.DataType.Type.UNKNOWN, exp.DataType.Type.ARRAY):
        return False
    t = annotate_types(bracket.expressions[0].copy(), dialect=dialect).type
    return t is not None and t.this in exp.DataType.INTEGER_TYPES


# The cast rules of the other nested kinds, by kind: compiler/structs.py and compiler/maps.py enter
# theirs when they are imported (compiler/functions.py imports both), so that this module, which both
# build on, imports neither of them.
NESTED_CASTABLE: dict = {}


def castable(src: SqlType, target: SqlType) -> bool:
    """Whether CAST(src AS target) is one this module makes: list to list (elements castable), text
    to list, list to text; a list never to or from a scalar of another type (a struct: structs.py, a map: maps.py)."""
    if src.kind == "null" or src == target:
        return True
    for kind in ("struct", "map"):
        if kind in (src.kind, target.kind):
            return NESTED_CASTABLE[kind](src, target)
    if target.kind == "list":
        return src.kind == "text" or (src.kind == "list" and castable(src.elem, target.elem))
    if src.kind == "list":
        return target.kind == "text"
    return True


def constant_text(v, t: SqlType):
    """A constant list's text, as CAST(… AS VARCHAR) gives it."""
    if v is None:
        return None
    e = t.elem
    conv = (lambda x: constant_text(x, e)) if e.kind == "list" else to_text
    return list_text(v, conv, quoted_text(e))


def bracket(eb, node, s, shifted: bool):
    """xs[i] (1-based, negative from the end, NULL out of range) and xs[a:b] (inclusive bounds);
    ``shifted``: sqlglot made the index 0-based (index_shifted)."""
    if len(node.expressions) != 1:
        raise eb.error(node, "a list takes one index or slice")
    item = node.expressions[0]
    if not isinstance(item, exp.Slice):
        i = eb.int_arg(item, eb.bind(item), "a list index")
        if shifted:  # back to the 1-based position written
            i = Lit(i.value + 1, BIGINT) if isinstance(i, Lit) and i.value is not None else \
                Call("add", (eb.coerce(i, BIGINT, item), Lit(1, BIGINT)), BIGINT, i.nullable)
        return Call("list_element", (s, i), element_type([s]), True)  # the registry's entry
    s = as_list(s)
    bounds = [item.this, item.expression]
    args = [s] + [eb.int_arg(b, eb.bind(b), "a list slice") if b is not None else Lit(None, BIGINT)
                  for b in bounds]
    nullable = s.nullable or any(a.nullable for a, b in zip(args[1:], bounds) if b is not None)
    step = item.args.get("step")
    if step is not None:  # xs[a:b:s]
        st = eb.int_arg(step, eb.bind(step), "a list slice's step")
        return Call("list_slice_step", (*args, st), s.type, nullable or st.nullable, tuple(b is not None for b in bounds))
    return Call("list_slice", tuple(args), s.type, nullable, tuple(b is not None for b in bounds))


def concat_operator(eb, node, a, b):
    """a || b with a list on either side: the lists concatenated, NULL if either is (DuckDB's ||)."""
    a, b = (list_arg(eb, node, x, "||") for x in (a, b))
    a, b = lists_of_common_type(eb, node, [a, b], "||")
    return Call("list_concat_strict", (a, b), a.type, a.nullable or b.nullable)  # the registry's entry


# -- registry argument rules (functions.Function.prepare) --------------------------------------------

def prepare_element(eb, node, args, what):
    """(list, x, …): x brought to the list's element type."""
    lst, x = element_of(eb, node, args[0], args[1], what)
    return [lst, x] + list(args[2:])


def prepare_lists(eb, node, args, what):
    return lists_of_common_type(eb, node, args, what)


def prepare_concat(eb, node, args, what):
    """list_concat: as prepare_lists.  A NULL list counts as an empty one (the result is never NULL),
    except that DuckDB answers NULL when every argument is the untyped NULL: refused, not guessed."""
    if all(isinstance(a, Lit) and a.value is None and a.type.elem.kind == "null" for a in args):
        raise eb.error(node, f"{what} of untyped NULLs only is not supported")
    return lists_of_common_type(eb, node, args, what)


def prepare_prepend(eb, node, args, what):
    """list_prepend(x, list): x first."""
    lst, x = element_of(eb, node, args[1], args[0], what)
    return [x, lst]


def prepare_zip(eb, node, args, what):
    """list_zip(a, b, …[, truncate]): each argument a list (NULL: an empty one; the first one the registry
    made one), except a last BOOLEAN after it, which says whether to stop at the shortest list (NULL:
    FALSE); the call always gets the flag, FALSE when it was left out."""
    flag = Lit(False, BOOLEAN)
    if len(args) > 1 and args[-1].type == BOOLEAN:
        args, flag = args[:-1], args[-1]
    return [list_arg(eb, node, a, what) for a in args] + [flag]


def prepare_vectors(eb, node, args, what):
    """list_inner_product(l, r), list_distance, list_cosine_similarity, …: both lists of numbers, computed
    in FLOAT when one is a FLOAT[] and neither a DOUBLE[] (DuckDB's choice of its two versions), else in
    DOUBLE; the call gets which as a constant last argument (sqllib/vectors.py)."""
    elems = [a.type.elem for a in args]
    if any(e.kind not in ("int", "decimal", "float", "null") for e in elems):
        raise eb.error(node, f"{what} needs lists of numbers, not {args[0].type} and {args[1].type}")
    real = any(e.kind == "float" and e.bits == 32 for e in elems) and \
        not any(e.kind == "float" and e.bits != 32 for e in elems)
    t = REAL if real else DOUBLE
    return [coerce(eb, a, list_of(t), node) for a in args] + [Lit(real, BOOLEAN)]


def vector_type(args) -> SqlType:
    return REAL if args[-1].value else DOUBLE


def prepare_flatten(eb, node, args, what):
    lst = args[0]
    if lst.type.elem.kind not in ("list", "null"):
        raise eb.error(node, f"{what} needs a list of lists, not {lst.type}")
    return args


def prepare_to_string(eb, node, args, what):
    """array_to_string(list, sep): the elements as text first (CAST(list AS VARCHAR[])); the separator
    a constant (as DuckDB requires)."""
    if not isinstance(args[1], Lit):
        raise eb.error(node, f"{what} needs a constant separator")
    return [coerce(eb, args[0], list_of(TEXT), node)] + list(args[1:])


def prepare_sum(eb, node, args, what):
    lst = args[0]
    if lst.type.elem.kind == "uhugeint":  # DuckDB's LIST_SUM/LIST_AVG of UHUGEINTs: of each as a DOUBLE
        return [coerce(eb, lst, list_of(DOUBLE), node)] + list(args[1:])
    if lst.type.elem.kind not in ("int", "decimal", "float", "null"):
        raise eb.error(node, f"{what} needs a list of numbers, not {lst.type}")
    return args


# -- result types -------------------------------------------------------------------------------------

def same_list(args) -> SqlType:
    return args[0].type


def element_type(args) -> SqlType:
    if args[0].type.kind == "text":  # array_extract of a VARCHAR: a character (functions.LIST_OR_TEXT)
        return TEXT
    e = args[0].type.elem
    return e if e is not None else NULLTYPE


def flattened(args) -> SqlType:
    e = args[0].type.elem
    return e if e.kind == "list" else list_of(NULLTYPE)


def sum_type(args) -> SqlType:
    e = args[0].type.elem
    if e.kind == "int":
        return HUGEINT
    if e.kind == "decimal":
        return decimal_type(38, e.scale)
    return DOUBLE


def zipped(args) -> SqlType:
    """list_zip's result: a list of unnamed structs of the lists' element types (the last argument is
    the flag prepare_zip adds)."""
    return list_of(struct_of(("", a.type.elem) for a in args[:-1]))


def list_of_first(args) -> SqlType:
    return list_of(args[0].type if args else NULLTYPE)


def sort(eb, node):
    """list_sort(xs[, 'ASC'|'DESC'[, 'NULLS FIRST'|'NULLS LAST']]) and list_reverse_sort(xs[, nulls]):
    sqlglot reads the constant words into ``asc`` and ``nulls_first``; NULLs go last unless asked."""
    lst = list_arg(eb, node, eb.bind(node.this), "LIST_SORT")
    flags = []
    for name, default in (("asc", True), ("nulls_first", False)):
        v = node.args.get(name)
        if v is None:
            flags.append(default)
        elif isinstance(v, exp.Boolean):
            flags.append(bool(v.this))
        else:
            raise eb.error(v, "LIST_SORT takes constant 'ASC'/'DESC' and 'NULLS FIRST'/'NULLS LAST'")
    return Call("list_sort", (lst, Lit(not flags[0], BOOLEAN), Lit(flags[1], BOOLEAN)), lst.type, lst.nullable)


# -- LIST / ARRAY_AGG ---------------------------------------------------------------------------------

def list_agg(qb, node, name: str, arg, distinct: bool, order, filt):
    """LIST(x ORDER BY k, …) / ARRAY_AGG(…): every x of the group (NULLs too) in the order of the keys.
    A list's order is part of its value, so the keys must decide it: they must include x itself (rows
    tied on all keys then hold equal x).  Without ORDER BY, or with keys that leave ties of different
    x, DuckDB lists rows in the order it reads them, which a view cannot reproduce: refused."""
    from . import plan as P
    if not order:
        raise qb.error(node, f"{name}(x) without ORDER BY lists rows in the order they arrive, which a view "
                             f"cannot reproduce: write {name}(x ORDER BY x) (or ORDER BY other keys, then x)")
    if not any(e == arg for e, _, _ in order):
        raise qb.error(node, f"{name}(x ORDER BY k) leaves rows tied on k in the order they arrive (DuckDB's "
                             f"answer depends on it): add x as the last key, ORDER BY k, x")
    if distinct and any(e != arg for e, _, _ in order):
        raise qb.error(node, f"{name}(DISTINCT x ORDER BY k) orders by keys other than x: not supported")
    return P.AggCall("list", arg, distinct, filt, list_of(arg.type), True, tuple(order))


# -- UNNEST ---------------------------------------------------------------------------------------------

def _unnest_parts(qb, item):
    """(the list expression node, alias, column name, the ordinality column's name or None) of
    UNNEST(xs) [WITH ORDINALITY] [AS] u(x[, i]); the frontend named the columns
    (frontend._name_unnest_column)."""
    if len(item.expressions) != 1:
        raise qb.error(item, "UNNEST of several lists is not supported")
    alias = item.args.get("alias")
    columns = alias.columns if alias is not None else []
    ordinality = bool(item.meta.get("ordinality"))
    if len(columns) != 1 + ordinality:
        raise qb.error(item, "UNNEST of a list gives one column" + (" and its position" if ordinality else ""))
    return item.expressions[0], item.alias_or_name, columns[0].name, columns[1].name if ordinality else None


def _list_expr(qb, eb, node):
    e = eb.bind(node)
    if e.type.kind == "null":
        return Lit(None, list_of(NULLTYPE))
    if e.type.kind != "list":
        raise qb.error(node, f"UNNEST needs a list, not {e.type}")
    return e


def unnest_source(qb, item, rel_of, expr_binder):
    """FROM UNNEST(list) [AS u(x)]: the list's elements, one row each (the list reads no table)."""
    from . import plan as P
    node, alias, name, position = _unnest_parts(qb, item)
    unit = rel_of(P.Values(((),), ()), {})
    e = _list_expr(qb, expr_binder(qb, unit), node)  # (a subquery in it appends its columns to unit)
    scope = {(alias, name): unit.width}
    if position is not None:
        scope[(alias, position)] = unit.width + 1
    return rel_of(P.Unnest(unit.plan, e, name, ordinality=position), scope)


def unnest_join(qb, rel, j, rel_of, expr_binder):
    """rel, UNNEST(rel's list) [AS u(x)] (a comma, CROSS JOIN or JOIN … ON TRUE) and LEFT JOIN … ON TRUE:
    each row of rel once per element of its list (a flat-map: plan.Unnest), kept once with a NULL
    element by the LEFT JOIN when its list is NULL or empty."""
    from . import plan as P
    node, alias, name, position = _unnest_parts(qb, j.this)
    side = (j.args.get("side") or "").upper()
    on = j.args.get("on")
    if (j.args.get("kind") or "").upper() not in ("", "INNER", "CROSS") or side not in ("", "LEFT") \
            or j.args.get("method") or j.args.get("using"):
        raise qb.error(j, "only a cross, inner or LEFT JOIN with UNNEST is supported")
    if on is not None and not (isinstance(on, exp.Boolean) and on.this):
        raise qb.error(on, "a JOIN with UNNEST takes ON TRUE only (filter the elements in WHERE)")
    if any(a == alias for a, _ in rel.scope):
        raise qb.error(j.this, f"duplicate table alias {alias!r} in FROM")
    e = _list_expr(qb, expr_binder(qb, rel), node)  # (a subquery in it appends its columns to rel)
    scope = dict(rel.scope)
    scope[(alias, name)] = rel.width
    if position is not None:
        scope[(alias, position)] = rel.width + 1
    return rel_of(P.Unnest(rel.plan, e, name, side == "LEFT", position), scope, dict(rel.ast_map),
                  prefix=rel.prefix)


# -- lambdas --------------------------------------------------------------------------------------------

LAMBDA_PARAMS = "__deltasql_lambda"
# function names sqlglot leaves as anonymous calls -> the lambda function they are
LAMBDA_NAMES = {"array_transform": "list_transform", "list_apply": "list_transform", "array_apply": "list_transform",
                "apply": "list_transform", "list_transform": "list_transform", "list_filter": "list_filter",
                "array_filter": "list_filter", "filter": "list_filter"}


@dataclass(frozen=True)
class Lambda:
    """A lambda's body, an expression over its parameters only: column 0 the element, 1 its 1-based
    position (``Call.extra`` of list_transform / list_filter; codegen makes it a Python lambda)."""

    body: object
    params: tuple
    start: object = None  # list_reduce: the first element (column 0) as the accumulator's type
    captures: int = 0  # the values the body reads from the query: the call's last arguments, the row's last columns

    def __str__(self) -> str:
        from .expr import render
        names = list(self.params) + ["$p1", "$p2"][len(self.params) - 1:] if self.start is not None else \
            list(self.params) + ["$i"][len(self.params) - 1:]
        return f"lambda {', '.join(self.params)}: {render(self.body, names + [f'$c{k}' for k in range(self.captures)])}"


def _lambda_body(qb, eb, node, what, lambda_node, types, counts):
    """(binder, bound body, parameter names, captures) of ``lambda_node``: the body over a row of its
    parameters (of ``types``: the i-th parameter is column i) followed by the values it reads from the
    query (``captures``, expressions bound by ``eb``, which the call carries as arguments: so passes see
    the columns a lambda reads); ``counts``: how many parameters the function takes."""
    from . import plan as P
    if not isinstance(lambda_node, exp.Lambda):
        raise qb.error(lambda_node if lambda_node is not None else node, f"{what} needs a lambda (lambda x: …)")
    params = tuple(p.name for p in lambda_node.expressions)
    if len(params) not in counts or len(set(params)) != len(params):
        raise qb.error(lambda_node, f"{what}: a lambda takes {' or '.join(map(str, counts))} parameters here")
    body = lambda_node.this.copy()
    for bad in body.find_all(exp.Subquery, exp.Select):
        raise qb.error(bad if bad.meta else lambda_node, f"{what}: a subquery in a lambda is not supported")
    for inner_lambda in body.find_all(exp.Lambda):
        if any(p.name in params for p in inner_lambda.expressions):
            raise qb.error(inner_lambda, f"{what}: a lambda whose parameter hides an outer one is not supported")

    def param(n):  # (a struct field's name, {'x': …}, is not the parameter x)
        if isinstance(n, exp.Identifier) and not isinstance(n.parent, (exp.Column, exp.Lambda)) \
                and n.name in params and not (isinstance(n.parent, exp.PropertyEQ) and n.arg_key == "this"):
            return exp.column(n.name, table=LAMBDA_PARAMS)
        return n
    body = body.transform(param)
    captures, slots = [], {}

    def capture(n):  # a column of the query (or an outer lambda's parameter): a value the call passes in
        if isinstance(n, exp.Column) and not (n.table == LAMBDA_PARAMS and n.name in params):
            key = (n.table, n.name)
            if key not in slots:
                slots[key] = len(captures)
                captures.append(eb.bind(n))
            return exp.column(f"$c{slots[key]}", table=LAMBDA_PARAMS)
        return n
    body = body.transform(capture)
    names = params + tuple(f"$p{i}" for i in range(len(params), len(types)))
    fields = tuple(P.Field(n, t, True) for n, t in zip(names, types)) + \
        tuple(P.Field(f"$c{k}", c.type, c.nullable) for k, c in enumerate(captures))
    scope = {(LAMBDA_PARAMS, n): i for i, n in enumerate(params)}
    scope.update({(LAMBDA_PARAMS, f"$c{k}"): len(types) + k for k in range(len(captures))})
    inner = type(eb)(qb, type(eb.rel)(P.Values((), fields), scope))
    return inner, inner.bind(body), params, tuple(captures)


def reduce_call(qb, eb, node, args):
    """list_reduce(xs, lambda acc, x[, i]: body[, initial]): acc starts as initial (or the first element,
    x then the next ones) and becomes body each time; its type is the body's (DuckDB's: [1, 2, 3] with
    acc / x is 1/6, a DOUBLE).  An empty list without initial is an error, as in DuckDB."""
    what = "LIST_REDUCE"
    lst = list_arg(eb, node, eb.bind(args[0]), what)
    elem = lst.type.elem
    init = eb.bind(args[2]) if len(args) > 2 else None
    acc = common_type(init.type, elem) if init is not None else elem
    if acc is None:
        raise qb.error(node, f"{what}: the initial value's {init.type} does not combine with a {lst.type}")
    for _ in range(2):  # the body's type, with acc typed as the body's type in turn
        inner, b, params, captures = _lambda_body(qb, eb, node, what, args[1], (acc, elem, BIGINT), (2, 3))
        if b.type == acc or b.type.kind == "null":
            break
        if b.type.kind == acc.kind == "decimal" and b.type.scale == acc.scale:
            acc = b.type  # a sum's precision grows with each element: the body's (DuckDB's type too)
            break
        acc = b.type
    else:
        raise qb.error(args[1], f"{what}: the lambda's type changes from one element to the next")
    b = inner.coerce(b, acc, args[1])
    start = Call("cast", (Col(0, elem, True),), acc, True, acc) if elem != acc else Col(0, elem, True)
    operands = (lst,) if init is None else (lst, eb.coerce(init, acc, node))
    return Call("list_reduce", operands + captures, acc, True, Lambda(b, params, start, len(captures)))


def lambda_call(qb, eb, node, fn: str, list_node, lambda_node):
    """list_transform(xs, lambda x[, i]: body) / list_filter(…): the body bound over a row of the element
    (and its position).  A body that reads anything but its parameters and constants (a column of the
    query, a subquery, an aggregate) is refused: not built yet."""
    what = fn.upper()
    lst = list_arg(eb, node, eb.bind(list_node), what)
    inner, b, params, captures = _lambda_body(qb, eb, node, what, lambda_node, (lst.type.elem, BIGINT), (1, 2))
    if fn == "list_filter":
        b = inner.as_condition(b, lambda_node)
        return Call("list_filter", (lst,) + captures, lst.type, lst.nullable, Lambda(b, params, None, len(captures)))
    if b.type.kind == "null":
        b = Lit(None, NULLTYPE)
    return Call("list_transform", (lst,) + captures, list_of(b.type), lst.nullable,
                Lambda(b, params, None, len(captures)))


# list functions that are an aggregate of the registry (compiler/aggregates.py) over the list's elements:
# that aggregate's runtime state fed the elements (codegen: sqllib.list_aggregates.aggregate_list)
AGGREGATE_OF_LIST = {"list_mad": "mad", "list_histogram": "histogram"}


def aggregate_of_list(eb, node, name: str, args):
    """list_mad(xs) / list_histogram(xs): MAD / HISTOGRAM of the elements (NULLs skipped; NULL for a
    NULL list or one without a non-NULL element), the aggregate's own type rules (MAD: a number; of an
    integer, over DOUBLEs; not of a FLOAT, which DuckDB interpolates in 32 bits; of a DATE, TIMESTAMP(TZ)
    or TIME, an INTERVAL)."""
    from .aggregates import BY_FN
    what = name.upper()
    if len(args) != 1:
        raise eb.error(node, f"{what} takes one list")
    lst = list_arg(eb, node, eb.bind(args[0]), what)
    fn = AGGREGATE_OF_LIST[name]
    elem = lst.type.elem
    if fn == "mad" and elem.kind == "timestamp" and elem.precision:
        raise eb.error(node, f"{what} of a {lst.type} is not supported (DuckDB interpolates in its unit)")
    if fn == "mad" and elem.kind in ("date", "timestamp", "timestamptz", "time"):
        fn = "mad_temporal"  # an INTERVAL over microsecond counts (runtime/temporal_mad.py)
    elif fn == "mad":
        if elem.kind in ("int", "null", "uhugeint"):
            lst = coerce(eb, lst, list_of(DOUBLE), node)
        elif elem.kind not in ("decimal", "float"):
            raise eb.error(node, f"{what} needs a list of numbers, not {lst.type}")
        elif elem.bits == 32:
            raise eb.error(node, f"{what} of a FLOAT[] (interpolated in 32-bit floats) is not supported; cast "
                                 "the list to DOUBLE[]")
    t = BY_FN[fn].result_type([Col(0, lst.type.elem, True)], eb.dialect.name)
    return Call("list_aggregate", (lst,), t, True, fn)


# list_aggr(xs, 'name'): the list function of each aggregate name deltasql has one for
AGGR_NAMES = {"sum": "list_sum", "min": "list_min", "max": "list_max", "count": "list_count", "avg": "list_avg",
              "mean": "list_avg", "first": "list_first", "last": "list_last", "arbitrary": "list_first",
              # (misc-19: sqllib/list_aggregates.py)
              "product": "list_product", "bit_and": "list_bit_and", "bit_or": "list_bit_or",
              "bool_and": "list_bool_and", "bool_or": "list_bool_or", "string_agg": "list_string_agg",
              "group_concat": "list_string_agg", "sem": "list_sem", "mode": "list_mode", "median": "list_median",
              "mad": "list_mad", "histogram": "list_histogram"}
# the names that take one more argument after the name (list_aggr(xs, 'string_agg', '-'): bind/calls.py
# calls the registry's list_string_agg_sep)
AGGR_EXTRA = {"string_agg", "group_concat"}


def aggr_call(eb, node, args):
    """list_aggr(xs, 'sum') / list_aggregate: the list function of that aggregate (list_sum, …)."""
    name = args[1] if len(args) == 2 else None
    if not (isinstance(name, exp.Literal) and name.is_string and name.this.lower() in AGGR_NAMES):
        raise eb.error(node, "LIST_AGGR takes a list and a constant aggregate name: "
                             + ", ".join(f"'{n}'" for n in AGGR_NAMES))
    call = exp.Anonymous(this=AGGR_NAMES[name.this.lower()], expressions=[args[0].copy()])
    call.meta.update(node.meta)
    return eb.bind(call)


def _bigint_constant(e):
    """A HUGEINT constant that fits a BIGINT, as a BIGINT (-9223372036854775808 is a HUGEINT literal):
    DuckDB takes it as a slice bound."""
    if isinstance(e, Lit) and e.type.kind == "int" and e.type.bits > 64 and e.value is not None \
            and -(1 << 63) <= e.value < (1 << 63):
        return Lit(e.value, BIGINT)
    return e


def slice_function(eb, node, value_node, begin_node, end_node, step_node=None):
    """list_slice(xs, a, b[, step]) / array_slice(…): xs[a:b(:step)] (a NULL bound: NULL); on a VARCHAR, s[a:b]."""
    s = eb.bind(value_node)
    bounds = [eb.int_arg(b, _bigint_constant(eb.bind(b)), "a slice bound") for b in (begin_node, end_node)]
    if s.type.kind == "text" and step_node is None:
        return Call("string_slice", (s, *bounds), TEXT, s.nullable or any(b.nullable for b in bounds), (True, True))
    s = list_arg(eb, node, s, "LIST_SLICE")
    nullable = s.nullable or any(b.nullable for b in bounds)
    if step_node is not None:
        st = eb.int_arg(step_node, eb.bind(step_node), "a slice's step")
        return Call("list_slice_step", (s, *bounds, st), s.type, nullable or st.nullable, (True, True))
    return Call("list_slice", (s, *bounds), s.type, nullable, (True, True))
