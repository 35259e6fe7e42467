"""Time windows as table functions in FROM, rewritten into plain SQL before names are resolved.

Spellings (each yields the input's columns plus ``window_start`` and ``window_end``, a window being
``[window_start, window_end)``):

    TUMBLE(t, col, size [, offset])                                    RisingWave's form
    HOP(t, col, slide, size [, offset])
    SESSION(t, col, gap)
    SESSION(t PARTITION BY k, col, gap)                                a session per k (or (k1, k2))
    TABLE(TUMBLE(TABLE t, DESCRIPTOR(col), size [, offset]))           Flink's and Feldera's form
    TABLE(HOP(TABLE t, DESCRIPTOR(col), slide, size [, offset]))
    TABLE(SESSION(TABLE t PARTITION BY k, DESCRIPTOR(col), gap))

The laws the rewrites rely on:

- TUMBLE: a row belongs to exactly one window, ``window_start = time_bucket(size, col, origin)``
  with ``origin = 1970-01-01 00:00:00 + offset`` (windows aligned to the epoch, as in Flink and
  RisingWave) and ``window_end = window_start + size``.  A projection: linear, no state.
- HOP: a row belongs to every window ``[s, s + size)`` with ``s ≡ origin (mod slide)`` and
  ``s ≤ col < s + size``; those are ``s_i = time_bucket(slide, col, origin) - i * slide`` for
  ``i = 0 .. ceil(size / slide) - 1`` with ``col < s_i + size``.  A UNION ALL of that many
  filtered projections of t: linear, no state.  slide and size are constants without months.
- SESSION: rows ordered by col; a row opens a new session when the previous row (in col order) is
  more than ``gap`` before it (a gap of exactly ``gap`` joins, as Flink merges windows that touch);
  ``window_start`` is the session's first col and ``window_end`` its last col + gap.  Written with
  LAG and running SUM window functions, which are maintained per touched partition.

Rows whose time column is NULL belong to no window and are dropped.  ``TABLE t`` and
``DESCRIPTOR(col)`` inside a window function's arguments do not parse in sqlglot, nor does
``SESSION(`` (a keyword there): ``blank_tvf_syntax`` blanks those keywords in the text and spells a
table function SESSION as ``SESSIO_`` (same length, so every position stays right) before parsing.
"""

from __future__ import annotations

import math
import re

from sqlglot import exp, tokens

from .positions import error_at

WINDOW_FUNCTIONS = ("TUMBLE", "HOP", "SESSION")
# what a SESSION becomes before binding: markers the binder turns into a Session plan node
SESSION_START, SESSION_END = "__session_start", "__session_end"
SESSION_ALIAS = "SESSIO_"  # what blank_tvf_syntax makes of the keyword SESSION before a window call
EPOCH = "CAST('1970-01-01 00:00:00' AS TIMESTAMP)"
_UNIT_MICROS = {"microsecond": 1, "millisecond": 1_000, "second": 1_000_000, "minute": 60_000_000,
                "hour": 3_600_000_000, "day": 86_400_000_000, "week": 7 * 86_400_000_000}


