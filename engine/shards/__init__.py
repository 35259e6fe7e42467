"""Sharded execution: one pipeline's circuit run by several workers, each on a shard of the data.

    p = Pipeline(workers=4, backend="processes")    # or "simulated", "threads", "ray"

Every worker runs the whole circuit on its shard; the compiler put an Exchange before every stateful
operator (runtime/operators/exchange.py), where rows move to the worker owning their key
(runtime/hashing.py); a step ends when every worker has finished it, and a fixpoint when no worker
has changes left.  cluster.py is the coordinator's side, worker.py a worker's, backends.py where
workers run, wire.py how rows travel, staging.py how a bulk insert's rows are checked by the workers.
"""

from .backends import BACKENDS, WorkerDied
from ..failures import ShardsStopped, StoppedAfterCommit
from .cluster import Cluster

__all__ = ["BACKENDS", "Cluster", "ShardsStopped", "StoppedAfterCommit", "WorkerDied"]
