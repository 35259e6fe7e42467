"""The coordinator of a sharded pipeline: drives the workers through steps and DDL.

The Pipeline (the coordinator) keeps what it always keeps — the catalog, the tables' rows and
constraints, transactions, the views' contents, its own copy of the circuit for explain and for the
layout every worker must match — but does not run its circuit: a step's changes are cut into one
part per worker (any split will do: every operator before the first exchange is linear), and the
workers run the circuit, meeting in rounds that the coordinator serves:

- an exchange: each worker's batch for each other worker is passed on, unopened (pickled bytes);
- a vote: inside a fixpoint, whether any worker has work left (all iterate while one has);
- prepared: every worker finished the step; the views' deltas are summed into the coordinator's
  view outputs, the durable journal (if any) is written, and only then are the workers told to go
  (for a step, posted where the backend can: the "done" replies are read at the next round, so the
  coordinator goes on while the workers finish).

A depth of exchanges that the coordinator knows moves no row in a step takes no round
(staging.local_exchanges: tables without changes, batches or queues cut by their exchange's owner,
one worker).
If any worker fails, every other one is told to abort and undoes the command: the step (or the new
view) never happened anywhere, and the failure is raised as the pipeline raises it unsharded.  A
worker that dies leaves the cluster stopped: the pipeline refuses to go on rather than go on with
a shard missing (a durable pipeline reopens from its state file, every shard at one step).
"""

from __future__ import annotations

import weakref

from ...runtime import Operator, StepError
from ...runtime.operators.watermark import advanced
from ...runtime.state import StateMismatch
from ...runtime.zset import add_into
from ..failures import CopyNotRead, ShardsStopped, StoppedAfterCommit
from .backends import BACKENDS, WorkerDied, open_backend
from .staging import Staging, cut_delta, local_exchanges, owner_cut
from .wire import split
from .worker import fingerprint, op_at, outputs


