"""Output: the sink of a view; keeps the last delta and the integrated contents (journaled).

An output that does not ``keep`` its contents (a view over a stream that is not materialized)
keeps only the last delta, and notes whether it ever emitted one (``emitted``: after that, its
contents are unknown to a reader that needs them)."""

from ..circuit import Operator
from ..zset import add_into, negate


class Output(Operator):
    idle_noop = False  # an idle step must still report an empty delta
    state = ("contents", "delta")

    def __init__(self, source: Operator, name: str = "", keep: bool = True):
        super().__init__(source)
        self.name = name
        self.keep = keep
        self.contents: dict = {}
        self.delta: dict = {}
        if not keep:
            self.emitted = False
            self.state = ("contents", "delta", "emitted")

    def eval(self, delta: dict) -> dict:
        if self.keep:
            self.journal.entries.append((self._undo, (delta, self.delta)))  # (Journal.record inline)
            contents = self.contents
            get = contents.get
            for row, w in delta.items():  # (add_into inline: once per view per step)
                n = get(row, 0) + w
                if n:
                    contents[row] = n
                else:
                    del contents[row]
        else:
            self.journal.record(self._unemit, (self.delta, self.emitted))
            if delta:
                self.emitted = True
        self.delta = delta
        return delta

    def ready(self, name: str, args: list) -> str:
        # an empty delta after an empty one changes nothing (the journal entry would restore {})
        return f"{args[0]} or {name}.delta"

    def _undo(self, saved) -> None:
        delta, previous = saved
        add_into(self.contents, negate(delta))
        self.delta = previous

    def _unemit(self, saved) -> None:
        self.delta, self.emitted = saved

    def integral(self) -> dict:
        return self.contents

    def describe(self) -> str:
        return f"Output[{self.name}]" if self.keep else f"Output[{self.name}, keeps no rows]"
