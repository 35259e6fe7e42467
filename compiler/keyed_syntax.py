"""The aggregates of ``USING KEY (k, min(v), sum(w) AS w)``, which sqlglot cannot parse, cut out of the
text before parsing and given back to their CTE afterwards.

DuckDB's aggregating keyed recursion (compiler/keyed_aggregation.py) writes aggregate calls among the
key columns; to sqlglot a call there is a syntax error ("expecting )").  Before the text is parsed,
every item of a ``USING KEY (…)`` list that holds a parenthesis (a call, with or without ``AS
alias``) is blanked, with the comma before it, so positions elsewhere do not move; each item is then
parsed alone (``SELECT item``) and its nodes' offsets shifted to where it stands in the SQL text, so
a later error points at it.  After the statement is parsed, ``attach_key_aggregates`` sets
``cte.meta["key_aggregates"]`` (the items, in order) on the CTE whose first key column starts where
the list's first remaining item started.  A list left with no key column is refused here, as DuckDB
refuses it.

Tokens only: no binder, so the frontend can call it without importing the compiler's later stages.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot
from sqlglot import exp, tokens
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

from .errors import CompileError
from .positions import offset_to_position, token_span

T = tokens.TokenType


@dataclass
class KeyAggregates:
    """The aggregate items cut from one USING KEY list: (start, end) offsets of each item's text, and
    the offset of the list's first key column (which identifies the CTE after parsing)."""

    first_key: int
    items: list[tuple[int, int]]


def blank_key_aggregates(text: str, tokenizer) -> tuple[str, list[KeyAggregates]]:
    """The text with the aggregate items of every ``USING KEY (…)`` blanked, and the lists found."""
    if "USING" not in text.upper():
        return text, []
    try:
        toks = tokenizer.tokenize(text)
    except Exception:  # noqa: BLE001 (the parser reports it)
        return text, []
    found: list[KeyAggregates] = []
    spans: list[tuple[int, int]] = []
    for i in range(len(toks) - 2):
        if toks[i].text.upper() != "USING" or toks[i + 1].text.upper() != "KEY" or toks[i + 2].token_type != T.L_PAREN:
            continue
        items = _items(toks, i + 2)
        if items is None:
            continue
        aggregates = [(a, b, comma) for a, b, comma in items if _holds_call(toks, a, b)]
        if not aggregates:
            continue
        keys = [(a, b) for a, b, _ in items if not _holds_call(toks, a, b)]
        if not keys:
            a = aggregates[0][0]
            raise _error("USING KEY requires at least one key column (an aggregate is not one)", text, toks[a].start)
        for a, b, comma in aggregates:
            # blank the item and the comma that separates it from its neighbour
            start = toks[comma].start if comma is not None else toks[a].start
            end = toks[b].end + 1
            if comma is None:  # the first item: take the comma after it instead
                nxt = b + 1
                if toks[nxt].token_type == T.COMMA:
                    end = toks[nxt].end + 1
            spans.append((start, end))
        found.append(KeyAggregates(toks[keys[0][0]].start, [(toks[a].start, toks[b].end + 1) for a, b, _ in aggregates]))
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + "".join(c if c == "\n" else " " for c in text[start:end]) + text[end:]
    return text, found


def _items(toks, open_at: int):
    """The items of the parenthesized list opening at ``open_at``: (first token, last token, the
    comma before it or None); None when the list does not close."""
    depth, start, comma, out = 0, open_at + 1, None, []
    for j in range(open_at, len(toks)):
        tt = toks[j].token_type
        if tt in (T.L_PAREN, T.L_BRACKET):
            depth += 1
        elif tt in (T.R_PAREN, T.R_BRACKET):
            depth -= 1
            if depth == 0:
                if j > start:
                    out.append((start, j - 1, comma))
                return out
        elif tt == T.COMMA and depth == 1:
            if j > start:
                out.append((start, j - 1, comma))
            start, comma = j + 1, j
    return None


def _holds_call(toks, a: int, b: int) -> bool:
    return any(toks[k].token_type == T.L_PAREN for k in range(a, b + 1))


def _error(message: str, sql: str, offset: int) -> CompileError:
    line, col = offset_to_position(sql, offset)
    return CompileError(message, line, col, sql)


def attach_key_aggregates(trees, found: list[KeyAggregates], sql: str, dialect: str) -> None:
    """Parse each cut item and set ``meta["key_aggregates"]`` on its CTE (see the module docstring)."""
    by_first = {f.first_key: f for f in found}
    for tree in trees:
        for cte in tree.find_all(exp.CTE):
            keys = cte.args.get("key_expressions") or []
            span = token_span(keys[0]) if keys else None
            f = by_first.get(span[0]) if span else None
            if f is not None:
                cte.meta["key_aggregates"] = [_parse_item(sql, a, b, dialect) for a, b in f.items]


def _parse_item(sql: str, start: int, end: int, dialect: str) -> exp.Expression:
    prefix = "SELECT "
    try:
        node = sqlglot.parse_one(prefix + sql[start:end], read=dialect)
    except sqlglot.errors.ParseError:
        raise _error(f"syntax error in USING KEY: {sql[start:end].strip()}", sql, start) from None
    if not isinstance(node, exp.Select) or len(node.expressions) != 1 or \
            any(v for k, v in node.args.items() if k != "expressions"):
        raise _error(f"syntax error in USING KEY: {sql[start:end].strip()}", sql, start)
    item = normalize_identifiers(node.expressions[0], dialect=dialect)
    shift = start - len(prefix)
    for n in item.walk():
        meta = getattr(n, "_meta", None)
        if meta and "start" in meta:
            meta["start"] += shift
            meta["end"] += shift
            meta["line"], meta["col"] = offset_to_position(sql, meta["end"])
    item.meta["key_item"] = (start, end)
    return item
