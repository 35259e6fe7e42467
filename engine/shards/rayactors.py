"""Workers as Ray actors (``pip install 'deltasql[ray]'``): one actor per worker, on a local Ray
(started with ``ray.init()`` when none is running) or on the cluster at ``address``.

An actor hosts the same Worker program as a process does, in a thread of its own: a round is one
call of the actor's ``resume(message) -> reply`` (messages pickled as wire.py does), so the
coordinator's rounds are Ray calls to every actor at once, then ``ray.get`` of all the replies.
Every machine of the cluster needs deltasql installed (the same version as the coordinator's).
"""

from __future__ import annotations

import threading

from . import wire
from .backends import QueueChannel, WorkerDied, _serve
from .worker import Worker


class RayWorker:
    """The actor: a Worker serving in a thread, fed one message per ``resume``."""

    def __init__(self, index: int, workers: int, config: dict):
        self.channel = QueueChannel(pickled=True)
        worker = Worker(index, workers, self.channel, own_process=True, **config)
        self.thread = threading.Thread(target=_serve, args=(worker, self.channel), daemon=True)
        self.thread.start()

    def resume(self, data: bytes) -> bytes:
        self.channel.inbox.put(wire.loads(data))
        return wire.dumps(self.channel.outbox.get())


class RayWorkers:
    def __init__(self, workers: int, config: dict, address: str | None = None):
        try:
            import ray
        except ImportError:
            raise ImportError("the ray backend needs Ray: pip install 'deltasql[ray]'") from None
        self.ray = ray
        if not ray.is_initialized():
            if address is None:
                ray.init(include_dashboard=False, logging_level="ERROR", log_to_driver=False)
            else:
                ray.init(address=address, logging_level="ERROR")
        actor = ray.remote(num_cpus=0)(RayWorker)
        self.actors = [actor.options(name=None).remote(i, workers, config) for i in range(workers)]

    def round(self, msgs: list, meanwhile=None) -> list:
        ray = self.ray
        refs = [(i, a.resume.remote(wire.dumps(m))) for i, (a, m) in enumerate(zip(self.actors, msgs))
                if m is not None]
        if meanwhile is not None:
            meanwhile()
        replies = [None] * len(msgs)
        for i, ref in refs:
            try:
                reply = wire.loads(ray.get(ref))
            except ray.exceptions.RayActorError as e:
                raise WorkerDied(i, f"Ray actor lost ({type(e).__name__}: {str(e).splitlines()[0]})") from None
            if reply[0] == "dead":
                raise WorkerDied(i, reply[1])
            replies[i] = reply
        return replies

    def close(self) -> None:
        for a in self.actors:
            try:
                self.ray.kill(a)
            except Exception:  # noqa: BLE001 - already gone
                pass
        self.actors = []
