"""KeyedRecursion: DuckDB's ``WITH RECURSIVE t USING KEY (k) AS (anchor UNION [ALL] step)``, kept
up to date by recomputing it whenever its inputs change.

The recursion (DuckDB's definition, checked against it in tests/test_diff_keyed_recursion.py):

    U0 = the anchor's rows, one per key;     W0 = U0 (UNION)  or  the anchor's rows (UNION ALL)
    Ci = step(t = W(i-1), recurring.t = U(i-1))        (the candidates of iteration i)
    Ui = U(i-1) with each key Ci holds replaced by Ci's row for it
    Wi = the rows of Ui that are new or differ from U(i-1)'s (UNION)   or   Ci, a bag (UNION ALL)
    stop at the first Wi that is empty; the result is Ui.

Two different rows for one key in one iteration (or in the anchor) have no defined winner: DuckDB
keeps one of them, depending on the order its threads produced them.  That is an error here
(``KeyConflictError``, the step fails and changes nothing), never an arbitrary answer.  Rows are
compared as values (NULL equals NULL, the one NaN equals itself, -0.0 equals 0.0), as DuckDB does.

This is not a monotone fixpoint (a later iteration overwrites an earlier row), so semi-naive
evaluation across steps does not apply.  Cost: a step that changes an input (the anchor or a
relation the step reads) re-runs the whole recursion from U0, O(iterations × the rows they touch)
per such step; a step that changes no input costs nothing.  Within one recomputation the step term
is evaluated incrementally: it is a child circuit (``body``) of ordinary incremental operators fed
with the *changes* of t and recurring.t from one iteration to the next (and, once per
recomputation, the changes of the relations it imports), so an iteration costs what its changes
touch, not a re-evaluation of the step over everything.  The child circuit's state carries over
from one recomputation to the next the same way (it is told the difference between the last inputs
it saw and the new ones).  Iterating past ``max_iterations`` raises ``IterationLimitError``.

State: the anchor's integrated rows, the result (key -> row), and the child circuit's state with
what it was last fed.  Every change replaces these objects (never mutates them), so undoing a failed
step is one journal entry restoring the previous ones.
"""

from __future__ import annotations

from ..circuit import Circuit, IterationLimitError, Operator
from ..state import export_circuit, import_circuit
from ..zset import add_into
from .scope import Import


class KeyConflictError(RuntimeError):
    """One iteration of a USING KEY recursion produced two different rows for one key."""


def _difference(new: dict, old: dict) -> dict:
    """The Z-set new - old."""
    out = {}
    for row, w in new.items():
        d = w - old.get(row, 0)
        if d:
            out[row] = d
    for row, w in old.items():
        if row not in new:
            out[row] = -w
    return out


def _sql(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, tuple):
        return "(" + ", ".join(_sql(v) for v in value) + ")"
    return str(value)


