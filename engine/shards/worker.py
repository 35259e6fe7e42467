"""A worker: a replica of the pipeline's circuit that runs on one shard of the data.

The worker is a sequential program driven by the coordinator through a channel (``recv()`` a
command, ``send()`` a reply).  It builds its circuit from the same DDL as the coordinator (a
Replica: the same compiler, so the same circuit, checked by its layout's fingerprint) and runs every
step on the rows the coordinator gave it.  In the middle of a command it meets the other workers in
rounds, each a message to the coordinator and its answer:

    ("exchange", ids, batches, rows) -> ("inbound", batches)
                     the rows of the exchanges of one depth (schedule.py), a batch per exchange per worker
    ("vote", flag)    -> ("decision", any)   a fixpoint's "does any worker have work left?"
    ("prepared", payload) -> ("go",)         the end of a step or a backfill, before it is final
    ("copied", verdict) -> ("inbound", parts) a COPY's step: the range this worker read, the parts
                                             the others read for it
    any of them       -> ("abort",)          another worker failed: undo and stop (Abort)

and ends the command with ("done", result), ("error", (exception, operator path, traceback)) or
("aborted",).  Every worker runs the same program on the same circuit, so all of them reach the
same rounds in the same order; a step is final only after every worker is prepared (two-phase), so
a step that fails anywhere leaves every shard as it was.
"""

from __future__ import annotations

import gc
import hashlib
import pickle
import traceback
from operator import itemgetter

from ...runtime import StepError
from ...runtime.nested import Scope
from ...runtime.operators import Aggregate, Output
from ...runtime.operators.exchange import Combine, Exchange
from ...runtime.state import StateMismatch, export_circuit, import_circuit, layout
from ...compiler.errors import DataError
from ..collector import collector_paused
from ..copy_from import converters, decode, parse_rows
from ..pipeline import Pipeline
from . import wire
from .schedule import schedule


class Abort(BaseException):
    """Another worker failed: the current command is undone on this worker too.  A BaseException,
    so that no handler of user errors in between takes it for one."""


class BackfillFailed(Exception):
    """A new view's backfill failed on this worker: carries the cause to the coordinator as it was,
    which reports it as the pipeline does (not as the replica's own report of it)."""

    def __init__(self, cause: BaseException):
        super().__init__(str(cause))
        self.cause = cause


def walk(circuit, path=()):
    """(path, operator) for every operator of ``circuit`` and of its nested scopes' bodies."""
    for n, op in enumerate(circuit.ops):
        yield path + (n,), op
        body = getattr(op, "body", None)
        if body is not None:
            yield from walk(body, path + (n,))


def op_at(circuit, path):
    op = None
    for n in path:
        op = circuit.ops[n]
        circuit = getattr(op, "body", None)
    return op


def fingerprint(circuit) -> str:
    return hashlib.sha256(layout(circuit).encode()).hexdigest()[:16]


def outputs(circuit) -> list:
    """(index, Output) of the root circuit's view outputs."""
    return [(n, op) for n, op in enumerate(circuit.ops) if isinstance(op, Output)]


def _muted(*deltas):
    return {}


class _NeedsCoordinator(Exception):
    """A staged row does not pass the row check as it is: the coordinator checks the batch."""


def _needs_coordinator(row):
    raise _NeedsCoordinator()


class Replica(Pipeline):
    """A worker's copy of the pipeline: built by the same DDL.  Its tables keep no rows (the
    coordinator keeps every table's): a step feeds them the worker's part of each change, and a new
    view's backfill the worker's part of the rows of the tables it reads (``do_create_view``); the
    backfill runs with the other workers'."""

    def __init__(self, worker: "Worker", dialect: str, max_iterations: int):
        super().__init__(dialect=dialect, max_iterations=max_iterations)
        self._worker = worker

    def _backfill(self, created, seeds) -> None:
        self._worker.connect()
        try:
            self.circuit.run_ops(created, seeds)
        except Abort:
            raise
        except BaseException as e:
            raise BackfillFailed(e) from e
        # a stream view's output keeps no contents: its first rows are what the backfill emitted
        contents = {n: op.contents if op.keep else op.delta for n, op in outputs(self.circuit) if op in created}
        self._worker.prepared((fingerprint(self.circuit), contents))


