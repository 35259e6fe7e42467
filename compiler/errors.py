"""The two kinds of user error: CompileError (bad SQL) and DataError (bad rows, failed steps)."""

from __future__ import annotations

from ..sqllib.errors import DataError  # noqa: F401  (re-exported: the engine raises both)


class CompileError(Exception):
    """A mistake in SQL text or an unsupported construct, with its position in the original SQL.

    ``str(e)`` is ``line:col: message`` followed by the source line and a caret under the column.
    """

    def __init__(self, message: str, line: int | None = None, col: int | None = None,
                 sql: str | None = None):
        self.message = message
        self.line = line
        self.col = col
        self.sql = sql
        super().__init__(self.render())

    def render(self, filename: str | None = None) -> str:
        where = ":".join(str(p) for p in (filename, self.line, self.col) if p is not None)
        head = f"{where}: {self.message}" if where else self.message
        snippet = self.snippet()
        return f"{head}\n{snippet}" if snippet else head

    def snippet(self) -> str:
        if not self.sql or not self.line:
            return ""
        lines = self.sql.splitlines()
        if not 1 <= self.line <= len(lines):
            return ""
        text = lines[self.line - 1]
        caret = " " * (max(self.col or 1, 1) - 1) + "^"
        return f"  {text}\n  {caret}"

    def with_source(self, sql: str, line_offset: int = 0) -> "CompileError":
        """The same error placed in a larger text (a statement starting at line_offset + 1)."""
        line = self.line + line_offset if self.line is not None else None
        return CompileError(self.message, line, self.col, sql)


def position_of(node) -> tuple[int | None, int | None]:
    """(line, col) of a sqlglot node: its own, or that of the first descendant token that has one."""
    if node is None:
        return None, None
    for n in node.walk() if hasattr(node, "walk") else ():
        meta = getattr(n, "_meta", None) or {}
        if "line" in meta:
            return meta["line"], meta["col"] - (meta["end"] - meta["start"])
    return None, None
