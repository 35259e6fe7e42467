"""Temporal filters: WHERE conditions that compare the rows with NOW(), the pipeline's clock.

NOW() (and CURRENT_TIMESTAMP, CURRENT_DATE) is a clock the pipeline advances (``p.advance_clock``,
``p.step(now=…)``, the CLI's ``--clock``): never a value computed per row.  It may appear only in a
WHERE conjunct of the form ``e(row) op f(NOW())`` (either way round), op one of <, <=, >, >=, with
f non-decreasing in NOW() and reading nothing else (``NOW() - INTERVAL '1' HOUR``,
``CAST(NOW() AS DATE)``) and e reading the row only.  Because the clock only moves forward and f is
non-decreasing, such a conjunct, for a given row, is

- ``e < f(NOW())`` or ``<=``: false until the clock reaches a moment, then true for ever (the row
  *enters*: a "lower" conjunct, as ``ts <= NOW()`` holds back rows dated in the future);
- ``e > f(NOW())`` or ``>=``: true until a moment, then false for ever (the row *leaves*: an "upper"
  conjunct, as ``ts > NOW() - INTERVAL '1' HOUR`` keeps the last hour).

That is what makes them incremental (runtime/operators/temporal.py keeps the rows waiting to enter
ordered by when they enter, the rows present by when they leave, and drops the rows that left).
``check`` refuses every other use of NOW() at the SQL it was written in; ``split`` separates a
filter's temporal conjuncts from the others and puts each in a normal form.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from .expr import Call, Col, children, columns_used, conjuncts, replace
from .types import TIMESTAMP

NOW = "now"
_FLIP = {"lt": "gt", "le": "ge", "gt": "lt", "ge": "le"}
# fn -> the argument in which it is non-decreasing (others constant): what f(NOW()) may apply
_MONOTONE = {"add_interval": 0, "sub_interval": 0, "cast": 0, "date_trunc": 0, "time_bucket": 1,
             "date_add_days": 0}

MISPLACED = ("NOW() is not deterministic; a view cannot be maintained over it, except in a WHERE condition "
             "comparing it with the rows (a temporal filter, e.g. ts > NOW() - INTERVAL '1' HOUR)")


def now_call() -> Call:
    return Call(NOW, (), TIMESTAMP, False)


def has_now(e) -> bool:
    stack = [e]
    while stack:
        x = stack.pop()
        if isinstance(x, Call) and x.fn == NOW:
            return True
        stack.extend(children(x))
    return False


@dataclass(frozen=True)
class Bound:
    """One temporal conjunct in normal form: ``value(row) < threshold(now)`` (``enters``, < or <=
    as ``strict``) or ``value(row) > threshold(now)`` (not ``enters``: the row leaves)."""

    value: object  # Expr over the row
    threshold: object  # Expr over Col(0) = the clock's value
    enters: bool
    strict: bool


def normal_form(c) -> Bound | None:
    """The normal form of a temporal conjunct, or None if it is not one."""
    if not (isinstance(c, Call) and c.fn in _FLIP and len(c.args) == 2):
        return None
    a, b = c.args
    fn = c.fn
    if has_now(a) and not has_now(b):
        a, b, fn = b, a, _FLIP[fn]
    if has_now(a) or not has_now(b) or columns_used(b) or not columns_used(a) or not _non_decreasing(b):
        return None
    return Bound(a, _now_as_column(b), fn in ("lt", "le"), fn in ("lt", "gt"))


def _non_decreasing(e) -> bool:
    """e reads NOW() through non-decreasing functions with constant other arguments only."""
    if isinstance(e, Call) and e.fn == NOW:
        return True
    if not isinstance(e, Call):
        return False
    if e.fn == "cast" and e.type.kind not in ("date", "timestamp"):
        return False
    k = _MONOTONE.get(e.fn)
    if k is None or k >= len(e.args):
        return False
    return all(not has_now(a) and not columns_used(a) for i, a in enumerate(e.args) if i != k) and \
        _non_decreasing(e.args[k])


def _now_as_column(e):
    return replace(e, lambda x: Col(0, x.type, False, "now") if isinstance(x, Call) and x.fn == NOW else None)


def split(predicate) -> tuple[list, list]:
    """(the conjuncts that do not read the clock, the temporal ones in normal form)."""
    plain, timed = [], []
    for c in conjuncts(predicate):
        if has_now(c):
            timed.append(normal_form(c))
        else:
            plain.append(c)
    return plain, timed


def check(cond, node, error) -> None:
    """Refuse a bound WHERE conjunct that reads NOW() other than as a temporal filter."""
    for c in conjuncts(cond):
        if has_now(c) and normal_form(c) is None:
            found = next(iter(node.find_all(exp.CurrentTimestamp, exp.CurrentDate, exp.Anonymous)), None)
            at = next((n for n in node.find_all(exp.CurrentTimestamp, exp.CurrentDate, exp.Anonymous)
                       if not isinstance(n, exp.Anonymous) or n.name.lower() == "now"), found)
            if at is None or not any(getattr(n, "_meta", None) for n in at.walk()):
                at = node  # (CURRENT_TIMESTAMP is a keyword without a position: point at its conjunct)
            raise error(at, MISPLACED)

