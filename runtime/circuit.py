"""Circuits: operators wired in a DAG, built once and then stepped; one step is one clock tick.

A circuit keeps its operators in topological order (an operator may only read operators added
before it).  Stepping runs a straight-line function generated from that order, so an idle operator
costs one truth test: operators whose ``idle_noop`` is True are skipped when every input is empty
(for them f(0) = 0 and the state is unchanged).  The same class is the body of a nested scope, where
one ``run`` is one inner iteration.
"""

from __future__ import annotations



import traceback

from .journal import Journal


class StepError(Exception):
    """An operator failed during a step; the circuit state was rolled back to before the step."""

    def __init__(self, op, cause: BaseException):
        self.op = op
        self.cause = cause
        where = op.label or type(op).__name__
        super().__init__(f"{where}: {cause}")


class IterationLimitError(RuntimeError):
    """A fixpoint did not converge within the configured number of iterations."""


class RowLimitError(RuntimeError):
    """A step produced more row changes than the circuit's ``row_limit``."""


class Operator:
    """An operator node.  Subclasses implement ``eval(*input_deltas) -> output delta``.

    Class attributes describe the operator to passes and to the scheduler:
    ``linear`` (Q^Δ = Q: no state), ``idle_noop`` (eval of empty inputs is empty and changes no state),
    ``state`` (the attributes that hold what the operator keeps from one step to the next; see
    runtime/state.py for the protocol that saves and restores them), ``singleton`` (it makes rows
    from no input, f(0) ≠ 0: a constant, a global aggregate's row over nothing; a sharded circuit
    runs it on one worker only).
    """

    linear = False
    idle_noop = True
    singleton = False
    label = ""
    state: tuple = ()


    def __init__(self, *inputs: "Operator"):
        self.inputs = list(inputs)
        self.circuit: Circuit | None = None
        self.journal: Journal | None = None
        self.value = {}

    def attach(self, circuit: "Circuit") -> None:
        """Called when the operator joins a circuit; stateful operators set up journaled state here."""
        self.circuit = circuit
        self.journal = circuit.journal

    def export_state(self):
        """What this operator keeps between steps, as plain data ({attribute: dicts, lists and tuples of
        SQL values}), or None if it keeps nothing.  It shares objects with the live state: serialize
        it before the next step."""
        if not self.state:
            return None
        return {name: getattr(self, name) for name in self.state}

    def import_state(self, saved) -> None:
        """Take the state ``export_state`` returned from an identically built operator."""
        for name in self.state:
            setattr(self, name, saved[name])

    def eval(self, *deltas):  # pragma: no cover - abstract
        raise NotImplementedError

    def ready(self, name: str, args: list) -> str | None:
        """A Python test (this operator is ``name`` in it, its inputs' deltas ``args``) that is false
        only when eval would return an empty delta and change nothing: the generated step then skips
        the call.  None: always run.  By default, an ``idle_noop`` operator runs when an input changed."""
        return " or ".join(args) if self.idle_noop and args else None

    def identity(self) -> bool:
        """True when eval returns its one input unchanged, for now (the generated step then passes
        the input on without calling it): an exchange on one worker."""
        return False

    def fusions(self) -> list:
        """Ways, best first, to compute this operator's output in place of a chain of operators below
        it, each (absorbed, inputs, evaluate): ``evaluate(*deltas of inputs)`` stands for this
        operator and the operators ``absorbed`` (each read only by the one before it in the list,
        the first by this one).  The generated step takes the first that holds, runs no code for
        those and leaves their outputs empty (an aggregate folding a join's pairs:
        Aggregate.fusions)."""
        return []

    def describe(self) -> str:
        """One line for circuit printouts."""
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{self.describe()}>"


def reader_counts(ops: list[Operator]) -> dict:
    """{id(op): how many times the operators ``ops`` read it}."""
    readers: dict = {}
    for op in ops:
        for i in op.inputs:
            readers[id(i)] = readers.get(id(i), 0) + 1
    return readers


def holding_fusion(reader: Operator, fusions: list, index: dict, readers: dict):
    """The first of ``fusions`` ((absorbed, inputs, evaluate), as Operator.fusions gives them) that holds
    for ``reader`` in a circuit whose operators ``index`` holds (by id): every absorbed operator is in
    it, read only by the one before it in the chain (the first by ``reader``: ``readers``, from
    reader_counts), and the new inputs are in it too; None if none does."""
    for f in fusions:
        absorbed, inputs, _ = f
        ok, above = all(id(i) in index for i in inputs), reader
        for a in absorbed:
            ok = ok and id(a) in index and readers.get(id(a)) == 1 and a in above.inputs
            above = a
        if ok:
            return f
    return None


