"""Scalar expressions of the logical plan: immutable trees over the columns of one input row."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .types import SqlType

# a comparison's negation (NOT (a < b) is a >= b when neither side is NULL)
NEGATED = {"eq": "ne", "ne": "eq", "lt": "ge", "le": "gt", "gt": "le", "ge": "lt"}


@dataclass(frozen=True, slots=True)
class Col:
    """The value of column ``index`` of the input row."""

    index: int
    type: SqlType
    nullable: bool = True
    name: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class Lit:
    """A constant (None is SQL NULL)."""

    value: object
    type: SqlType

    @property
    def nullable(self) -> bool:
        return self.value is None


@dataclass(frozen=True, slots=True)
class Call:
    """An operator or function applied to arguments, named by ``fn`` (see codegen for the list);
    ``extra`` holds a static parameter such as a CAST's target type."""

    fn: str
    args: tuple[Expr, ...]
    type: SqlType
    nullable: bool = True
    extra: object = None


@dataclass(frozen=True, slots=True)
class Case:
    """CASE WHEN c1 THEN v1 … ELSE default END (the operand form is rewritten to this one)."""

    whens: tuple[tuple[Expr, Expr], ...]  # ((condition, value), ...)
    default: Expr
    type: SqlType
    nullable: bool = True


Expr = Col | Lit | Call | Case


def children(e: Expr) -> tuple[Expr, ...]:
    if isinstance(e, Call):
        return e.args
    if isinstance(e, Case):
        return tuple(x for pair in e.whens for x in pair) + (e.default,)
    return ()


def columns_used(e: Expr, into: set[int] | None = None) -> set[int]:
    """The set of column indices an expression reads."""
    out = set() if into is None else into
    stack = [e]
    while stack:
        x = stack.pop()
        if isinstance(x, Col):
            out.add(x.index)
        else:
            stack.extend(children(x))
    return out


def remap(e: Expr, mapping: Callable[[Col], Expr]) -> Expr:
    """The expression with each Col(i) replaced by ``mapping(col)`` (an expression)."""
    if isinstance(e, Col):
        return mapping(e)
    if isinstance(e, Call):
        return Call(e.fn, tuple(remap(a, mapping) for a in e.args), e.type, e.nullable, e.extra)
    if isinstance(e, Case):
        return Case(tuple((remap(c, mapping), remap(v, mapping)) for c, v in e.whens),
                    remap(e.default, mapping), e.type, e.nullable)
    return e


def replace(e: Expr, f: Callable[[Expr], Expr | None]) -> Expr:
    """The expression with each subexpression x for which ``f(x)`` is not None replaced by f(x)."""
    new = f(e)
    if new is not None:
        return new
    if isinstance(e, Call):
        return Call(e.fn, tuple(replace(a, f) for a in e.args), e.type, e.nullable, e.extra)
    if isinstance(e, Case):
        return Case(tuple((replace(c, f), replace(v, f)) for c, v in e.whens), replace(e.default, f), e.type,
                    e.nullable)
    return e


def shift(e: Expr, offset: int) -> Expr:
    """Renumber columns by ``offset`` (an expression over the right side of a join, say)."""
    if not offset:
        return e
    return remap(e, lambda c: Col(c.index + offset, c.type, c.nullable, c.name))


def substitute(e: Expr, exprs: Sequence[Expr]) -> Expr:
    """Replace Col(i) by exprs[i]: inlining a projection into the expression that reads it."""
    return remap(e, lambda c: exprs[c.index])


def conjuncts(e: Expr) -> list[Expr]:
    """Split an AND tree into its conjuncts."""
    if isinstance(e, Call) and e.fn == "and":
        return conjuncts(e.args[0]) + conjuncts(e.args[1])
    return [e]


def disjuncts(e: Expr) -> list[Expr]:
    if isinstance(e, Call) and e.fn == "or":
        return disjuncts(e.args[0]) + disjuncts(e.args[1])
    return [e]


def factor_or(e: Expr) -> Expr:
    """(A ∧ B) ∨ (A ∧ C) → A ∧ (B ∨ C), for conjuncts common to every branch of an OR (distribution
    and absorption hold in SQL's three-valued logic).  Other expressions are returned unchanged."""
    if not (isinstance(e, Call) and e.fn == "or"):
        if isinstance(e, Call) and e.fn == "and":
            return _and_of([factor_or(c) for c in conjuncts(e)])
        return e
    branches = [[_canonical(c) for c in conjuncts(b)] for b in disjuncts(e)]
    common = [c for c in branches[0] if all(c in b for b in branches[1:])]
    if not common:
        return e
    rests = [[c for c in b if c not in common] for b in branches]
    if any(not r for r in rests):
        return _and_of(common)  # A ∨ (A ∧ C) = A
    rest = _and_of(rests[0])
    for r in rests[1:]:
        term = _and_of(r)
        rest = Call("or", (rest, term), term.type, rest.nullable or term.nullable)
    return _and_of(common + [rest])


def _canonical(e: Expr) -> Expr:
    """A symmetric comparison with its operands in a fixed order, so a = b and b = a match."""
    if isinstance(e, Call) and e.fn in ("eq", "ne", "is_distinct", "is_not_distinct") and len(e.args) == 2:
        a, b = e.args
        if render(b) < render(a):
            return Call(e.fn, (b, a), e.type, e.nullable, e.extra)
    return e


def _and_of(parts: Sequence[Expr]) -> Expr:
    """The AND of one or more conditions, nested to the left."""
    out = parts[0]
    for p in parts[1:]:
        out = Call("and", (out, p), p.type, out.nullable or p.nullable)
    return out


def is_constant(e: Expr) -> bool:
    return not columns_used(e) and not has_volatile(e)


def has_volatile(e: Expr) -> bool:
    stack = [e]
    while stack:
        x = stack.pop()
        if isinstance(x, Call) and x.fn in ("random", "now"):
            return True
        stack.extend(children(x))
    return False


def render(e: Expr, names: Sequence[str] | None = None) -> str:
    """A deterministic SQL-ish text of an expression, for plan printouts."""
    if isinstance(e, Col):
        if names is not None and e.index < len(names):
            return f"{names[e.index]}#{e.index}"
        return f"#{e.index}"
    if isinstance(e, Lit):
        return "NULL" if e.value is None else repr(e.value)
    if isinstance(e, Case):
        parts = " ".join(f"WHEN {render(c, names)} THEN {render(v, names)}" for c, v in e.whens)
        return f"CASE {parts} ELSE {render(e.default, names)} END"
    args = ", ".join(render(a, names) for a in e.args)
    extra = f":{e.extra}" if e.extra is not None else ""
    return f"{e.fn}{extra}({args})"
