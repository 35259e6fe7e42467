"""The logical plan: immutable relational nodes, each deriving its output fields from its inputs.

Nodes are frozen dataclasses, hashable and comparable by value, so two views that contain the same
subplan produce equal nodes (how the lowering shares arrangements between views).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from .expr import Col, Expr, render
from .types import BIGINT, BOOLEAN, SqlType


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    type: SqlType
    nullable: bool = True


def col(fields: Sequence[Field], i: int) -> Col:
    f = fields[i]
    return Col(i, f.type, f.nullable, f.name)


@dataclass(frozen=True, slots=True)
class Scan:
    """The rows of a base table (or of a view, read as a stream)."""

    table: str
    fields: tuple[Field, ...]
    is_view: bool = False

    inputs = ()


@dataclass(frozen=True, slots=True)
class Values:
    """A constant relation (VALUES, or SELECT without FROM)."""

    rows: tuple[tuple[Any, ...], ...]  # Python values
    fields: tuple[Field, ...]

    inputs = ()


@dataclass(frozen=True, slots=True)
class Filter:
    input: Plan
    predicate: Expr

    @property
    def fields(self) -> tuple[Field, ...]:
        return self.input.fields

    @property
    def inputs(self) -> tuple[Plan, ...]:
        return (self.input,)


@dataclass(frozen=True, slots=True)
class Project:
    input: Plan
    exprs: tuple[Expr, ...]
    names: tuple[str, ...] = field(compare=False)

    @property
    def fields(self) -> tuple[Field, ...]:
        return tuple(Field(n, e.type, e.nullable) for n, e in zip(self.names, self.exprs))

    @property
    def inputs(self) -> tuple[Plan, ...]:
        return (self.input,)


@dataclass(frozen=True, slots=True)
class Join:
    """kind: inner, left, right or full.  Output: left fields then right fields.  Rows pair when
    every left_keys[i] equals right_keys[i] (NULL never equal unless null_safe[i], for IS NOT
    DISTINCT FROM) and ``residual`` (over the concatenated row, may be None) is TRUE."""

    left: Plan
    right: Plan
    kind: str
    left_keys: tuple[Expr, ...]
    right_keys: tuple[Expr, ...]
    null_safe: tuple[bool, ...]
    residual: Expr | None = None

    @property
    def fields(self) -> tuple[Field, ...]:
        lf, rf = self.left.fields, self.right.fields
        if self.kind in ("left", "full"):
            rf = tuple(Field(f.name, f.type, True) for f in rf)
        if self.kind in ("right", "full"):
            lf = tuple(Field(f.name, f.type, True) for f in lf)
        return lf + rf

    @property
    def inputs(self) -> tuple[Plan, ...]:
        return (self.left, self.right)


@dataclass(frozen=True, slots=True)
class Semijoin:
    """Left rows judged by whether some right row has equal keys (NULL keys never match, except
    null_safe ones).  mode: semi (matched rows), anti (unmatched) or mark (every row, plus a
    non-NULL BOOLEAN column: matched)."""

    left: Plan
    right: Plan
    left_keys: tuple[Expr, ...]
    right_keys: tuple[Expr, ...]
    null_safe: tuple[bool, ...]
    mode: str

    @property
    def fields(self) -> tuple[Field, ...]:
        extra = (Field("$mark", BOOLEAN, False),) if self.mode == "mark" else ()
        return self.left.fields + extra

    @property
    def inputs(self) -> tuple[Plan, ...]:
        return (self.left, self.right)


@dataclass(frozen=True, slots=True)
class AsofJoin:
    """DuckDB's ASOF JOIN: each left row paired with the right row of equal keys whose
    ``right_time`` is nearest to ``left_time`` on the side ``op`` allows (``left_time op
    right_time``, op one of ge, gt, le, lt); kind inner (unpaired left rows dropped) or left
    (NULL-padded).  Output: left fields then right fields.  See runtime/operators/asof.py."""

    left: Plan
    right: Plan
    kind: str
    left_keys: tuple[Expr, ...]
    right_keys: tuple[Expr, ...]
    null_safe: tuple[bool, ...]
    left_time: Expr
    right_time: Expr
    op: str

    @property
    def fields(self) -> tuple[Field, ...]:
        rf = self.right.fields
        if self.kind == "left":
            rf = tuple(Field(f.name, f.type, True) for f in rf)
        return self.left.fields + rf

    @property
    def inputs(self) -> tuple[Plan, ...]:
        return (self.left, self.right)


@dataclass(frozen=True, slots=True)
class AggCall:
    """An aggregate over the input row: fn(arg) [DISTINCT] [FILTER (WHERE filter)] [ORDER BY]."""

    fn: str  # count_star, count, sum, avg, min, max, …: an entry of the aggregate registry (aggregates.py)
    arg: Expr | None  # for two-argument aggregates a Call("pair", (a, b))
    distinct: bool
    filter: Expr | None
    type: SqlType
    nullable: bool = True
    order: tuple[tuple[Expr, bool, bool], ...] = ()  # ((expression, descending, nulls_first), ...)
    param: object = None  # a constant: the separator of string_agg, the fraction of a quantile


@dataclass(frozen=True, slots=True)
class Aggregate:
    """GROUP BY the key expressions; output: the keys then one column per aggregate (``names``
    names them all).  With no keys it is a global aggregate: exactly one row, even over empty input."""

    input: Plan
    keys: tuple[Expr, ...]  # over the input
    aggs: tuple[AggCall, ...]
    names: tuple[str, ...] = field(compare=False)

    @property
    def fields(self) -> tuple[Field, ...]:
        out = [Field(n, k.type, k.nullable) for n, k in zip(self.names, self.keys)]
        out += [Field(n, a.type, a.nullable) for n, a in zip(self.names[len(self.keys):], self.aggs)]
        return tuple(out)

    @property
    def inputs(self) -> tuple[Plan, ...]:
        return (self.input,)


@dataclass(frozen=True, slots=True)
class Distinct:
    input: Plan

    @property
    def fields(self) -> tuple[Field, ...]:
        return self.input.fields

    @property
    def inputs(self) -> tuple[Plan, ...]:
        return (self.input,)


@dataclass(frozen=True, slots=True)
class UnionAll:
    parts: tuple[Plan, ...]
    fields: tuple[Field, ...] = field(compare=False)

    @property
    def inputs(self) -> tuple[Plan, ...]:
        return self.parts


@dataclass(frozen=True, slots=True)
class SetOp:
    """except, except_all, intersect, intersect_all (set forms output each row at most once)."""

    left: Plan
    right: Plan
    kind: str

    @property
    def fields(self) -> tuple[Field, ...]:
        return tuple(Field(f.name, f.type, f.nullable or g.nullable)
                     for f, g in zip(self.left.fields, self.right.fields))

    @property
    def inputs(self) -> tuple[Plan, ...]:
        return (self.left, self.right)


@dataclass(frozen=True, slots=True)
class SortKey:
    expr: Expr
    descending: bool = False
    nulls_first: bool = False


@dataclass(frozen=True, slots=True)
class TopK:
    """The first ``limit`` rows (None: all) after skipping ``offset``, in ``order``, per partition;
    with ``ties`` "rank" also the rows tied with the last on the order's expressions, with "dense"
    the rows of the first ``limit`` groups of such ties (the rows a RANK()/DENSE_RANK() <= limit keeps).
    With ``percent`` (limit None) the limit is floor(percent / 100 * the partition's row count).
    With ``bounds`` (limit None, offset 0) the limit and offset are computed: ``bounds`` is a plan of
    one row (limit, offset), integers or NULL (LIMIT (SELECT …))."""

    input: Plan
    order: tuple[SortKey, ...]
    limit: int | None
    offset: int
    partition: tuple[Expr, ...] = ()
    ties: str = ""
    percent: float | None = None
    bounds: Plan | None = None

    @property
    def fields(self) -> tuple[Field, ...]:
        return self.input.fields

    @property
    def inputs(self) -> tuple[Plan, ...]:
        return (self.input,) if self.bounds is None else (self.input, self.bounds)


@dataclass(frozen=True, slots=True)
class WinCall:
    """A window function: fn is row_number, rank, dense_rank, percent_rank, cume_dist, ntile, lag
    (LAG and LEAD: ``extra`` the shift), frame_value (FIRST_VALUE, LAST_VALUE, NTH_VALUE: ``extra``
    (which, n)), lag_ignore_nulls and frame_value_ignore_nulls (the same over the rows whose argument
    is not NULL), or agg (``extra`` then holds the AggCall).  ``frame`` is (mode, start, end) as in
    runtime/windows.py, None for the default."""

    fn: str
    args: tuple[Expr, ...]
    type: SqlType
    nullable: bool = True
    frame: Any = None
    extra: Any = None


@dataclass(frozen=True, slots=True)
class Window:
    """Each input row extended with window-function values over its partition (rows sharing the
    partition expressions), in ``order``."""

    input: Plan
    partition: tuple[Expr, ...]
    order: tuple[SortKey, ...]
    calls: tuple[WinCall, ...]
    names: tuple[str, ...] = field(compare=False)

    @property
    def fields(self) -> tuple[Field, ...]:
        return self.input.fields + tuple(Field(n, c.type, c.nullable) for n, c in zip(self.names, self.calls))

    @property
    def inputs(self) -> tuple[Plan, ...]:
        return (self.input,)


@dataclass(frozen=True, slots=True)
class Session:
    """Each input row (with a non-NULL ``time``) extended with the session window it falls in:
    rows of one partition (equal ``partition`` values) ordered by time; a session ends where the
    next time is past ``end`` of the last (``end`` is time + gap, over Col(0) = a time).  The new
    columns: window_start (the first time), window_end (end of the last).  See
    runtime/operators/session.py."""

    input: Plan
    partition: tuple[Expr, ...]
    time: Expr
    end: Expr
    names: tuple[str, ...] = field(compare=False, default=("window_start", "window_end"))

    @property
    def fields(self) -> tuple[Field, ...]:
        return self.input.fields + (Field(self.names[0], self.time.type, False),
                                    Field(self.names[1], self.end.type, False))

    @property
    def inputs(self) -> tuple[Plan, ...]:
        return (self.input,)


@dataclass(frozen=True, slots=True)
class RecRef:
    """Inside a recursive group's bodies: the current value of the group's relation ``name``."""

    name: str
    fields: tuple[Field, ...]
    group: int  # identifies the recursive group (one fixpoint)

    inputs = ()


@dataclass(frozen=True, slots=True)
class Fixpoint:
    """The least fixpoint of a group of (mutually) recursive relations, X_k = body_k(X_1..X_n),
    with each body a UnionAll of its terms; ``distinct[k]`` for UNION (set semantics) versus UNION
    ALL (bag semantics: the sum of all iterations).  This node yields relation ``index``."""

    names: tuple[str, ...]
    bodies: tuple[Plan, ...]
    distinct: tuple[bool, ...]
    index: int
    group: int
    fields: tuple[Field, ...] = field(compare=False)
    max_iterations: int = field(default=0, compare=False)

    @property
    def inputs(self) -> tuple[Plan, ...]:
        return self.bodies


@dataclass(frozen=True, slots=True)
class KeyedFixpoint:
    """DuckDB's ``WITH RECURSIVE name USING KEY (keys) AS (anchor UNION [ALL] step)``: a union table
    with one row per key, each iteration's rows replacing those of their keys (compiler/keyed_recursion.py
    and runtime/nested/keyed.py give the definition).  ``step`` reads the last iteration's rows as
    ``RecRef(name)`` and the union table as ``RecRef(recurring)``, both of group ``group``."""

    name: str
    anchor: Plan
    step: Plan
    keys: tuple[int, ...]  # column positions
    distinct: bool  # UNION (the next iteration reads the rows that changed) or UNION ALL (all it produced)
    group: int
    recurring: str
    fields: tuple[Field, ...] = field(compare=False)
    max_iterations: int = field(default=0, compare=False)
    aggregation: KeyAggregation | None = None  # aggregates in USING KEY (compiler/keyed_aggregation.py)

    @property
    def inputs(self) -> tuple[Plan, ...]:
        return (self.anchor, self.step)


@dataclass(frozen=True, slots=True)
class KeyAggregation:
    """The aggregates of ``USING KEY (k, min(v), …)`` (compiler/keyed_aggregation.py): ``fold`` groups
    the candidates (``RecRef(candidates)``, of fields ``raw``: t's columns as the anchor types them,
    then the iteration number) by the keys, one column per aggregate; ``check``, when an aggregate
    depends on order, yields (keys, iteration) where two candidates of one iteration disagree on its
    argument.  ``columns`` says where each column of t comes from: ("key", i) the i-th key of the
    fold, ("agg", j) its j-th aggregate, ("payload", i) column i of the key's last candidate."""

    fold: Plan
    check: Plan | None
    candidates: str
    raw: tuple[Field, ...]
    columns: tuple[tuple[str, int], ...]
    written: str = field(compare=False)  # the aggregate calls as written, for plans and messages