def blank_tvf_syntax(sql: str, tokenizer) -> tuple[str, dict]:
    """Blank the ``TABLE`` of ``TUMBLE(TABLE t, ...)``, the ``DESCRIPTOR`` of ``DESCRIPTOR(col)`` and
    a ``PARTITION BY k, ...`` after a window function's table (replaced by spaces: every position in
    the text stays where it was); returns the text and the partition columns ((name, quoted) pairs),
    by the offset of the table name they follow."""
    if not re.search(r"\b(DESCRIPTOR|SESSION|PARTITION)\b", sql, re.I):
        return sql, {}
    try:
        toks = tokenizer.tokenize(sql)
    except Exception:
        return sql, {}
    spans, renamed, partitions = [], [], {}
    T = tokens.TokenType
    for i, tok in enumerate(toks):
        word = tok.text.upper()
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        before = toks[i - 1].text.upper() if i else ""
        if word == "DESCRIPTOR" and nxt is not None and nxt.token_type == T.L_PAREN:
            spans.append((tok.start, tok.end))
        elif (word == "SESSION" and nxt is not None and nxt.token_type == T.L_PAREN
              and (before in ("FROM", "JOIN", ",") or (before == "(" and i >= 2 and toks[i - 2].text.upper() == "TABLE"))):
            renamed.append(tok.start)
        elif (word == "TABLE" and i >= 2 and toks[i - 1].token_type == T.L_PAREN
              and toks[i - 2].text.upper() in WINDOW_FUNCTIONS):  # checked before any renaming
            spans.append((tok.start, tok.end))
        if word in WINDOW_FUNCTIONS and nxt is not None and nxt.token_type == T.L_PAREN:
            _partition_by(toks, i + 2, spans, partitions)
    for start, end in reversed(sorted(spans)):
        sql = sql[:start] + " " * (end - start + 1) + sql[end + 1:]
    for start in renamed:
        sql = sql[:start] + SESSION_ALIAS + sql[start + len(SESSION_ALIAS):]
    return sql, partitions


def _partition_by(toks, k: int, spans: list, partitions: dict) -> None:
    """After ``FN(`` at token k: ``[TABLE] name PARTITION BY k`` or ``… PARTITION BY (k1, k2)``."""
    T = tokens.TokenType
    if k < len(toks) and toks[k].text.upper() == "TABLE":
        k += 1
    if k + 2 >= len(toks) or toks[k + 1].token_type != T.PARTITION_BY:  # (one token: PARTITION BY)
        return
    j = k + 2
    if toks[j].token_type == T.L_PAREN:
        cols = []
        j += 1
        while j < len(toks) and toks[j].token_type != T.R_PAREN:
            if toks[j].token_type != T.COMMA:
                cols.append((toks[j].text, toks[j].token_type == T.IDENTIFIER))
            j += 1
        if j >= len(toks):
            return
    else:
        cols = [(toks[j].text, toks[j].token_type == T.IDENTIFIER)]
    spans.append((toks[k + 1].start, toks[j].end))
    partitions[toks[k].start] = cols


def expand_time_windows(query: exp.Expression, sql: str | None = None) -> None:
    """Replace every window table function in FROM/JOIN by the subquery it stands for (in place)."""
    for table in list(query.find_all(exp.Table)):
        call = table.this
        if isinstance(call, exp.Anonymous) and call.name.upper() == "TABLE" and len(call.expressions) == 1:
            call = call.expressions[0]
        name = call.name.upper() if isinstance(call, exp.Anonymous) else ""
        name = "SESSION" if name == SESSION_ALIAS else name
        if name not in WINDOW_FUNCTIONS:
            continue
        args = [_unwrap(a) for a in call.expressions]
        if len(args) < 3 or not isinstance(args[0], (exp.Column, exp.Table)) or not isinstance(args[1], exp.Column):
            raise error_at(call, f"{name} takes (table, time column, "
                                 f"{'slide, size' if name == 'HOP' else 'gap' if name == 'SESSION' else 'size'}"
                                 f"{'' if name == 'SESSION' else ' [, offset]'})", sql)
        source = args[0].name
        alias = table.alias or source
        column = exp.column(args[1].name)
        ident = args[0].find(exp.Identifier)
        partition = ident.meta.get("partition_by", ()) if ident is not None and ident._meta else ()
        if partition and name != "SESSION":
            raise error_at(call, f"{name} takes no PARTITION BY (only SESSION does)", sql)
        if name == "TUMBLE":
            body = _tumble(call, source, column, args[2:], sql)
        elif name == "HOP":
            body = _hop(call, source, column, args[2:], sql)
        else:
            body = _session(call, source, column, args[2:], sql, partition)
        sub = exp.Subquery(this=body, alias=exp.TableAlias(this=exp.to_identifier(alias)))
        table.replace(sub)


def _unwrap(node):
    while isinstance(node, exp.Paren):
        node = node.this
    return node


