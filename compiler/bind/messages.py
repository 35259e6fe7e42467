"""How the binder names a construct in an error message: as the user's SQL spells it.

Law: a message speaks SQL, never sqlglot's class names (STRPTIME, not STR_TO_TIME): the written
name is read from the source text where the node has a position, else rendered in the user's dialect.
"""

from __future__ import annotations

from sqlglot import exp


def _written_name(node, sql: str | None) -> str | None:
    """A function call's name as the SQL text spells it (sqlglot's class names another spelling)."""
    meta = node.meta if isinstance(node, exp.Func) else {}
    start, end = meta.get("start"), meta.get("end")
    if sql is None or start is None or end is None or not 0 <= start <= end < len(sql):
        return None
    name = sql[start:end + 1]
    return name if name.replace("_", "").isalnum() else None


def _describe(node, dialect: str = "duckdb") -> str:
    """The construct as the user's dialect spells it (STRPTIME, not sqlglot's STR_TO_TIME)."""
    name = type(node).__name__
    try:
        text = node.sql(dialect=dialect)
    except Exception:
        text = name
    return text if len(text) <= 60 else text[:57] + "..."
