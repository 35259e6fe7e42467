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

    def describe(self) -> str:
        """One line for circuit printouts."""
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{self.describe()}>"


class Circuit:
    """A DAG of operators in topological order, evaluated by a generated straight-line function."""

    def __init__(self, journal: Journal | None = None, scope=None):
        self.ops: list[Operator] = []
        self._members: set[int] = set()  # ids of self.ops
        self.journal = journal if journal is not None else Journal()
        self.scope = scope  # the nested Scope whose body this is, or None for a root circuit
        self._run = None

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

    # -- running ----------------------------------------------------------------------------
    def run(self) -> None:
        """Evaluate every operator once (one tick of this circuit's clock)."""
        if self._run is None:
            self._run = self._generate(self, self.ops, skip_idle=True)
        self._run()

    def run_ops(self, ops, seeds: dict) -> None:
        """Evaluate ``ops`` once, none skipped, where inputs outside ``ops`` read ``seeds[id(op)]``.

        This is how operators added to a live circuit are backfilled: each existing operator they
        read presents its integrated value as if it had all been inserted in this one step.
        """
        inside = set(map(id, ops))
        for op in ops:
            args = [i.value if id(i) in inside else seeds[id(i)] for i in op.inputs]
            op.value = op.eval(*args)

    def step(self, before_commit=None) -> None:
        """One atomic tick of a root circuit: everything or, on error, nothing.  ``before_commit()``,
        if given, runs after every operator has and before the tick is final (a durable pipeline
        writes its journal there); if it raises, the tick is undone and its exception propagates."""
        try:
            self.run()
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
        lines = ["def run():"]
        for n, op in enumerate(ops):
            args = [f"v{index[id(i)]}" for i in op.inputs]
            call = f"e{n}({', '.join(args)})"
            if skip_idle and op.idle_noop and args:
                call = f"{call} if {' or '.join(args)} else {{}}"
            lines.append(f"    v{n} = o{n}.value = {call}")
        if not ops:
            lines.append("    pass")
        env = {"__ops__": list(ops), "__circuit__": circuit}
        for n, op in enumerate(ops):
            env[f"o{n}"] = op
            env[f"e{n}"] = op.eval
        exec(compile("\n".join(lines), "<circuit>", "exec"), env)
        return env["run"]


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


