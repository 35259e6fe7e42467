"""Where workers run, behind one interface: ``round(messages, meanwhile)`` sends each worker its message
(None: none), calls ``meanwhile()`` (if given) while they work, and returns each one's reply;
``close()`` stops them.  ``meanwhile`` must not raise (the replies would be left unread).  A backend may
also have ``post(messages)``: send, and read the replies (which must say "done") when the next round
begins.

- ``simulated``: threads of this process taking turns (one worker runs at a time, in order), the
  batches they exchange pickled as between processes: deterministic, for tests and debugging.
- ``threads``: threads of this process running at once, batches passed as objects.
- ``processes``: the standard library's multiprocessing (spawned processes, one pipe each).
- ``ray``: Ray actors (``pip install 'deltasql[ray]'``), on a local Ray started with ``ray.init()``
  or on the cluster at ``address``.
Each worker process builds its own circuit from the DDL it is sent (engine/shards/worker.py).
"""

from __future__ import annotations

import queue
import threading
import traceback

from . import wire
from .worker import Worker

BACKENDS = ("simulated", "threads", "processes", "ray")


class WorkerDied(RuntimeError):
    """A worker stopped answering (its process died or its thread failed)."""

    def __init__(self, index: int, detail: str):
        self.index = index
        super().__init__(f"worker {index} died: {detail}")


def _identity(x):
    return x


class QueueChannel:
    """A worker's end of an in-process channel: two queues."""

    def __init__(self, pickled: bool):
        self.inbox: queue.SimpleQueue = queue.SimpleQueue()
        self.outbox: queue.SimpleQueue = queue.SimpleQueue()
        self.encode = wire.dumps if pickled else _identity
        self.decode = wire.loads if pickled else _identity

    def recv(self):
        return self.inbox.get()

    def send(self, msg) -> None:
        self.outbox.put(msg)


def _serve(worker: Worker, channel) -> None:
    try:
        worker.serve()
    except BaseException:  # noqa: BLE001 - the coordinator must hear of it, not wait forever
        channel.send(("dead", traceback.format_exc()))


class InProcess:
    """Workers as threads; ``concurrent`` False runs them one at a time (simulated)."""

    def __init__(self, workers: int, config: dict, concurrent: bool):
        self.concurrent = concurrent
        self.channels = [QueueChannel(pickled=not concurrent) for _ in range(workers)]
        self.threads = []
        self.workers = []  # (for tests and debugging: the workers themselves)
        for i, ch in enumerate(self.channels):
            w = Worker(i, workers, ch, **config)
            self.workers.append(w)
            t = threading.Thread(target=_serve, args=(w, ch), daemon=True, name=f"deltasql-worker-{i}")
            t.start()
            self.threads.append(t)

    def _reply(self, i: int):
        reply = self.channels[i].outbox.get()
        if reply[0] == "dead":
            raise WorkerDied(i, reply[1])
        return reply

    def round(self, msgs: list, meanwhile=None) -> list:
        replies = [None] * len(msgs)
        if self.concurrent:
            for ch, m in zip(self.channels, msgs):
                if m is not None:
                    ch.inbox.put(m)
            if meanwhile is not None:
                meanwhile()
            for i, m in enumerate(msgs):
                if m is not None:
                    replies[i] = self._reply(i)
        else:
            if meanwhile is not None:  # (the workers run one at a time, when their message is put)
                meanwhile()
            for i, (ch, m) in enumerate(zip(self.channels, msgs)):
                if m is not None:
                    ch.inbox.put(m)
                    replies[i] = self._reply(i)
        return replies

    def close(self) -> None:
        for ch, t in zip(self.channels, self.threads):
            if t.is_alive():
                ch.inbox.put(("stop",))
        for t in self.threads:
            t.join(5)


def open_backend(name: str, workers: int, config: dict, address: str | None = None):
    if name in ("simulated", "threads"):
        return InProcess(workers, config, concurrent=name == "threads")
    if name == "processes":
        from .processes import Processes
        return Processes(workers, config)
    if name == "ray":
        from .rayactors import RayWorkers
        return RayWorkers(workers, config, address)
    raise ValueError(f"unknown backend {name!r}: one of {', '.join(BACKENDS)}")
