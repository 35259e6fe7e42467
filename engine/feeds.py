"""Changefeeds: each committed step's changes handed to the code and the systems that consume a view.

    p.subscribe("v", lambda step, changes: ...)   # called after each step that changed v
    for step, changes in p.changes("v"): ...      # the same as an iterator (for a consumer thread)
    p.sink("v", "duckdb:out.duckdb")              # a table kept equal to v (see connectors/sinks)

The laws this module keeps:

- Delivery happens after the step committed, and nothing a consumer does undoes or changes it: a
  callback that raises, or a sink that cannot write, is reported to the caller of ``step()`` as a
  ``DeliveryError`` naming the view, the step and the consumer, after every other consumer got the
  step (``p.last_changes`` still holds it).  A callback sees each step once; a sink keeps the steps
  it could not write and writes them, in order, before the next one: its target never skips a step.
- A sink's target holds each view exactly up to the step it records (the law in sinks/base).  When a
  sink is attached, its target is brought to the pipeline's last step at once: a target holding
  nothing of the view gets its current rows; one that stopped earlier gets the steps it missed from
  the changes the pipeline retains (``changes_since``, a durable pipeline's outbox), or, where they
  are not retained and the target is a database, its rows replaced by the view's in one transaction.
  A change log behind without the changes it missed, or a target ahead of the pipeline, is refused.
- A consumer gets every change made after it started, so the rows it started from plus everything
  it is handed add up to the view (a subscriber starts from ``p.view(v).rows()``, a sink from the
  rows it was given when attached).  Each step's own changes, and a CREATE OR REPLACE VIEW's made
  since the step before (the old rows retracted, the new ones added), come in that step.  A database
  whose view's columns changed gets the new view's rows instead; a change log refuses such a view
  (it can only add).  A target records a digest of the view's query beside its columns: one that
  missed a replacement (attached again later) is a new view to it.  A dropped view is no longer followed (its target keeps its last rows; its
  ``changes()`` iterators end).
"""

from __future__ import annotations

import queue
import threading

from ..compiler.errors import DataError
from ..runtime.zset import add_into
from .results import ordered_changes


class DeliveryError(Exception):
    """A step committed, but handing its changes to a subscriber or a sink failed.  ``failures`` lists
    (view, step, consumer, exception); ``view``, ``step`` and ``consumer`` are the first's."""

    def __init__(self, failures: list):
        self.failures = failures
        self.view, self.step, self.consumer, error = failures[0]
        more = f" (and {len(failures) - 1} more failures)" if len(failures) > 1 else ""
        super().__init__(f"step {self.step} committed, but handing view {self.view}'s changes to {self.consumer} "
                         f"failed: {_text(error)}{more}")
        self.__cause__ = error


def _text(e: BaseException) -> str:
    return str(e) or type(e).__name__


