"""DuckDB's syntax errors that sqlglot's duckdb dialect lets through: found on the tokens of a script
that parsed, so that deltasql refuses, at the spot, what DuckDB refuses -- rather than answer a
query DuckDB would not run.

Laws (each is a DuckDB 2.0 parser or binder error on text sqlglot reads without complaint):
- two commas in a row (``[1, 2,, 3]``, ``f(a,, b)``): sqlglot drops the empty item; DuckDB's "syntax
  error at or near ','";
- a string literal before ``:`` outside a struct or map literal (``SELECT 'j': 42``): DuckDB's prefix
  alias is an identifier (``j: 42``, ``"j": 42``); sqlglot takes the string as the alias;
- a slice written right after a cast (``x::VARCHAR[1:3]``): DuckDB refuses it ("wrap the cast in
  parentheses"); sqlglot slices the cast value;
- QUALIFY before WINDOW in one SELECT: DuckDB's grammar has WINDOW first;
- LTRIM / RTRIM with more than two arguments: sqlglot keeps the first two; ENCODE / DECODE /
  TO_BASE64 / FROM_BASE64 with more than one: sqlglot keeps the first (ENCODE as UTF-8);
- a unary ``+`` (which sqlglot drops) applies to numbers only: its operand, when it is a name, a
  literal or a call (with the casts and subscripts that bind tighter), is marked (``unary_plus`` in its
  meta) for the binder, which refuses any other type (``+'hello'``, ``+d`` of a DATE); an operand
  found no other way (``+(a)``) is left unmarked.
Tokens inside string literals and comments are never read (the tokenizer's tokens), and only the
duckdb dialect is checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.parser import Parser
from sqlglot.tokens import TokenType as T

from .errors import CompileError
from .positions import offset_to_position

_OPEN = {T.L_PAREN: T.R_PAREN, T.L_BRACKET: T.R_BRACKET, T.L_BRACE: T.R_BRACE}
_CLOSE = set(_OPEN.values())
_QUERY_START = (T.SELECT, T.UNION, T.INTERSECT, T.EXCEPT)
_TRIMS = ("ltrim", "rtrim")
_ONE_ARGUMENT = ("encode", "decode", "to_base64", "from_base64")


# tokens after which a + is an operator of one operand (never after a value: a name, literal or bracket)
_BEFORE_UNARY = {T.COMMA, T.L_PAREN, T.L_BRACKET, T.PLUS, T.DASH, T.STAR, T.SLASH, T.MOD, T.EQ, T.NEQ, T.LT,
                 T.GT, T.LTE, T.GTE, T.DPIPE, T.SELECT, T.WHERE, T.AND, T.OR, T.NOT, T.THEN, T.ELSE, T.WHEN,
                 T.CASE, T.HAVING, T.QUALIFY}
# nodes that begin with their first child's first token and bind tighter than a unary +
_POSTFIX = (exp.Column, exp.Dot, exp.Cast, exp.Bracket)


@dataclass
class Findings:
    error: CompileError | None = None  # the first DuckDB syntax error
    unary_plus: list[int] = field(default_factory=list)  # where each unary +'s operand starts in the text


def scan(text: str, sql: str, tokenizer) -> Findings:
    """DuckDB's syntax errors in ``text`` (the script as parsed, positions as in ``sql``) and its unary +s."""
    found = Findings()
    try:
        toks = tokenizer.tokenize(text)
    except Exception:  # noqa: BLE001 (the parser has accepted it; nothing to add)
        return found
    found.error = _check(toks, sql)
    found.unary_plus = [toks[i + 1].start for i, t in enumerate(toks[:-1])
                        if t.token_type == T.PLUS and (i == 0 or toks[i - 1].token_type in _BEFORE_UNARY)]
    return found


def mark_unary_plus(trees, starts: list[int]) -> None:
    """Mark the operand of each unary + (starting at one of ``starts``) with ``unary_plus`` in its meta."""
    wanted = set(starts)
    for tree in trees:
        for node in list(tree.walk()):
            meta = node._meta
            if not meta or meta.get("start") not in wanted or not isinstance(node, (exp.Identifier, exp.Literal,
                                                                                     exp.Anonymous)):
                continue
            operand = node
            while isinstance(operand.parent, _POSTFIX) and operand.arg_key in ("this", "table"):
                operand = operand.parent
            operand.meta["unary_plus"] = True


