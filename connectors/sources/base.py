"""What every live source is: something that yields batches of changes to a pipeline's tables, each
with the source position reached after it, and that is told when a position is safe to forget.

The laws a source keeps, and ``follow`` relies on:

- A batch is a unit of the source (an upstream transaction, a file, a run of messages) that must be
  applied whole: either all its changes reach a step or none do.  Its changes are per table a Z-set
  ``{row: weight}`` of rows already in the table's canonical form (so equal rows are equal keys),
  summed over the unit; ``truncate`` says the table is emptied first.  Summing makes a unit's
  intermediate states (a key swapped inside a transaction, a row inserted then deleted) invisible:
  only states the source itself committed are ever applied.
- ``position`` is what the step holding the batch records (``Pipeline.step(meta=...)`` on a durable
  pipeline): after a restart the source reads it back and yields nothing at or before it.
- ``confirm(position)`` is called only once the step holding the position is durable (at once, for a
  pipeline in memory); only then may the source let the upstream forget what came before it (a
  replication slot's confirmed LSN, a Kafka consumer group's offset).  So a crash at any moment
  neither loses a change nor applies one twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class SourceError(Exception):
    """A source could not be read, or does not fit the pipeline's tables; nothing was applied."""


@dataclass
class TableChanges:
    """One table's part of a batch: empty it first if ``truncate``, then add ``rows`` ({row: weight})."""

    rows: dict = field(default_factory=dict)
    truncate: bool = False

    def add(self, row: tuple, weight: int) -> None:
        n = self.rows.get(row, 0) + weight
        if n:
            self.rows[row] = n
        else:
            del self.rows[row]

    def then(self, later: "TableChanges") -> None:
        """These changes followed by ``later`` ones."""
        if later.truncate:
            self.rows, self.truncate = dict(later.rows), True
            return
        for row, w in later.rows.items():
            self.add(row, w)


@dataclass
class Batch:
    """Changes read from a source that are applied together, and the position after them."""

    changes: dict  # {table: TableChanges}
    position: dict  # {meta key: text} recorded with the step
    rows: int = 0  # row changes read from the source (before summing)
    time: float | None = None  # when the upstream made these changes (Unix seconds), for the lag
    where: str = ""  # what the batch is, for messages: "transaction 1234 (LSN 0/16B3748)"
    batches: int = 1  # source units folded into it

    def then(self, later: "Batch") -> None:
        """Fold a later batch into this one (a step made of several source units)."""
        for table, ch in later.changes.items():
            mine = self.changes.get(table)
            if mine is None:
                self.changes[table] = TableChanges(dict(ch.rows), ch.truncate)
            else:
                mine.then(ch)
        self.position = {**self.position, **later.position}
        self.rows += later.rows
        self.batches += later.batches
        self.time = later.time if later.time is not None else self.time
        self.where = f"{self.where} … {later.where}" if self.where and later.where else (self.where or later.where)


class Source:
    """A live source of changes (see the module docstring for the laws)."""

    kind = ""  # postgresql, kafka, stdin, directory
    groups = True  # whether follow may fold several batches into one step (else each batch is a step)

    def open(self, pipeline) -> None:
        """Check the source against the pipeline's tables and find where to start (from the
        pipeline's recorded position when it has one).  Raises SourceError."""

    def read(self, timeout: float) -> Batch | None:
        """The next batch, waiting at most ``timeout`` seconds; None if none came."""
        raise NotImplementedError

    @property
    def done(self) -> bool:
        """Whether no batch will come any more (a finite source read to its end)."""
        return False

    def confirm(self, position: dict) -> None:
        """The step recording ``position`` is durable: the upstream may forget what came before."""

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Assembler:
    """Changes ``(op, table, row)`` (see messages.py) gathered into batches, each row made canonical by
    the pipeline (so a bad row fails its batch before anything is applied).  Once the stream has used
    a commit, the changes up to each commit are one batch and nothing of one is handed out before its
    commit arrives; until then every change is a batch of its own."""

    def __init__(self, pipeline, transactional: bool = False):
        self.p = pipeline
        self.transactional = transactional
        self.current: dict = {}
        self.rows = 0
        self.where = ""

    def feed(self, changes: list, where: str, position: dict | None = None, time: float | None = None) -> list:
        """Add the changes read at ``where``; returns the batches they complete."""
        from ...sqllib.errors import DataError
        from .messages import COMMIT, TRUNCATE

        out = []
        for op, table, row in changes:
            if op == COMMIT:
                self.transactional = True
                out += self._flush(position, time)
                continue
            self.where = self.where or where
            if op == TRUNCATE:
                if table not in self.p.tables:
                    raise SourceError(f"{where}: unknown table {table!r}")
                self.current[table] = TableChanges(truncate=True)
            else:
                try:
                    canonical = self.p.normalize_row(table, row)
                except DataError as e:
                    raise SourceError(f"{where}: {e}") from None
                ch = self.current.get(table)
                if ch is None:
                    ch = self.current[table] = TableChanges()
                ch.add(canonical, 1 if op == "insert" else -1)
            self.rows += 1
        if not self.transactional:
            out += self._flush(position, time)
        return out

    def finish(self, position: dict | None = None, time: float | None = None) -> list:
        """The end of the stream: what is left is one more batch."""
        return self._flush(position, time)

    def _flush(self, position, time) -> list:
        if not self.rows:
            return []
        b = Batch(self.current, dict(position or {}), self.rows, time, self.where)
        self.current, self.rows, self.where = {}, 0, ""
        return [b]