class Cluster:
    """``workers`` workers on ``backend`` (see backends.py), each with the pipeline's dialect."""

    def __init__(self, workers: int, backend: str, dialect: str, max_iterations: int, address: str | None = None):
        if not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers must be a positive integer, not {workers!r}")
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r}: one of {', '.join(BACKENDS)}")
        self.workers = workers
        self.backend = backend
        self.stopped: str | None = None
        self.stats = {"steps": 0, "rounds": 0, "exchanges": 0, "rows_exchanged": 0, "bytes_exchanged": 0,
                      "rows_staged": 0}
        self.transport = open_backend(backend, workers, {"dialect": dialect, "max_iterations": max_iterations},
                                      address)
        self._finalizer = weakref.finalize(self, self.transport.close)
        self.staging = Staging(self)

    def close(self) -> None:
        if self.stopped is None:
            self.stopped = "the pipeline was closed"
        self._finalizer()

    # -- one command and its rounds ------------------------------------------------------------------
    def command(self, msgs: list, prepared=None, circuit=None, meanwhile=None, results: bool = True,
                copied=None) -> list | None:
        """Send each worker its message and serve the rounds until all are done; their results.  On a
        failure every worker undoes the command and the first failure is raised (a StepError naming
        ``circuit``'s operator when an operator failed).  ``prepared(payloads)`` decides a prepared
        round: it returns to go on, raises to abort.  ``meanwhile()`` runs once the messages are sent
        (it must not raise).  ``copied(verdicts)`` decides a COPY's "copied" round: it returns the
        answers and what runs while the workers go on (as ``meanwhile``), or raises to abort.
        ``results`` False: a command whose results are not needed (a step) returns None once "go" is
        sent, where the backend can read the replies later (``post``)."""
        if self.stopped is not None:
            raise ShardsStopped(f"the pipeline's workers are stopped ({self.stopped})")
        replies = self._round(msgs, meanwhile)
        while True:
            meanwhile = None
            kinds = {r[0] for r in replies}
            if kinds == {"done"}:
                return [r[1] for r in replies]
            if kinds & {"error", "aborted"}:
                self._fail(replies, circuit)
            if len(kinds) > 1:
                self._stop(f"workers diverged: {sorted(kinds)}")
            kind = replies[0][0]
            if kind == "exchange":
                answers = self._route(replies)
            elif kind == "copied" and copied is not None:
                try:
                    answers, meanwhile = copied([r[1] for r in replies])
                except BaseException as e:
                    self._abort_all(replies)
                    raise e
            elif kind == "vote":
                decision = any(r[1] for r in replies)
                answers = [("decision", decision)] * self.workers
            elif kind == "prepared":
                try:
                    if prepared is not None:
                        prepared([r[1] for r in replies])
                except BaseException as e:
                    self._abort_all(replies)
                    raise e
                answers = [("go",)] * self.workers
                if not results and self._post(answers):
                    return None
            else:
                self._stop(f"unexpected reply {kind!r}")
            try:
                replies = self._round(answers, meanwhile)
            except ShardsStopped as e:
                if kind != "prepared":
                    raise
                raise _after_commit(e) from e.__cause__

    def _round(self, msgs: list, meanwhile=None) -> list:
        self.stats["rounds"] += 1
        try:
            return self.transport.round(msgs, meanwhile)
        except WorkerDied as e:
            self._stop(str(e), e)

    def _post(self, msgs: list) -> bool:
        """The decision sent without waiting for the replies, where the backend can (processes.py);
        False where it cannot (then it is a round).  A worker found dead: StoppedAfterCommit."""
        post = getattr(self.transport, "post", None)
        if post is None:
            return False
        self.stats["rounds"] += 1
        try:
            post(msgs)
        except WorkerDied as e:
            self.stopped = str(e)
            raise _after_commit(ShardsStopped(f"the pipeline's workers are stopped: {e}")) from e
        return True

    def _route(self, replies: list) -> list:
        """Each worker's batches for each destination, passed on unopened: worker d gets, for every
        exchange of the round, the list of what each worker sent it."""
        xids = {r[1] for r in replies}
        if len(xids) > 1:
            self._stop(f"workers at different exchanges {sorted(xids)}")
        n = self.workers
        stats = self.stats
        stats["exchanges"] += len(replies[0][1])
        answers = []
        for d in range(n):
            answers.append(("inbound", [[replies[s][2][x][d] for s in range(n)] for x in range(len(replies[0][1]))]))
        for r in replies:
            stats["rows_exchanged"] += r[3]
            for blobs in r[2]:
                for blob in blobs:
                    if isinstance(blob, (bytes, bytearray)):
                        stats["bytes_exchanged"] += len(blob)
        return answers

    def _abort_all(self, replies: list) -> list:
        """Tell every worker waiting in a round to abort; their final replies."""
        while True:
            waiting = [r is not None and r[0] in ("exchange", "vote", "prepared", "copied") for r in replies]
            if not any(waiting):
                return replies
            answers = self._round([("abort",) if w else None for w in waiting])
            replies = [a if w else r for r, a, w in zip(replies, answers, waiting)]

    def _fail(self, replies: list, circuit) -> None:
        replies = self._abort_all(replies)
        if any(r[0] == "done" for r in replies):
            self._stop("a command failed on some workers and succeeded on others")
        for i, r in enumerate(replies):
            if r[0] == "error":
                exc, path, tb = r[1]
                exc.add_note(f"(in worker {i} of {self.workers}, {self.backend}:)\n{tb}")
                if path is not None and circuit is not None:
                    raise StepError(op_at(circuit, path) or Operator(), exc)
                raise exc
        from .worker import Abort
        raise Abort()  # every worker aborted: only a coordinator's abort does that

    def _stop(self, why: str, cause: BaseException | None = None):
        self.stopped = why
        raise ShardsStopped(f"the pipeline's workers are stopped: {why}") from cause

    # -- what the pipeline asks for ----------------------------------------------------------------
    def stage(self, name: str, table, rows: list, file, circuit=None) -> bool:
        """Have the workers check a batch of rows for ``table`` and keep it for the next step
        (staging.py: cut by the key of ``circuit``'s exchange reading the table, where it can be), and
        ``file()`` the batch's keys on the coordinator before or while they do; False: the coordinator
        must check it itself (and ``file`` may not have run)."""
        return self.staging.stage(name, table, rows, file, circuit)

    def step(self, pipeline, before_commit=None, copying=None) -> None:
        """Run one step of ``pipeline`` on the workers: the tables' queued inputs in, the views'
        deltas out into the coordinator's outputs.  Raises StepError (nothing changed) as
        Circuit.step does.  ``copying``: a COPY that is this step (staging.CopyStep), its table's queue
        empty: the workers read the file's ranges and meet in a "copied" round, where each is passed the
        parts the others read for it, and ``file(batch)`` queues its rows on the coordinator, or only
        checks their keys, while they run the step (a failure there, a taken key, aborts the step on
        every worker before it is final); ``filed(batch)`` (None: nothing to do) commits the batch on
        the coordinator once the step is final (Table.take_unread).  CopyNotRead (the step undone
        everywhere) where the workers could not read the file as it is, the file's DataError where it
        was one range."""
        n = self.workers
        fed = [(name, t.input) for name, t in pipeline._tables.items() if t.input.pending]
        parts = [{} for _ in range(n)]
        staged = {}  # table -> the tokens of the staged batches that are its queue (staging.py)
        by_owner = {}  # table -> the exchange its queue was cut for (staging.cut_delta)
        for name, inp in fed:
            table = pipeline._tables[name]
            tokens = self.staging.tokens(table, pipeline._log)
            if tokens is not None:
                staged[name] = tokens
                continue
            owner = owner_cut(pipeline.circuit, table.output) if n > 1 and table.watermark is None else None
            chunks, by = cut_delta(inp.pending, n, owner)
            if by is not None:
                by_owner[name] = by
            for w, chunk in enumerate(chunks):
                if chunk[0]:
                    parts[w][name] = chunk
        failed: list = []
        copied = None
        if copying is not None:
            staged[copying.table.rel.name] = [copying.token]

            def copied(verdicts):
                batch = copying.batch = self.staging.read_verdicts(verdicts, copying.token, copying.ranges)
                if batch is None:
                    raise CopyNotRead()

                def meanwhile():
                    try:
                        copying.file(batch)
                    except BaseException as e:  # noqa: BLE001 - raised at the prepared round (meanwhile must not raise)
                        failed.append(e)
                return [("inbound", batch.theirs(d)) for d in range(n)], meanwhile
        outs = outputs(pipeline.circuit)
        times, settle = _step_times(pipeline)
        local = local_exchanges(pipeline.circuit, pipeline._tables, staged, self.staging.cuts, n, by_owner)

        def prepared(payloads):
            if failed:
                raise failed[0]
            merged: dict = {}
            copied = set()  # a worker's delta may be its live object (threads): copied before adding
            for payload in payloads:
                for i, delta in payload.items():
                    m = merged.get(i)
                    if m is None:
                        merged[i] = delta
                        continue
                    if i not in copied:
                        m = merged[i] = dict(m)
                        copied.add(i)
                    add_into(m, delta)
            undo = []
            for i, op in outs:
                d = merged.get(i) or {}
                undo.append((op, op.delta, d))
                op.delta = d
                if d:
                    add_into(op.contents, d)
            unsettle = settle()
            if before_commit is not None:
                try:
                    before_commit()
                except BaseException:
                    unsettle()
                    for op, old, d in undo:
                        op.delta = old
                        if d:
                            add_into(op.contents, {r: -w for r, w in d.items()})
                    raise

        def committed() -> None:  # (the step is final)
            if copying is not None and copying.filed is not None:
                self.stats["rows_staged"] += copying.batch.count
                copying.filed(copying.batch)

        try:
            try:
                self.command([("step", parts[w], times, staged, local, self.staging.inbound_for(w, staged),
                               copying.msgs[w] if copying is not None else None)
                              for w in range(n)], prepared, pipeline.circuit, results=False, copied=copied)
            except StoppedAfterCommit:
                self.staging.clear()
                committed()
                raise
            committed()
        finally:
            for _, inp in fed:
                inp.pending = {}
            if copying is not None:  # (its queue, filed meanwhile, may be the input's own dict: Table.queue_insert)
                copying.table.input.pending = {}
        self.staging.clear()
        self.stats["steps"] += 1

    def replicate(self, msg: tuple, circuit) -> None:
        """A schema change with no rows to compute (a new table, a drop): every worker makes it and
        must end with the coordinator's circuit."""
        prints = self.command([msg] * self.workers, circuit=circuit)
        self._check_layout(prints, circuit)

    def backfill(self, pipeline, created: list, source: tuple) -> None:
        """A new view: every worker runs the same CREATE VIEW (``source`` = its statement and text),
        backfilled from its shard: its part of the rows of every table the view's operators read (the
        workers keep no table rows; any split will do, as for a step) and its state of the operators
        the view shares; the new outputs' contents are summed into the coordinator's."""
        outs = [(i, op) for i, op in outputs(pipeline.circuit) if op in created]
        n = self.workers
        read = {id(i) for op in created for i in op.inputs}
        rows: list = [{} for _ in range(n)]
        for name, t in pipeline._tables.items():
            if (id(t.input) in read or id(t.output) in read) and t.contents:
                for w, chunk in enumerate(split(t.contents, n)):
                    if chunk[0]:
                        rows[w][name] = chunk

        def prepared(payloads):
            self._check_layout([p[0] for p in payloads], pipeline.circuit)
            for i, op in outs:
                total: dict = {}
                for _, contents in payloads:
                    if contents.get(i):
                        add_into(total, contents[i])
                op.contents = total
                op.delta = dict(total)

        try:
            prints = self.command([("create_view",) + source + (None, rows[w]) for w in range(n)], prepared,
                                  pipeline.circuit)
        except StoppedAfterCommit as e:  # the coordinator drops the new view: it never was
            raise ShardsStopped(f"the pipeline's workers are stopped: {self.stopped}") from e.__cause__
        if len(set(prints)) > 1:
            self._stop("workers built different circuits")

    def export_state(self) -> list:
        """Every worker's state between steps (pickled bytes, one per worker): with the coordinator's
        own (its tables and runtime.state.export_circuit of its circuit) all a checkpoint needs, every
        shard at the same step."""
        return self.command([("export",)] * self.workers)

    def import_state(self, blobs: list) -> None:
        """Give each worker the state ``export_state`` returned from a pipeline built by the same DDL
        with as many workers."""
        if len(blobs) != self.workers:
            raise ValueError(f"the state was saved by {len(blobs)} workers: open the pipeline with "
                             f"workers={len(blobs)}")
        self.command([("import", b) for b in blobs])

    def rebuild(self, pipeline) -> None:
        """Workers that start empty (the state was saved by another number of workers) compute their
        shards of every operator's state from the pipeline's tables: each is fed a part of every table's
        rows as one step (law: where no view reads NOW() or a watermark, a view's state is a function of
        the tables' rows, not of the steps that brought them).  The views' rows they report must be the
        ones the coordinator restored (else StateMismatch, and every worker undoes the step)."""
        n = self.workers
        parts: list = [{} for _ in range(n)]
        for name, t in pipeline._tables.items():
            if t.contents:
                for w, chunk in enumerate(split(t.contents, n)):
                    if chunk[0]:
                        parts[w][name] = chunk
        outs = outputs(pipeline.circuit)

        def prepared(payloads):
            merged: dict = {}
            for payload in payloads:
                for i, delta in payload.items():
                    add_into(merged.setdefault(i, {}), delta)
            for i, op in outs:
                if merged.get(i, {}) != op.contents:
                    raise StateMismatch(f"recomputed from the tables, {op.name} is not what the checkpoint holds")

        self.command([("step", parts[w], (None, {})) for w in range(n)], prepared, pipeline.circuit)

    def _check_layout(self, prints: list, circuit) -> None:
        mine = fingerprint(circuit)
        for i, fp in enumerate(prints):
            if fp != mine:
                self._stop(f"worker {i} compiled a circuit other than the coordinator's")


