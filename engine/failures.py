"""How a failed step or backfill is reported: as a DataError naming the view whose operator failed,
saying that nothing was changed."""

from __future__ import annotations

from ..compiler.errors import DataError


class ShardsStopped(RuntimeError):
    """A sharded pipeline's workers can no longer be used (one died, or the workers disagreed): every
    later step, statement or backfill is refused."""


class StoppedAfterCommit(ShardsStopped):
    """A worker died after the step was decided (every worker had finished it and the coordinator had
    taken its changes): the step is committed, the tables and views hold it, and the pipeline stops."""


class CopyNotRead(Exception):
    """The workers could not read a COPY's file as it is (shards/staging.py read_verdicts): its step
    is undone everywhere, and the coordinator reads the file itself."""


def view_of(op) -> str:
    label = getattr(op, "label", "") or ""
    return label.split(" in view ", 1)[1] if " in view " in label else label or "a view"


def data_error(cause: BaseException, where: str, discarded: bool = False) -> DataError:
    """``discarded``: a failed step, whose queued changes were dropped (they would fail again)."""
    msg = "out of memory" if isinstance(cause, MemoryError) else str(cause) or type(cause).__name__
    tail = "nothing was changed and the step's queued changes were discarded" if discarded else "nothing was changed"
    return DataError(f"{where}: {msg}; {tail}")
