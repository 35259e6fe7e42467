"""Workers as processes of this machine (the standard library's multiprocessing, spawned: a worker
shares nothing with the coordinator but the DDL and rows it is sent).

Law: a worker reads its messages in the order they were written, so replies left unread by ``post``
are the first ones read at the next round, and a worker that died meanwhile is found there."""

from __future__ import annotations

import multiprocessing
import signal

from . import wire
from .backends import WorkerDied
from .worker import Worker


class PipeChannel:
    """A worker's end of its pipe; every message pickled (wire.py)."""

    encode = staticmethod(wire.dumps)
    decode = staticmethod(wire.loads)

    def __init__(self, conn):
        self.conn = conn

    def recv(self):
        return wire.loads(self.conn.recv_bytes())

    def send(self, msg) -> None:
        self.conn.send_bytes(wire.dumps(msg))


def worker_main(conn, index: int, workers: int, config: dict) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the coordinator's to handle
    try:
        Worker(index, workers, PipeChannel(conn), own_process=True, **config).serve()
    except (EOFError, OSError):  # the coordinator closed the pipe (it stopped): nothing left to do
        pass


class Processes:
    def __init__(self, workers: int, config: dict, context: str = "spawn"):
        ctx = multiprocessing.get_context(context)
        self.conns, self.procs = [], []
        self.owed = [False] * workers  # a reply to a posted message not read yet (``post``)
        for i in range(workers):
            parent, child = ctx.Pipe()
            p = ctx.Process(target=worker_main, args=(child, i, workers, config), daemon=True,
                            name=f"deltasql-worker-{i}")
            p.start()
            child.close()
            self.conns.append(parent)
            self.procs.append(p)

    def _died(self, i: int) -> WorkerDied:
        p = self.procs[i]
        p.join(1)
        code = p.exitcode
        how = f"killed by signal {-code}" if code is not None and code < 0 else \
            f"exit status {code}" if code is not None else "its pipe closed"
        return WorkerDied(i, f"process {p.pid} ({how})")

    def round(self, msgs: list, meanwhile=None) -> list:
        """Every worker's reply; a dead worker is raised only after every other one got its message
        (a "go" reaches every survivor) and answered."""
        self._settle()
        sent = self._send(msgs)
        dead = next((i for i, m in enumerate(msgs) if m is not None and not sent[i]), None)
        if meanwhile is not None:
            meanwhile()
        replies = [None] * len(msgs)
        for i in range(len(msgs)):
            if sent[i]:
                try:
                    replies[i] = wire.loads(self.conns[i].recv_bytes())
                except (EOFError, ConnectionResetError, OSError):
                    dead = i if dead is None else dead
        if dead is not None:
            raise self._died(dead)
        return replies

    def post(self, msgs: list) -> None:
        """Send each worker its message and return at once: the replies are read (and must be
        ("done", None)) when the next round begins.  For a command's last round, whose replies say
        nothing but that it ended: the coordinator goes on while the workers finish (collecting),
        instead of waiting for a core to read "done" with both of them busy (2 workers on 2 cores).  A
        worker that died is raised as ``round`` does, now if its pipe is closed, else at the next
        round."""
        self._settle()
        self.owed = self._send(msgs)
        dead = next((i for i, m in enumerate(msgs) if m is not None and not self.owed[i]), None)
        if dead is not None:
            raise self._died(dead)

    def _settle(self) -> None:
        """Read the replies ``post`` left unread."""
        for i, owed in enumerate(self.owed):
            if owed:
                self.owed[i] = False
                try:
                    reply = wire.loads(self.conns[i].recv_bytes())
                except (EOFError, ConnectionResetError, OSError):
                    raise self._died(i) from None
                if reply[0] != "done":
                    detail = reply[1][0] if reply[0] == "error" else reply[0]
                    raise WorkerDied(i, f"it failed after the last step was committed ({detail})")

    def _send(self, msgs: list) -> list:
        """Send each worker its message (None: none); for each worker, whether one was sent (False
        too where its pipe is closed)."""
        sent = [False] * len(msgs)
        # every message pickled before any is sent: a step's parts reach the workers together (worker 1
        # does not wait while worker 0's part is written and its own is pickled), so they meet at the
        # exchanges without one idling for the other
        blobs = [wire.dumps(m) if m is not None else None for m in msgs]
        for i, m in enumerate(blobs):
            if m is not None:
                try:
                    self.conns[i].send_bytes(m)
                    sent[i] = True
                except (BrokenPipeError, ConnectionResetError, OSError):
                    pass
        return sent

    def close(self) -> None:
        for conn, p in zip(self.conns, self.procs):
            if p.is_alive():
                try:
                    conn.send_bytes(wire.dumps(("stop",)))
                except OSError:
                    pass
            conn.close()  # a worker stopped in the middle of a command reads the stop, then EOF
        for _conn, p in zip(self.conns, self.procs):
            p.join(5)
            if p.is_alive():
                p.kill()
                p.join(5)
