"""Where a sqlglot node is in the SQL text (line and column, from the tokens inside it), and a
CompileError placed there."""

from __future__ import annotations

from sqlglot import exp

from .errors import CompileError


def position(node, sql: str | None = None):
    """(line, col) where a sqlglot node starts in the SQL text, from the first token inside it that
    carries a position; (None, None) if none does."""
    if node is None:
        return None, None
    best = None
    for n in node.walk():
        meta = n._meta if hasattr(n, "_meta") else None
        if meta and "start" in meta:
            if best is None or meta["start"] < best["start"]:
                best = meta
    if best is None:
        parent = node.parent if hasattr(node, "parent") else None
        return position(parent, sql) if parent is not None else (None, None)
    if sql is not None:
        start = best["start"]
        if isinstance(node, exp.Lateral):  # the keyword is no node of its own: point at it
            k = sql.upper().rfind("LATERAL", 0, start)
            start = k if k >= 0 else start
        return offset_to_position(sql, start)
    return best["line"], best["col"] - (best["end"] - best["start"])


def token_span(node):
    """(start, end) offsets of the tokens inside a node that carry positions, or None."""
    starts = [n._meta for n in node.walk() if getattr(n, "_meta", None) and "start" in n._meta]
    if not starts:
        return None
    return min(m["start"] for m in starts), max(m["end"] for m in starts)


def element_position(items, i: int, sql: str):
    """(line, col) of items[i], a list element; keywords like NULL carry no position of their own,
    so it is found from its neighbours in the text."""
    span = token_span(items[i])
    if span is not None:
        return offset_to_position(sql, span[0])
    prev = next((token_span(items[j]) for j in range(i - 1, -1, -1) if token_span(items[j]) is not None), None)
    if prev is not None:
        k = prev[1] + 1
        while k < len(sql) and sql[k] in " \t\r\n,":
            k += 1
        return offset_to_position(sql, k)
    nxt = next((token_span(items[j]) for j in range(i + 1, len(items)) if token_span(items[j]) is not None), None)
    if nxt is not None:
        k = sql.rfind("(", 0, nxt[0]) + 1
        while k < len(sql) and sql[k] in " \t\r\n":
            k += 1
        return offset_to_position(sql, k)
    return None, None


def keyword_position(items, i: int, word: str, sql: str, before=None):
    """(line, col) of items[i], a keyword (NULL, TRUE, FALSE) in a list without parentheses (ORDER
    BY terms), found in the text after the positioned item before it or before the one after it
    (or, when no item has a position, before the node ``before``)."""
    span = token_span(items[i])
    if span is not None:
        return offset_to_position(sql, span[0])
    upper, word = sql.upper(), word.upper()
    prev = next((token_span(items[j]) for j in range(i - 1, -1, -1) if token_span(items[j]) is not None), None)
    k = upper.find(word, prev[1] + 1) if prev is not None else -1
    if k < 0:
        nxt = next((token_span(items[j]) for j in range(i + 1, len(items)) if token_span(items[j]) is not None), None)
        if nxt is None and before is not None:
            nxt = token_span(before)
        k = upper.rfind(word, 0, nxt[0]) if nxt is not None else -1
    return offset_to_position(sql, k) if k >= 0 else (None, None)


def offset_to_position(sql: str, offset: int):
    line = sql.count("\n", 0, offset) + 1
    start = sql.rfind("\n", 0, offset) + 1
    return line, offset - start + 1


def error_at(node, message: str, sql: str) -> CompileError:
    line, col = position(node, sql)
    return CompileError(message, line, col, sql)
