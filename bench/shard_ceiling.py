"""Workload: the ceiling of issue 20's bulk target on this machine — what 2 worker processes give
against 1 when the coordinator does (nearly) no work per row.

The bulk load of bench.shards (orders in steps of BATCH rows through join_group, on worker
processes) driven in each of MODES, on 1 and on 2 worker processes (pairs run one after the other,
in alternating order), ROUNDS times; from the most coordinator work per row to the least:

- ``insert``: as a user does, ``insert()`` then ``step()``: the coordinator files the batch's keys,
  cuts it by owner, pickles its parts, stages them (the workers unpickle and check them), runs the
  step's rounds and commits its copy of the table (what bench.shards measures);
- ``shipped``: as ``prepickled`` below, but each batch cut by owner and pickled in the timed step:
  the coordinator's share of a design where the workers, not the coordinator, keep the key index and
  the tables' rows (it still cuts and pickles the caller's rows: they are in its memory);
- ``shipped_streamed``: ``shipped`` with each batch cut, pickled and sent in CHUNKS chunks, each sent
  as soon as it is pickled (a worker checks one while the coordinator pickles the next);
- ``shipped_keyed``: ``shipped`` with workers that also file the primary keys of the rows they
  check, each on its owner (KeyedWorker: the keys of a part cut by the join key cross to their owners
  in a round, and a round of "prepared" makes the verdict common, as a taken key would need to fail
  the batch everywhere): that design's added cost on the workers and in rounds, insert() raising a
  taken key as it does today; ``shipped_keyed_step``: the same without the two rounds (the keys
  routed, encoded and decoded as if they rode the step's rounds; a taken key would fail the step);
  ``shipped_keyed_streamed``: ``shipped_keyed_step`` streamed as ``shipped_streamed`` is;
  ``shipped_keyed_rounds_streamed``: ``shipped_keyed`` (its two rounds, insert() raising a taken key)
  streamed: each chunk is cut and pickled while the workers check the one before, whose rounds are
  then served before the chunk is sent (a worker in a round reads its answer next on its pipe);
- ``shipped_filed_streamed``: ``shipped_streamed`` with the key index kept by the coordinator, as
  today (so that insert() can raise a taken key, and the index holds the table's rows), each chunk's
  keys checked and filed just after the chunk is sent (Table._file_fresh's filing without its queue:
  no row hashed);
- ``shipped_broadcast_streamed``: ``shipped_streamed`` with each worker keeping the key index of the
  rows it holds (BroadcastWorker: its table shard, cut by the join key) and every chunk's keys sent to
  every worker beside its part (one list, pickled once); each worker checks them all against its
  index (a taken key is found by the worker holding its row; a key twice in the batch by all) and
  files its own rows, so the verdict comes back with the stage round's reply: insert() can raise a
  taken key, with no round added;
- ``prepickled``: every batch cut by owner and pickled before the timer; timed, per step, the same
  messages the insert path sends (a stage round of the pickled parts: the workers unpickle and check
  them; then the step's rounds feeding the staged parts by token, the views' deltas summed on the
  coordinator).  The coordinator files no key, cuts nothing, pickles no row (it writes the bytes made
  beforehand) and keeps no copy of the table: the nearest the protocol comes to rows ingested on the
  workers, with the protocol's rounds as they are;
- ``staged``: every batch staged on the workers before the timer (workers of this module keep a
  staged part until the step that feeds it: the protocol drops every held part after each step);
  timed, only the steps, fed by token: no stage round, the workers neither unpickle nor check rows
  in the timed part.

Per configuration: wall time per step (median over the steps after the first) and in all; CPU per
step of the coordinator and of each worker, and how long each waited for a core while runnable
(``run_delay``), from /proc/PID/schedstat (the scheduler's nanosecond accounts; the coordinator's
main thread); ``packing``: all of the processes' CPU over (cores x wall), the share of the machine
they kept busy.  The views' rows at the end must equal one worker in the pipeline's own process
(checked every run).  Ratios: 1 worker process's wall per step over 2's, per mode and round.
``--modes a,b`` runs only those modes, ``--rounds N`` that many rounds."""

from __future__ import annotations

import argparse
import functools
import gc
import os
import statistics
import time
from operator import itemgetter

