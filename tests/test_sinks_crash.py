"""Sinks under SIGKILL: a process streaming changes into every kind of target at once (tests/sinks_child.py)
is killed at random moments; afterwards each target holds its views exactly as they were after one
whole step (the last the process reported, or the one it was writing), a change log holds each step's
changes once and no step twice, and each target's recorded step says which step it holds.  With a
durable pipeline the process is restarted after each kill and goes on: at the end every target holds
every step exactly once (exactly once end to end).

Rounds: DELTASQL_CRASH_ROUNDS, else 20 under DELTASQL_LONG=1, else 3."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

from deltasql import Pipeline
from deltasql.connectors.sinks import open_sink
from deltasql.engine.feeds import view_schema
from tests import sinkread
from tests.harness import LONG
from tests.sinks_child import pipeline, stream
from tests.test_sinks import KINDS, apply, target_for

ROUNDS = int(os.environ.get("DELTASQL_CRASH_ROUNDS") or (20 if LONG else 3))
CHILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sinks_child.py")
STEPS, MAX_OPS = 30, 40


def reference(seed: int):
    """What every view held after each step (0: before any), and each step's changes."""
    p = pipeline()
    schemas = {n: view_schema(p, n) for n in p.views}
    states = [{n: Counter(p.view(n).rows()) for n in p.views}]
    deltas = [None]
    for ops in stream(seed, STEPS, MAX_OPS):
        apply(p, ops)
        changes = p.step()
        states.append({n: Counter(p.view(n).rows()) for n in p.views})
        deltas.append({n: Counter(dict(changes.get(n, []))) for n in p.views})
    return schemas, states, deltas


def available_kinds(request) -> list[str]:
    out = []
    for kind in KINDS:
        module = {"parquet": "pyarrow", "postgresql": "psycopg", "duckdb": "duckdb"}.get(kind)
        if module:
            try:
                __import__(module)
            except ImportError:
                continue
        out.append(kind)
    return out