_CHILD_FIELDS = {"Filter": ("input",), "Project": ("input",), "Aggregate": ("input",), "Distinct": ("input",),
                 "TopK": ("input", "bounds"), "Window": ("input",), "Join": ("left", "right"),
                 "Semijoin": ("left", "right"), "SetOp": ("left", "right"),
                 "AsofJoin": ("left", "right"), "Session": ("input",),
                 "Unnest": ("input",), "KeyedFixpoint": ("anchor", "step")}


@dataclass(frozen=True, slots=True)
class Unnest:
    """UNNEST of a list: each input row once per element of ``expr`` (a list), the element appended as
    column ``name`` (a flat-map: linear, no state), and with ``ordinality`` (WITH ORDINALITY) its
    position from 1 as a BIGINT column of that name.  A NULL or empty list gives no row, unless
    ``outer`` (LEFT JOIN UNNEST(…) ON TRUE): then the row once, its element (and position) NULL."""

    input: Plan
    expr: Expr
    name: str
    outer: bool = False
    ordinality: str | None = None

    @property
    def fields(self) -> tuple[Field, ...]:
        elem = cast(SqlType, self.expr.type.elem)
        position = (Field(self.ordinality, BIGINT, self.outer),) if self.ordinality is not None else ()
        return self.input.fields + (Field(self.name, elem, True),) + position

    @property
    def inputs(self) -> tuple[Plan, ...]:
        return (self.input,)


