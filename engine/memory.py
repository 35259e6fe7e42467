"""How much memory a view's state and a table's rows hold: ``Pipeline.memory()``.

A view's figure is the deep size (``sys.getsizeof`` summed over everything reachable, each object
once) of the state its own operators keep between steps: arrangements, groups, partitions, emitted
rows.  Rows that a view's state shares with a table or another view are counted in each of them, so
the figures say what a view holds alive, and do not add up to the process's memory.  Functions,
operator inputs and the circuit are not state and are not followed, nor is an operator's ``value``
(its output of the last tick, which the next tick replaces: a bulk step's delta stays reachable from
there until then, in every operator alike).
"""

from __future__ import annotations

import sys

from ..runtime.circuit import Operator

_SKIP = ("inputs", "journal", "circuit", "source", "sources", "value")


def deep_size(obj, seen: set) -> int:
    """Bytes of ``obj`` and of every object it reaches that ``seen`` does not hold yet."""
    total = 0
    stack = [obj]
    while stack:
        o = stack.pop()
        if id(o) in seen or callable(o) and not isinstance(o, type) and not hasattr(o, "__dict__"):
            continue
        seen.add(id(o))
        total += sys.getsizeof(o)
        if isinstance(o, dict):
            stack.extend(o.keys())
            stack.extend(o.values())
        elif isinstance(o, (list, tuple, set, frozenset)):
            stack.extend(o)
        elif isinstance(o, (str, bytes, int, float, bool, type(None))) or isinstance(o, Operator) or callable(o):
            continue
        else:
            slots = getattr(type(o), "__slots__", ())
            stack.extend(getattr(o, s) for s in slots if hasattr(o, s))
            d = getattr(o, "__dict__", None)
            if d is not None:
                stack.append(d)
    return total


def operator_state_bytes(ops) -> int:
    """Deep size of the state of ``ops`` (and of the operators in their nested bodies)."""
    seen: set = set()
    total = 0
    stack = list(ops)
    while stack:
        op = stack.pop()
        for name, value in vars(op).items():
            if name in _SKIP or isinstance(value, Operator) or callable(value):
                continue
            if name == "body":
                stack.extend(value.ops)
                continue
            total += deep_size(value, seen)
    return total


def table_bytes(t) -> int:
    """A table's rows, queued changes and key indexes, and the memos of its shared values
    (engine/table_values.py: the memos' values are the rows' own, counted once); batches not read yet
    (Table.unread) as the bytes they are kept in."""
    seen: set = set()
    return deep_size(t._plain_rows, seen) + deep_size(t.pending, seen) + sum(deep_size(i, seen) for i in t._indexes) \
        + deep_size(t.shared.memos, seen) + sum(b.nbytes for b in t.unread)
