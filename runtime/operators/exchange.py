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

from ..circuit import Operator


class Exchange(Operator):
    linear = True
    idle_noop = False

    def __init__(self, source: Operator, route=None, name: str = ""):
        super().__init__(source)
        self.route = route  # (delta, workers, me) -> [delta for each worker]; None: all to worker 0
        self.name = name
        self.router = None  # a sharded worker's (engine/shards/worker.py); None: one worker

    def eval(self, delta: dict) -> dict:
        if self.router is None:
            return delta
        return self.router.exchange([(self, self.split(delta))])[0]

    def identity(self) -> bool:
        return self.router is None

    def split(self, delta: dict) -> list:
        """The delta cut into one part per worker of the router (the part of each key's owner)."""
        n = self.router.workers
        if self.route is None:
            parts = [{} for _ in range(n)]
            parts[0] = delta
            return parts
        return self.route(delta, n, self.router.index)

    def describe(self) -> str:
        return f"Exchange[{self.name}]" if self.name else "Exchange[gather]"
