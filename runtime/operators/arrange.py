"""Arrange: maintains an arrangement (key -> rows) of its input and emits the delta grouped by key.

Joins read two arrangements; several joins may share one (two views joining the same table on the
same key keep a single index).  The integral of the output is exactly ``arrangement.keyed()`` (the
index itself unless it is unique: {key: row}).
"""

from ..arrangement import Arrangement, index_delta
from ..circuit import Operator


class Arrange(Operator):
    """``fused`` (optional, the compiler's codegen.arrange_function): one generated loop that keys
    the delta and updates the arrangement, for the same result as index_delta + Arrangement.apply."""

    def __init__(self, source: Operator, key_fn, name: str = "", fused=None, unique: bool = False,
                 rows: bool = False):
        super().__init__(source)
        self.key_fn = key_fn
        self.name = name
        self.fused = fused
        self.unique = unique  # at most one row per key: the index holds {key: row} (Arrangement)
        self.rows_once = rows and not unique  # every row at most once: buckets of the ``rows`` form
        self.arrangement: Arrangement | None = None

    @property
    def form(self) -> str:
        """Its arrangement's bucket form (runtime/arrangement.py): bag, unique or rows."""
        return "unique" if self.unique else "rows" if self.rows_once else "bag"

    def attach(self, circuit) -> None:
        super().attach(circuit)
        if self.arrangement is None:
            self.arrangement = Arrangement(self.journal, self.unique, self.rows_once)

    def eval(self, delta: dict) -> dict:
        if self.fused is not None:
            keyed: dict = {}
            arrangement = self.arrangement
            if arrangement.journal is not None:
                arrangement.journal.record(arrangement._undo, keyed)  # filled by the loop
            self.fused(delta, keyed, arrangement.index)
            return keyed
        keyed = index_delta(delta, self.key_fn)
        if keyed:
            self.arrangement.apply(keyed)
        return keyed

    state = ("arrangement",)  # saved as its index

    def export_state(self):
        return {"arrangement": self.arrangement.index}

    def import_state(self, saved) -> None:
        self.arrangement.index = saved["arrangement"]

    def integral(self) -> dict:
        """The integrated output (keyed), used to backfill operators added later."""
        return self.arrangement.keyed()

    def describe(self) -> str:
        text = f"Arrange[{self.name}]" if self.name else "Arrange"
        return text + f"[{self.form}]" if self.form != "bag" else text