def _after_commit(e: ShardsStopped) -> StoppedAfterCommit:
    """The workers stopped in the round after the decision, which was made (and, durable, written):
    the command took effect."""
    return StoppedAfterCommit(f"{e}, after every worker had finished the step: the step is committed, the "
                              "tables and views hold it")


def _step_times(pipeline):
    """The step's time for the workers, and how the coordinator takes it on.  The coordinator does not
    run its circuit, so its clock and its tables' Watermark operators would never move: it computes
    the watermarks over the whole step (each worker sees only its shard), which every worker sets
    (Watermark.given) so that all drop by the watermarks one pipeline would have, and the clock's new
    value.  ``settle()`` makes them the coordinator's own once every worker has finished the step
    (its tables judge lateness, the journal records the clock) and returns the undo."""
    clock = pipeline._clock
    marks = {}
    for name, t in pipeline._tables.items():
        wm = t.watermark
        if wm is not None and (t.input.pending or wm.dropping):
            marks[name] = advanced(wm.values, wm.columns, wm.lateness, t.input.pending)

    def settle():
        saved = (clock.now, clock.pending, {n: (t.watermark.values, t.watermark.late, t.watermark.dropping)
                                            for n, t in pipeline._tables.items() if n in marks})
        if clock.pending is not None:
            clock.now, clock.pending = clock.pending, None
        for n, values in marks.items():
            wm = pipeline._tables[n].watermark
            wm.values, wm.late, wm.dropping = values, wm.late + wm.dropping, 0

        def unsettle():
            clock.now, clock.pending = saved[0], saved[1]
            for n, (values, late, dropping) in saved[2].items():
                wm = pipeline._tables[n].watermark
                wm.values, wm.late, wm.dropping = values, late, dropping
        return unsettle

    return (clock.pending, marks), settle
