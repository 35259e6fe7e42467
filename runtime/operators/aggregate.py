"""Incremental GROUP BY: the input indexed by group key, one reducer state per group.

    Δout = Σ_{g touched by Δ} ( [new row of g] - [old row of g] )

Linear reducers (COUNT, SUM, AVG) update from the delta alone: O(changed groups) time, O(groups)
state.  Non-linear ones (MIN, MAX, COUNT DISTINCT, STRING_AGG) keep a multiset of the group's values
and recompute only touched groups.  A group whose row count returns to 0 is deleted.  A global
aggregate (no GROUP BY) has exactly one group, (), which always exists: it outputs one row even for
empty input, emitted the first time the operator runs.

Sharded, a GROUP BY whose functions all add up gets partial groups from the workers instead of rows
(``combined``; operators/exchange.Combine): ``merge(groups, partials, sign)`` folds them in.

A reducer provides ``new() -> state``, ``extract(delta, key_fn) -> items`` (evaluates keys and
arguments, changing nothing; a generated reducer computes keys inline and is given no key_fn),
``apply(groups, items, sign) -> touched keys`` (folds items into the groups ``{key: [row count,
state]}``, exactly invertible: sign -1 undoes sign +1) and ``result(group) -> tuple`` (over the
whole group: a generated reducer reads COUNT(*) from its row count); the output row is ``group
key + result`` (``scalar_key``: a key of one column is held as its value, so the row is ``(key,) +
result``).  runtime.aggregates.Reducer builds one from aggregate functions; the compiler generates
specialised ones (codegen.compiled_reducer, with a flat state: codegen.state_layout).

With an ``expiry`` (runtime/expiry.py; the compiler gives one when a group-key column only changes
at or above a watermark-driven bound), the groups whose key is below the bound are dropped after
the step's changes are applied: closed windows.  Their output rows stay in the view, final.
"""

import functools

from ..arrangement import index_delta
from ..circuit import Operator, past_identities


class JoinFold:
    """A join's pairs folded straight into the groups of the aggregate after it (compiler's
    codegen.join_fold): ``fold(groups, da, db, ia, ib, sign, new) -> touched keys`` for ``join``,
    the Join operator whose output the aggregate reads; ``raw[side]``, where given, the same fold
    that also does that side's Arrange (from the Arrange's input: codegen.join_fold)."""

    __slots__ = ("join", "fold", "raw", "keyed_of")

    def __init__(self, join: Operator, fold, raw=(None, None)):
        self.join = join
        self.fold = fold
        self.raw = raw
        # each side's delta -> that delta by key, as its Arrange keys it (for a raw fold)
        self.keyed_of = tuple(functools.partial(index_delta, key_fn=side.key_fn) for side in join.inputs)

    def ways(self) -> list:
        """The ways to fold the join's pairs, best first, each (side, absorbed, inputs): from the
        unarranged delta of ``side``, whose Arrange the fold then does too (``absorbed``: [that
        Arrange]; a side with a ``raw`` fold, an unkeyed side first: its deltas are the larger), the
        inputs being that Arrange's input and the other side's Arrange; last (None, [], the two
        Arranges): from the arranged deltas."""
        arranges = list(self.join.inputs)
        out = []
        for side in sorted((0, 1), key=lambda s: arranges[s].unique):
            if self.raw[side] is not None:
                inputs = list(arranges)
                inputs[side] = arranges[side].inputs[0]
                out.append((side, [arranges[side]], inputs))
        out.append((None, [], arranges))
        return out

    def indexes(self) -> tuple:
        """The two sides' arranged indexes (each updated by its Arrange, or by a raw fold)."""
        left, right = self.join.inputs
        return left.arrangement.index, right.arrangement.index

    def fold_raw(self, side: int, groups: dict, delta: dict, other: dict, new) -> tuple:
        """``raw[side]``: the join's pairs folded into ``groups``, with that side's Arrange done from its
        unarranged ``delta`` (``other``: the other side's delta by key); the Arrange's undo is journaled
        first.  (touched keys, what the fold's undo needs: (side, delta, other, ia, ib, keyed))."""
        mine = self.join.inputs[side]
        arrangement = mine.arrangement
        if delta and arrangement.journal is not None:  # (recorded first: undone after the groups)
            arrangement.journal.entries.append((_unarrange, (arrangement, delta, mine.key_fn)))
        ia, ib = self.indexes()
        da, db = (delta, other) if side == 0 else (other, delta)
        keyed = self.keyed_of[side]
        return self.raw[side](groups, da, db, ia, ib, 1, new, keyed), (side, delta, other, ia, ib, keyed)


