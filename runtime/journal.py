"""The undo log that makes a circuit step atomic: every state mutation registers its inverse."""


class Journal:
    """Collects (undo function, argument) pairs during a step; ``rollback`` runs them newest first.

    Stateful operators mutate their state in batches and record one entry per batch, so the cost is
    one list append per batch, not per row.  A step ends with ``commit`` (forget) or ``rollback``.
    """

    __slots__ = ("entries",)

    def __init__(self):
        self.entries: list = []

    def record(self, undo, arg) -> None:
        self.entries.append((undo, arg))

    def commit(self) -> None:
        self.entries.clear()

    def rollback(self) -> None:
        entries, self.entries = self.entries, []
        for undo, arg in reversed(entries):
            undo(arg)
