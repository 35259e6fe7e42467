"""DuckDB's prepared statements in the corpus runner: ``PREPARE name AS stmt`` keeps the statement's
text, ``EXECUTE name(arg, …)`` is that text with its parameters bound to the arguments, and
``DEALLOCATE [PREPARE] name`` forgets it.

Law: EXECUTE of a prepared statement answers what the statement answers with each parameter replaced
by its argument as a constant — a parameter stands for a value, never for a name or a piece of
syntax, so binding is a substitution of ``(argument)`` for each parameter token.  Parameters are
``?`` (numbered left to right), ``$n`` (the n-th argument) and ``$name`` (the argument
``name := value``); DuckDB allows one style per statement.  Tokens come from sqlglot's DuckDB
tokenizer, so a ``?`` or ``$1`` inside a string literal or a quoted name is left alone.  A statement
that cannot be bound (an unknown name, a missing argument, an argument that is not a constant
expression) is reported as such; the runner then leaves the EXECUTE out, as before.
"""

from __future__ import annotations

import re

from sqlglot.dialects.duckdb import DuckDB
from sqlglot.tokens import TokenType

_PREPARE = re.compile(r"^\s*PREPARE\s+(\w+)\s+AS\s+(.*)$", re.I | re.S)
_EXECUTE = re.compile(r"^\s*EXECUTE\s+(\w+)\s*(?:\((.*)\))?\s*;?\s*$", re.I | re.S)
_DEALLOCATE = re.compile(r"^\s*DEALLOCATE\s+(?:PREPARE\s+)?(\w+)\s*;?\s*$", re.I)


class Unbindable(ValueError):
    """An EXECUTE whose prepared statement cannot be bound to its arguments."""


def prepared(sql: str) -> tuple[str, str] | None:
    """(name, statement text) of a PREPARE, or None."""
    m = _PREPARE.match(sql)
    return (m.group(1).lower(), m.group(2).strip()) if m else None


def deallocated(sql: str) -> str | None:
    m = _DEALLOCATE.match(sql)
    return m.group(1).lower() if m else None


def executed(sql: str) -> tuple[str, list[str], dict[str, str]] | None:
    """(name, positional argument texts, named argument texts) of an EXECUTE, or None."""
    m = _EXECUTE.match(sql)
    if not m:
        return None
    positional: list[str] = []
    named: dict[str, str] = {}
    for text in _split_arguments(m.group(2) or ""):
        nm = re.match(r"^\s*(\w+)\s*:=\s*(.*)$", text, re.S)
        if nm:
            named[nm.group(1).lower()] = nm.group(2).strip()
        else:
            positional.append(text.strip())
    return m.group(1).lower(), positional, named


def _split_arguments(text: str) -> list[str]:
    """The arguments' texts, split at the commas outside parentheses and brackets."""
    if not text.strip():
        return []
    depth, start, out = 0, 0, []
    for tok in DuckDB().tokenize(text):
        if tok.token_type in (TokenType.L_PAREN, TokenType.L_BRACKET, TokenType.L_BRACE):
            depth += 1
        elif tok.token_type in (TokenType.R_PAREN, TokenType.R_BRACKET, TokenType.R_BRACE):
            depth -= 1
        elif tok.token_type == TokenType.COMMA and depth == 0:
            out.append(text[start:tok.start])
            start = tok.end + 1
    out.append(text[start:])
    return out


def bind(statement: str, positional: list[str], named: dict[str, str]) -> str:
    """The statement's text with every parameter replaced by its argument, in parentheses."""
    try:
        tokens = DuckDB().tokenize(statement)
    except Exception as e:  # noqa: BLE001
        raise Unbindable(f"the prepared statement does not tokenize: {e}") from None
    edits: list[tuple[int, int, str]] = []  # (start, end exclusive, replacement)
    next_question = 0
    numbered: set[int] = set()
    named_used: set[str] = set()

    def argument(key) -> str:
        if isinstance(key, int):
            numbered.add(key)
            if not 0 <= key < len(positional):
                raise Unbindable(f"no argument for parameter {key + 1}")
            return positional[key]
        named_used.add(key)
        if key not in named:
            raise Unbindable(f"no argument for parameter ${key}")
        return named[key]

    for i, tok in enumerate(tokens):
        if tok.token_type == TokenType.PLACEHOLDER and tok.text == "?":
            edits.append((tok.start, tok.end + 1, f"({argument(next_question)})"))
            next_question += 1
        elif tok.token_type == TokenType.QDCOLON:  # ``?::type`` is one token: the parameter, then ::
            edits.append((tok.start, tok.start + 1, f"({argument(next_question)})"))
            next_question += 1
        elif tok.token_type == TokenType.PARAMETER and i + 1 < len(tokens) and tokens[i + 1].start == tok.end + 1:
            name = tokens[i + 1]
            key = int(name.text) - 1 if name.token_type == TokenType.NUMBER else name.text.lower()
            edits.append((tok.start, name.end + 1, f"({argument(key)})"))
        elif tok.token_type in (TokenType.PLACEHOLDER, TokenType.PARAMETER):
            raise Unbindable(f"parameter {tok.text!r} is not understood")
    wanted = next_question or max((k + 1 for k in numbered), default=0)
    if wanted != len(positional) or set(named_used) != set(named):
        raise Unbindable(f"the statement takes {wanted} argument(s) and {sorted(named_used)}, "
                         f"not {len(positional)} and {sorted(named)}")
    out = statement
    for start, end, text in sorted(edits, reverse=True):
        out = out[:start] + text + out[end:]
    return out