def _origin(offset) -> exp.Expression:
    epoch = exp.maybe_parse(EPOCH, dialect="duckdb")
    return epoch if offset is None else exp.Add(this=epoch, expression=offset.copy())


def _bounded(select: exp.Select, column, start, size) -> exp.Select:
    return select.select(exp.alias_(start, "window_start"),
                         exp.alias_(exp.Add(this=start.copy(), expression=size.copy()), "window_end"),
                         append=True)


def _tumble(call, source, column, rest, sql):
    if len(rest) not in (1, 2):
        raise error_at(call, "TUMBLE takes (table, time column, size [, offset])", sql)
    size, offset = rest[0], rest[1] if len(rest) > 1 else None
    _micros(call, size, "TUMBLE's size", sql, allow_months=True)
    start = exp.func("time_bucket", size.copy(), column.copy(), _origin(offset), dialect="duckdb")
    select = _bounded(exp.select("*").from_(source), column, start, size)
    return select.where(exp.Not(this=exp.Is(this=column.copy(), expression=exp.Null())))


def _hop(call, source, column, rest, sql):
    if len(rest) not in (2, 3):
        raise error_at(call, "HOP takes (table, time column, slide, size [, offset])", sql)
    slide, size = rest[0], rest[1]
    offset = rest[2] if len(rest) > 2 else None
    k = math.ceil(_micros(call, size, "HOP's size", sql) / _micros(call, slide, "HOP's slide", sql))
    branches = []
    for i in range(k):
        start = exp.func("time_bucket", slide.copy(), column.copy(), _origin(offset), dialect="duckdb")
        if i:
            start = exp.Sub(this=start, expression=exp.Mul(this=exp.Paren(this=slide.copy()),
                                                           expression=exp.Literal.number(i)))
        end = exp.Add(this=start.copy(), expression=size.copy())
        select = _bounded(exp.select("*").from_(source), column, start, size)
        branches.append(select.where(exp.LT(this=column.copy(), expression=end)))
    out = branches[0]
    for b in branches[1:]:
        out = exp.Union(this=out, expression=b, distinct=False)
    return out


def _session(call, source, column, rest, sql, partition=()):
    if len(rest) != 1:
        raise error_at(call, "SESSION takes (table, time column, gap)", sql)
    gap = rest[0]
    _micros(call, gap, "SESSION's gap", sql)
    args = [column.copy(), gap.copy()] + [exp.column(k, quoted=True) for k in partition]
    select = exp.select("*").from_(source)
    select = select.select(exp.alias_(exp.Anonymous(this=SESSION_START, expressions=args), "window_start"),
                           exp.alias_(exp.Anonymous(this=SESSION_END, expressions=[a.copy() for a in args]),
                                      "window_end"), append=True)
    return select.where(exp.Not(this=exp.Is(this=column.copy(), expression=exp.Null())))


def _micros(call, node, what: str, sql, allow_months: bool = False) -> int:
    """The length of a constant INTERVAL in microseconds (months refused unless allowed: 0)."""
    node = _unwrap(node)
    if isinstance(node, exp.Interval):
        value, unit = node.this, node.args.get("unit")
        text = value.this if isinstance(value, exp.Literal) else None
        unit_name = unit.name.lower() if unit is not None else None
        if text is not None and unit_name is None and len(str(text).split()) == 2:
            text, unit_name = str(text).split()
            unit_name = unit_name.lower()
        if text is not None and unit_name is not None:
            unit_name = unit_name.rstrip("s")
            try:
                n = float(text)
            except ValueError:
                n = None
            if n is not None and unit_name in _UNIT_MICROS:
                micros = int(n * _UNIT_MICROS[unit_name])
                if micros <= 0:
                    raise error_at(node, f"{what} must be positive", sql)
                return micros
            if n is not None and unit_name in ("month", "year") and allow_months:
                if n <= 0:
                    raise error_at(node, f"{what} must be positive", sql)
                return 0
    raise error_at(node if getattr(node, "_meta", None) else call, f"{what} must be a constant INTERVAL without months or years "
                   f"(e.g. INTERVAL '10' SECOND)", sql)

