"""Change logs: files only ever added to, and a commit record saying how much of them counts.

A step's lines are appended to the log's text files and flushed to disk; then the commit record (for
each view the last step written and its columns, for each file its committed length) is replaced
atomically: written beside, fsynced, renamed over the old one, directory fsynced.  A crash leaves at
most an uncommitted tail, which the next open cuts off, so the files hold exactly the steps the record
names (the law in ``base``).  (The Parquet log writes whole files instead of lines, under the same
record: see its module.)  A log is created together with its record; a path that holds something
without one is not a change log, and is left alone.  The lines of a step are encoded before anything
is written: a value that cannot be written fails the step with the files untouched.
"""

from __future__ import annotations

import json
import os

from .base import Sink, SinkError, ViewSchema

RECORD_VERSION = 1


def fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_atomically(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a crash leaves either the old file or the new one."""
    tmp = f"{path}.tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(os.path.dirname(os.path.abspath(path)))


class ChangeLog(Sink):
    """A change log under one commit record.  A text format's module supplies the file a view's
    changes go to, the text a new file starts with, and the lines of one step."""

    def __init__(self, target: str, owned: str, record: str):
        super().__init__(target)
        self.owned = owned  # the file or directory this log owns
        self.record_path = record
        self._handles: dict = {}
        try:
            if os.path.exists(record):
                with open(record, encoding="utf-8") as f:
                    self.record = json.load(f)
                if self.record.get("version") != RECORD_VERSION:
                    raise SinkError(f"{target}: commit record {record} has version {self.record.get('version')}, "
                                    f"this deltasql writes version {RECORD_VERSION}")
                self._cut_uncommitted()
            else:
                if _holds_something(owned):
                    raise SinkError(f"{target}: {owned} is not a deltasql change log (it has no {record}); "
                                    f"sink to a new path")
                self._create()
                self.record = {"version": RECORD_VERSION, "views": {}, "files": {}}
                replace_atomically(record, self._record_bytes(self.record))
        except OSError as e:
            raise SinkError(f"{target}: open: {e}") from e
        except ValueError as e:
            raise SinkError(f"{target}: commit record {record} is damaged: {e}") from e

    # -- what a format module supplies ------------------------------------------------------------
    def _create(self) -> None:
        """Create what a new log needs before its record (a directory)."""

    def _file(self, view: ViewSchema) -> str:
        raise NotImplementedError

    def _header(self, view: ViewSchema) -> str:
        return ""

    def _lines(self, step: int, view: ViewSchema, changes: list) -> str:
        raise NotImplementedError

    def _leftovers(self) -> list[str]:
        """Files a crashed first write may have left that the record does not name."""
        return []

    # -- the Sink interface -----------------------------------------------------------------------
    def position(self, view: ViewSchema) -> int | None:
        rec = self.record["views"].get(view.name)
        if rec is None or rec["columns"] != view.signature():
            return None
        return rec["step"]

    def reset(self, step: int, view: ViewSchema, rows: dict) -> None:
        rec = self.record["views"].get(view.name)
        if rec is not None:
            raise SinkError(f"{self.target}: the log already holds view {view.name} (up to step {rec['step']}, "
                            f"columns {rec['columns']}); a change log is only appended to: to start over with "
                            f"columns {view.signature()}, sink to a new path")
        self._append(step, {view.name: view}, {view.name: list(rows.items())})

    def write(self, step: int, views: dict, changes: dict) -> None:
        for name in changes:  # (its query may have changed since, with the same columns: recorded anew)
            if name not in self.record["views"]:
                raise SinkError(f"{self.target}: view {name} was never reset into this log")
        self._append(step, views, changes)

    def close(self) -> None:
        for f in self._handles.values():
            f.close()
        self._handles.clear()

    # -- appending --------------------------------------------------------------------------------
    def _append(self, step: int, views: dict, changes: dict) -> None:
        texts: dict[str, list[str]] = {}
        try:
            for name, delta in changes.items():
                view = views[name]
                path = self._file(view)
                parts = texts.setdefault(path, [])
                if not parts and self.record["files"].get(self._key(path), 0) == 0:
                    parts.append(self._header(view))
                parts.append(self._lines(step, view, delta))
        except (TypeError, ValueError) as e:
            raise SinkError(f"{self.target}: step {step}: {e}") from e
        files = dict(self.record["files"])
        try:
            for path, parts in texts.items():
                data = "".join(parts).encode("utf-8")
                f = self._handle(path)
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
                files[self._key(path)] = files.get(self._key(path), 0) + len(data)
            record = {"version": RECORD_VERSION, "files": files,
                      "views": {**self.record["views"],
                                **{n: {"step": step, "columns": views[n].signature()} for n in changes}}}
            replace_atomically(self.record_path, self._record_bytes(record))
        except OSError as e:
            for path in texts:  # cut what this step wrote, so the next one appends at the committed end
                try:
                    self._handle(path).truncate(self.record["files"].get(self._key(path), 0))
                except OSError:
                    pass
            raise SinkError(f"{self.target}: step {step}: {e}") from e
        self.record = record

    def _key(self, path: str) -> str:
        """A file's name in the record: relative to the record's directory."""
        return os.path.relpath(path, os.path.dirname(os.path.abspath(self.record_path)))

    def _handle(self, path: str):
        f = self._handles.get(path)
        if f is None:
            f = self._handles[path] = open(path, "ab")
        return f

    def _cut_uncommitted(self) -> None:
        base = os.path.dirname(os.path.abspath(self.record_path))
        for key, size in self.record["files"].items():
            path = os.path.join(base, key)
            if os.path.getsize(path) > size:
                with open(path, "r+b") as f:
                    f.truncate(size)
                    os.fsync(f.fileno())
        for path in self._leftovers():
            if self._key(path) not in self.record["files"]:
                os.remove(path)

    @staticmethod
    def _record_bytes(record: dict) -> bytes:
        return (json.dumps(record, indent=1, sort_keys=True) + "\n").encode()


def _holds_something(path: str) -> bool:
    if os.path.isdir(path):
        return bool(os.listdir(path))
    return os.path.exists(path) and os.path.getsize(path) > 0


def safe_file_name(view: ViewSchema) -> str:
    """A view's name as a file name (refusing what could leave the directory)."""
    name = view.name
    if not name or name.startswith(".") or "/" in name or "\\" in name or "\0" in name:
        raise SinkError(f"view {name!r} cannot name a file of a change log")
    return name


def bookkeeping_names(view: ViewSchema) -> tuple[str, str]:
    """The names of the step and weight columns of a flat log: step and weight, with underscores in
    front while the view has a column of that name."""
    taken = {n.lower() for n in view.names}
    out = []
    for base in ("step", "weight"):
        name = base
        while name.lower() in taken:
            name = "_" + name
        out.append(name)
    return out[0], out[1]
