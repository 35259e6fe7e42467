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
