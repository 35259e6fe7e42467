"""Workload: where the wall time of a sharded bulk step goes.  The bulk load of bench.shards (orders
in steps of BATCH rows through join_group) on one and on two worker processes, with every message
between the coordinator and a worker timed on both sides: per step, how long each process worked
(wall and its own CPU) and waited, phase by phase, and how much of the machine's cores the
pipeline's processes kept busy (``utilization``: their CPU over cores x wall).

Phases.  The coordinator: ``insert: before the stage round`` (filing the batch's keys, cutting and
pickling its parts), ``stage round`` (the workers check their parts), ``step: <round>`` (each round
of the step: sending, waiting for every worker, relaying; the last one, "go", is posted: its replies
are read when the next round begins), ``step: outside rounds`` (feeding, summing the views' deltas,
committing its tables).  A worker:
``<message> -> <reply>`` is the work between reading a message and writing its reply (decoding,
computing, encoding), ``after <reply>`` the work after a reply before it reads the next message
(the cyclic collection it runs between commands),
``waiting for <message>`` the time blocked on its pipe.  A process's wall time in a phase beyond
its CPU time is time it was runnable but another process held the core (ours or others').

Wall clocks are time.perf_counter (CLOCK_MONOTONIC: one clock for every process of the machine),
CPU clocks each process's own thread CPU time.  The workers are the processes backend's own
(engine/shards/processes.py); only their pipe channel is wrapped, in this module, to note times."""

from __future__ import annotations

import functools
import gc
import json
import os
import statistics
import tempfile
import time

from . import data
from .common import Load, fresh_gc, main_for, table
from .shards import cpu_seconds, worker_pids

VIEW = "join_group"
ROWS = {"full": 200_000, "quick": 60_000, "smoke": 2_000}
BATCH = {"full": 10_000, "quick": 10_000, "smoke": 500}
N_CUSTOMERS = {"full": 20_000, "quick": 5_000, "smoke": 200}
WORKERS = (1, 2)

pc, tc = time.perf_counter, time.thread_time


def traced_worker(conn, index: int, workers: int, config: dict, prefix: str = "") -> None:
    """engine/shards/processes.worker_main with its channel timed; the events written to
    ``prefix``<index>.json when the worker stops: ("recv", kind, t0, t1, c0, c1) for a message
    (t0: reading began, t1: its bytes arrived; c: CPU then), ("send", kind, t0, t1, c0, c1) for a
    reply (encoding began, written)."""
    from deltasql.engine.shards import processes, wire

    events: list = []
    channel = processes.PipeChannel

    def recv(self):
        t0, c0 = pc(), tc()
        data_ = self.conn.recv_bytes()
        t1, c1 = pc(), tc()
        msg = wire.loads(data_)
        events.append(("recv", msg[0], t0, t1, c0, c1))
        return msg

    def send(self, msg) -> None:
        t0, c0 = pc(), tc()
        self.conn.send_bytes(wire.dumps(msg))
        events.append(("send", msg[0], t0, pc(), c0, tc()))

    channel.recv, channel.send = recv, send
    try:
        processes.worker_main(conn, index, workers, config)
    finally:
        with open(f"{prefix}{index}.json", "w") as f:
            json.dump(events, f)


def _timed_rounds(transport, out: list):
    """Wrap ``transport.round`` and ``post`` to note (first message's kind, t0, t1, c0, c1) of each
    round."""
    for name in ("round", "post"):
        inner = getattr(transport, name, None)
        if inner is None:
            continue

        def timed(msgs, *more, inner=inner):
            t0, c0 = pc(), tc()
            replies = inner(msgs, *more)
            first = next(m for m in msgs if m is not None)
            out.append((first[0], t0, pc(), c0, tc()))
            return replies

        setattr(transport, name, timed)


