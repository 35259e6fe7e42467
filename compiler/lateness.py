"""Watermark declarations in CREATE TABLE: how late a column's rows may arrive.

Two spellings, one meaning (a column ``c`` with lateness ``L``: a row whose ``c`` is below the
greatest ``c`` seen so far minus ``L`` is late):

    ts TIMESTAMP LATENESS INTERVAL '5' SECONDS            Feldera's column attribute
    WATERMARK FOR ts AS ts - INTERVAL '5' SECOND          RisingWave's and Flink's table item

sqlglot parses neither.  ``blank_watermarks`` finds them with sqlglot's own tokenizer, replaces
them by spaces (every other position in the text stays where it was, so errors elsewhere still
point right) and returns where each declaration's column and expression are; ``expression_text``
gives an expression back as a text of the same length in which only it and a ``SELECT`` written
over the statement's ``CREATE`` remain, so that parsing it yields nodes whose positions are those
of the original text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlglot import tokens

T = tokens.TokenType

# words that end a LATENESS expression inside a column definition (the next constraint starts)
_CONSTRAINT_WORDS = {"NOT", "NULL", "PRIMARY", "UNIQUE", "DEFAULT", "CHECK", "REFERENCES", "COLLATE",
                     "CONSTRAINT", "LATENESS"}


@dataclass(frozen=True)
class Declared:
    """One watermark declaration, located in the statement text."""

    form: str  # "lateness" (Feldera) or "watermark" (WATERMARK FOR … AS …)
    column: str  # the column's name as written
    quoted: bool  # … in double quotes
    column_at: int  # offset of the column's name
    expr_start: int  # the expression's text: sql[expr_start:expr_end]
    expr_end: int
    create_at: int  # offset of the statement's CREATE keyword


def blank_watermarks(sql: str, tokenizer) -> tuple[str, list[Declared]]:
    """The text with every LATENESS / WATERMARK FOR declaration blanked, and the declarations."""
    if not re.search(r"\b(LATENESS|WATERMARK)\b", sql, re.I):
        return sql, []
    try:
        toks = tokenizer.tokenize(sql)
    except Exception:
        return sql, []
    found: list[Declared] = []
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(toks):
        if toks[i].token_type != T.CREATE:
            i += 1
            continue
        create_at = toks[i].start
        j = i + 1
        while j < len(toks) and toks[j].token_type not in (T.TABLE, T.SEMICOLON, T.L_PAREN):
            j += 1
        if j >= len(toks) or toks[j].token_type != T.TABLE:
            i = j
            continue
        j += 1
        while j < len(toks) and toks[j].token_type not in (T.L_PAREN, T.SEMICOLON, T.ALIAS, T.SELECT):
            j += 1  # IF NOT EXISTS and the (qualified) name
        if j >= len(toks) or toks[j].token_type != T.L_PAREN:
            i = j
            continue
        i = _column_list(toks, j, create_at, found, spans)
    for start, end in reversed(spans):
        sql = sql[:start] + _blank(sql[start:end]) + sql[end:]
    return sql, found


def _column_list(toks, open_at: int, create_at: int, found: list, spans: list) -> int:
    """Scan a CREATE TABLE's parenthesized list from its ``(`` at ``open_at``; returns the index
    after its ``)``."""
    depth = 0
    item_start = open_at + 1  # first token of the current item (column definition or constraint)
    k = open_at
    while k < len(toks):
        tok = toks[k]
        tt = tok.token_type
        if tt in (T.L_PAREN, T.L_BRACKET):
            depth += 1
        elif tt in (T.R_PAREN, T.R_BRACKET):
            depth -= 1
            if depth == 0:
                return k + 1
        elif depth == 1 and tt == T.COMMA:
            item_start = k + 1
        elif depth == 1 and tok.text.upper() == "LATENESS" and k > item_start:
            end = _expression_end(toks, k + 1, stop_words=True)
            if end > k + 1:
                name = toks[item_start]
                found.append(Declared("lateness", name.text, name.token_type == T.IDENTIFIER, name.start,
                                      toks[k + 1].start,
                                      toks[end - 1].end + 1, create_at))
                spans.append((tok.start, toks[end - 1].end + 1))
                k = end
                continue
        elif (depth == 1 and k == item_start and tok.text.upper() == "WATERMARK" and k + 3 < len(toks)
              and toks[k + 1].token_type == T.FOR and toks[k + 3].token_type == T.ALIAS):
            end = _expression_end(toks, k + 4, stop_words=False)
            if end > k + 4:
                name = toks[k + 2]
                found.append(Declared("watermark", name.text, name.token_type == T.IDENTIFIER, name.start,
                                      toks[k + 4].start,
                                      toks[end - 1].end + 1, create_at))
                comma = toks[k - 1]  # the comma before the item goes too, so the list stays valid
                start = comma.start if comma.token_type == T.COMMA else tok.start
                spans.append((start, toks[end - 1].end + 1))
                k = end
                continue
        k += 1
    return k


def _expression_end(toks, k: int, stop_words: bool) -> int:
    """The index of the first token after an expression starting at ``k`` inside a column list: it
    ends at a comma or the closing parenthesis at its own depth (or, after LATENESS, where the
    next column constraint starts)."""
    depth = 0
    start = k
    while k < len(toks):
        tt = toks[k].token_type
        if tt in (T.L_PAREN, T.L_BRACKET):
            depth += 1
        elif tt in (T.R_PAREN, T.R_BRACKET):
            if depth == 0:
                return k
            depth -= 1
        elif depth == 0 and tt == T.COMMA:
            return k
        elif depth == 0 and stop_words and k > start and toks[k].text.split()[0].upper() in _CONSTRAINT_WORDS:
            return k
        k += 1
    return k


def _blank(text: str) -> str:
    return re.sub(r"[^\n]", " ", text)


def expression_text(sql: str, d: Declared) -> str:
    """``SELECT <the declaration's expression>`` as a text as long as ``sql``: the expression where
    it was, ``SELECT`` over the statement's ``CREATE``, blanks (and the newlines) elsewhere."""
    out = _blank(sql[:d.expr_start]) + sql[d.expr_start:d.expr_end] + _blank(sql[d.expr_end:])
    return out[:d.create_at] + "SELECT" + out[d.create_at + 6:]
