"""Scope: a child circuit that, inside one parent time, iterates to a fixpoint (DBSP §5-6).

    imports --δ0--> [ body, with feedback edges through z⁻¹ in inner time ] --∫--> exports

δ0 injects each parent delta at iteration 0 (zero afterwards); the body runs once per iteration; a
``Feedback`` node outputs at iteration i what its source produced at i - 1; ``∫`` sums each export
over all iterations.  The body's operators are incremental in inner time (semi-naive evaluation) and,
because their state is kept per inner time and summed over parent ticks, also incremental across
parent ticks: a parent delta propagates only changes to the fixpoint, insertions and deletions alike.

The fixpoint test is exact: stop when every feedback edge carries an empty delta and no operator in
the scope (or a scope nested in it) holds work for a later iteration of this loop.  A scope nested in
another body runs at times (…, i, j): the same mechanism at any depth.  A scope iterated by one counter
(in the root circuit, no scope nested in its body: one recursive CTE) calls its times by the plain
iteration number ``i`` rather than ``(i,)``: ints are totally ordered like 1-tuples (lub is max), hash
at once, and leave the histories keyed by them untracked by the cyclic collector.  Which form a
scope's body holds is part of its saved state (``clock``), so state saved in the other form is
refused.  Iterating past ``max_iterations`` raises ``IterationLimitError`` (and the enclosing step
is rolled back).

Sharded (engine/shards), every worker runs the scope on its shard and the loop is global: whether to
start, and whether to run one more iteration, is the ``router``'s vote of all workers (any worker
with changes or pending work keeps every worker iterating), so all workers run the same iterations
and meet at the same exchanges; the fixpoint is reached when no worker has changes left.
"""

from __future__ import annotations

from ..circuit import Circuit, IterationLimitError, Operator, past_identities
from ..state import StateMismatch, export_circuit, import_circuit
from ..zset import add_into
from .shared_trace import activate


class Import(Operator):
    """δ0 of a parent stream: the parent's delta at iteration 0, empty at later iterations."""

    idle_noop = False

    def __init__(self, index: int, name: str = ""):
        super().__init__()
        self.index = index
        self.name = name
        self.delta: dict = {}

    def eval(self):
        d, self.delta = self.delta, {}
        return d

    def ready(self, name: str, args: list) -> str:
        return f"{name}.delta"  # after iteration 0 (or an empty parent delta): {}, nothing changed

    def reset_transient(self) -> None:
        self.delta = {}

    def describe(self) -> str:
        return f"Import[{self.name or self.index}]"


class Feedback(Operator):
    """z⁻¹ in inner time on a back edge: at iteration i, the value its source had at i - 1."""

    idle_noop = False
    linear = True

    def __init__(self, name: str = ""):
        super().__init__()
        self.name = name
        self.source: Operator | None = None
        self.held: dict = {}

    def connect(self, source: Operator) -> None:
        self.source = source

    def eval(self):
        return self.held

    def ready(self, name: str, args: list) -> str:
        return f"{name}.held"

    def reset_transient(self) -> None:
        self.held = {}

    def describe(self) -> str:
        return f"Feedback[{self.name}]"


class Select(Operator):
    """Picks one export of a Scope (a Scope's value is the tuple of its exports' deltas)."""

    linear = True

    def __init__(self, scope: "Scope", index: int, name: str = ""):
        super().__init__(scope)
        self.index = index
        self.name = name

    def eval(self, exports):
        return exports[self.index] if exports else {}

    def describe(self) -> str:
        return f"Select[{self.name or self.index}]"