def run_config(workers: int, mode: str, tmp: str) -> dict:
    from deltasql import Pipeline
    from deltasql.engine.shards import processes

    prefix = os.path.join(tmp, f"w{workers}_")
    plain = processes.worker_main
    processes.worker_main = functools.partial(traced_worker, prefix=prefix)
    try:
        p = Pipeline(dialect="duckdb", workers=workers, backend="processes")
    finally:
        processes.worker_main = plain
    rounds: list = []
    marks = []  # per step: (insert start, stage round start index, insert end, step end) and CPU
    nc = N_CUSTOMERS[mode]
    try:
        p.execute(data.SCHEMA)
        p.execute(f"CREATE VIEW {VIEW} AS {data.THROUGHPUT_VIEWS[VIEW]}")
        p.insert("regions", data.regions())
        p.insert("customers", data.customers(nc))
        p.step()
        orders = data.Orders(nc).make(ROWS[mode])
        _timed_rounds(p._shards.transport, rounds)
        fresh_gc()
        load, work0, t = Load(), sum(cpu_seconds(pid) for pid in worker_pids(p)), pc()
        batch = BATCH[mode]
        for i in range(0, len(orders), batch):
            a, ca = pc(), tc()
            p.insert("orders", orders[i:i + batch])
            b, cb = pc(), tc()
            p.step()
            marks.append((a, b, pc(), ca, cb, tc()))
        busy = load.read()
        if "others_cores" in busy:  # our worker processes are not "other processes"
            work = sum(cpu_seconds(pid) for pid in worker_pids(p)) - work0
            busy["others_cores"] = round(max(0.0, busy["others_cores"] - work / (pc() - t)), 2)
    finally:
        p.close()
    events = []
    for w in range(workers):
        with open(f"{prefix}{w}.json") as f:
            events.append(json.load(f))
    return {"workers": workers, **_phases(marks, rounds, events), "load": busy}


def _phases(marks: list, rounds: list, events: list) -> dict:
    """Wall and CPU per phase and process, medians over the steps after the first."""
    steps = []
    for a, b, c, ca, cb, cc in marks[1:]:
        phases: dict = {}

        def add(who, what, wall, cpu, phases=phases):
            w, u = phases.setdefault(who, {}).get(what, (0.0, 0.0))
            phases[who][what] = (w + wall, u + cpu)

        mine = [r for r in rounds if a <= r[1] <= c]
        stage = [r for r in mine if r[0] == "stage" and r[1] <= b]
        if stage:
            add("coordinator", "insert: before the stage round", stage[0][1] - a, stage[0][3] - ca)
            add("coordinator", "insert: stage round (the workers check)", stage[0][2] - stage[0][1],
                stage[0][4] - stage[0][3])
        step_rounds = [r for r in mine if r[1] >= b]
        for n, r in enumerate(step_rounds):
            add("coordinator", f"step: round {n + 1} ({r[0]})", r[2] - r[1], r[4] - r[3])
        add("coordinator", "step: outside rounds", (c - b) - sum(r[2] - r[1] for r in step_rounds),
            (cc - cb) - sum(r[4] - r[3] for r in step_rounds))
        for w, evs in enumerate(events):
            who = f"worker {w}"
            last = None  # the last reply sent: (kind, end wall, end CPU)
            got = None   # the last message read: (kind, bytes arrived wall, CPU)
            for e in evs:
                kind, what, t0, t1, c0, c1 = e
                if kind == "recv":
                    if last is not None and a <= last[1] <= c:
                        add(who, f"after {last[0]}", t0 - last[1], c0 - last[2])
                    if a <= t0 <= c:
                        add(who, f"waiting for {what}", t1 - t0, c1 - c0)
                    got, last = (what, t1, c1), None
                else:
                    if got is not None and a <= got[1] <= c:
                        add(who, f"{got[0]} -> {what}", t1 - got[1], c1 - got[2])
                    last, got = (what, t1, c1), None
        phases["step"] = {"wall": (c - a, cc - ca)}
        steps.append(phases)
    out: dict = {}
    for who in steps[0]:
        names = []
        for s in steps:
            names += [n for n in s.get(who, {}) if n not in names]
        out[who] = {n: [round(statistics.median(s.get(who, {}).get(n, (0.0, 0.0))[i] for s in steps) * 1e3, 3)
                        for i in (0, 1)] for n in names}
    walls = [s["step"]["wall"][0] for s in steps]
    wall = statistics.median(walls)
    cpu = {who: sum(v[1] for v in out[who].values()) for who in out if who != "step"}
    out.pop("step")
    return {"phases": out, "wall_ms_per_step": round(wall * 1e3, 3),
            "wall_ms_per_step_mean": round(statistics.mean(walls) * 1e3, 3),
            "cpu_ms_per_step": {who: round(v, 3) for who, v in cpu.items()},
            "utilization": round(sum(cpu.values()) / ((os.cpu_count() or 1) * wall * 1e3), 3)}


