"""AggregatingKeyedRecursion: DuckDB's ``WITH RECURSIVE t USING KEY (k, min(v), …) AS (anchor UNION
[ALL] step)``, kept up to date by recomputing it whenever its inputs change (as KeyedRecursion does,
runtime/nested/keyed.py, whose loop it runs).

The recursion (compiler/keyed_aggregation.py gives DuckDB's definition):

    C0 = the anchor's rows,  Ci = step(t = W(i-1), recurring.t = U(i-1))   (candidates)
    Ui = for each key met so far: the key, each aggregate over the key's candidates of C0..Ci in
         iteration order, and the payload columns of the key's candidate in the latest Cj that has one
    Wi = the rows of Ui that are new or differ from U(i-1)'s (UNION)   or   Ci (UNION ALL)
    stop at the first Wi that is empty; the result is Ui.

Laws: the aggregates are those of the registry, each a function of the multiset of its inputs (or,
ordered by (iteration, argument), of their sequence), so Ui's aggregate columns are ``fold`` (an
ordinary incremental GROUP BY, a child circuit) over the candidates C0 ⊎ … ⊎ Ci tagged with their
iteration; fed Ci at iteration i, its output is the change of those columns.  Recomputing from the
anchor feeds it C0 minus what it held, so the fold's state is never rebuilt.  When candidates of one
key in one iteration disagree on a payload column, or (``check``, in the same child circuit) on the
argument of an order-dependent aggregate, DuckDB's answer depends on the order its threads produce
them: a KeyConflictError (the step fails, nothing changes), never an arbitrary answer.

State: besides KeyedRecursion's, the candidates the fold holds, its aggregate rows per key, the
payload per key and the conflicts the check holds (replaced, never mutated, so undoing a failed
step is one journal entry), and the child circuit's state.
"""

from __future__ import annotations

from ..circuit import Circuit, Operator
from ..state import export_circuit, import_circuit
from ..zset import add_into
from .keyed import _MISSING, KeyConflictError, KeyedRecursion, _difference, _sql
from .scope import Import