class Scope(Operator):
    """A nested circuit.  Build: add the scope to the parent circuit, add body operators to
    ``scope.body`` (reading ``scope.imports`` and feedback nodes), ``connect`` each feedback node,
    ``export`` body streams, then add ``Select(scope, k)`` operators to the parent."""

    idle_noop = False

    def __init__(self, *imports: Operator, max_iterations: int = 10_000, name: str = ""):
        super().__init__(*imports)
        self.max_iterations = max_iterations
        self.name = name
        self.body: Circuit | None = None
        self.imports: list[Import] = []
        self.feedbacks: list[Feedback] = []
        self.exports: list[Operator] = []
        self.time: tuple | int = ()  # the current inner time: i (one counter) or the parent's time + (i,)
        self.router = None  # a sharded worker's: vote(flag) -> whether any worker's flag is set
        self._timed: list | None = None  # timed_operators(), listed at the first run (bodies are built by then)
        # (distinct,): the body is one fused distinct fed back (_closure_tail), set when the body's
        # generated step is made; else None
        self._tail: tuple | None = None
        # the form of the body's times: "iteration" (one_counter: ints) or "tuple"; fixed by export()
        self.clock = "tuple"

    def attach(self, circuit: Circuit) -> None:
        super().attach(circuit)
        if self.body is None:
            self.body = Circuit(journal=circuit.journal, scope=self)
            for k, _ in enumerate(self.inputs):
                self.imports.append(self.body.add(Import(k)))

    @property
    def parent_time(self) -> tuple:
        parent = self.circuit.scope
        return parent.time if parent is not None else ()

    def feedback(self, name: str = "") -> Feedback:
        fb = self.body.add(Feedback(name))
        self.feedbacks.append(fb)
        return fb

    def export(self, stream: Operator) -> int:
        """A body stream as an export (the body is complete by then: its time form is fixed)."""
        self.exports.append(stream)
        self.clock = "iteration" if self.one_counter else "tuple"
        return len(self.exports) - 1

    @property
    def one_counter(self) -> bool:
        """Iterated by one counter: in the root circuit, with no scope nested in its body (times are ints)."""
        return self.circuit.scope is None and not any(isinstance(op, Scope) for op in self.body.ops)

    # -- pending work ---------------------------------------------------------------------------
    def timed_operators(self):
        """Operators in this scope and in scopes nested in it that may hold work for later times."""
        for op in self.body.ops:
            if hasattr(op, "pending_times"):
                yield op
            if isinstance(op, Scope):
                yield from op.timed_operators()

    def _has_later_work(self, prefix: tuple, i: int) -> bool:
        if self.clock == "iteration":  # (loops, not a generator: once per step at least)
            for op in self._timed:
                for t in op.pending_times():
                    if t > i:
                        return True
            return False
        depth = len(prefix)
        for op in self._timed:
            times = op.pending_times()
            if not times:
                continue
            if not depth:  # a scope in the root circuit: every pending time is one of its own
                if any(t[0] > i for t in times):
                    return True
                continue
            for t in times:
                if t[:depth] == prefix and t[depth] > i:
                    return True
        return False

    def _has_work_under(self, prefix: tuple) -> bool:
        if self.clock == "iteration":
            return any(op.pending_times() for op in self._timed)
        depth = len(prefix)
        return any(t[:depth] == prefix for op in self._timed for t in op.pending_times())

    # -- running --------------------------------------------------------------------------------
    def eval(self, *deltas):
        prefix = self.parent_time
        if self._timed is None:
            self._timed = list(self.timed_operators())
            for op in self.body.ops:  # (after a worker pointed the exchanges at the others)
                if getattr(op, "share", None) is not None:
                    activate(op)
                    self.body._run = None  # (the generated step may now fuse the join into its distinct)
        flat = self.clock == "iteration"
        active = any(deltas) or self._has_work_under(prefix)
        if self.router is not None:
            active = self.router.vote(active)
        if not active:
            return ()
        for imp, d in zip(self.imports, deltas):
            imp.delta = d
        if self.body._run is None:
            self.body.runner()
            self._tail = self._closure_tail()
        if self._tail is not None:
            return self._eval_tail()
        totals = [{} for _ in self.exports]
        feedbacks, exports = self.feedbacks, self.exports
        run = self.body.runner()
        i = 0
        try:
            while True:
                self.time = i if flat else prefix + (i,)
                run()
                for total, e in zip(totals, exports):
                    v = e.value
                    if v:  # (rows new to the total, the usual case, are added at C speed)
                        if total.keys().isdisjoint(v):
                            total.update(v)
                        else:
                            add_into(total, v)
                more = False
                for fb in feedbacks:
                    fb.held = fb.source.value
                    if fb.held:
                        more = True
                if self.router is not None:
                    more = self.router.vote(more or self._has_later_work(prefix, i))
                if not more and not self._has_later_work(prefix, i):
                    break
                i += 1
                if i >= self.max_iterations:
                    raise IterationLimitError(
                        f"{self.name or 'recursion'} did not reach a fixpoint within "
                        f"{self.max_iterations} iterations")
        finally:
            for fb in feedbacks:
                fb.held = {}
            for imp in self.imports:
                imp.delta = {}
        return tuple(totals)

    def _closure_tail(self):
        """Where the body is one distinct that the generated step fuses with its join and that is fed
        back (a transitive closure: shared_trace.py), with only imports, the feedback and exchanges
        that are the identity around it, every iteration after the first is that distinct's fused
        evaluation of the feedback (the imports are empty then, NestedDistinct.eval_recursive):
        (distinct,), else None."""
        root = self.body.root()
        if self.clock != "iteration" or self.router is not None or root.row_limit is not None \
                or len(self.exports) != 1 or len(self.feedbacks) != 1:
            return None
        d, fb = self.exports[0], self.feedbacks[0]
        fusions = d.fusions() if fb.source is d and getattr(d, "index", None) is not None else []
        if not fusions:
            return None
        absorbed, inputs, _ = fusions[0]
        inside = {id(d)} | {id(a) for a in absorbed}
        if any(id(op) not in inside and not isinstance(op, (Import, Feedback)) and not op.identity()
               for op in self.body.ops):
            return None
        sources = [past_identities(op)[1] for op in inputs]
        if sources.count(fb) != 1 or not all(op is fb or isinstance(op, Import) for op in sources):
            return None
        return (d,)

    def _eval_tail(self):
        """eval of a body that _closure_tail describes: the first iteration by the generated step, the
        others by the distinct's fused evaluation alone, as long as the feedback is not empty or the
        distinct or its join has work scheduled (they schedule only later iterations than the
        current one, so that is _has_later_work)."""
        d = self._tail[0]
        fb, j = self.feedbacks[0], d.index_join
        total: dict = {}
        i = 0
        try:
            self.time = 0
            self.body._run()
            v = d.value
            total.update(v)
            while v or d.todo or j.pending:
                i += 1
                if i >= self.max_iterations:
                    raise IterationLimitError(
                        f"{self.name or 'recursion'} did not reach a fixpoint within "
                        f"{self.max_iterations} iterations")
                self.time = i
                fb.held = v
                v = d.value = d.eval_recursive(v, i)
                if v:
                    if total.keys().isdisjoint(v):
                        total.update(v)
                    else:
                        add_into(total, v)
        finally:
            fb.held = {}
            for imp in self.imports:
                imp.delta = {}
        return (total,)

    # -- state: the body's operators' (the iteration time and imports are transient) ---------------
    state = ("body", "clock")

    def export_state(self):
        return {"body": export_circuit(self.body), "clock": self.clock}

    def import_state(self, saved) -> None:
        if saved["clock"] != self.clock:
            raise StateMismatch(f"{self.describe()}: saved times are {saved['clock']}s, this scope's "
                                f"{self.clock}s")
        import_circuit(self.body, saved["body"])

    def reset_transient(self) -> None:
        self.body.reset_transient()

    def failed_operator(self, exc: BaseException) -> Operator:
        return self.body.failed_operator(exc)

    def describe(self) -> str:
        return f"Scope[{self.name}]" if self.name else "Scope"
