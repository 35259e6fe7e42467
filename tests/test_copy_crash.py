"""Crash safety of COPY on a sharded durable pipeline, for real: a process (tests/copyworker.py) loads a
CSV file per step with COPY on 2 worker processes (each worker parses a range of the file; the
coordinator files its copy of the rows while the workers run the COPY's step, and the journal is
written before the step is final) and is killed with SIGKILL at random moments, several times.  After
each kill the state file is reopened: it must hold exactly the files of the steps whose commit reached
the journal (at least the last the process saw return, at most the one it had begun), every table
exactly those files' rows, every view what those rows give (computed here in Python); then a new
process goes on from there.

DELTASQL_LONG=1 runs more kills.
"""

from __future__ import annotations

import csv
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

from deltasql import Pipeline

from tests import copyworker as worker

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROUNDS = 12 if os.environ.get("DELTASQL_LONG", "") not in ("", "0") else 4
FILES = 150  # more than any run loads


class Process:
    def __init__(self, path: str, where: str):
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.copyworker", path, where], cwd=ROOT,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self.changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            with self.changed:
                self.lines.append(line.strip())
                self.changed.notify_all()
        with self.changed:
            self.lines.append("EOF")
            self.changed.notify_all()

    def wait_for_begun(self, count: int, timeout: float = 120.0) -> None:
        """Wait until ``count`` more steps than at the first report have begun."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while sum(line[:1] == "B" for line in self.lines) < count:
                assert "EOF" not in self.lines, self.proc.stderr.read()
                assert time.monotonic() < deadline, f"no progress: {self.lines[-5:]}"
                self.changed.wait(0.5)

    def kill(self) -> tuple:
        """SIGKILL; (the last step it saw return, the last it began)."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=60)
        assert self.proc.returncode == -signal.SIGKILL, self.proc.stderr.read()
        self.proc.stderr.close()
        with self.changed:
            done = [int(line.split()[1]) for line in self.lines if line[:1] in "SO"]
            begun = [int(line.split()[1]) for line in self.lines if line[:1] == "B"]
        return max(done), max(begun, default=0)


def write_files(where: str) -> None:
    for k in range(1, FILES + 1):
        with open(os.path.join(where, f"{k}.csv"), "w", newline="") as f:
            csv.writer(f).writerows(worker.rows(k) if k % 2 else worker.log_rows(k))


def expected(steps: int) -> tuple:
    """The tables and views after ``steps`` files."""
    t = [r for k in range(1, steps + 1, 2) for r in worker.rows(k)]
    log = [r for k in range(2, steps + 1, 2) for r in worker.log_rows(k)]
    by_g: dict = {}
    for i, g, s in t:
        n, total, top = by_g.get(g, (0, 0, None))
        by_g[g] = (n + 1, total + i, s if top is None or s > top else top)
    per_g = Counter(g for _, g, _ in t)
    joined = Counter()
    for g, s in log:
        joined[s] += per_g[g]
    return (Counter(t), Counter(log), sorted((g, *v) for g, v in by_g.items()),
            sorted((s, n) for s, n in joined.items() if n))


def test_sigkill_during_copies_loses_no_committed_step(tmp_path):
    rnd = random.Random(20)
    where = tmp_path / "files"
    where.mkdir()
    write_files(str(where))
    path = str(tmp_path / "state")
    last = 0
    for _ in range(ROUNDS):
        proc = Process(path, str(where))
        proc.wait_for_begun(rnd.randint(2, 6))
        time.sleep(rnd.uniform(0.0, 0.05))  # somewhere in a COPY: staging, the step, the journal, a checkpoint
        done, begun = proc.kill()
        p = Pipeline(path=path, workers=2, backend="processes")
        try:
            assert done <= p.last_step <= max(begun, done), (done, p.last_step, begun)
            assert p.last_step >= last
            last = p.last_step
            t, log, by_g, joined = expected(last)
            assert Counter(p.table_rows("t")) == t
            assert Counter(p.table_rows("log")) == log
            assert sorted(p.view("by_g").rows()) == by_g
            assert sorted(p.view("joined").rows()) == joined
        finally:
            p.close()
    assert last >= ROUNDS  # it went on after every recovery
