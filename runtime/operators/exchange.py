"""Exchange: moves every row to the worker that owns its key, so that the stateful operator after it
sees all the rows of a key on one worker (the sharding of Feldera and differential dataflow).

Run by one worker, an exchange is the identity.  In a sharded run every worker holds the same
circuit and a shard of the data; at an exchange each worker splits its delta with ``route`` into
one part per worker, hands the parts to its ``router`` (engine/shards), and outputs the sum of the
parts every worker sent it.  A gather exchange (``route`` None: a global aggregate, a top-k or
window without PARTITION BY) sends every row to worker 0.

Laws: (1) an exchange only moves rows, so it is linear and the sum over workers of its outputs is
the sum of its inputs; (2) after it all rows with equal keys are on one worker, so an operator whose
output for a key depends only on that key's rows (a join or semi-join on the key, an aggregate by
it, distinct or a set operation on the whole row, top-k and windows by partition), computed on each
worker and summed over workers, equals the operator computed on everything.  Linear operators need
no exchange: f(a + b) = f(a) + f(b).  Every worker takes part in every exchange, with or without
rows to send (``idle_noop`` is False): an exchange is a collective step of all workers.
"""

from ..aggregates import add_state
from ..circuit import Operator
from ..hashing import value_hash
from ..zset import add_into


class Exchange(Operator):
    linear = True
    idle_noop = False

    def __init__(self, source: Operator, route=None, name: str = ""):
        super().__init__(source)
        self.route = route  # (delta, workers, me) -> [delta for each worker]; None: all to worker 0
        self.name = name
        self.router = None  # a sharded worker's (engine/shards/worker.py); None: one worker
        # a sharded coordinator cuts a table's batch by this exchange's owners where it can: the
        # operator whose rows can be cut (a table's output, read directly or through a filter/project)
        # and the function (rows, workers) -> [rows of each worker] (compiler/routing.cut_function;
        # for a Combine, by the owners of the rows' partial groups)
        self.cut_reads: Operator | None = None
        self.cut_rows = None

    def eval(self, delta: dict) -> dict:
        if self.router is None:
            return delta
        return self.router.exchange([(self, self.split(delta))])[0]

    def identity(self) -> bool:
        return self.router is None

    def local(self, delta: dict) -> dict:
        """The exchange's value when every row of ``delta`` is this worker's own on every worker (the
        coordinator knows it: engine/shards/cluster.py), so that no worker sends another anything:
        the delta itself."""
        return delta

    def split(self, delta: dict) -> list:
        """The delta cut into one part per worker of the router (the part of each key's owner)."""
        n = self.router.workers
        if self.route is None:
            parts = [{} for _ in range(n)]
            parts[0] = delta
            return parts
        return self.route(delta, n, self.router.index)

    def merge(self, parts: list) -> dict:
        """The sum of the parts every worker sent this one (None or {} where one sent nothing).  Parts
        without a row in common (the common case: each row lives on one worker before the exchange)
        add up as their union, taken at C speed: dict.update reuses the rows' stored hashes, and the
        parts had no row in common exactly when the union holds as many rows as they do together
        (a row's tuple hash is not cached: a test of disjointness by lookups would hash every row
        again).  Otherwise the union is dropped and the parts are added up."""
        present = [part for part in parts if part]
        if len(present) < 2:
            return present[0] if present else {}  # (read-only: it may be an upstream value)
        merged = dict(present[0])
        for part in present[1:]:
            merged.update(part)
        if len(merged) == sum(map(len, present)):
            return merged
        merged = dict(present[0])
        for part in present[1:]:
            add_into(merged, part)
        return merged

    def describe(self) -> str:
        return f"Exchange[{self.name}]" if self.name else "Exchange[gather]"


class Combine(Exchange):
    """The exchange before a GROUP BY whose aggregates all add up (COUNT, SUM, AVG, TOTAL): each
    worker first folds its rows into partial groups ({key: [row count, state]}, the reducer's own
    ``apply``), and only the partial groups travel to the key's owner, where the Aggregate adds
    them to its groups (``Aggregate.combined``, set by a sharded worker).  Local-global aggregation,
    as Flink and Feldera do it: a step moves one partial per group per worker instead of every row.

    Law: the aggregate functions are ``combinable`` (runtime/aggregates.add_state): folding rows into
    partial states and adding the partials gives the state of folding all the rows, so the groups,
    hence the outputs, are those of the rows exchanged.  Run by one worker it is the identity (the
    Aggregate folds the rows itself)."""

    def __init__(self, source: Operator, reducer, keyed: bool, name: str = ""):
        super().__init__(source, None, name)
        self.reducer = reducer
        self.keyed = keyed  # False: a global aggregate, every partial to worker 0

    def split(self, delta: dict) -> list:
        red = self.reducer
        local: dict = {}
        if delta:
            fold = getattr(red, "fold", None)  # (extract and apply in one loop, where nothing can fail)
            if fold is not None:
                fold(local, delta, 1, red.new)
            else:
                red.apply(local, red.extract(delta, None), 1)
        return self._route(local)

    def _route(self, local: dict) -> list:
        """Partial groups cut into one part per worker (the part of each key's owner)."""
        n = self.router.workers
        parts: list = [{} for _ in range(n)]
        if not self.keyed or n == 1:
            parts[0] = local
        else:
            for k, g in local.items():
                parts[value_hash(k) % n][k] = g
        return parts

    def local(self, delta: dict) -> dict:
        """The partial groups of ``delta`` when they are all this worker's own (one worker)."""
        return self.own(self.split(delta))

    def own(self, parts: list) -> dict:
        """The exchange's value when every part is this worker's own: its own part, merged."""
        return self.merge([parts[self.router.index]])

    def split_fusions(self, join_fold) -> list:
        """Ways, best first, to compute ``split`` from below the join it reads when ``join_fold`` (the
        JoinFold of the Aggregate reading this exchange) folds that join's pairs: each (absorbed,
        inputs, split) as Operator.fusions gives them (engine/shards/schedule.py takes the first that
        holds).  The pairs go straight into the partial groups, without the join's output Z-set:
        from the unarranged delta of one side, doing its Arrange too (``raw``), else from the two
        arranged deltas.  Law: a fold of the pairs is the fold of the join's output (combinable
        functions add up: codegen.join_fold), so the partial groups are those ``split`` makes."""
        join = join_fold.join if join_fold is not None else None
        if join is None or self.inputs[0] is not join:
            return []
        new = self.reducer.new

        def raw(side):
            def split(da, db):
                local: dict = {}
                delta, other = (da, db) if side == 0 else (db, da)
                if delta or other:
                    join_fold.fold_raw(side, local, delta, other, new)
                return self._route(local)
            return split

        def pairs(da, db):
            local: dict = {}
            if da or db:
                ia, ib = join_fold.indexes()
                join_fold.fold(local, da, db, ia, ib, 1, new)
            return self._route(local)

        return [([join] + more, inputs, pairs if side is None else raw(side)) for side, more, inputs in join_fold.ways()]

    def merge(self, parts: list) -> dict:
        """The partial groups every worker sent this one, added up per key (they are this worker's
        to change: split made them, or they were decoded for it)."""
        merged = None
        for part in parts:
            if not part:
                continue
            if merged is None:
                merged = part
                continue
            for k, g in part.items():
                mine = merged.get(k)
                if mine is None:
                    merged[k] = g
                else:
                    mine[0] += g[0]
                    add_state(mine[1], g[1], 1)
        return merged if merged is not None else {}

    def describe(self) -> str:
        return f"Exchange[partial aggregate {self.name}]" if self.name else "Exchange[partial aggregate, gather]"