class KeyedRecursion(Operator):
    """Inputs: the anchor, then the relations the step term imports.  Build: add the operator to
    the parent circuit, lower the step term into ``body`` (reading ``imports``, ``working`` for t
    and ``recurring`` for recurring.t), then ``connect`` the step's output."""

    idle_noop = True
    state = ("anchor", "result", "fed_working", "fed_recurring", "candidates", "body")

    def __init__(self, anchor: Operator, *imports: Operator, key, distinct: bool, max_iterations: int = 10_000,
                 name: str = "", key_names: str = ""):
        super().__init__(anchor, *imports)
        self.key = key  # row -> its key (a hashable value)
        self.distinct = distinct  # UNION (the next t: the rows that changed) or UNION ALL (every candidate)
        self.max_iterations = max_iterations
        self.name = name
        self.key_names = key_names
        self.body: Circuit | None = None
        self.imports: list[Import] = []
        self.working: Import | None = None
        self.recurring: Import | None = None
        self.step_output: Operator | None = None
        self.anchor: dict = {}  # the anchor's rows (integrated)
        self.result: dict = {}  # key -> row: the recursion's value
        self.fed_working: dict = {}  # t and recurring.t as the body last saw them
        self.fed_recurring: dict = {}
        self.candidates: dict = {}  # the step's output for those (integrated)

    def attach(self, circuit: Circuit) -> None:
        super().attach(circuit)
        if self.body is None:
            self.body = Circuit(journal=circuit.journal)
            for k in range(len(self.inputs) - 1):
                self.imports.append(self.body.add(Import(k)))
            self.working = self.body.add(Import(0, "t"))
            self.recurring = self.body.add(Import(0, "recurring"))

    def connect(self, step_output: Operator) -> None:
        self.step_output = step_output

    # -- running ----------------------------------------------------------------------------------
    def eval(self, anchor_delta, *import_deltas):
        saved = (self.anchor, self.result, self.fed_working, self.fed_recurring, self.candidates)
        self.journal.record(self._restore, saved)
        anchor = add_into(dict(self.anchor), anchor_delta)
        for imp, d in zip(self.imports, import_deltas):
            imp.delta = d
        working, union = self._apply({}, anchor, 0)
        try:
            i = 0
            while True:
                # the body sees t = W(i), recurring.t = U(i); its output is then C(i+1).  It runs at
                # least once, to take the changes of the relations it imports.
                fed_recurring = {row: 1 for row in union.values()}
                self.working.delta = _difference(working, self.fed_working)
                self.recurring.delta = _difference(fed_recurring, self.fed_recurring)
                self.fed_working, self.fed_recurring = working, fed_recurring
                if self.working.delta or self.recurring.delta or i == 0:
                    self.body.run()
                    if self.step_output.value:
                        self.candidates = add_into(dict(self.candidates), self.step_output.value)
                if not working:
                    break
                i += 1
                if i > self.max_iterations:
                    raise IterationLimitError(
                        f"{self.name or 'recursion'} did not stop within {self.max_iterations} iterations "
                        f"(every iteration changed rows)")
                working, union = self._apply(union, self.candidates, i)
        finally:
            for imp in self.imports:
                imp.delta = {}
            self.working.delta = self.recurring.delta = {}
        old = self.result
        self.anchor, self.result = anchor, union
        out = {}
        for k, row in old.items():
            if union.get(k, _MISSING) != row:
                out[row] = -1
        for k, row in union.items():
            before = old.get(k, _MISSING)
            if before != row:
                out[row] = out.get(row, 0) + 1
                if not out[row]:
                    del out[row]
        return out

    def _apply(self, union: dict, candidates: dict, iteration: int):
        """(the next t, the union table after ``candidates`` replaced their keys' rows)."""
        key = self.key
        chosen: dict = {}
        for row, w in candidates.items():
            if w <= 0:
                continue
            k = key(row)
            other = chosen.setdefault(k, row)
            if other is not row and other != row:
                where = "the anchor" if iteration == 0 else f"iteration {iteration}"
                raise KeyConflictError(
                    f"{self.name or 'recursion'}: {where} produced two different rows for USING KEY "
                    f"({self.key_names}) = {_sql(k if isinstance(k, tuple) else (k,))}: {_sql(other)} and "
                    f"{_sql(row)}; DuckDB keeps either one, depending on the order its threads produce them")
        new = dict(union)
        changed = {}
        for k, row in chosen.items():
            if union.get(k, _MISSING) != row:
                changed[row] = 1
            new[k] = row
        if self.distinct:
            return changed, new
        return {row: w for row, w in candidates.items() if w > 0}, new

    def _restore(self, saved) -> None:
        self.anchor, self.result, self.fed_working, self.fed_recurring, self.candidates = saved

    def reset_transient(self) -> None:
        self.body.reset_transient()
        for imp in self.imports:
            imp.delta = {}
        self.working.delta = self.recurring.delta = {}

    def failed_operator(self, exc: BaseException) -> Operator:
        return self.body.failed_operator(exc)

    # -- state ------------------------------------------------------------------------------------
    def export_state(self):
        return {"anchor": self.anchor, "result": self.result, "fed_working": self.fed_working,
                "fed_recurring": self.fed_recurring, "candidates": self.candidates,
                "body": export_circuit(self.body)}

    def import_state(self, saved) -> None:
        for name in ("anchor", "result", "fed_working", "fed_recurring", "candidates"):
            setattr(self, name, saved[name])
        import_circuit(self.body, saved["body"])

    def describe(self) -> str:
        mode = "UNION" if self.distinct else "UNION ALL"
        return (f"KeyedRecursion[{self.name} {mode}, recomputed whole when an input changes]"
                if self.name else "KeyedRecursion")


_MISSING = object()