def past_identities(op: Operator) -> tuple[list[Operator], Operator]:
    """From ``op`` down through each one's first input: the operators that are the identity (in that
    order) and the first one that is not, whose value they pass on."""
    passed = []
    while op.identity():
        passed.append(op)
        op = op.inputs[0]
    return passed, op


class Circuit:
    """A DAG of operators in topological order, evaluated by a generated straight-line function."""

    def __init__(self, journal: Journal | None = None, scope=None):
        self.ops: list[Operator] = []
        self._members: set[int] = set()  # ids of self.ops
        self.journal = journal if journal is not None else Journal()
        self.scope = scope  # the nested Scope whose body this is, or None for a root circuit
        self._run = None
        # (root only) the most row changes one step may produce, counted over every operator's
        # output delta, in every iteration of nested scopes; None: no limit
        self.row_limit: int | None = None
        self.rows = 0  # row changes produced so far in this step
        self.values_held = False  # (root) an operator's .value may hold an earlier step's delta (runtime/fused.py)

    # -- building ---------------------------------------------------------------------------
    def add(self, op: Operator) -> Operator:
        for i in op.inputs:
            if id(i) not in self._members:
                raise ValueError(f"{op!r} reads {i!r}, which is not an earlier operator of this circuit")
        op.attach(self)
        self.ops.append(op)
        self._members.add(id(op))
        self._run = None
        return op

    def remove(self, ops) -> None:
        """Drop operators (no remaining operator may read them)."""
        gone = set(map(id, ops))
        for op in self.ops:
            if id(op) not in gone and any(id(i) in gone for i in op.inputs):
                raise ValueError(f"cannot remove an operator still read by {op!r}")
        self.ops = [op for op in self.ops if id(op) not in gone]
        self._members -= gone
        self._run = None

    # -- limits -----------------------------------------------------------------------------
    def root(self) -> "Circuit":
        c = self
        while c.scope is not None:
            c = c.scope.circuit
        return c

    def set_row_limit(self, limit: int | None) -> None:
        """Limit the row changes one step produces (None: no limit); the step that would pass it
        fails with RowLimitError, and is rolled back like any failed step."""
        if limit is not None and limit < 1:
            raise ValueError("the row limit must be a positive number")
        self.row_limit = limit
        self._forget_generated()

    def _forget_generated(self) -> None:
        self._run = None
        for op in self.ops:
            body = getattr(op, "body", None)
            if isinstance(body, Circuit):
                body._forget_generated()

    def count(self, value) -> None:
        """Add an operator's output to this step's row count (a nested scope returns a tuple of its
        exports' deltas, counted inside it)."""
        if isinstance(value, dict) and value:
            self.rows += len(value)
            if self.rows > self.row_limit:
                raise RowLimitError(f"the step produced more than {self.row_limit:,} row changes (the "
                                    f"limit set by max_step_rows)")

    # -- running ----------------------------------------------------------------------------
    def run(self) -> None:
        """Evaluate every operator once (one tick of this circuit's clock)."""
        self.runner()()

    def runner(self):
        """The generated function that evaluates every operator once (run without the lookup: a
        nested scope calls it once per iteration)."""
        if self._run is None:
            self._run = self._generate(self, self.ops, skip_idle=True)
        return self._run

    def run_ops(self, ops, seeds: dict) -> None:
        """Evaluate ``ops`` once, none skipped, where inputs outside ``ops`` read ``seeds[id(op)]``.

        This is how operators added to a live circuit are backfilled: each existing operator they
        read presents its integrated value as if it had all been inserted in this one step.
        """
        inside = set(map(id, ops))
        root = self.root()
        root.rows = 0
        root.values_held = True
        for op in ops:
            args = [i.value if id(i) in inside else seeds[id(i)] for i in op.inputs]
            op.value = op.eval(*args)
            if root.row_limit is not None:
                root.count(op.value)

    def step(self, before_commit=None) -> None:
        """One atomic tick of a root circuit: everything or, on error, nothing.  ``before_commit()``,
        if given, runs after every operator has and before the tick is final (a durable pipeline
        writes its journal there); if it raises, the tick is undone and its exception propagates."""
        self.rows = 0
        self.values_held = True
        try:
            (self._run or self.runner())()
        except BaseException as e:
            op = self.failed_operator(e)
            # free what the failed step built before undoing it (the undo may need memory when the
            # failure was a MemoryError): its operators' outputs, and the locals of the frames it
            # failed in (a join kernel's half-built output)
            traceback.clear_frames(e.__traceback__)
            self.reset_transient()
            self.journal.rollback()
            raise StepError(op or Operator(), e) from e
        if before_commit is not None:
            try:
                before_commit()
            except BaseException:
                self.journal.rollback()
                self.reset_transient()
                raise
        self.journal.commit()

    def reset_transient(self) -> None:
        """Clear per-step scratch state (values, nested pending work) after a failed step."""
        for op in self.ops:
            op.value = {}
            reset = getattr(op, "reset_transient", None)
            if reset is not None:
                reset()

    def failed_operator(self, exc: BaseException) -> Operator | None:
        """The operator of this circuit whose evaluation raised ``exc`` (found from the line of this
        circuit's generated code in the traceback), or the innermost one if it is a nested scope."""
        tb = exc.__traceback__
        found = None
        while tb is not None:
            frame = tb.tb_frame
            if frame.f_code.co_filename == "<circuit>" and frame.f_globals.get("__circuit__") is self:
                ops = frame.f_globals["__ops__"]
                line = tb.tb_lineno - 2  # line 1 is the def, line 2 the first operator
                if 0 <= line < len(ops):
                    found = ops[line]
            tb = tb.tb_next
        if found is None:
            return None
        inner = getattr(found, "failed_operator", None)
        return (inner(exc) or found) if inner is not None else found

    @staticmethod
    def _generate(circuit, ops: list[Operator], skip_idle: bool):
        index = {id(op): n for n, op in enumerate(ops)}
        root = circuit.root()
        # (one line per operator: failed_operator finds the operator from the line)
        count = "; __count__(v{n})" if root.row_limit is not None else ""
        fused = Circuit._fusions(ops, index) if root.row_limit is None else {}  # (a limit counts every output)
        absorbed = {id(a) for absorbed, _, _ in fused.values() for a in absorbed}
        lines = ["def run():"]
        evals = {}
        for n, op in enumerate(ops):
            inputs = op.inputs
            evals[n] = op.eval
            if id(op) in fused:
                _, inputs, evals[n] = fused[id(op)]
            args = [f"v{index[id(i)]}" for i in inputs]
            call = f"e{n}({', '.join(args)})"
            if id(op) in absorbed:
                call = "{}"  # computed by the operator that absorbed it
            elif op.identity():
                call = args[0]
            elif skip_idle and (test := op.ready(f"o{n}", args)):
                call = f"{call} if {test} else {{}}"
            lines.append(f"    v{n} = o{n}.value = {call}" + count.format(n=n))
        if not ops:
            lines.append("    pass")
        env = {"__ops__": list(ops), "__circuit__": circuit, "__count__": root.count}
        for n, op in enumerate(ops):
            env[f"o{n}"] = op
            env[f"e{n}"] = evals[n]
        exec(compile("\n".join(lines), "<circuit>", "exec"), env)
        return env["run"]


    @staticmethod
    def _fusions(ops: list[Operator], index: dict) -> dict:
        """{id(op): the first of op.fusions() that holds here}: every absorbed operator is in this
        circuit, read only by the one before it in the chain (the first by ``op``), and the new
        inputs are in this circuit too."""
        readers = reader_counts(ops)
        out = {}
        for op in ops:
            f = holding_fusion(op, op.fusions(), index, readers)
            if f is not None:
                out[id(op)] = f
        return out


def describe_circuit(circuit: Circuit, indent: str = "") -> str:
    """A deterministic text rendering: one operator per line with its inputs."""
    index = {id(op): n for n, op in enumerate(circuit.ops)}
    out = []
    for n, op in enumerate(circuit.ops):
        ins = ", ".join(f"#{index[id(i)]}" if id(i) in index else i.describe() for i in op.inputs)
        label = f"  -- {op.label}" if op.label else ""
        out.append(f"{indent}#{n} {op.describe()}({ins}){label}")
        body = getattr(op, "body", None)
        if body is not None:
            out.append(describe_circuit(body, indent + "    "))
    return "\n".join(out)


