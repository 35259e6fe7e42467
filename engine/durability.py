"""Durable pipelines: with ``path=``, a Pipeline keeps its tables, views and operator state in a state
file (engine/storage.py) and survives restarts and crashes.

    p = Pipeline(path="shop.db")    # creates the file, or reopens it with everything it held
    p.insert("orders", rows)
    p.step()                        # durable once it returns
    p.close()                       # a checkpoint, then the file is released (or: with Pipeline(...) as p:)

Stored: every DDL statement that took effect (its script's text and its index there); each step's input
changes (the tables' queued Z-sets, after key constraints resolved them); every ``checkpoint_every``
steps or ``checkpoint_interval`` seconds (and on close) a checkpoint: each table's rows and each
operator's state (runtime/state.py), pickled; sharded, every worker's shard too (engine/shards), all at
the checkpoint's step.  Reopened with another number of workers, the operators' state is computed again
from the tables (``_repartition``), where the views depend on nothing but the tables' rows.

Recovery, and the laws it rests on:
1. Replaying the DDL in order with the same dialect and compiler rebuilds the same circuit.  A fingerprint
   of the circuit's layout, the tables' schemas and the generated code is stored with each checkpoint,
   and a circuit that does not match it is refused.  The DDL a checkpoint includes is replayed without
   backfilling (the state comes from the checkpoint), CREATE TABLE AS without evaluating its query (its
   rows reached the journal with the next step).
2. Importing the checkpoint's state makes the pipeline what it was at the checkpoint's step.
3. A step is a deterministic function of the state and its input changes, and so is a backfill: replaying
   the journal after the checkpoint, with the later DDL at the positions it ran at, gives the state of
   the last committed step.  Nothing older is replayed, and nothing is recomputed from the base tables,
   so the first step after a restart costs what it would have cost without one.
Queued changes are not durable until a step applies them; close() does not step.

For connectors, two things ride in the same transaction as a step (see the README's API section):
``step(meta={key: value})`` records source positions, read back with ``meta(key)``; views marked with
``retain(view)`` have their deltas kept per step for sinks, read back with ``changes_since(view, step)``.
"""

from __future__ import annotations

import hashlib
import pickle
import time
import warnings

from sqlglot import exp

from ..compiler.dialect import get_dialect
from ..compiler.settings import setting_statement
from ..compiler.errors import DataError
from ..compiler.frontend import parse
from ..runtime.operators import Output
from ..runtime.operators.clock import Clock
from ..runtime.state import StateMismatch, export_circuit, import_circuit, layout
from ..runtime.zset import add_into, add_scaled_into
from .results import ordered_changes
from .storage import StorageError, Store


UNREAD_ROWS = "rows as the workers pickled them"  # a journaled change: (UNREAD_ROWS, [pickled lists of rows])


def journaled_rows(delta):
    """A journal record's change to a table as a Z-set: a sharded COPY's batch, journaled as the bytes
    the workers sent (each a pickled list of inserted rows), is read here."""
    if not (isinstance(delta, tuple) and delta and delta[0] == UNREAD_ROWS):
        return delta
    from .shards import wire  # (the shards package imports the pipeline, which imports this module)

    return wire.counted([wire.loads(blob) for blob in delta[1]]) if delta[1] else {}