class AggregatingKeyedRecursion(KeyedRecursion):
    """A KeyedRecursion whose rows are folded per key.  Build as KeyedRecursion, then lower the fold
    (and the check) into ``fold`` reading ``fold_input`` and ``connect_fold`` their outputs."""

    state = KeyedRecursion.state + ("fed_fold", "folded", "payload", "conflicts", "fold")

    def __init__(self, anchor: Operator, *imports: Operator, keys, columns, written: str = "", **kw):
        super().__init__(anchor, *imports, key=None, **kw)
        self.keys = tuple(keys)  # key column positions
        self.columns = tuple(columns)  # ("key", i) / ("agg", j) / ("payload", i) per column of t
        self.payload_columns = tuple(i for kind, i in self.columns if kind == "payload")
        self.written = written
        self.fold: Circuit | None = None
        self.fold_input: Import | None = None
        self.fold_output: Operator | None = None
        self.check_output: Operator | None = None
        self.fed_fold: dict = {}  # the tagged candidates the fold holds
        self.folded: dict = {}  # key tuple -> the fold's row (keys, then one value per aggregate)
        self.payload: dict = {}  # key tuple -> its payload values
        self.conflicts: dict = {}  # the check's rows (keys, iteration) the fold holds

    def attach(self, circuit: Circuit) -> None:
        super().attach(circuit)
        if self.fold is None:
            self.fold = Circuit(journal=circuit.journal)
            self.fold_input = self.fold.add(Import(0, "candidates"))

    def connect_fold(self, fold_output: Operator, check_output: Operator | None) -> None:
        self.fold_output, self.check_output = fold_output, check_output

    # -- running ----------------------------------------------------------------------------------
    def eval(self, anchor_delta, *import_deltas):
        self.journal.record(self._restore_fold, (self.fed_fold, self.folded, self.payload, self.conflicts))
        return super().eval(anchor_delta, *import_deltas)

    def _restore_fold(self, saved) -> None:
        self.fed_fold, self.folded, self.payload, self.conflicts = saved

    def _apply(self, union: dict, candidates: dict, iteration: int):
        keys = self.keys
        rows = {row: w for row, w in candidates.items() if w > 0}
        tagged = {row + (iteration,): w for row, w in rows.items()}
        if iteration == 0:  # a recomputation starts: the fold forgets the last one's candidates
            delta, self.fed_fold, payload, union = _difference(tagged, self.fed_fold), tagged, {}, {}
        else:
            delta, self.fed_fold, payload = tagged, add_into(dict(self.fed_fold), tagged), dict(self.payload)
        self.fold_input.delta = delta
        try:
            self.fold.run()
            out = self.fold_output.value
            checked = self.check_output.value if self.check_output is not None else {}
        finally:
            self.fold_input.delta = {}
        if checked:
            self.conflicts = add_into(dict(self.conflicts), checked)
            bad = next((row for row, w in self.conflicts.items() if w > 0), None)
            if bad is not None:
                raise KeyConflictError(
                    f"{self.name or 'recursion'}: iteration {bad[-1]} gave USING KEY ({self.key_names}) = "
                    f"{_sql(bad[:-1])} different values of an order-dependent aggregate ({self.written}); "
                    f"DuckDB's answer depends on the order its threads produce them")
        folded = dict(self.folded)
        for row, w in out.items():
            if w < 0 and folded.get(row[:len(keys)]) == row:
                del folded[row[:len(keys)]]
        for row, w in out.items():
            if w > 0:
                folded[row[:len(keys)]] = row
        self.folded = folded
        seen: dict = {}
        pick = self.payload_columns
        for row in rows:
            k = tuple(row[i] for i in keys)
            values = tuple(row[i] for i in pick)
            other = seen.setdefault(k, values)
            if other != values:
                raise KeyConflictError(
                    f"{self.name or 'recursion'}: {'the anchor' if iteration == 0 else f'iteration {iteration}'} "
                    f"produced two different rows for USING KEY ({self.key_names}) = {_sql(k)} that differ "
                    f"outside the aggregates: {_sql(other)} and {_sql(values)}; DuckDB keeps either one, "
                    f"depending on the order its threads produce them")
        payload.update(seen)
        self.payload = payload
        new = dict(union)
        changed = {}
        for k in (folded if iteration == 0 else seen):
            row = self._row(k, folded[k], payload[k])
            if union.get(k, _MISSING) != row:
                changed[row] = 1
            new[k] = row
        return (changed if self.distinct else rows), new

    def _row(self, key: tuple, folded: tuple, payload: tuple) -> tuple:
        out = []
        n = len(self.keys)
        p = 0
        for kind, i in self.columns:
            if kind == "key":
                out.append(key[i])
            elif kind == "agg":
                out.append(folded[n + i])
            else:
                out.append(payload[p])
                p += 1
        return tuple(out)

    def reset_transient(self) -> None:
        super().reset_transient()
        self.fold.reset_transient()
        self.fold_input.delta = {}

    def failed_operator(self, exc: BaseException) -> Operator:
        return self.fold.failed_operator(exc) or super().failed_operator(exc)

    # -- state ------------------------------------------------------------------------------------
    def export_state(self):
        saved = super().export_state()
        saved.update(fed_fold=self.fed_fold, folded=self.folded, payload=self.payload, conflicts=self.conflicts,
                     fold=export_circuit(self.fold))
        return saved

    def import_state(self, saved) -> None:
        super().import_state(saved)
        for name in ("fed_fold", "folded", "payload", "conflicts"):
            setattr(self, name, saved[name])
        import_circuit(self.fold, saved["fold"])

    def describe(self) -> str:
        mode = "UNION" if self.distinct else "UNION ALL"
        return (f"AggregatingKeyedRecursion[{self.name} ({self.written}) {mode}, recomputed whole when an input "
                f"changes]")