def _unarrange(saved) -> None:
    """Undo an Arrange done by a raw join fold: its delta by key, taken off the index."""
    arrangement, delta, key_fn = saved
    arrangement._add(index_delta(delta, key_fn), -1)


class Aggregate(Operator):
    state = ("groups", "outputs")
    expiry = None  # an Expiry over group keys, or None
    combined = False  # its input holds partial groups, not rows (a sharded worker's, after a Combine)
    join_fold: JoinFold | None = None  # see fusion()
    scalar_key = False  # a group key of one column is the value itself, not a 1-tuple (the reducer's form)

    def __init__(self, source: Operator, key_fn, reducer, global_: bool = False, name: str = ""):
        super().__init__(source)
        self.key_fn = key_fn
        self.reducer = reducer
        self.global_ = global_
        self.name = name
        self.groups: dict = {}  # key -> [row count, reducer state]
        self.outputs: dict = {}  # key -> the output row currently emitted for the group
        if global_:
            self.idle_noop = False  # the first run must emit the empty-input row
            self.singleton = True  # which one worker of a sharded circuit emits
            self.groups[()] = [0, reducer.new()]

    def eval(self, delta: dict) -> dict:
        if self.global_ and not delta and () in self.outputs:
            return {}
        red = self.reducer
        groups = self.groups
        fold = getattr(red, "fold", None)
        if self.combined:  # partial groups, folded by the workers that sent them: only additions
            items = None
            touched = red.merge(groups, delta, 1)
        elif fold is not None:  # keys and arguments that cannot fail: one loop (CompiledReducer.fold)
            items = None
            touched = fold(groups, delta, 1, red.new)
        else:  # user code (keys, arguments) runs in extract, which changes nothing; apply only adds
            items = red.extract(delta, self.key_fn)
            touched = red.apply(groups, items, 1)
        return self._emit(touched, (items, delta))

    def fusions(self):
        """Where the input is a join (through exchanges that are the identity: one worker) and the
        compiler gave ``join_fold``: the ways this operator can compute its output itself, best
        first (Operator.fusions): from the unarranged delta of a side whose Arrange only the join
        reads (``raw``), then from the join's inputs (eval_join)."""
        if self.join_fold is None or self.combined:
            return []
        absorbed, op = past_identities(self.inputs[0])
        if op is not self.join_fold.join:
            return []
        absorbed.append(op)
        evaluate = {None: self.eval_join, 0: self.eval_join_left, 1: self.eval_join_right}
        return [(absorbed + more, inputs, evaluate[side]) for side, more, inputs in self.join_fold.ways()]

    def eval_join(self, da: dict, db: dict) -> dict:
        """eval(join's delta) without the join's delta: the join's pairs folded into the groups."""
        if self.global_ and not da and not db and () in self.outputs:
            return {}
        jf = self.join_fold
        ia, ib = jf.indexes()
        touched = jf.fold(self.groups, da, db, ia, ib, 1, self.reducer.new)
        return self._emit(touched, (jf, (da, db, ia, ib)))

    def eval_join_left(self, delta: dict, db: dict) -> dict:
        """eval_join that also does the left side's Arrange, from its unarranged ``delta``."""
        return self._eval_raw(0, delta, db)

    def eval_join_right(self, da: dict, delta: dict) -> dict:
        """eval_join that also does the right side's Arrange, from its unarranged ``delta``."""
        return self._eval_raw(1, delta, da)

    def _eval_raw(self, side: int, delta: dict, other: dict) -> dict:
        if self.global_ and not delta and not other and () in self.outputs:
            return {}
        jf = self.join_fold
        touched, undo = jf.fold_raw(side, self.groups, delta, other, self.reducer.new)
        return self._emit(touched, (jf, undo))

    def _emit(self, touched: set, folded: tuple) -> dict:
        """The output delta of the touched groups; the journal entry undoes the fold (``folded``:
        what _undo needs to fold it again with sign -1) and the outputs."""
        groups, result, outputs = self.groups, self.reducer.result, self.outputs
        if self.global_:
            touched.add(())
        # (old output, new output) of each touched group, every new one computed before anything
        # else changes: a failing result() (an overflow, say) leaves only the group updates behind,
        # which the journal entry recorded first undoes
        changed: dict = {}
        self.journal.entries.append((self._undo, (folded, changed)))  # (Journal.record inline)
        scalar = self.scalar_key
        for k in touched:
            g = groups[k]
            changed[k] = (outputs.get(k), ((k,) if scalar else k) + result(g) if g[0] or self.global_ else None)
        # a group's rows start with its key, so two groups never emit the same row: no weight cancels
        out = {}
        for k, (old, new) in changed.items():
            if new is None:
                outputs.pop(k, None)
                del groups[k]
            else:
                outputs[k] = new
            if new != old:
                if old is not None:
                    out[old] = -1
                if new is not None:
                    out[new] = 1
        if self.expiry is not None:
            self._expire(k for k, (old, new) in changed.items() if new is not None and old is None)
        return out

    def _undo(self, saved) -> None:
        """Take back one eval: the outputs, then the groups (a group deleted by the step comes back
        through its last state: re-create it from the undone items)."""
        (items, delta), changed = saved
        for k, (old, _new) in changed.items():
            if old is None:
                self.outputs.pop(k, None)
            else:
                self.outputs[k] = old
        groups, red = self.groups, self.reducer
        if isinstance(items, JoinFold):  # eval_join's: the same pairs, folded with sign -1
            if len(delta) == 6:  # _eval_raw's: the unarranged side's delta by key first
                side, raw, other, ia, ib, keyed = delta
                delta = (keyed(raw), other, ia, ib) if side == 0 else (other, keyed(raw), ia, ib)
            touched = items.fold(groups, *delta, -1, red.new)
        elif self.combined:
            touched = red.merge(groups, delta, -1)
        else:
            touched = red.fold(groups, delta, -1, red.new) if items is None else red.apply(groups, items, -1)
        for k in touched:
            if not groups[k][0] and not self.global_:
                del groups[k]

    def _expire(self, created) -> None:
        expiry, groups, outputs = self.expiry, self.groups, self.outputs
        for k in created:
            expiry.note(k)
        popped = expiry.due()
        if popped:
            dropped = [(k, groups.pop(k), outputs.pop(k, None)) for _, _, k in popped if k in groups]
            self.journal.record(self._unexpire, (popped, dropped))

    def _unexpire(self, saved) -> None:
        popped, dropped = saved
        self.expiry.restore(popped)
        for k, g, o in dropped:
            self.groups[k] = g
            if o is not None:
                self.outputs[k] = o

    def after_import(self) -> None:
        if self.expiry is not None:
            self.expiry.rebuild(self.groups)

    def describe(self) -> str:
        kind = "global" if self.global_ else "grouped"
        drops = f", drops {self.expiry.text}" if self.expiry is not None else ""
        return f"Aggregate[{kind}{', ' + self.name if self.name else ''}{drops}]"