from . import data
from .common import Load, fresh_gc, main_for, table

VIEW = "join_group"
ROWS = {"full": 200_000, "quick": 60_000, "smoke": 2_000}
BATCH = {"full": 10_000, "quick": 10_000, "smoke": 500}
N_CUSTOMERS = {"full": 20_000, "quick": 5_000, "smoke": 200}
ROUNDS = {"full": 3, "quick": 2, "smoke": 1}
MODES = ("insert", "shipped", "shipped_streamed", "shipped_keyed", "shipped_keyed_step", "shipped_keyed_streamed",
         "shipped_keyed_rounds_streamed", "shipped_filed_streamed", "shipped_broadcast_streamed", "prepickled", "staged")
CHUNKS = 4  # shipped_streamed: a batch cut, pickled and sent in this many chunks
WORKER_KIND = {"staged": "holding", "shipped_keyed": "keyed", "shipped_keyed_step": "keyed_step",
               "shipped_keyed_streamed": "keyed_step", "shipped_keyed_rounds_streamed": "keyed",
               "shipped_broadcast_streamed": "broadcast"}
WORKERS = (1, 2)

pc = time.perf_counter


def schedstat(pid: int | str = "self") -> tuple:
    """(CPU seconds, seconds runnable but waiting for a core) of a process's main thread, from the
    scheduler's own accounts (nanoseconds)."""
    with open(f"/proc/{pid}/schedstat") as f:
        run, wait, _ = f.read().split()
    return int(run) / 1e9, int(wait) / 1e9


