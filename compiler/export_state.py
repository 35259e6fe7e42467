"""DuckDB's ``agg(…) EXPORT_STATE``: an aggregate's state as a value, read where sqlglot cannot.

``agg(args) EXPORT_STATE`` is a value of type AGGREGATE_STATE<agg(args)> (compiler/aggregate_states.py
says what it is and which operations take it).  sqlglot reads the word after a call as an alias and
cannot parse it inside another call, so ``mark_export_states`` replaces each ``EXPORT_STATE`` that
follows a ``)`` with a comment of the same length (every position staying where it was), which sqlglot
attaches to the expression before it; ``attach_export_states`` then wraps that expression in an
``ExportState`` node, the aggregate the binder reads (compiler/bind/aggregates.py ``agg_export_state``).
A marker that no expression carried (a place sqlglot drops comments) is refused at its position.
"""

from __future__ import annotations

import re

from sqlglot import exp, tokens

from .errors import CompileError
from .positions import offset_to_position

MARKER = "/*@EXPORT@*/"  # as long as the word EXPORT_STATE it replaces
_WORD = "EXPORT_STATE"
assert len(MARKER) == len(_WORD)


class ExportState(exp.Expression, exp.AggFunc):
    """``this EXPORT_STATE``: the state of the aggregate call ``this`` (an aggregate itself)."""

    arg_types = {"this": True}


def mark_export_states(sql: str, tokenizer) -> tuple[str, list[int]]:
    """The text with each ``) EXPORT_STATE`` made ``) /*@EXPORT@*/``, and the offsets of those words."""
    if not re.search(r"\bEXPORT_STATE\b", sql, re.I):
        return sql, []
    try:
        toks = tokenizer.tokenize(sql)
    except Exception:  # noqa: BLE001 - the parser reports it with its position
        return sql, []
    found = [tok.start for prev, tok in zip(toks, toks[1:])
             if tok.text.upper() == _WORD and prev.token_type == tokens.TokenType.R_PAREN
             and tok.end - tok.start + 1 == len(_WORD)]
    for start in reversed(found):
        sql = sql[:start] + MARKER + sql[start + len(_WORD):]
    return sql, found


def attach_export_states(trees, offsets: list[int], sql: str) -> None:
    """Wrap each call carrying the marker in an ExportState (an alias's: the call it names); the binder
    refuses it unless that is an aggregate call (sqlglot gives the marker after ``FILTER (…)`` to the
    enclosing call).  A marker on anything but a call, or on nothing, is refused at its word."""
    done = 0
    for tree in trees:
        for node in list(tree.walk()):
            comments = node.comments or []
            if not any(MARKER[2:-2] in c for c in comments):
                continue
            node.comments = [c for c in comments if MARKER[2:-2] not in c] or None
            target = node.this if isinstance(node, exp.Alias) else node
            if not isinstance(target, (exp.Func, exp.IgnoreNulls)) or any(
                    isinstance(a, exp.Filter) for a in target.iter_expressions()):
                break  # (the marker after an argument's FILTER (…))
            target.replace(ExportState(this=target.copy()))
            done += 1
    if done < len(offsets):
        line, col = offset_to_position(sql, offsets[done])
        raise CompileError("EXPORT_STATE is only supported right after an aggregate call (without FILTER), "
                           "as in sum(x) EXPORT_STATE", line, col, sql)