def _without_password(target: str) -> str:
    """A target as it may be written down (in the state file): a URI's password left out."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(target)
    if parts.password is None:
        return target
    netloc = parts.netloc.replace(f":{parts.password}@", "@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def view_schema(pipeline, name: str):
    from ..connectors.sinks.base import Column, ViewSchema

    rel = pipeline.catalog.relation(name)
    return ViewSchema(name, tuple(Column(f.name, f.type) for f in rel.fields), rel.sql())


def merged(pending: dict | None, changes: list | None) -> list:
    """A consumer's changes of a step: those a replacement left waiting plus the step's own."""
    if not pending:
        return changes or []
    total = dict(pending)
    add_into(total, dict(changes or ()))
    return ordered_changes(total)


# -- subscriptions --------------------------------------------------------------------------------

class Subscription:
    """A callback called with (step, changes) after each step that changed its view."""

    def __init__(self, feeds: "Feeds", view: str, callback):
        self._feeds = feeds
        self.view = view
        self.callback = callback
        self.pending: dict = {}  # changes a replacement of the view made, handed on with the next step

    @property
    def consumer(self) -> str:
        return f"callback {getattr(self.callback, '__qualname__', repr(self.callback))}"

    def deliver(self, step: int, changes: list) -> None:
        self.callback(step, changes)

    def ended(self) -> None:
        pass

    def close(self) -> None:
        """Stop calling the callback."""
        self._feeds.remove(self)

    def __repr__(self) -> str:
        return f"<subscription to {self.view}: {self.consumer}>"


class Changes(Subscription):
    """An iterator of (step, changes) for one view, from the step after it was made.  ``next()`` waits
    for the next step that changes the view: forever with ``timeout=None``, else up to ``timeout``
    seconds, after which iteration stops (iterating again goes on with later steps; ``timeout=0``
    drains what is there).  It ends for good when closed or when its view is dropped.  The pipeline
    steps in one thread and the iterator is read in another, or in the same one with a timeout."""

    _END = object()

    def __init__(self, feeds: "Feeds", view: str, timeout: float | None = None):
        super().__init__(feeds, view, None)
        self.timeout = timeout
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._ended = False

    @property
    def consumer(self) -> str:
        return "a changes() iterator"

    def deliver(self, step: int, changes: list) -> None:
        self._queue.put((step, changes))

    def ended(self) -> None:
        self._queue.put(self._END)

    def close(self) -> None:
        super().close()
        self.ended()

    def __iter__(self):
        return self

    def __next__(self):
        if self._ended:
            raise StopIteration
        try:
            if self.timeout is not None and self.timeout <= 0:
                item = self._queue.get_nowait()
            else:
                item = self._queue.get(timeout=self.timeout)
        except queue.Empty:
            raise StopIteration from None
        if item is self._END:
            self._ended = True
            raise StopIteration
        return item

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# -- sinks ----------------------------------------------------------------------------------------

class SinkFeed:
    """One sink (one target, one connection) following some views of a pipeline.  On a durable
    pipeline each view is retained for it (``p.retain``, consumer ``self.consumer``): the state file
    keeps the view's changes until the target confirms them (``floor``), so a restarted pipeline
    catches the target up from where it stopped."""

    FLOOR_EVERY = 64  # confirm the target's position to the state file every this many steps written

    def __init__(self, feeds: "Feeds", sink):
        self._feeds = feeds
        self.sink = sink
        self.schemas: dict = {}  # view -> the ViewSchema the target holds
        self.pending: dict = {}  # view -> changes a replacement made, written with the next step
        self.backlog: list = []  # (step, {view: changes}) not yet written
        self._unconfirmed = 0  # steps written since the floor was last moved
        self._closed = False
        self.consumer = "sink " + _without_password(sink.target)

    @property
    def target(self) -> str:
        return self.sink.target

    @property
    def views(self) -> list[str]:
        return list(self.schemas)

    def position(self, view: str) -> int | None:
        return self.sink.position(self.schemas[view])

    def attach(self, name: str) -> None:
        """Follow a view: bring the target's copy of it to the pipeline's last step (module laws)."""
        from ..connectors.sinks import SinkError

        p = self._feeds.pipeline
        self.flush()
        schema = view_schema(p, name)
        step = p.last_step
        at = self.sink.position(schema)
        if at is None:
            self.sink.reset(step, schema, p._whole_contents(name))
        elif at > step:
            raise SinkError(f"{self.target}: the target holds view {name} up to step {at}, but the pipeline is at "
                            f"step {step}: it was written by another pipeline, or this one lost steps")
        elif at < step:
            retained = self._feeds.retained(name, at, self.consumer)
            if retained is not None:
                for s, delta in retained:
                    if delta:
                        self.sink.write(s, {name: schema}, {name: delta})
            elif self.sink.replaceable:
                self.sink.reset(step, schema, p._whole_contents(name))
            else:
                raise SinkError(f"{self.target}: the log holds view {name} up to step {at} and the pipeline is at step "
                                f"{step}, but the changes in between are not retained: a change log cannot be "
                                f"caught up (keep them with a durable pipeline, or sink to a new log)")
        self.schemas[name] = schema
        self.pending.pop(name, None)
        if self._feeds.durable:
            # the floor is where the target stands for this view (the last step that changed it), not the
            # pipeline's step: the next catch-up asks for the changes after the target's position
            p.retain(name, floor=self.sink.position(schema) or 0, consumer=self.consumer)

    def deliver(self, step: int, changes: dict) -> list:
        """Write a committed step (after the backlog); the (view, exception) pairs that failed."""
        p = self._feeds.pipeline
        mine, renewed = {}, []
        for name in list(self.schemas):
            if name not in p._views:
                self.forget(name)
                continue
            if name in self.pending:  # replaced since the last step: the same columns go on
                schema = view_schema(p, name)
                if schema.columns != self.schemas[name].columns:
                    renewed.append((name, schema))
                    continue
                self.schemas[name] = schema
            delta = merged(self.pending.pop(name, None), changes.get(name))
            if delta:
                mine[name] = delta
        if mine:
            self.backlog.append((step, mine))
        try:
            self.flush()
        except Exception as e:  # noqa: BLE001 - the caller reports it; the renewed views wait their turn
            return [(next(iter(self.backlog[0][1])), e)]
        failures = []
        for name, schema in renewed:
            try:
                self._renew(name, schema, step)
            except Exception as e:  # noqa: BLE001
                failures.append((name, e))
        return failures

    def _renew(self, name: str, schema, step: int) -> None:
        """A view replaced by one with other columns: a database gets the new view's rows (as of this
        step) under its new columns; a change log refuses it."""
        from ..connectors.sinks import SinkError

        p = self._feeds.pipeline
        if not self.sink.replaceable:
            was = self.schemas[name].signature()
            self.forget(name)
            raise SinkError(f"{self.target}: view {name} was replaced by one with other columns (from {was} to "
                            f"{schema.signature()}); a change log keeps one set of columns per view: no longer "
                            f"following it here")
        self.sink.reset(step, schema, p._whole_contents(name))
        self.schemas[name] = schema
        self.pending.pop(name, None)

    def flush(self) -> None:
        """Write the steps not yet written, in order; stop at the first that fails (kept for later)."""
        while self.backlog:
            step, changes = self.backlog[0]
            self.sink.write(step, self.schemas, changes)
            self.backlog.pop(0)
            self._unconfirmed += 1
        if self._unconfirmed >= self.FLOOR_EVERY:
            self.confirm()

    def confirm(self) -> None:
        """Tell a durable pipeline how far the target is (the changes up to there may be dropped)."""
        p = self._feeds.pipeline
        if self._feeds.durable and not self.backlog:
            for name in self.schemas:
                at = self.sink.position(self.schemas[name])
                if at is not None and name in p._views:
                    p.retain(name, floor=at, consumer=self.consumer)
        self._unconfirmed = 0

    def forget(self, name: str) -> None:
        self.schemas.pop(name, None)
        self.pending.pop(name, None)
        for _step, changes in self.backlog:
            changes.pop(name, None)

    def close(self, release: bool = False) -> None:
        """Stop following (steps still in the backlog are dropped) and close the target.  On a durable
        pipeline the views stay retained for this target, so attaching it again later catches it up;
        ``release=True`` gives that up (the state file stops keeping the changes for it).  Closing
        it again (or after ``p.close()`` closed it) does nothing."""
        if self._closed:
            return
        self._closed = True
        p = self._feeds.pipeline
        self._feeds.remove(self)
        try:
            if release and self._feeds.durable:
                for name in self.schemas:
                    p.release(name, consumer=self.consumer)
            else:
                self.confirm()
        finally:
            self.sink.close()

    def __repr__(self) -> str:
        return f"<sink {self.target}: {', '.join(self.schemas)}>"


# -- the registry the Pipeline keeps -------------------------------------------------------------

class Feeds:
    """Every subscription and sink of one pipeline, and the delivery of each step to them."""

    def __init__(self, pipeline):
        self.pipeline = pipeline
        self.subscriptions: list[Subscription] = []
        self.sinks: dict[str, SinkFeed] = {}  # target -> feed
        self._lock = threading.Lock()

    @property
    def durable(self) -> bool:
        """Does the pipeline keep a state file (and so retain views' changes for sinks)?"""
        return getattr(self.pipeline, "path", None) is not None

    def retained(self, view: str, after: int, consumer: str):
        """The (step, changes) of ``view`` after step ``after`` if the pipeline retains them, else None."""
        if not self.durable:
            return None
        try:
            return list(self.pipeline.changes_since(view, after, consumer=consumer))
        except DataError:
            return None  # not retained for this consumer, or not that far back

    def add(self, sub: Subscription) -> Subscription:
        with self._lock:
            self.subscriptions.append(sub)
        return sub

    def remove(self, consumer) -> None:
        with self._lock:
            if isinstance(consumer, SinkFeed):
                if self.sinks.get(consumer.target) is consumer:
                    del self.sinks[consumer.target]
            elif consumer in self.subscriptions:
                self.subscriptions.remove(consumer)

    def close(self) -> None:
        """The pipeline is closing: subscriptions end (``changes()`` iterators stop) and sinks are
        closed, a durable pipeline's retention for them confirmed first (so they resume later)."""
        for sub in list(self.subscriptions):
            sub.close()
        errors = []
        for feed in list(self.sinks.values()):
            try:
                feed.close()
            except Exception as e:  # noqa: BLE001 - every sink is closed; the first failure is raised
                errors.append(e)
        if errors:
            raise errors[0]

    def replaced(self, view: str, old: dict, new: dict) -> None:
        """CREATE OR REPLACE VIEW changed a view's rows from ``old`` to ``new``: its consumers get the
        difference with the next step."""
        followers = [s for s in self.subscriptions if s.view == view] + \
            [f for f in self.sinks.values() if view in f.schemas]
        if not followers:
            return
        delta = {r: -w for r, w in old.items()}
        add_into(delta, new)
        for f in followers:  # a sink keeps an entry even if no row changed: its query did
            add_into(f.pending.setdefault(view, {}) if isinstance(f, SinkFeed) else f.pending, delta)

    def dropped(self, view: str) -> None:
        """A view was dropped: its subscriptions end, sinks stop following it."""
        for sub in [s for s in self.subscriptions if s.view == view]:
            self.remove(sub)
            sub.ended()
        for feed in self.sinks.values():
            feed.forget(view)

    def deliver(self, step: int, changes: dict) -> None:
        """Hand a committed step to every consumer; raise one DeliveryError for all that failed."""
        if not self.sinks and not self.subscriptions:
            return
        failures = []
        for feed in list(self.sinks.values()):
            failures.extend((view, step, f"sink {feed.target}", e) for view, e in feed.deliver(step, changes))
        for sub in list(self.subscriptions):
            if sub.view not in self.pipeline._views:
                self.remove(sub)
                sub.ended()
                continue
            delta = merged(sub.pending, changes.get(sub.view))
            sub.pending = {}
            if not delta:
                continue
            try:
                sub.deliver(step, delta)
            except Exception as e:  # noqa: BLE001 - reported to the caller of step()
                failures.append((sub.view, step, sub.consumer, e))
        if failures:
            raise DeliveryError(failures)


class Feeding:
    """The Pipeline's changefeed methods (a mixin: the Pipeline keeps ``_feeds`` and ``last_step``)."""

    def subscribe(self, view: str, callback) -> Subscription:
        """Call ``callback(step, changes)`` after each step that changed ``view`` has committed;
        ``changes`` is that view's [(row, weight), ...].  Returns the subscription (``.close()`` ends it).
        A callback that raises does not undo the step: ``step()`` raises DeliveryError afterwards."""
        return self._feeds.add(Subscription(self._feeds, self._known_view(view), callback))

    def changes(self, view: str, timeout: float | None = None) -> Changes:
        """An iterator of (step, changes) for each step after now that changes ``view`` (see Changes)."""
        return self._feeds.add(Changes(self._feeds, self._known_view(view), timeout))

    def sink(self, views, target: str) -> SinkFeed:
        """Keep ``target`` (a sink string: ``duckdb:PATH``, ``sqlite:PATH``, ``postgresql://…``,
        ``jsonl:PATH``, ``csv:DIR``, ``parquet:DIR``) equal to a view, or to each of a list of views,
        one target transaction per step.  The target is brought up to date at once (see the module's
        laws).  Sinking more views to a target already open adds them to it.  Returns the sink
        (``.close()`` detaches it).  Raises SinkError if the target cannot be opened or caught up."""
        from ..connectors.sinks import open_sink

        names = [self._known_view(v) for v in ([views] if isinstance(views, str) else views)]
        feed = self._feeds.sinks.get(target)
        fresh = feed is None
        if fresh:
            feed = SinkFeed(self._feeds, open_sink(target))
        try:
            for name in names:
                feed.attach(name)
        except BaseException:
            if fresh:
                feed.sink.close()
            raise
        self._feeds.sinks[target] = feed
        return feed

    @property
    def sinks(self) -> list[SinkFeed]:
        return list(self._feeds.sinks.values())

    def _known_view(self, name: str) -> str:
        """A view's name as the pipeline holds it (see Pipeline._name), or DataError."""
        name = self._name(name)
        if name in self._tables:
            raise DataError(f"{name!r} is a table: sink or subscribe to a view")
        if name not in self._views:
            raise DataError(f"unknown view {name!r}")
        return name
