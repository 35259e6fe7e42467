"""Following a source: batches gathered into steps, each step recording the source's position, and the
source told of a position only once the step holding it is durable.

Batching: a step takes the batches that are already waiting, never waiting for more: it is closed when
nothing more is waiting, when it holds ``max_rows`` row changes, or ``max_delay`` seconds after its
first batch arrived (so a source that never pauses still gets its changes into views at that pace).
A source whose ``groups`` is false (a directory: each file a step) has each batch stepped alone.

A step that fails (a row a table refuses, an error in a view) is retried one batch per step to find
the batch at fault; the batches before it are applied, and ``follow`` raises a SourceError naming the
one at fault, which was not applied (nor confirmed: after a fix, a restart meets it again).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

from ...sqllib.errors import DataError
from .base import Batch, SourceError

DEFAULT_MAX_ROWS = 10_000
DEFAULT_MAX_DELAY = 0.5
POLL = 0.2  # seconds a read waits before the loop looks at ``stop`` again


@dataclass
class Stats:
    steps: int = 0
    rows: int = 0  # row changes read
    batches: int = 0
    started: float = field(default_factory=time.monotonic)
    lag: float | None = None  # seconds between the upstream change and its step, for the last step
    late: int = 0  # late rows the tables' watermarks dropped so far
    position: dict = field(default_factory=dict)  # the latest recorded position of each key

    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.rows / elapsed if elapsed > 0 else 0.0


class Progress:
    """A line on stderr (steps, rows, rows/s, lag, position), at most once every ``interval`` seconds:
    rewritten in place on a terminal, a new line otherwise."""

    def __init__(self, stream=None, interval: float = 1.0):
        self.stream = stream or sys.stderr
        self.interval = interval
        self.last = 0.0
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.window = (time.monotonic(), 0)  # rows/s over the last interval

    def line(self, stats: Stats) -> str:
        now = time.monotonic()
        t0, rows0 = self.window
        rate = (stats.rows - rows0) / (now - t0) if now > t0 else 0.0
        self.window = (now, stats.rows)
        lag = "-" if stats.lag is None else f"{stats.lag:.3f} s"
        where = " ".join(f"{k}={v}" for k, v in stats.position.items())
        return (f"deltasql: {stats.steps} steps, {stats.rows} rows, {rate:,.0f} rows/s, lag {lag}"
                + (f", {stats.late} late rows dropped" if stats.late else "") + (f", at {where}" if where else ""))

    def update(self, stats: Stats, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < self.interval:
            return
        self.last = now
        text = self.line(stats)
        self.stream.write(f"\r{text}\x1b[K" if self.tty else text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def records_meta(pipeline) -> bool:
    """Whether the pipeline's step takes meta values (positions committed with the step)."""
    return callable(getattr(pipeline, "meta", None))


def durable(pipeline) -> bool:
    """Whether the pipeline keeps its state in a file, so a later run resumes from its positions."""
    return getattr(pipeline, "path", None) is not None


def recorded(pipeline, key: str):
    """A position the pipeline made durable (None for a pipeline in memory: it starts afresh)."""
    return pipeline.meta(key) if durable(pipeline) else None


def apply_batch(pipeline, batch: Batch) -> dict:
    """Queue a batch's changes and run one step, recording the batch's position; on failure nothing
    is left queued and the error propagates."""
    try:
        for table, ch in batch.changes.items():
            delta = ch.rows
            if ch.truncate:
                delta = dict(delta)
                for row in pipeline.table_rows(table):
                    n = delta.get(row, 0) - 1
                    if n:
                        delta[row] = n
                    else:
                        del delta[row]
            deletes = [row for row, w in delta.items() if w < 0 for _ in range(-w)]
            inserts = [row for row, w in delta.items() if w > 0 for _ in range(w)]
            if deletes:
                pipeline.delete(table, deletes)
            if inserts:
                pipeline.insert(table, inserts)
        if records_meta(pipeline):
            return pipeline.step(meta=batch.position)
        return pipeline.step()
    except BaseException:
        pipeline.discard()
        raise


def follow(pipeline, source, *, max_rows: int = DEFAULT_MAX_ROWS, max_delay: float = DEFAULT_MAX_DELAY,
           on_step=None, progress: Progress | None = None, stop=None) -> Stats:
    """Apply a source's changes to a pipeline step by step until the source is done or ``stop()`` is
    true; ``on_step(changes, stats)`` after each step.  The source is opened here and closed at the end."""
    stats = Stats()
    source.open(pipeline)
    try:
        while not (stop and stop()):
            first = source.read(POLL)
            if first is None:
                if source.done:
                    break
                if progress:
                    progress.update(stats)
                continue
            group = [first]
            rows, t0 = first.rows, time.monotonic()
            failed = None
            while source.groups and rows < max_rows and time.monotonic() - t0 < max_delay:
                try:
                    b = source.read(0)
                except SourceError as e:  # what was read before it is still applied
                    failed = e
                    break
                if b is None:
                    break
                group.append(b)
                rows += b.rows
            for changes, applied in _steps(pipeline, group):
                source.confirm(applied.position)
                stats.steps += 1
                stats.batches += applied.batches
                stats.rows += applied.rows
                stats.position = {**stats.position, **applied.position}
                stats.lag = None if applied.time is None else max(time.time() - applied.time, 0.0)
                stats.late = sum(pipeline.late_rows(t) for t in pipeline.tables)
                if on_step:
                    on_step(changes, stats)
            if progress:
                progress.update(stats)
            if failed:
                raise failed
    finally:
        source.close()
        if progress:
            progress.update(stats, force=True)
            progress.close()
    return stats


def _steps(pipeline, group: list[Batch]):
    """The group as one step; if that fails, one step per batch up to the one at fault."""
    merged = Batch({}, {}, batches=0)
    for b in group:
        merged.then(b)
    try:
        yield apply_batch(pipeline, merged), merged
        return
    except DataError as e:
        if len(group) == 1:
            raise SourceError(f"{group[0].where}: {e} (not applied)") from None
    for b in group:
        try:
            changes = apply_batch(pipeline, b)
        except DataError as e:
            raise SourceError(f"{b.where}: {e} (not applied)") from None
        yield changes, b
