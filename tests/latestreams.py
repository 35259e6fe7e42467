"""Random event streams with late rows, and a model of what a pipeline with watermarks accepts.

A ``LateStream`` generates steps of changes to tables whose time column has a watermark: inserts
near the stream's current time (which moves forward a little each step), some late by up to twice
the lateness, some with a NULL time, duplicates, and deletions of earlier rows (on time or late).
The model computes the watermarks itself, independently of deltasql (after each step: the greatest
time among the step's accepted changes minus the lateness, never moving back), so a test can check
that the pipeline dropped exactly the late changes, and feed DuckDB only the accepted ones.

    stream = LateStream(seed, {"bid": Timed(columns=..., time=2, lateness=timedelta(seconds=4))})
    for step in stream.steps(60):     # [(op, table, row)], op "+" or "-"
        accepted, late = stream.judge(step)
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field

from tests.harness import diff_multisets

T0 = datetime.datetime(2024, 1, 1)


@dataclass
class Timed:
    """A table with a watermarked time column: ``make(rnd, t)`` returns a row at time t (None: NULL)."""

    make: object
    time: int  # index of the time column
    lateness: datetime.timedelta
    weight: int = 1  # how often a change goes to this table, relative to the others
    pk: int | None = None  # a one-column primary key (an insert replaces its row)


@dataclass
class LateStream:
    seed: int
    tables: dict
    late_share: float = 0.15  # share of inserts late by up to twice the lateness
    null_share: float = 0.05
    delete_share: float = 0.15
    per_step: tuple = (0, 7)
    advance: tuple = (0.0, 3.0)  # seconds the stream's time moves per step
    rnd: random.Random = field(init=False)
    now: datetime.datetime = field(init=False)
    marks: dict = field(init=False)  # table -> watermark (None: none yet)
    live: dict = field(init=False)  # table -> {row: copies} accepted so far
    late_count: dict = field(init=False)

    def __post_init__(self):
        self.rnd = random.Random(self.seed)
        self.now = T0
        self.marks = {t: None for t in self.tables}
        self.live = {t: {} for t in self.tables}
        self.late_count = {t: 0 for t in self.tables}

    def step(self) -> list:
        """One step's changes: [(op, table, row)]."""
        rnd = self.rnd
        self.now += datetime.timedelta(seconds=rnd.uniform(*self.advance))
        names = [n for n, t in self.tables.items() for _ in range(t.weight)]
        out = []
        avail = {n: dict(live) for n, live in self.live.items()}  # copies a deletion may still take
        for _ in range(rnd.randint(*self.per_step)):
            name = rnd.choice(names)
            t = self.tables[name]
            live = avail[name]
            if live and rnd.random() < self.delete_share:
                out.append(("-", name, take_one(live, rnd)))
                continue
            r = rnd.random()
            if r < self.null_share:
                when = None
            elif r < self.null_share + self.late_share:
                when = self.now - t.lateness * rnd.uniform(0.5, 2.0)
            else:
                when = self.now - datetime.timedelta(seconds=rnd.uniform(0, 2.0))
            if when is not None:
                when = when.replace(microsecond=when.microsecond // 1000 * 1000)
            row = t.make(rnd, when)
            out.append(("+", name, row))
            if rnd.random() < 0.1:
                out.append(("+", name, row))  # a duplicate
        return out

    def is_late(self, table: str, row) -> bool:
        mark = self.marks[table]
        v = row[self.tables[table].time]
        return mark is not None and v is not None and v < mark

    def judge(self, step: list) -> tuple[list, dict]:
        """Apply a step to the model: (accepted changes, {table: late changes dropped}), and move the
        watermarks.  A deletion of a row not in the model is refused by deltasql unless late: the
        generator only deletes live rows, so every on-time deletion is valid."""
        accepted, late = [], {t: 0 for t in self.tables}
        net: dict = {}
        for op, table, row in step:
            t = self.tables[table]
            if self.is_late(table, row):
                late[table] += 1
                continue
            if op == "+" and t.pk is not None:
                old = next((r for r in self.live[table] if r[t.pk] == row[t.pk]), None)
                if old is not None:
                    if self.is_late(table, old):
                        late[table] += 1  # replacing a late row: late as a whole
                        continue
                    self._change(table, old, -1, net, accepted)
            self._change(table, row, 1 if op == "+" else -1, net, accepted)
        for table, t in self.tables.items():
            times = [r[t.time] for (tb, r), w in net.items() if tb == table and w and r[t.time] is not None]
            if times:
                mark = max(times) - t.lateness
                if self.marks[table] is None or mark > self.marks[table]:
                    self.marks[table] = mark
            self.late_count[table] += late[table]
        return accepted, late

    def _change(self, table, row, w, net, accepted) -> None:
        live = self.live[table]
        n = live.get(row, 0) + w
        if n:
            live[row] = n
        else:
            del live[row]
        net[(table, row)] = net.get((table, row), 0) + w
        accepted.append(("+" if w > 0 else "-", table, row))


def apply(p, step: list) -> dict:
    """Queue a step's changes in a pipeline (in order, one call per change) and run the step."""
    for op, table, row in step:
        (p.insert if op == "+" else p.delete)(table, [row])
    return p.step()


def add_changes(contents: dict, changes) -> None:
    """contents += a view's changes [(row, weight)]."""
    for row, w in changes:
        n = contents.get(row, 0) + w
        if n:
            contents[row] = n
        else:
            del contents[row]


def expand(contents: dict) -> list:
    out = []
    for row, w in contents.items():
        assert w > 0, f"{row} has weight {w}"
        out.extend([row] * w)
    return out


def state_entries(p, view: str) -> int:
    """How many entries the operators of a view keep between steps (rows, groups, keys)."""
    total = 0
    for op in p._views[view].ops:
        saved = op.export_state()
        if not saved:
            continue
        for name, value in saved.items():
            if name in ("delta", "pending"):
                continue
            if hasattr(value, "index"):
                value = value.index
            if isinstance(value, dict):
                total += sum(len(v) if isinstance(v, (dict, list)) else 1 for v in value.values())
            elif isinstance(value, list):
                total += len(value)
    return total


def take_one(live: dict, rnd) -> tuple:
    """A row of the bag ``live`` ({row: copies}) chosen at random, one copy of it taken out."""
    row = rnd.choice(sorted(live, key=repr))
    live[row] -= 1
    if not live[row]:
        del live[row]
    return row


def assert_rows(theirs, ours, where: str) -> None:
    """DuckDB's rows and ours are the same multiset (floats compared within 1e-9)."""
    missing, extra = diff_multisets(theirs, ours, loose=True)
    assert not missing and not extra, f"{where}: missing {missing} extra {extra}"