Plan = (Scan | Values | Filter | Project | Join | AsofJoin | Semijoin | Aggregate | Distinct | UnionAll
        | SetOp | TopK | Window | Session | RecRef | Fixpoint | KeyedFixpoint | Unnest)


def with_inputs(node: Plan, inputs: Sequence[Plan]) -> Plan:
    """The same node over new inputs (in the order of ``node.inputs``)."""
    cls = type(node)
    slots = _INPUT_SLOTS.get(cls)
    if slots is None:
        slots = _INPUT_SLOTS[cls] = _input_slots(cls)
    if not slots:
        return node
    args = [getattr(node, f) for f in slots[0]]  # every field, in constructor order
    if slots[1] == "*":  # the inputs are one tuple field
        args[slots[2]] = tuple(inputs)
    else:
        for i, x in zip(slots[1], inputs):
            args[i] = x
    return cls(*args)


_INPUT_SLOTS: dict[type, Any] = {}


def _input_slots(cls: type) -> Any:
    """(field names in constructor order, positions of the input fields or "*", position of the tuple
    of inputs) for with_inputs; () for a node without inputs."""
    import dataclasses
    names = [f.name for f in dataclasses.fields(cls) if f.init]
    if cls.__name__ in _CHILD_FIELDS:
        return names, [names.index(n) for n in _CHILD_FIELDS[cls.__name__]], None
    if cls is UnionAll:
        return names, "*", names.index("parts")
    if cls is Fixpoint:
        return names, "*", names.index("bodies")
    return ()