def run_child(args: dict, kill_at: tuple[int, float] | None) -> tuple[int, bool]:
    """Start the child and SIGKILL it ``kill_at = (step, seconds)``: that many seconds after it reported
    that step (a random moment inside one of the next steps); None lets it finish.  Returns the last
    step it reported and whether it was killed before finishing."""
    proc = subprocess.Popen([sys.executable, CHILD, json.dumps(args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    reported = []
    try:
        first = proc.stdout.readline()
        assert first.strip() == "attached", (first, proc.stderr.read())
        if kill_at is not None:
            step, delay = kill_at
            for line in (proc.stdout if step > 0 else ()):
                reported.append(line.strip())
                if line.strip() in (str(step), "done"):
                    break
            time.sleep(delay)
            proc.kill()
        out, err = proc.communicate(timeout=300)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    reported += out.split()
    finished = "done" in reported
    if kill_at is None:
        assert proc.returncode == 0, err
    elif finished:  # the kill may land after "done", while the child exits: a crash like any other
        assert proc.returncode in (0, -signal.SIGKILL), err
    steps = [int(x) for x in reported if x.isdigit()]
    return (steps[-1] if steps else 0), not finished


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_sigkill_leaves_each_target_at_a_whole_step(round_, tmp_path, request):
    rnd = random.Random(round_)
    seed = 100 + round_
    kinds = available_kinds(request)
    targets = {k: target_for(k, tmp_path, request, name=k) for k in kinds}
    schemas, states, deltas = reference(seed)
    last, killed = run_child({"seed": seed, "steps": STEPS, "max_ops": MAX_OPS, "targets": list(targets.values())},
                             kill_at=(rnd.randint(0, STEPS - 2), rnd.uniform(0, 0.1)))
    for kind, target in targets.items():
        if kind == "parquet":  # a step committed but not yet renamed into place is finished on opening
            open_sink(target).close()
        recorded = sinkread.recorded(target)
        held = {n: sinkread.read(target, sc) for n, sc in schemas.items()}
        # the step the target holds: the last one reported, or the next if the kill came after it was
        # written there but before the process reported it
        candidates = [k for k in (last, last + 1) if k < len(states)] if killed else [last]
        match = [k for k in candidates
                 if all(held[n] == sinkread.expected(kind, states[k][n].elements(), sc) for n, sc in schemas.items())]
        assert match, f"{kind}: the target holds no whole step among {candidates} (kill after step {last})"
        at = match[-1]
        assert max(recorded.values()) <= at, (kind, recorded, at)
        for n in schemas:  # each view's recorded step: the last step up to `at` that changed it
            changed = [k for k in range(1, at + 1) if deltas[k][n]]
            assert recorded[n] == (changed[-1] if changed else 0), (kind, n, recorded[n], changed[-3:])
        if kind in ("jsonl", "csv", "parquet"):
            for n, sc in schemas.items():
                by_step = sinkread.log_steps(target, sc)
                want = {k: _canon(kind, deltas[k][n], sc) for k in range(1, at + 1) if deltas[k][n]}
                assert {k: _nonzero(c) for k, c in by_step.items()} == want, (kind, n)
        # opened again (as a restarted pipeline would), the target is where it was
        open_sink(target).close()
        assert sinkread.recorded(target) == recorded
        assert {n: sinkread.read(target, sc) for n, sc in schemas.items()} == held


def _nonzero(c: Counter) -> Counter:
    return Counter({r: w for r, w in c.items() if w})


def _canon(kind: str, delta: Counter, schema) -> Counter:
    out = Counter()
    for row, w in delta.items():
        (key, _n), = sinkread.expected(kind, [row], schema).items()
        out[key] += w
    return out


KILLS = 3  # per round of the exactly-once test, then a run to the end


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_sigkill_and_restart_write_every_step_exactly_once(round_, tmp_path, request):
    """A durable pipeline streaming into every kind of target is killed KILLS times at random moments and
    restarted each time (reopening its state file, attaching the same sinks, going on); after each kill
    every target holds a whole step, and at the end each target equals the views, each change log holds
    every step's changes exactly once (none skipped, none repeated) and records the last step."""
    rnd = random.Random(1000 + round_)
    seed = 200 + round_
    kinds = available_kinds(request)
    targets = {k: target_for(k, tmp_path, request, name=k) for k in kinds}
    schemas, states, deltas = reference(seed)
    args = {"seed": seed, "steps": STEPS, "max_ops": MAX_OPS, "targets": list(targets.values()),
            "state": str(tmp_path / "state.db")}
    last = 0
    for _ in range(KILLS):
        if last + 2 > STEPS - 1:
            break
        at = rnd.choice([0, rnd.randint(last + 2, STEPS - 1)])  # 0: right after the sinks caught up
        reported, killed = run_child(args, kill_at=(at, rnd.uniform(0, 0.1)))
        last = max(last, reported)
        for kind, target in targets.items():
            if kind == "parquet":
                open_sink(target).close()
            held = {n: sinkread.read(target, sc) for n, sc in schemas.items()}
            assert any(all(held[n] == sinkread.expected(kind, states[k][n].elements(), sc) for n, sc in schemas.items())
                       for k in range(len(states))), f"{kind}: no whole step after a kill near step {last}"
    reported, killed = run_child(args, kill_at=None)
    total = len(states) - 1  # the stream's steps and its final retraction
    assert not killed
    # (the child reports nothing if a kill came after the last step committed but before it said so)
    p = Pipeline(path=args["state"])
    try:
        assert p.last_step == total and reported in (0, total), (p.last_step, reported, total)
    finally:
        p.close(checkpoint=False)
    for kind, target in targets.items():
        recorded = sinkread.recorded(target)
        for n, sc in schemas.items():
            assert sinkread.read(target, sc) == sinkread.expected(kind, states[total][n].elements(), sc), (kind, n)
            changed = [k for k in range(1, total + 1) if deltas[k][n]]
            assert recorded[n] == (changed[-1] if changed else 0), (kind, n)
            if kind in ("jsonl", "csv", "parquet"):
                by_step = sinkread.log_steps(target, sc)
                want = {k: _canon(kind, deltas[k][n], sc) for k in range(1, total + 1) if deltas[k][n]}
                assert {k: _nonzero(c) for k, c in by_step.items()} == want, (kind, n)