class Worker:
    """Worker ``index`` of ``workers``; ``channel`` talks to the coordinator (send/recv of messages;
    ``encode``/``decode`` of the batches it exchanges)."""

    def __init__(self, index: int, workers: int, channel, dialect: str = "duckdb", max_iterations: int = 10_000,
                 own_process: bool = False):
        self.own_process = own_process  # alone in its process (not a thread of the pipeline's): see serve
        self.index = index
        self.workers = workers
        self.channel = channel
        self.replica = Replica(self, dialect, max_iterations)
        self._outputs: list = []
        self._staged: dict = {}  # token -> rows of a staged batch, for the next step (staging.py)
        self._local: frozenset = frozenset()  # the root exchanges that move nothing in this step

    # -- the command loop --------------------------------------------------------------------------
    def serve(self) -> None:
        """Answer commands until ("stop",).  A worker alone in its process keeps Python's cyclic
        collector out of each command, as the pipeline keeps it out of a step (engine/collector.py),
        and out of reading the next one (unpickling a step's rows allocates a container per row: with
        the collector on, a collection every 700 of them, each promoting the worker's state to older
        generations, whose collections walk all of it); so it collects once per command, between
        commands; a staged batch's command and the step's after it are one pause (the batch's rows
        live from one to the other).  Threads of one process do not (they would turn the one collector
        on and off under each other).  A worker alone in its process also freezes what the process holds
        when it starts serving (its modules, its replica: they live as long as it does), so that no
        collection walks them again: every full collection of a worker process walked those ~45,000
        objects beside its state (one holding 100k orders of join_group: 10 ms -> 2.2 ms per full
        collection; tests/test_shards.py test_a_worker_process_freezes_what_it_starts_with)."""
        if self.own_process:
            gc.freeze()
        while True:
            if self.own_process:
                with collector_paused():
                    kind = self._serve_one()
                    while kind in ("stage", "stage_csv"):  # (its rows live until the step that follows: one pause)
                        kind = self._serve_one()
            else:
                kind = self._serve_one()
            if kind == "stop":
                return

    def _serve_one(self) -> str:
        """Answer one command; its kind."""
        msg = self.channel.recv()
        if msg[0] == "stop":
            self.channel.send(("done", None))
            return "stop"
        self.channel.send(self.handle(msg))
        return msg[0]

    def handle(self, msg):
        try:
            return ("done", getattr(self, "do_" + msg[0])(*msg[1:]))
        except Abort:
            return ("aborted",)
        except BaseException as e:  # noqa: BLE001 - every failure goes back to the coordinator
            return ("error", self._describe(e))

    def _describe(self, e: BaseException):
        path = None
        if isinstance(e, BackfillFailed):
            e = e.cause
        if isinstance(e, StepError):
            for p, op in walk(self.replica.circuit):
                if op is e.op:
                    path = p
                    break
            e = e.cause
        try:
            pickle.loads(pickle.dumps(e))
        except Exception:  # noqa: BLE001 - an exception that cannot travel goes as its text
            e = RuntimeError(f"{type(e).__name__}: {e}")
        return (e, path, "".join(traceback.format_exception(e)))

    def call(self, msg):
        """One round: a message to the coordinator and its answer (Abort if a worker failed)."""
        self.channel.send(msg)
        reply = self.channel.recv()
        if reply[0] in ("abort", "stop"):
            raise Abort()
        return reply

    # -- rounds the circuit asks for -----------------------------------------------------------------
    def exchange(self, batch: list) -> list:
        """One round for the exchanges ``batch`` ([(Exchange, parts per worker)]): each one's rows from
        every worker, summed; also set as the exchanges' values."""
        me, encode, decode = self.index, self.channel.encode, self.channel.decode
        outs, sent = [], 0
        for _, parts in batch:
            outs.append([encode(p) if p and d != me else None for d, p in enumerate(parts)])
            sent += sum(len(p) for d, p in enumerate(parts) if p and d != me)
        inbound = self.call(("exchange", tuple(op.xid for op, _ in batch), outs, sent))[1]
        values = []
        for (op, parts), blobs in zip(batch, inbound):
            op.value = op.merge([parts[me] if s == me else (decode(blobs[s]) if blobs[s] is not None else None)
                                 for s in range(self.workers)])
            values.append(op.value)
        return values

    def all_local(self, xids: tuple) -> bool:
        """Whether the exchanges ``xids`` move no row in this step on any worker (the coordinator said
        so with the step), so that their round is skipped."""
        return self._local.issuperset(xids)

    def vote(self, flag: bool) -> bool:
        return self.call(("vote", bool(flag)))[1]

    def prepared(self, payload) -> None:
        self.call(("prepared", payload))

    def connect(self) -> None:
        """Point the circuit's exchanges and scopes at this worker (an aggregate after a Combine then
        gets partial groups); mute the operators that make rows from nothing (constants, a global
        aggregate's empty row) on every worker but 0."""
        xid = 0
        circuit = self.replica.circuit
        for _, op in walk(circuit):
            if isinstance(op, Exchange):
                op.router, op.xid = self, xid
                xid += 1
            elif isinstance(op, Scope):
                op.router = self
            elif isinstance(op, Aggregate) and isinstance(op.inputs[0], Combine):
                op.combined = True
            if op.singleton and self.index != 0:
                op.eval = _muted
        for _, op in walk(circuit):
            if isinstance(op, Scope):
                op.body._run = schedule(op.body, self.exchange)
        circuit._run = schedule(circuit, self.exchange, self.all_local)
        self._outputs = outputs(circuit)

    # -- commands -----------------------------------------------------------------------------------
    def do_stage(self, name: str, token: int, blob: bytes) -> bool:
        """Check this worker's part of a batch of rows for table ``name`` with the table's row check
        and keep it for the next step (staging.py): True if every row passed as it is."""
        rows = wire.loads(blob)
        try:
            self.replica._tables[name].check.rows(rows, _needs_coordinator)
        except _NeedsCoordinator:
            return False
        self._staged[token] = rows
        return True

    def do_stage_csv(self, spec, token: int, part: bytes, first_line: int, cut: bool):
        """Read this worker's range of a COPY's file (``read_range``) and keep this worker's part for the
        next step; the verdict."""
        verdict, own = self.read_range(spec, part, first_line, cut)
        if verdict[0] == "ok":
            self._staged[token] = own
        return verdict

    def read_range(self, spec, part: bytes, first_line: int, cut: bool) -> tuple:
        """Read this worker's range of a COPY's file (engine/copy_from.py) into the rows of table
        ``spec.table``, check them with the table's row check and cut them by their owners at the first
        exchange reading the table (``cut``; staging.cut): (verdict, this worker's part).  The verdict:
        ("ok", [the pickled part of each worker, None where empty], the number of rows, their one-column
        primary keys in file order, pickled, or None where the table has no such key); ("convert",)
        where a row does not pass as it is or a value is not plain (the coordinator reads the file
        itself); ("error", message) for a record that is not one."""
        from .staging import cut as staging_cut, owner_cut  # (staging imports this module)

        t = self.replica._tables[spec.table]
        try:
            rows = parse_rows(decode(part, spec.path, first_line), first_line, spec,
                              converters(t.rel, self.replica.dialect), len(t.rel.fields))
        except DataError as e:
            return ("error", e.message), None
        try:
            t.check.rows(rows, _needs_coordinator)
        except _NeedsCoordinator:
            return ("convert",), None
        if cut:
            parts, by = staging_cut(rows, self.workers, owner_cut(self.replica.circuit, t.output))
            if by is None:  # (not cut by the owners the coordinator counts on: it reads the file itself)
                return ("convert",), None
        else:  # (any split will do: this worker keeps what it read)
            parts = [rows if w == self.index else [] for w in range(self.workers)]
        blobs = []
        for p in parts:
            blob = wire.dumps_plain(p) if p else None
            if p and blob is None:
                return ("convert",), None
            blobs.append(blob)
        c = t.pk_column
        keys = wire.dumps(list(map(itemgetter(c), rows))) if c is not None else None
        return ("ok", blobs, len(rows), keys), parts[self.index]

    def do_step(self, feeds: dict, times=(None, None), staged=None, local=(), inbound=None, copy=None):
        """Run one step on the rows ``feeds`` ({table: its part, as cluster.split cut it}) and the
        batches ``staged`` ({table: tokens of the parts do_stage kept}); prepared with the views'
        deltas, final when the coordinator says go.  ``times``: (the clock's new value or None,
        {table: its watermarks over the whole step}), as the coordinator computed them; ``local``:
        the root exchanges (by xid) that move no row in this step (cluster.local_exchanges); ``inbound``:
        {token: the parts other workers read for this one of a COPY's staged batch}; ``copy``: (spec,
        token, range, its first line, cut?) of a COPY that is this step (staging.CopyStep): the range is
        read first (``read_range``), and the workers meet in a round ("copied", verdict) -> ("inbound",
        the parts the others read for this one) before the step runs on the batch."""
        tables = self.replica._tables
        if copy is not None:
            spec, token, part, first_line, cut = copy
            verdict, own = self.read_range(spec, part, first_line, cut)
            inbound = {**(inbound or {}), token: self.call(("copied", verdict))[1]}
            self._staged[token] = own
        feeds = {name: wire.joined(part) for name, part in feeds.items()}
        for token, blobs in (inbound or {}).items():  # the rows other workers read for this one (do_stage_csv)
            self._staged[token] = self._staged[token] + [r for b in blobs for r in wire.loads(b)]
        for name, tokens in (staged or {}).items():
            feeds[name] = wire.counted([self._staged[t] for t in tokens])
        now, marks = times
        for name, delta in feeds.items():
            tables[name].input.pending = delta
        self.replica._clock.pending = now
        for name, values in (marks or {}).items():
            tables[name].watermark.given = values

        def prepare():
            self.prepared({n: op.delta for n, op in self._outputs if op.delta})

        self._local = frozenset(local)
        try:
            self.replica.circuit.step(before_commit=prepare)
        except BaseException as e:
            for name in feeds:
                tables[name].input.pending = {}
            self.replica._clock.pending = None
            for name in marks or {}:
                tables[name].watermark.given = None
            if isinstance(e, StepError) and isinstance(e.cause, Abort):
                raise e.cause from None
            raise
        finally:
            self._local = frozenset()
        self._staged = {}
        return None

    def do_add_table(self, rel):
        self.replica._add_table(rel)
        self.connect()
        return fingerprint(self.replica.circuit)

    def do_create_view(self, ast, sql, restoring=None, rows=None):
        """A new view, backfilled from this worker's shard: ``rows`` ({table: its part, as wire.split
        cut it}) of the tables the view reads, this worker's state of the operators it shares, which
        the tables hold only while the view is built; ``restoring`` "schema": built only (a durable
        pipeline reopening before its checkpoint, which holds the state)."""
        tables = self.replica._tables
        self.replica._restoring = restoring
        try:
            for name, part in (rows or {}).items():
                tables[name].contents = wire.joined(part)
            # a copy: workers in the coordinator's process (simulated, threads) must not bind the tree
            # the coordinator bound (and one another's), as workers elsewhere bind the copy they are sent
            self.replica._statement(ast.copy(), sql)
        finally:
            for name in rows or {}:
                if name in tables:
                    tables[name].contents = {}
            self.replica._restoring = None
            self.replica._unreported.clear()  # the coordinator reports; a worker only computes
        self.connect()
        return fingerprint(self.replica.circuit)

    def do_drop_view(self, name):
        self.replica._drop_view(name, "", None)
        self.connect()
        return fingerprint(self.replica.circuit)

    def do_drop_table(self, name):
        self.replica._drop_table(name, "", None)
        self.connect()
        return fingerprint(self.replica.circuit)

    def do_ping(self):
        return self.index

    def do_export(self) -> bytes:
        """This worker's state between steps: its circuit's (runtime/state.py).  (The last field held
        its tables' shard when workers kept one: now empty, the coordinator's tables hold the rows.)"""
        return wire.dumps((self.index, self.workers, fingerprint(self.replica.circuit),
                           export_circuit(self.replica.circuit), {}))

    def do_import(self, blob: bytes) -> None:
        """Take a state ``do_export`` gave, from worker ``index`` of a pipeline built the same way (a
        state written when workers kept table shards has them in its last field: not needed, left)."""
        index, workers, fp, states, _tables = wire.loads(blob)
        if (index, workers) != (self.index, self.workers):
            raise StateMismatch(f"the state of worker {index} of {workers} cannot be worker {self.index} of "
                                f"{self.workers}: open the pipeline with workers={workers}")
        if fp != fingerprint(self.replica.circuit):
            raise StateMismatch("the saved state was made by another circuit")
        import_circuit(self.replica.circuit, states)