def free_groups(plan: Plan) -> set[int]:
    """Recursive groups a subplan reads (RecRef) but does not itself define."""
    refs, defined = set(), set()
    for p in walk(plan):
        if isinstance(p, RecRef):
            refs.add(p.group)
        elif isinstance(p, (Fixpoint, KeyedFixpoint)):
            defined.add(p.group)
    return refs - defined


def invariant_subplans(roots: Iterable[Plan], available: frozenset[int] | set[int]) -> list[Plan]:
    """The maximal subplans of ``roots`` that read no recursive group outside ``available``: what a
    recursion's body can import from the enclosing circuit, in a deterministic order."""
    out: list[Plan] = []
    seen: set[int] = set()

    def collect(p: Plan) -> None:
        if id(p) in seen:
            return
        seen.add(id(p))
        if free_groups(p) <= available:
            if p not in out:
                out.append(p)
            return
        for child in p.inputs:
            collect(child)

    for r in roots:
        collect(r)
    return out


def walk(plan: Plan) -> Iterator[Plan]:
    """Every node of a plan, parents before children, each distinct node once."""
    seen = set()
    stack = [plan]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        stack.extend(reversed(node.inputs))


def _keys_text(plan: Join | Semijoin | AsofJoin) -> str:
    ln = [f.name for f in plan.left.fields]
    rn = [f.name for f in plan.right.fields]
    return ", ".join(f"{render(a, ln)} {'<=>' if s else '='} {render(b, rn)}"
                     for a, b, s in zip(plan.left_keys, plan.right_keys, plan.null_safe))