def predicted_ms(r: dict, cores: int) -> float:
    """The wall time of a step (ms) that its phases' CPU (medians) allows on ``cores`` free cores, with
    no latency between a message and its reader: (1) between steps, the coordinator's serial work
    (before the stage round, outside the rounds) while the workers finish the last step (after their
    replies): side by side where a core is free for the coordinator, else sharing the cores; (2) the
    stage round, the workers' check and the coordinator's work in it (the filing, where it files
    meanwhile): side by side where a core is free for the coordinator, else one after the other (with
    every core taken by a worker, the coordinator working holds one worker up; the other then idles);
    (3) each round of the step, the slowest worker's work, and the coordinator's relaying."""
    ph = r["phases"]
    coord = ph["coordinator"]
    workers = [ph[w] for w in ph if w.startswith("worker")]

    def cpu(d, test):
        return sum(v[1] for k, v in d.items() if test(k))

    serial = cpu(coord, lambda k: k.startswith("insert: before") or k == "step: outside rounds")
    in_stage = cpu(coord, lambda k: k.startswith("insert: stage"))
    relaying = cpu(coord, lambda k: k.startswith("step: round"))
    after = [cpu(w, lambda k: k.startswith("after")) for w in workers]
    check = max(cpu(w, lambda k: k.startswith("stage ->")) for w in workers)
    rounds = {k for w in workers for k in w if " -> " in k and not k.startswith("stage ->")}
    step = sum(max(w.get(k, (0.0, 0.0))[1] for w in workers) for k in rounds) + relaying
    if len(workers) < cores:
        return max(serial, max(after)) + max(check, in_stage) + step
    return max(serial, max(after), (serial + sum(after)) / cores) + check + in_stage + step


def run(mode: str) -> dict:
    res = {"view": data.THROUGHPUT_VIEWS[VIEW].strip(), "rows": ROWS[mode], "batch": BATCH[mode],
           "cpus": os.cpu_count(), "runs": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for workers in WORKERS:
            gc.collect()
            r = run_config(workers, mode, tmp)
            res["runs"][str(workers)] = r
            print(render(r, res["batch"]), flush=True)
    one, two = res["runs"]["1"], res["runs"]["2"]
    res["wall_ratio"] = round(one["wall_ms_per_step"] / two["wall_ms_per_step"], 2)
    res["wall_ratio_mean"] = round(one["wall_ms_per_step_mean"] / two["wall_ms_per_step_mean"], 2)
    cores = os.cpu_count() or 1
    res["predicted_ms_per_step"] = {n: round(predicted_ms(r, cores), 2) for n, r in res["runs"].items()}
    res["predicted_ratio"] = round(res["predicted_ms_per_step"]["1"] / res["predicted_ms_per_step"]["2"], 2)
    print(f"  2 worker processes against 1, wall per step: {res['wall_ratio']}x (medians), "
          f"{res['wall_ratio_mean']}x (means); what the phases' CPU allows on {cores} free cores "
          f"(predicted_ms): {res['predicted_ms_per_step']['1']:.2f} / {res['predicted_ms_per_step']['2']:.2f} ms, "
          f"{res['predicted_ratio']}x")
    return res


def render(r: dict, batch: int) -> str:
    who = list(r["phases"])
    names = []
    for w in who:
        names += [(w, n) for n in r["phases"][w]]
    rows = [[w, n, f"{r['phases'][w][n][0]:.2f}", f"{r['phases'][w][n][1]:.2f}"] for w, n in names]
    head = (f"  {r['workers']} worker process(es): {r['wall_ms_per_step']:.2f} ms per step of {batch:,} rows "
            f"(median; mean {r['wall_ms_per_step_mean']:.2f}), CPU per step (medians of the phases) " +
            ", ".join(f"{w} {v:.2f} ms" for w, v in r["cpu_ms_per_step"].items()) +
            f"; utilization {r['utilization']:.0%} of {os.cpu_count()} cores; others' cores "
            f"{r['load'].get('others_cores', '?')}")
    return head + "\n" + table(["process", "phase", "wall ms/step", "CPU ms/step"], rows)


def main(argv=None):
    return main_for("shard_timeline", run, __doc__, argv)


if __name__ == "__main__":
    main()
