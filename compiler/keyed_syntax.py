"""An aggregate in ``USING KEY (…)``, which sqlglot cannot parse, refused where it is written.

DuckDB's aggregating keyed recursion (``WITH RECURSIVE t USING KEY (k, max(v))``) is not built; to
sqlglot the call in the key list is a syntax error ("expecting )").  When a parse fails, the token
stream is read for ``USING KEY (`` and a call at the list's own depth, so the refusal names the
construct at its line:column instead of the parser's message.  Tokens only: no binder, so the
frontend can ask it without importing the compiler's later stages.
"""

from __future__ import annotations

from sqlglot import tokens

from .errors import CompileError
from .positions import offset_to_position


def aggregate_key_error(text: str, sql: str, tokenizer):
    """The refusal of an aggregate in a USING KEY list that sqlglot could not parse (``USING KEY (k,
    max(v))``: a call there is a syntax error to it), at the call's name; None if there is none."""
    try:
        toks = tokenizer.tokenize(text)
    except Exception:  # noqa: BLE001
        return None
    T = tokens.TokenType
    for i in range(len(toks) - 2):
        if toks[i].text.upper() != "USING" or toks[i + 1].text.upper() != "KEY" or toks[i + 2].token_type != T.L_PAREN:
            continue
        depth = 0
        for j in range(i + 2, len(toks) - 1):
            if toks[j].token_type == T.L_PAREN:
                depth += 1
            elif toks[j].token_type == T.R_PAREN:
                depth -= 1
                if depth == 0:
                    break
            elif depth == 1 and toks[j + 1].token_type == T.L_PAREN:
                line, col = offset_to_position(sql, toks[j].start)
                return CompileError(f"an aggregate in USING KEY ({toks[j].text.upper()}(…), DuckDB's aggregating "
                                    "keyed recursion) is not supported", line, col, sql)
    return None