class Durability:
    """The Pipeline's state file: opening and recovery, the journal hook of each step, checkpoints,
    source positions and retained views.  Without a state file only positions and last_step work."""

    _store: Store | None = None
    _restoring: str | None = None  # "schema" (DDL before the checkpoint), "log" (after it), or None
    _closed = False
    _checkpoint_backoff = 0  # steps added to checkpoint_every after a checkpoint failed

    def _init_durability(self, path, dialect: str | None, durability: str, checkpoint_every: int,
                         checkpoint_interval: float, group_interval: float) -> None:
        """Open (or create) the state file and recover what it holds.  ``dialect`` is what the caller
        asked for (None: whatever the file was created with)."""
        self.last_step = 0
        self._positions: dict = {}
        self._outbox_pending: dict = {}  # retained view -> changes made by DDL since the last tick
        self.checkpoint_every = checkpoint_every
        self.checkpoint_interval = checkpoint_interval
        self._checkpointed_at = time.monotonic()
        if path is None:
            self._start_shards()
            return
        store = Store.open(path, {"dialect": self.dialect.name}, durability, group_interval)
        try:
            stored = store.meta.get("options", {}).get("dialect")
            if stored != self.dialect.name:
                if dialect is not None:
                    raise StorageError(f"{store.path} holds SQL of dialect {stored!r}: open it with "
                                       f"dialect={stored!r}, or without a dialect")
                self.dialect = get_dialect(stored)
            self._store = store
            self._start_shards()
            self._recover()
        except BaseException:
            store.close()
            self._store = None
            raise

    # -- recovery ---------------------------------------------------------------------------------------
    def _start_shards(self) -> None:
        """Start a sharded pipeline's workers (engine/pipeline.py), in the dialect now known."""

    def _recover(self) -> None:
        store = self._store
        cp = store.checkpoint
        entries = store.ddl()
        included = cp.ddl_seq if cp is not None else 0
        scripts: dict = {}
        self._restoring = "schema"
        try:
            for entry in entries[:included]:
                self._replay_ddl(entry, scripts)
            self._unreported, self._outbox_pending = {}, {}  # (what replaying the DDL noted: nothing real)
            if cp is not None:
                self._import_checkpoint(cp)
            self._restoring = "log"
            later = entries[included:]
            for n, changes in store.journal_after(self.last_step):
                while later and later[0].after_step < n:
                    self._replay_ddl(later.pop(0), scripts)
                if n != self.last_step + 1:
                    raise StorageError(f"{store.path} is corrupt: the journal goes from step {self.last_step} "
                                       f"to step {n}")
                self._replay_step(n, changes)
            for entry in later:
                if entry.after_step != self.last_step:
                    raise StorageError(f"{store.path} is corrupt: DDL #{entry.seq} ran after step "
                                       f"{entry.after_step}, but the journal ends at step {self.last_step}")
                self._replay_ddl(entry, scripts)
        finally:
            self._restoring = None
        if self.last_step != store.last_step:
            raise StorageError(f"{store.path} is corrupt: recovered step {self.last_step} of {store.last_step}")
        self.discard()  # rebuilds the key indexes over the restored rows
        # step() reports the changes made from the reopening on (a consumer that must see every change
        # across restarts reads the retained deltas: changes_since)
        self._unreported, self.last_changes = {}, {}
        self._positions = store.positions

    def _replay_ddl(self, entry, scripts: dict) -> None:
        statements = scripts.get(entry.sql)
        if statements is None:
            statements = scripts[entry.sql] = parse(entry.sql, self.dialect.name)
        try:
            self._statement(statements[entry.statement].ast, entry.sql)
        except Exception as e:
            raise StorageError(f"{self._store.path}: replaying DDL #{entry.seq} failed ({e}); was the file "
                               f"written by another version of deltasql?") from None

    def _import_checkpoint(self, cp) -> None:
        store = self._store
        if self._fingerprint() != cp.fingerprint:
            raise StorageError(
                f"{store.path}: its checkpoint was taken from a circuit that this deltasql ({_version()}) does "
                f"not compile from the same SQL (the checkpoint was written by deltasql {cp.version}); its state "
                f"cannot be used: rebuild the pipeline from its SQL and data")
        state = store.read_checkpoint()
        try:
            tables = dict(state["tables"])
            if list(tables) != list(self._tables):
                raise StateMismatch(f"tables {list(tables)} saved, {list(self._tables)} rebuilt")
            for name, t in self._tables.items():
                t.contents = tables[name]
            shards = state.get("shards")
            here = self._shards.workers if self._shards is not None else None
            same = (len(shards) if shards is not None else None) == here
            empty = None if same else export_circuit(self.circuit)  # (as the DDL built it: no state yet)
            import_circuit(self.circuit, state["circuit"])
            if not same:
                self._repartition(len(shards) if shards is not None else 1, empty)
            elif shards is not None:
                self._shards.import_state(shards)
            self._outbox_pending = state["outbox_pending"]
        except (StateMismatch, KeyError, TypeError, ValueError) as e:
            raise StorageError(f"{store.path}: the checkpoint of step {cp.step} does not fit the rebuilt "
                               f"pipeline ({e})") from None
        self.last_step = cp.step

    def _repartition(self, saved: int, empty) -> None:
        """A checkpoint of ``saved`` workers opened with another number: every operator's state (``empty``:
        the circuit's as the DDL built it) is computed again from the restored tables, as one step of
        all their rows, on the workers (or on this process's circuit, whose operators a sharded pipeline
        never ran), and the views' rows it gives must be the checkpoint's.  Law: a view's state is a
        function of the tables' rows, not of the steps that brought them, unless a table has watermarks
        (late rows dropped, rows discarded behind them, windows closed) or a view reads NOW(): refused."""
        if self._clock.now is not None or any(t.watermark is not None for t in self._tables.values()) \
                or any(isinstance(i, Clock) for op in _operators(self.circuit) for i in op.inputs):
            raise StateMismatch(f"the state was saved by {saved} worker{'s' if saved > 1 else ''} and its views "
                                f"depend on watermarks or NOW(), so it cannot be split again: open it with "
                                f"workers={saved}")
        outs = [op for op in self.circuit.ops if isinstance(op, Output)]
        restored = [op.contents for op in outs]
        import_circuit(self.circuit, empty)  # (whatever state the saved circuit held is computed again)
        try:
            if self._shards is not None:  # the coordinator keeps the views' rows, its workers the rest
                for op, rows in zip(outs, restored):
                    op.contents = rows
                self._shards.rebuild(self)
                return
            fed = [t for t in self._tables.values() if t.contents]
            for t in fed:
                t.input.pending = t.contents.copy()
            try:
                self.circuit.step()
            finally:
                for t in fed:
                    t.input.pending = {}
        except StateMismatch:
            raise
        except Exception as e:  # noqa: BLE001 - said as what it means here
            raise StateMismatch(f"computing the views again from the tables failed ({e})") from None
        for op, rows in zip(outs, restored):
            op.delta = {}
            if op.contents != rows:
                raise StateMismatch(f"recomputed from the tables, {op.name} is not what the checkpoint holds")

    def _replay_step(self, n: int, changes: dict) -> None:
        inputs = changes.pop(None, None)  # NOW() and late counts (journaled since issue 17's time)
        if inputs is not None:
            self._clock.pending = inputs["now"]
            for name, late in inputs["late"].items():
                self._tables[name].pending_late = late
        for name, delta in changes.items():
            t = self._tables.get(name)
            if t is None:
                raise StorageError(f"{self._store.path} is corrupt: step {n} changes {name!r}, which is not a table")
            t.queue_journaled(journaled_rows(delta))
        try:
            self._tick()  # (no journal hook while restoring)
        except DataError as e:
            raise StorageError(f"{self._store.path}: replaying step {n} failed ({e})") from None

    def _fingerprint(self) -> str:
        """What the saved state depends on: the circuit's layout, the tables' schemas, the views' code."""
        h = hashlib.sha256(layout(self.circuit).encode())
        for name, t in self._tables.items():
            rel = t.rel
            h.update(f"\ntable {name} {rel.fields!r} {rel.primary_key!r} {rel.unique!r}".encode())
        for name, v in self._views.items():
            h.update(f"\nview {name} {v.rel.fields!r}\n".encode())
            for source in v.codegen.sources:
                h.update(source.encode())
        return h.hexdigest()

    # -- what each statement and step writes --------------------------------------------------------------
    def _record_ddl(self, ast, sql: str, index: int) -> None:
        """A DDL statement took effect: make it durable (and forget retained views it dropped)."""
        if self._store is None or self._restoring is not None or not (
                isinstance(ast, (exp.Create, exp.Drop)) or setting_statement(ast) is not None):
            return  # (a setting is replayed in its place among the DDL: later views are made under it)
        try:
            self._store.add_ddl(sql, index, self.last_step)
            for view in [v for v in self._store.retained if v not in self._views]:
                for consumer in list(self._store.retained[view]):
                    self._store.release(view, consumer)
                self._outbox_pending.pop(view, None)
        except StorageError as e:
            # the statement took effect here but not in the file: steps after it cannot be journaled
            self._store.fail(str(e))
            raise

    def _journal_hook(self, fed: list, meta: dict | None, copied=None):
        """What Circuit.step runs before a step is final: the step's journal record, committed.
        ``copied``: a COPY that is this step (shards/staging.CopyStep), whose rows, if they are to be
        committed unread, are journaled as the bytes the workers sent (``journaled_rows`` reads them)."""
        store = self._store
        if store is None or self._restoring is not None:
            return None

        def commit():
            changes = {t.rel.name: t.pending for t in fed}
            if copied is not None and copied.filed is not None:
                changes[copied.table.rel.name] = (UNREAD_ROWS, copied.batch.parts())
            # the step's other inputs: NOW() (temporal filters read it) and the late changes dropped
            late = {t.rel.name: t.pending_late for t in fed if t.pending_late}
            if self._clock.now is not None or late:
                changes[None] = {"now": self._clock.now, "late": late}
            outbox = None
            if store.retained:
                outbox = {}
                for view in store.retained:
                    v = self._views.get(view)
                    if v is None:
                        continue
                    delta = v.output.delta
                    held = self._outbox_pending.get(view)
                    if held:  # changes DDL made since the last tick (a replaced view's), then the tick's
                        delta = add_into(dict(held), delta)
                    if delta:
                        outbox[view] = ordered_changes(delta)
            store.commit_step(self.last_step + 1, changes, meta, outbox)

        return commit

    def _stepped(self, meta: dict | None) -> None:
        """After a committed tick: keep the positions, checkpoint when it is time."""
        self._outbox_pending = {}
        if self._store is None:
            if meta:
                self._positions.update(meta)
            return
        if self._restoring is not None:
            return
        cp = self._store.checkpoint
        if (self.last_step - (cp.step if cp is not None else 0) >= self.checkpoint_every + self._checkpoint_backoff
                or time.monotonic() - self._checkpointed_at >= self.checkpoint_interval):
            try:
                self.checkpoint()
                self._checkpoint_backoff = 0
            except StorageError as e:
                # the step itself is committed: report, and try again after as many steps or seconds
                self._checkpointed_at = time.monotonic()
                self._checkpoint_backoff = self.last_step - (cp.step if cp is not None else 0)
                warnings.warn(f"{e}; step {self.last_step} is committed, and the journal grows until a "
                              f"checkpoint succeeds", RuntimeWarning, stacklevel=3)

    def _hold_for_outbox(self, view: str, delta: dict, scale: int) -> None:
        """Changes to a retained view outside a tick (a CREATE OR REPLACE): kept for its next delta."""
        if self._store is not None and view in self._store.retained and delta:
            add_scaled_into(self._outbox_pending.setdefault(view, {}), delta, scale)

    @staticmethod
    def _check_meta(meta) -> dict | None:
        if not meta:
            return None
        if not isinstance(meta, dict):
            raise DataError(f"step(meta=...) takes a dict, not {type(meta).__name__}")
        for key, value in meta.items():
            if not isinstance(key, str):
                raise DataError(f"step(meta=...): keys are strings, not {type(key).__name__} ({key!r})")
            try:
                pickle.dumps(value, protocol=5)
            except Exception as e:
                raise DataError(f"step(meta=...): the value of {key!r} cannot be stored ({e})") from None
        return dict(meta)

    # -- public -------------------------------------------------------------------------------------------
    @property
    def path(self) -> str | None:
        """The state file, or None for a pipeline kept in memory only."""
        return self._store.path if self._store is not None else None

    def checkpoint(self) -> None:
        """Write a checkpoint now (tables and operator state), replacing the previous one and
        truncating the journal behind it."""
        store = self._require_store("checkpoint()")
        self._check_open()
        state = {"tables": [(name, t.contents) for name, t in self._tables.items()],
                 "circuit": export_circuit(self.circuit), "outbox_pending": self._outbox_pending,
                 "shards": self._shards.export_state() if self._shards is not None else None}
        store.write_checkpoint(self.last_step, store.ddl_count(), self._fingerprint(), _version(), state)
        self._checkpointed_at = time.monotonic()

    def close(self, checkpoint: bool = True) -> None:
        """Release the state file, after a checkpoint if anything happened since the last one
        (``checkpoint=False`` skips it: the next open replays the journal).  Queued changes that no
        step applied are dropped.  Its subscriptions end and its sinks are closed (a durable pipeline
        keeps their views retained, so a sink attached again after a reopen catches up).  The pipeline
        refuses changes afterwards."""
        if self._closed:
            return
        try:
            self._feeds.close()
        finally:
            try:
                self._close_store(self._store, checkpoint)
            finally:
                self._closed = True

    def _close_store(self, store, checkpoint: bool) -> None:
        if store is not None:
            try:
                cp = store.checkpoint
                if checkpoint and store.usable and (cp is None or cp.step != self.last_step
                                                    or cp.ddl_seq != store.ddl_count()):
                    self.checkpoint()
            finally:
                store.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def meta(self, key: str, default=None):
        """The value last committed for ``key`` with ``step(meta={key: value})`` (a source's position),
        after a reopen too; ``default`` if none was."""
        return self._positions.get(key, default)

    def retain(self, view: str, floor: int | None = None, consumer: str = "") -> None:
        """Keep ``view``'s delta of every step from now on in the state file, for a sink to read back
        with ``changes_since``.  ``floor=step``: the consumer has durably taken everything up to that
        step, so those deltas may be dropped.  Each ``consumer`` (a name) has its own floor; deltas
        are dropped below the lowest.  Persisted; a DROP VIEW releases the view."""
        store = self._require_store("retain()")
        self._check_open()
        if view not in self._views:
            raise DataError(f"unknown view {view!r}")
        store.retain(view, consumer, floor)

    def release(self, view: str, consumer: str = "") -> None:
        """Stop keeping ``view``'s deltas for ``consumer`` (dropping those no other consumer needs)."""
        self._require_store("release()").release(view, consumer)

    def changes_since(self, view: str, step: int, consumer: str = ""):
        """(step number, [(row, weight), ...]) for every committed step after ``step`` at which the
        retained ``view`` changed, oldest first.  Refused if some of those deltas are not kept (the
        view was retained later, or ``floor`` released them)."""
        return list(self._require_store("changes_since()").changes_since(view, step, consumer))

    def state_summary(self) -> dict:
        """What the state file holds, for `deltasql state`: format, creator, checkpoint, journal size,
        retained views and their kept deltas, positions, file size."""
        return self._require_store("state_summary()").summary()

    def definition(self, name: str) -> str | None:
        """The CREATE statement that made table or view ``name``, as sqlglot writes it, from the state
        file's DDL (None without a state file, or for a name no CREATE in it made)."""
        if self._store is None or self.catalog.relation(name) is None:
            return None
        scripts: dict = {}
        for entry in reversed(self._store.ddl()):
            statements = scripts.get(entry.sql) or scripts.setdefault(entry.sql, parse(entry.sql, self.dialect.name))
            ast = statements[entry.statement].ast
            if isinstance(ast, exp.Create):
                target = ast.this.this if isinstance(ast.this, exp.Schema) else ast.this
                if target is not None and target.name == name:
                    return ast.sql(dialect=self.dialect.name)
        return None

    def _require_store(self, what: str) -> Store:
        if self._store is None:
            raise DataError(f"{what} needs a state file: open the pipeline with Pipeline(path=...)")
        return self._store

    def _check_open(self) -> None:
        if self._closed:
            raise DataError("the pipeline is closed")


def _version() -> str:
    from .. import __version__
    return __version__


def _operators(circuit):
    """Every operator of ``circuit`` and of its nested scopes' bodies."""
    for op in circuit.ops:
        yield op
        body = getattr(op, "body", None)
        if body is not None:
            yield from _operators(body)