def _check(toks, sql: str) -> CompileError | None:

    def error(tok, message: str) -> CompileError:
        line, col = offset_to_position(sql, tok.start)
        return CompileError(message, line, col, sql)

    stack: list = []  # the open brackets' token types
    qualify_at: dict[int, object] = {}  # bracket depth -> the QUALIFY token of the SELECT being read
    for i, tok in enumerate(toks):
        kind = tok.token_type
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if kind in _OPEN:
            stack.append(kind)
        elif kind in _CLOSE:
            qualify_at.pop(len(stack), None)
            if stack:
                stack.pop()
        elif kind == T.COMMA and nxt is not None and nxt.token_type == T.COMMA:
            return error(nxt, "syntax error at or near ','")
        elif kind == T.STRING and nxt is not None and nxt.token_type == T.COLON and \
                (not stack or stack[-1] == T.L_PAREN):
            return error(nxt, f"syntax error at or near ':' (a prefix alias is a name: write \"{tok.text}\": …, "
                              f"not '{tok.text}': …)")
        elif kind == T.DCOLON:
            at = _slice_after_type(toks, i + 1)
            if at is not None:
                return error(at, "a subscript or slice cannot follow a cast directly (x::TYPE[1:3]): wrap the "
                                 "cast in parentheses, (x::TYPE)[1:3]")
        elif kind in _QUERY_START:
            qualify_at.pop(len(stack), None)
        elif kind == T.QUALIFY:
            qualify_at[len(stack)] = tok
        elif kind == T.WINDOW and len(stack) in qualify_at:
            return error(tok, "syntax error at or near WINDOW (WINDOW comes before QUALIFY)")
        elif kind == T.VAR and tok.text.lower() in _TRIMS and nxt is not None and nxt.token_type == T.L_PAREN:
            if _argument_count(toks, i + 1) > 2:
                return error(tok, f"{tok.text.upper()} takes one or two arguments")
        elif kind == T.VAR and tok.text.lower() in _ONE_ARGUMENT and nxt is not None and nxt.token_type == T.L_PAREN:
            if _argument_count(toks, i + 1) > 1:
                return error(tok, f"{tok.text.upper()} takes one argument")
    return None


def _slice_after_type(toks, i: int):
    """After ``::`` at toks[i]: the ``:`` of a slice written right after the type, or None."""
    n = len(toks)
    if i >= n or not (toks[i].token_type in Parser.TYPE_TOKENS or toks[i].token_type == T.VAR):
        return None
    i += 1
    while i < n and (toks[i].token_type in Parser.TYPE_TOKENS or toks[i].token_type == T.VAR):
        i += 1  # (type words: DOUBLE PRECISION, TIMESTAMP WITH TIME ZONE …)
    if i < n and toks[i].token_type == T.L_PAREN:  # DECIMAL(3, 1), STRUCT(a INT)
        i = _matching(toks, i) + 1
    while i < n and toks[i].token_type == T.L_BRACKET:
        end = _matching(toks, i)
        for j in _top_level(toks, i, end):
            if toks[j].token_type == T.COLON:
                return toks[j]
        i = end + 1
    return None


def _top_level(toks, i: int, end: int):
    """The indexes of the tokens between the bracket toks[i] and its match toks[end] that are not
    inside a nested bracket."""
    depth = 0
    for j in range(i + 1, min(end, len(toks))):
        k = toks[j].token_type
        if k in _OPEN:
            depth += 1
        elif k in _CLOSE:
            depth -= 1
        elif depth == 0:
            yield j


def _matching(toks, i: int) -> int:
    """The index of the bracket closing toks[i] (len(toks) if none)."""
    depth = 0
    for j in range(i, len(toks)):
        k = toks[j].token_type
        if k in _OPEN:
            depth += 1
        elif k in _CLOSE:
            depth -= 1
            if depth == 0:
                return j
    return len(toks)


def _argument_count(toks, i: int) -> int:
    """The number of arguments of the call whose ``(`` is toks[i]."""
    end = _matching(toks, i)
    if end == i + 1:
        return 0
    return 1 + sum(toks[j].token_type == T.COMMA for j in _top_level(toks, i, end))