def custom_worker_main(conn, index: int, workers: int, config: dict, kind: str = "holding") -> None:  # noqa: C901
    """engine/shards/processes.worker_main with a Worker of this module: ``holding`` keeps every staged
    part until the step that feeds it (``staged`` mode stages every batch before the first step);
    ``keyed`` also files the primary keys of each part it checks on their owners (KeyedWorker), what
    the workers would add if they, not the coordinator, kept the key index."""
    import signal
    from operator import itemgetter

    from deltasql.engine.shards.processes import PipeChannel
    from deltasql.engine.shards.worker import Worker

    class HoldingWorker(Worker):
        def do_step(self, feeds, times=(None, None), staged=None, local=(), inbound=None, copy=None):
            used = {t for tokens in (staged or {}).values() for t in tokens}
            keep = {t: rows for t, rows in self._staged.items() if t not in used}
            out = super().do_step(feeds, times, staged, local, inbound, copy)
            self._staged = keep
            return out

    class KeyedWorker(Worker):
        """Files the primary keys (first column) of the parts it checks, each key on its owner (by
        hash, as an exchange routes a number).  ``rounds`` (kind "keyed"): with 2+ workers the keys
        of a part cut by another column cross to their owners in a round of their own, and a round of
        "prepared" makes the verdict common, so that a taken key fails the batch everywhere and
        insert() can raise it; else (kind "keyed_step") the keys are routed, encoded and decoded as if
        they rode the step's own rounds, the verdict left to the step's (a taken key would fail the
        step, not insert()), and no round is added.  One worker files its keys with no round."""

        rounds = kind == "keyed"

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.keys: dict = {}  # table -> {key: the worker holding its row}

        def do_stage(self, name, token, blob):
            if not super().do_stage(name, token, blob):
                return False
            n, me = self.workers, self.index
            keys = list(map(itemgetter(0), self._staged[token]))
            if n == 1:
                mine = [keys]
            else:
                parts: list = [[] for _ in range(n)]
                add = [part.append for part in parts]
                for k in keys:
                    add[hash(k) % n](k)
                encode, decode = self.channel.encode, self.channel.decode
                outs = [[encode(part) if d != me else None for d, part in enumerate(parts)]]
                if self.rounds:
                    crossing = sum(len(part) for d, part in enumerate(parts) if d != me)
                    inbound = self.call(("exchange", (-1,), outs, crossing))[1][0]
                else:  # (as many keys come in as go out: decoding what goes out costs what decoding them would)
                    inbound = outs[0]
                mine = [parts[me] if s == me else decode(inbound[s]) for s in range(n)]
            new: dict = {}
            for s, ks in enumerate(mine):
                new.update(dict.fromkeys(ks, s))
            index = self.keys.setdefault(name, {})
            ok = len(new) == sum(map(len, mine)) and index.keys().isdisjoint(new)
            if n > 1 and self.rounds:
                self.prepared(ok)  # (the coordinator goes on only if every worker's keys are new)
            if not ok:
                del self._staged[token]
                return False
            index.update(new)
            return True

    class BroadcastWorker(Worker):
        """Keeps the key index of the rows it holds ({key: row}, its shard of the table) and checks
        the keys of the whole chunk, sent to every worker, against it: a taken key is found by the
        worker holding its row, a key twice in the chunk by every worker; the verdict is the stage
        reply's.  One worker takes the keys from its part (it is the whole chunk)."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.keys: dict = {}  # table -> {key: row} of the rows this worker holds

        def do_stage(self, name, token, blob, keys_blob=None):
            if not super().do_stage(name, token, blob):
                return False
            rows = self._staged[token]
            mine = list(map(itemgetter(0), rows))
            keys = mine if keys_blob is None else self.channel.decode(keys_blob)
            distinct = set(keys)
            index = self.keys.setdefault(name, {})
            if len(distinct) != len(keys) or None in distinct or not index.keys().isdisjoint(distinct):
                del self._staged[token]
                return False
            index.update(zip(mine, rows))
            return True

    cls = {"holding": HoldingWorker, "keyed": KeyedWorker, "keyed_step": KeyedWorker,
           "broadcast": BroadcastWorker}[kind]
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        cls(index, workers, PipeChannel(conn), own_process=True, **config).serve()
    except (EOFError, OSError):
        pass


def _pipeline(workers: int, kind: str | None, nc: int):
    from deltasql import Pipeline
    from deltasql.engine.shards import processes

    plain = processes.worker_main
    if kind is not None:
        processes.worker_main = functools.partial(custom_worker_main, kind=kind)
    try:
        p = Pipeline(dialect="duckdb", workers=workers, backend="processes")
    finally:
        processes.worker_main = plain
    p.execute(data.SCHEMA)
    p.execute(f"CREATE VIEW {VIEW} AS {data.THROUGHPUT_VIEWS[VIEW]}")
    p.insert("regions", data.regions())
    p.insert("customers", data.customers(nc))
    p.step()
    return p


def _driver(p, mode: str, batches: list):
    """(prepare, step(i), contents): ``prepare()`` is the untimed work, ``step(i)`` feeds batch i."""
    from deltasql.engine.shards.staging import cut, local_exchanges, owner_cut
    from deltasql.engine.shards import wire
    from deltasql.engine.shards.wire import dumps_plain
    from deltasql.engine.shards.worker import outputs
    from deltasql.runtime.zset import add_into

    if mode == "insert":
        def step(i):
            p.insert("orders", batches[i])
            p.step()
        return (lambda: None), step, lambda: {i: op.contents for i, op in outputs(p.circuit)}

    cluster, n = p._shards, p._shards.workers
    orders = p._tables["orders"]
    owner = owner_cut(p.circuit, orders.output) if n > 1 else None
    outs = outputs(p.circuit)
    contents: dict = {i: dict(op.contents) for i, op in outs}  # the views' rows, summed from the deltas
    blobs, tokens = [], []

    def pickled(rows):
        parts, by = cut(rows, n, owner)
        assert by is owner, "a batch not cut by its exchange's owners"
        return [dumps_plain(part) for part in parts]

    def prepare():
        if mode in ("prepickled", "staged"):
            blobs.extend(pickled(rows) for rows in batches)
        if mode == "staged":
            for i in range(len(batches)):
                tokens.append(stage(i))

    def new_token() -> int:
        token = cluster.staging.next_token
        cluster.staging.next_token += 1
        return token

    def stage(i):
        token = new_token()
        parts = blobs[i] if blobs else pickled(batches[i])
        verdicts = cluster.command([("stage", "orders", token, b) for b in parts], prepared=all_new)
        assert all(verdicts), "a part refused by its worker's check"
        cluster.stats["rows_staged"] += len(batches[i])
        return token

    def all_new(verdicts):
        if not all(verdicts):
            raise AssertionError("a key taken (shipped_keyed)")

    def prepared(payloads):
        for payload in payloads:
            for i, delta in payload.items():
                add_into(contents[i], delta)

    index: dict = {}  # shipped_filed_streamed: the coordinator's key index (its copy of the rows)

    def file(rows) -> None:
        """Table._file_fresh's filing of new keys, without its queue."""
        keys = list(map(itemgetter(0), rows))
        distinct = set(keys)
        assert len(distinct) == len(keys) and None not in distinct and index.keys().isdisjoint(distinct)
        index.update(zip(keys, rows))

    def streamed(i):
        """Stage batch i in CHUNKS chunks, each sent as soon as it is cut and pickled (the workers
        check one while the coordinator pickles the next); the replies read once all are sent."""
        transport = cluster.transport
        transport._settle()
        rows, size, sent = batches[i], -(-len(batches[i]) // CHUNKS), []
        for lo in range(0, len(rows), size):
            token = new_token()
            chunk = rows[lo:lo + size]
            if mode == "shipped_broadcast_streamed" and n > 1:
                keys = dumps_plain(list(map(itemgetter(0), chunk)))
                msgs = [("stage", "orders", token, b, keys) for b in pickled(chunk)]
            else:
                msgs = [("stage", "orders", token, b) for b in pickled(chunk)]
            assert all(transport._send(msgs))
            if mode == "shipped_filed_streamed":
                file(chunk)
            sent.append(token)
        for _ in sent:
            serve()
        cluster.stats["rounds"] += len(sent)
        return sent

    def serve() -> None:
        """The rounds of the chunk the workers are staging, until each says it is done."""
        transport = cluster.transport
        while True:
            replies = [wire.loads(conn.recv_bytes()) for conn in transport.conns]
            kinds = {r[0] for r in replies}
            assert len(kinds) == 1, f"workers diverged: {kinds}"
            kind = kinds.pop()
            if kind == "done":
                assert all(r[1] for r in replies), "a part refused by its worker's check"
                return
            if kind == "exchange":
                answers = cluster._route(replies)
            else:
                assert kind == "prepared", kind
                all_new([r[1] for r in replies])
                answers = [("go",)] * n
            assert all(transport._send(answers))
            cluster.stats["rounds"] += 1

    def streamed_rounds(i):
        """Stage batch i in CHUNKS chunks with the keyed workers' rounds: a chunk is cut and pickled
        while the workers check the previous one, whose rounds are served before it is sent."""
        transport = cluster.transport
        transport._settle()
        rows, size, sent = batches[i], -(-len(batches[i]) // CHUNKS), []
        for lo in range(0, len(rows), size):
            parts = pickled(rows[lo:lo + size])
            if sent:
                serve()
            token = new_token()
            assert all(transport._send([("stage", "orders", token, b) for b in parts]))
            sent.append(token)
        serve()
        cluster.stats["rounds"] += len(sent)
        return sent

    def step(i):
        fed_tokens = ([tokens[i]] if mode == "staged" else streamed_rounds(i) if mode == "shipped_keyed_rounds_streamed"
                      else streamed(i) if mode.endswith("_streamed") else [stage(i)])
        fed = {"orders": fed_tokens}
        local = local_exchanges(p.circuit, p._tables, fed, dict.fromkeys(fed_tokens, owner), n)
        cluster.command([("step", {}, (None, {}), fed, local) for _ in range(n)], prepared, p.circuit,
                        results=False)
        cluster.stats["steps"] += 1

    return prepare, step, lambda: contents


def run_config(workers: int, mode: str, size: str, orders: list, expected: dict) -> dict:
    from .shards import worker_pids

    nc, batch = N_CUSTOMERS[size], BATCH[size]
    batches = [orders[i:i + batch] for i in range(0, len(orders), batch)]
    p = _pipeline(workers, WORKER_KIND.get(mode), nc)
    try:
        prepare, step, contents = _driver(p, mode, batches)
        prepare()
        step(0)  # the first step (warming up) is not timed
        fresh_gc()
        pids = worker_pids(p)
        rounds0 = p._shards.stats["rounds"]
        load = Load()
        s0 = [schedstat()] + [schedstat(pid) for pid in pids]
        walls = []
        t0 = pc()
        for i in range(1, len(batches)):
            t = pc()
            step(i)
            walls.append(pc() - t)
        wall = pc() - t0
        s1 = [schedstat()] + [schedstat(pid) for pid in pids]
        busy = load.read()
        steps = len(walls)
        rounds = (p._shards.stats["rounds"] - rounds0) / steps
        # a last round of "go" is posted: wait for its replies so that the workers' CPU is all counted
        p._shards.transport._settle()
        s1 = [s1[0]] + [schedstat(pid) for pid in pids]
        same = contents() == expected
    finally:
        p.close()
    if not same:
        raise AssertionError(f"{mode} on {workers} worker process(es): the view's rows differ from one worker's")
    cpu = [(b[0] - a[0]) / steps * 1e3 for a, b in zip(s0, s1)]
    waited = [(b[1] - a[1]) / steps * 1e3 for a, b in zip(s0, s1)]
    work = sum(cpu[1:]) * steps / 1e3
    if "others_cores" in busy:  # our worker processes are not "other processes"
        busy["others_cores"] = round(max(0.0, busy["others_cores"] - work / wall), 2)
    cores = os.cpu_count() or 1
    return {"workers": workers, "mode": mode, "steps": steps, "rounds_per_step": round(rounds, 2),
            "wall_ms_per_step": round(statistics.median(walls) * 1e3, 3),
            "wall_ms_per_step_mean": round(wall / steps * 1e3, 3),
            "cpu_ms_per_step": {"coordinator": round(cpu[0], 3),
                                **{f"worker {w}": round(c, 3) for w, c in enumerate(cpu[1:])}},
            "waited_ms_per_step": {"coordinator": round(waited[0], 3),
                                   **{f"worker {w}": round(c, 3) for w, c in enumerate(waited[1:])}},
            "packing": round(sum(cpu) / (cores * wall / steps * 1e3), 3),
            "load": busy}


def _expected(size: str, orders: list) -> dict:
    """The views' rows (by output index) that one worker in the pipeline's process ends with."""
    from deltasql import Pipeline
    from deltasql.engine.shards.worker import outputs

    p = Pipeline(dialect="duckdb")
    p.execute(data.SCHEMA)
    p.execute(f"CREATE VIEW {VIEW} AS {data.THROUGHPUT_VIEWS[VIEW]}")
    p.insert("regions", data.regions())
    p.insert("customers", data.customers(N_CUSTOMERS[size]))
    p.step()
    batch = BATCH[size]
    for i in range(0, len(orders), batch):
        p.insert("orders", orders[i:i + batch])
        p.step()
    return {i: dict(op.contents) for i, op in outputs(p.circuit)}


def run(size: str, modes: tuple = MODES, rounds: int | None = None) -> dict:
    orders = data.Orders(N_CUSTOMERS[size]).make(ROWS[size])
    expected = _expected(size, orders)
    res = {"view": data.THROUGHPUT_VIEWS[VIEW].strip(), "rows": ROWS[size], "batch": BATCH[size],
           "cpus": os.cpu_count(), "runs": []}
    for rnd in range(rounds or ROUNDS[size]):
        for mode in modes:
            pair = {}
            for workers in (WORKERS if rnd % 2 == 0 else WORKERS[::-1]):
                gc.collect()
                r = run_config(workers, mode, size, orders, expected)
                pair[workers] = r
                res["runs"].append({"round": rnd, **r})
                print(render(r), flush=True)
            print(f"  round {rnd + 1}, {mode}: 2 worker processes against 1, wall per step "
                  f"{pair[1]['wall_ms_per_step'] / pair[2]['wall_ms_per_step']:.2f}x (medians), "
                  f"{pair[1]['wall_ms_per_step_mean'] / pair[2]['wall_ms_per_step_mean']:.2f}x (means)", flush=True)
    res["summary"] = summary(res["runs"])
    print(render_summary(res["summary"]), flush=True)
    return res


QUIET = 0.25  # a pair of runs is judged when other processes kept at most this many cores busy in both


def summary(runs: list) -> dict:
    """Per mode: each round's ratio (1 worker process's wall per step over 2's) and whether both of its
    runs were quiet (others' cores <= QUIET); the medians of every figure over the quiet rounds (over
    all rounds where none was quiet: ``judged`` says which)."""
    out = {}
    med = statistics.median
    for mode in MODES:
        by_round: dict = {}
        for r in runs:
            if r["mode"] == mode:
                by_round.setdefault(r["round"], {})[r["workers"]] = r
        pairs = [v for v in by_round.values() if len(v) == 2]
        if not pairs:
            continue
        quiet = [all(v[w]["load"].get("others_cores", 0.0) <= QUIET for w in WORKERS) for v in pairs]
        judged = [v for v, q in zip(pairs, quiet) if q] or pairs
        s = {"ratios": [round(v[1]["wall_ms_per_step"] / v[2]["wall_ms_per_step"], 3) for v in pairs],
             "quiet": quiet, "judged": "quiet rounds" if any(quiet) else "all rounds (none quiet)"}
        s["ratio_median"] = round(med(v[1]["wall_ms_per_step"] / v[2]["wall_ms_per_step"] for v in judged), 3)
        for w in WORKERS:
            rs = [v[w] for v in judged]
            s[str(w)] = {"wall_ms_per_step": round(med(r["wall_ms_per_step"] for r in rs), 3),
                         "coordinator_cpu_ms": round(med(r["cpu_ms_per_step"]["coordinator"] for r in rs), 3),
                         "workers_cpu_ms": round(med(sum(c for k, c in r["cpu_ms_per_step"].items() if k != "coordinator")
                                                     for r in rs), 3),
                         "waited_ms": round(med(sum(r["waited_ms_per_step"].values()) for r in rs), 3),
                         "packing": round(med(r["packing"] for r in rs), 3),
                         "others_cores": [r["load"].get("others_cores") for r in rs]}
        out[mode] = s
    return out


def render(r: dict) -> str:
    cpu = ", ".join(f"{k} {v:.2f}" for k, v in r["cpu_ms_per_step"].items())
    waited = ", ".join(f"{k} {v:.2f}" for k, v in r["waited_ms_per_step"].items())
    return (f"  {r['mode']}, {r['workers']} worker process(es): {r['wall_ms_per_step']:.2f} ms per step (median; "
            f"mean {r['wall_ms_per_step_mean']:.2f}), {r['rounds_per_step']} rounds; CPU ms per step: {cpu}; "
            f"waited for a core: {waited}; packing {r['packing']:.0%}; others' cores "
            f"{r['load'].get('others_cores', '?')}")


def render_summary(s: dict) -> str:
    rows = []
    for mode, v in s.items():
        for w in WORKERS:
            x = v[str(w)]
            rows.append([mode, w, f"{x['wall_ms_per_step']:.2f}", f"{x['coordinator_cpu_ms']:.2f}",
                         f"{x['workers_cpu_ms']:.2f}", f"{x['waited_ms']:.2f}", f"{x['packing']:.0%}",
                         ", ".join(str(o) for o in x["others_cores"]),
                         ", ".join(f"{q:.2f}x" + ("" if quiet else " (loaded)") for q, quiet in zip(v["ratios"], v["quiet"]))
                         if w == 2 else "", f"{v['ratio_median']:.2f}x" if w == 2 else ""])
    return (f"medians over the quiet rounds (others' cores <= {QUIET} in both runs; over all where none was):\n" +
            table(["mode", "worker processes", "wall ms/step", "coordinator CPU ms", "workers' CPU ms",
                   "waited for a core ms", "packing", "others' cores", "ratio 1/2 per round", "ratio (median)"], rows))


def main(argv=None):
    """``--modes a,b`` runs only those modes, ``--rounds N`` N rounds (else ROUNDS of the size)."""
    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument("--modes", type=lambda v: tuple(v.split(",")), default=MODES)
    ap.add_argument("--rounds", type=int)
    own, rest = ap.parse_known_args(argv)
    unknown = set(own.modes) - set(MODES)
    if unknown:
        ap.error(f"unknown modes {sorted(unknown)}: {', '.join(MODES)}")
    return main_for("shard_ceiling", functools.partial(run, modes=own.modes, rounds=own.rounds), __doc__, rest)


if __name__ == "__main__":
    main()