def explain(plan: Plan, indent: int = 0) -> str:
    """A deterministic indented text of a plan, one node per line."""
    pad = "  " * indent
    names = None
    t = type(plan).__name__
    if isinstance(plan, Scan):
        head = f"Scan {plan.table}"
    elif isinstance(plan, Values):
        head = f"Values {len(plan.rows)} rows"
    elif isinstance(plan, Filter):
        names = [f.name for f in plan.input.fields]
        head = f"Filter {render(plan.predicate, names)}"
    elif isinstance(plan, Project):
        names = [f.name for f in plan.input.fields]
        head = "Project " + ", ".join(f"{render(e, names)} AS {n}" for e, n in zip(plan.exprs, plan.names))
    elif isinstance(plan, Join):
        names = [f.name for f in plan.left.fields] + [f.name for f in plan.right.fields]
        res = f" residual {render(plan.residual, names)}" if plan.residual is not None else ""
        head = f"Join {plan.kind} on [{_keys_text(plan)}]{res}"
    elif isinstance(plan, Semijoin):
        head = f"Semijoin {plan.mode} on [{_keys_text(plan)}]"
    elif isinstance(plan, AsofJoin):
        ln = [f.name for f in plan.left.fields]
        rn = [f.name for f in plan.right.fields]
        op = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}[plan.op]
        head = (f"AsofJoin {plan.kind} on [{_keys_text(plan)}] "
                f"{render(plan.left_time, ln)} {op} {render(plan.right_time, rn)}")
    elif isinstance(plan, Aggregate):
        names = [f.name for f in plan.input.fields]
        aggs = ", ".join(
            f"{a.fn}({'DISTINCT ' if a.distinct else ''}{render(a.arg, names) if a.arg is not None else '*'})"
            + (f" FILTER {render(a.filter, names)}" if a.filter is not None else "") + f" AS {n}"
            for a, n in zip(plan.aggs, plan.names[len(plan.keys):]))
        head = f"Aggregate keys [{', '.join(render(k, names) for k in plan.keys)}] {aggs}"
    elif isinstance(plan, SetOp):
        head = f"SetOp {plan.kind}"
    elif isinstance(plan, TopK):
        names = [f.name for f in plan.input.fields]
        order = ", ".join(f"{render(k.expr, names)}{' DESC' if k.descending else ''}" for k in plan.order)
        part = f" partition [{', '.join(render(p, names) for p in plan.partition)}]" if plan.partition else ""
        ties = f" with {plan.ties} ties" if plan.ties else ""
        limit = f"{plan.percent} PERCENT" if plan.percent is not None else plan.limit
        head = f"TopK limit {limit} offset {plan.offset}{ties} order [{order}]{part}"
    elif isinstance(plan, Window):
        names = [f.name for f in plan.input.fields]
        part = ", ".join(render(p, names) for p in plan.partition)
        order = ", ".join(f"{render(k.expr, names)}{' DESC' if k.descending else ''}" for k in plan.order)
        calls = ", ".join(f"{c.fn}({', '.join(render(a, names) for a in c.args)}) AS {n}"
                          for c, n in zip(plan.calls, plan.names))
        head = f"Window partition [{part}] order [{order}] {calls}"
    elif isinstance(plan, Session):
        names = [f.name for f in plan.input.fields]
        part = ", ".join(render(p, names) for p in plan.partition)
        head = f"Session partition [{part}] time {render(plan.time, names)} ends at {render(plan.end, ['time'])}"
    elif isinstance(plan, Unnest):
        names = [f.name for f in plan.input.fields]
        head = f"Unnest{' outer' if plan.outer else ''} {render(plan.expr, names)} AS {plan.name}"
    elif isinstance(plan, RecRef):
        head = f"RecRef {plan.name}"
    elif isinstance(plan, Fixpoint):
        head = f"Fixpoint {plan.names[plan.index]} of ({', '.join(plan.names)})"
        lines = [pad + head]
        for name, body, d in zip(plan.names, plan.bodies, plan.distinct):
            lines.append(f"{pad}  {name} = {'UNION' if d else 'UNION ALL'} of")
            lines.append(explain(body, indent + 2))
        return "\n".join(lines)
    elif isinstance(plan, KeyedFixpoint):
        keys = ", ".join(plan.fields[i].name for i in plan.keys)
        if plan.aggregation is not None:
            keys += ", " + plan.aggregation.written
        head = (f"KeyedFixpoint {plan.name} USING KEY ({keys}) {'UNION' if plan.distinct else 'UNION ALL'}"
                f" (recomputed whole when an input changes)")
    else:
        head = t
    lines = [pad + head]
    for child in plan.inputs:
        lines.append(explain(child, indent + 1))
    return "\n".join(lines)
