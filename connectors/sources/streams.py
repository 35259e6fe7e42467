"""Plain streams: JSON-lines changes on standard input (or any pipe) as they arrive, and a directory
where each new CSV, JSON-lines or Parquet file is one step.

Standard input (``StreamSource``): each line a change in deltasql's JSON-lines form (or Feldera's, or
a Debezium envelope; see messages.py).  Lines are read as soon as they arrive, so the source composes
with ``tail -f``; a stream that uses ``{"commit": true}`` lines has each run of lines up to one applied
as one step, and nothing of it before its commit line arrives.  It is done at end of input.  A pipe
has no position to resume from.

A directory (``DirectorySource``): files are taken in name order, the ones already there first, each
one step: ``NAME.csv`` and ``X.NAME.csv`` (a header row naming columns) and ``*.parquet`` insert into
the table NAME, ``*.jsonl`` holds changes as above.  Names starting with ``.`` or ``_`` are skipped,
and a file is taken only once its size and modification time have stayed the same for one poll, so a
writer may write in place (or better, write elsewhere and rename the file in).  The position is the
last file name taken: a durable pipeline resumes after it.  Without ``follow`` the source is done
once the files present at the start are taken.
"""

from __future__ import annotations

import csv
import io
import os
import select
import sys
import time

from .base import Assembler, Batch, Source, SourceError
from .follow import recorded
from .messages import loads, read_json

META_FILE = "directory.file"
EXTENSIONS = (".csv", ".jsonl", ".parquet")


class StreamSource(Source):
    """JSON-lines changes from a byte stream (standard input by default), read as they arrive."""

    kind = "stdin"

    def __init__(self, stream=None, name: str = "<stdin>"):
        self.stream = stream if stream is not None else sys.stdin.buffer
        self.name = name
        self.buf = b""
        self.lineno = 0
        self.ready: list[Batch] = []
        self._done = False
        self.asm = None

    def open(self, pipeline) -> None:
        self.asm = Assembler(pipeline)
        try:
            self.fd = self.stream.fileno()
        except (AttributeError, OSError, io.UnsupportedOperation):
            self.fd = None  # an in-memory stream: read it line by line

    @property
    def done(self) -> bool:
        return self._done and not self.ready

    def read(self, timeout: float) -> Batch | None:
        deadline = time.monotonic() + timeout
        while not self.ready and not self._done:
            data = self._chunk(max(deadline - time.monotonic(), 0))
            if data is None:
                break  # nothing arrived in time
            if not data:
                self._lines(self.buf + b"\n" if self.buf else b"")
                self.buf = b""
                self.ready += self.asm.finish(time=time.time())
                self._done = True
                break
            self._lines(data)
        return self.ready.pop(0) if self.ready else None

    def _chunk(self, timeout: float) -> bytes | None:
        if self.fd is None:
            return self.stream.readline()
        if not select.select([self.fd], [], [], timeout)[0]:
            return None
        return os.read(self.fd, 1 << 16)

    def _lines(self, data: bytes) -> None:
        lines = (self.buf + data).split(b"\n")
        self.buf = lines.pop()
        for line in lines:
            self.lineno += 1
            if not line.strip():
                continue
            where = f"{self.name}:{self.lineno}"
            try:
                changes = read_json(loads(line), None)
            except ValueError as e:
                raise SourceError(f"{where}: {e}") from None
            self.ready += self.asm.feed(changes, where, time=time.time())


class DirectorySource(Source):
    """Each new file of a directory, in name order, as one step (see the module docstring)."""

    kind = "directory"
    groups = False  # each file is a step of its own

    def __init__(self, path: str, follow: bool = True, poll: float = 0.5):
        self.path = path
        self.following = follow
        self.poll = poll
        self.last = ""  # the last file taken
        self.seen: dict = {}  # name -> (size, mtime) at the last look
        self.initial: set | None = None
        self.next_look = 0.0
        self.p = None

    def open(self, pipeline) -> None:
        if not os.path.isdir(self.path):
            raise SourceError(f"{self.path}: not a directory")
        self.p = pipeline
        self.last = recorded(pipeline, META_FILE) or ""
        self.initial = set(self._names())

    def _names(self) -> list[str]:
        return sorted(n for n in os.listdir(self.path)
                      if n.endswith(EXTENSIONS) and not n.startswith((".", "_")) and n > self.last)

    @property
    def done(self) -> bool:
        return not self.following and not self.initial

    def read(self, timeout: float) -> Batch | None:
        deadline = time.monotonic() + timeout
        while True:
            name = self._settled()
            if name is not None:
                self.last = name
                if self.initial is not None:
                    self.initial.discard(name)
                return self._file(name)
            if self.done or time.monotonic() >= deadline:
                return None
            time.sleep(min(self.poll, max(deadline - time.monotonic(), 0)))

    def _settled(self) -> str | None:
        """The first file (in name order) whose size and mtime did not change since the last look."""
        now = time.monotonic()
        if now < self.next_look:
            return None
        self.next_look = now + self.poll
        for name in self._names():
            try:
                st = os.stat(os.path.join(self.path, name))
            except FileNotFoundError:
                continue
            sig = (st.st_size, st.st_mtime_ns)
            if name in self.initial or self.seen.get(name) == sig:
                self.seen.pop(name, None)
                self.next_look = 0.0  # look again at once for the next one
                return name
            self.seen[name] = sig
            return None  # files are taken in order: wait for this one
        return None

    def _file(self, name: str) -> Batch:
        path = os.path.join(self.path, name)
        asm = Assembler(self.p, transactional=True)
        try:
            if name.endswith(".jsonl"):
                with open(path, encoding="utf-8") as f:
                    for lineno, line in enumerate(f, 1):
                        if line.strip():
                            changes = [c for c in read_json(loads(line), None) if c[0] != "commit"]
                            asm.feed(changes, f"{path}:{lineno}")
            else:
                table = name.rsplit(".", 2)[-2]
                for lineno, row in _table_rows(path):
                    asm.feed([("insert", table, row)], f"{path}:{lineno}")
        except (ValueError, OSError) as e:
            raise SourceError(f"{path}: {e}") from None
        batches = asm.finish({META_FILE: name}, os.stat(path).st_mtime)
        return batches[0] if batches else Batch({}, {META_FILE: name}, 0, None, path)


def _table_rows(path: str):
    """(line, row by column name) of a CSV file with a header, or of a Parquet file."""
    if path.endswith(".parquet"):
        try:
            import duckdb
        except ImportError:
            raise ValueError("reading Parquet needs DuckDB: pip install 'deltasql[check]'") from None
        rel = duckdb.connect().read_parquet(path)
        cols = rel.columns
        for i, values in enumerate(rel.fetchall(), 1):
            yield i, dict(zip(cols, values))
        return
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = [h.strip() for h in next(reader, [])]
        if not header:
            raise ValueError("a CSV file needs a header row naming the columns")
        for record in reader:
            if record:
                if len(record) != len(header):
                    raise ValueError(f"line {reader.line_num}: {len(record)} fields, but the header has {len(header)}")
                yield reader.line_num, {h: (v if v != "" else None) for h, v in zip(header, record)}
