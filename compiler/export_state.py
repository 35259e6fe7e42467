"""DuckDB's ``FINALIZE(agg(…) EXPORT_STATE)``: the aggregate itself, spelled through its state.

``agg(…) EXPORT_STATE`` is an aggregate's intermediate state as a value (an AGGREGATE_STATE), and
``FINALIZE(state)`` computes the aggregate's result from it.  Law: ``FINALIZE(agg(args) EXPORT_STATE)``
equals ``agg(args)`` over the same rows, in every group, empty input included (FINALIZE applies the
aggregate's own finalizer to the state the aggregate built).  sqlglot cannot parse ``EXPORT_STATE``
inside a call, so ``blank_finalize`` blanks the words ``FINALIZE (`` and ``EXPORT_STATE )`` of that
exact shape in the text (replaced by spaces, every position staying where it was) before parsing;
what is left is the aggregate call.

A state *value* is not built: ``agg(x) EXPORT_STATE`` alone (a select-list alias to sqlglot:
constructs.py refuses it), ``COMBINE``, ``COMBINE_AGGR``, a cast of a state, a state column.  A parse
failure of a text that still holds ``EXPORT_STATE`` after a ``)`` is refused at that word by
``state_value_error`` (the parser's own message would say only "expecting )").
"""

from __future__ import annotations

import re

from sqlglot import tokens

from .errors import CompileError
from .positions import offset_to_position

STATE_VALUE = ("EXPORT_STATE (an aggregate's state as a value: only FINALIZE(agg(…) EXPORT_STATE), "
               "which is the aggregate itself) is not supported")


def blank_finalize(sql: str, tokenizer) -> str:
    """The text with each ``FINALIZE ( <aggregate call> EXPORT_STATE )`` reduced to the call."""
    if not re.search(r"\bEXPORT_STATE\b", sql, re.I):
        return sql
    try:
        toks = tokenizer.tokenize(sql)
    except Exception:  # noqa: BLE001 - the parser reports it with its position
        return sql
    T = tokens.TokenType
    spans = []
    for i, tok in enumerate(toks):
        if tok.text.upper() != "FINALIZE" or i + 1 >= len(toks) or toks[i + 1].token_type != T.L_PAREN:
            continue
        # the argument: a name, a balanced ( … ), then EXPORT_STATE and FINALIZE's closing )
        j = i + 2
        if j + 1 >= len(toks) or toks[j + 1].token_type != T.L_PAREN:
            continue
        depth, k = 0, j + 1
        while k < len(toks):
            if toks[k].token_type == T.L_PAREN:
                depth += 1
            elif toks[k].token_type == T.R_PAREN:
                depth -= 1
                if depth == 0:
                    break
            k += 1
        if (k + 2 < len(toks) and toks[k + 1].text.upper() == "EXPORT_STATE"
                and toks[k + 2].token_type == T.R_PAREN):
            spans += [(tok.start, toks[i + 1].end), (toks[k + 1].start, toks[k + 1].end),
                      (toks[k + 2].start, toks[k + 2].end)]
    for start, end in sorted(spans, reverse=True):
        sql = sql[:start] + " " * (end - start + 1) + sql[end + 1:]
    return sql


def state_value_error(text: str, sql: str, tokenizer) -> CompileError | None:
    """The refusal of an aggregate state value left in ``text`` (``agg(…) EXPORT_STATE`` inside
    another call), at the word, or None."""
    try:
        toks = tokenizer.tokenize(text)
    except Exception:  # noqa: BLE001
        return None
    for prev, tok in zip(toks, toks[1:]):
        if tok.text.upper() == "EXPORT_STATE" and prev.token_type == tokens.TokenType.R_PAREN:
            line, col = offset_to_position(sql, tok.start)
            return CompileError(STATE_VALUE, line, col, sql)
    return None
