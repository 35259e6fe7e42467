"""The state file of a durable pipeline: one SQLite database, written through Python's sqlite3.

    meta         key -> value: what the file is, its format version, who created it, the dialect
    scripts      id -> the text of a SQL script that held DDL (stored once, however many statements)
    ddl          seq -> (after_step, script, statement index): every DDL statement that took effect,
                 in order.  Never truncated: the circuit is rebuilt from it.
    journal      step -> that step's input changes {table: {row: weight}}, pickled, with a CRC-32
    checkpoints  the last checkpoint: its step, the DDL it includes, the fingerprint of the circuit it
                 was taken from, and (in checkpoint_chunks) a pickle of the whole state
    positions    key -> a small value committed with a step (a source's offset: ``p.meta(key)``)
    retained     (view, consumer) -> since, floor: views whose deltas are kept for a sink
    outbox       (view, step) -> a retained view's delta at that step, pickled

Laws (what recovery relies on):
- A step is durable once ``commit_step`` returns: its journal row, its positions and its retained
  views' deltas are one SQLite transaction (WAL mode).  ``durability="full"`` syncs it to disk
  before returning (synchronous=FULL); ``"group"`` commits without syncing (synchronous=NORMAL) and a
  timer syncs the WAL file at most ``group_interval`` seconds after a commit, so a power loss may drop
  the steps of that last interval but never tears one (SQLite's WAL frames are checksummed), and a
  process crash loses nothing in either mode (the OS has the writes).
- A checkpoint, the journal rows behind it and the previous checkpoint's deletion are one
  transaction: a crash during a checkpoint leaves the previous checkpoint and the whole journal.
- State at step n = the last checkpoint (at step c <= n) + journal rows c+1..n, with the DDL whose
  after_step falls in between replayed in order.  Every blob's CRC-32 is checked before it is used.
- A file that is not a deltasql state file of this format version is refused before anything is
  written to it; a new file is built under a temporary name and linked into place complete.
- The file is opened with an exclusive lock: a second process cannot open it while one has it.

Pickle executes what it reads: open only state files you (or your pipelines) wrote.
"""

from __future__ import annotations

import gc
import io
import json
import math
import os
import pickle
import re
import sqlite3
import struct
import threading
import time
import zlib
from dataclasses import dataclass

from ..sqllib.errors import DataError
from .collector import collector_paused

FORMAT = 1  # bump on any change to the schema or to what the blobs hold
APPLICATION = "deltasql state"
DURABILITY = ("full", "group")
CHUNK = 4 << 20  # bytes per checkpoint chunk (SQLite blobs are limited to 1 GB each)
_HEADER = b"SQLite format 3\x00"

SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE scripts(id TEXT PRIMARY KEY, sql TEXT NOT NULL);
CREATE TABLE ddl(seq INTEGER PRIMARY KEY, after_step INTEGER NOT NULL, script TEXT NOT NULL,
                 statement INTEGER NOT NULL);
CREATE TABLE journal(step INTEGER PRIMARY KEY, data BLOB NOT NULL, crc INTEGER NOT NULL);
CREATE TABLE checkpoints(id INTEGER PRIMARY KEY, step INTEGER NOT NULL, ddl_seq INTEGER NOT NULL,
                         fingerprint TEXT NOT NULL, version TEXT NOT NULL, size INTEGER NOT NULL,
                         crc INTEGER NOT NULL, chunks INTEGER NOT NULL, seconds REAL NOT NULL,
                         created REAL NOT NULL);
CREATE TABLE checkpoint_chunks(id INTEGER NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL,
                               PRIMARY KEY(id, n));
CREATE TABLE positions(key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE retained(view TEXT NOT NULL, consumer TEXT NOT NULL, since INTEGER NOT NULL,
                      floor INTEGER NOT NULL, PRIMARY KEY(view, consumer));
CREATE TABLE outbox(view TEXT NOT NULL, step INTEGER NOT NULL, data BLOB NOT NULL, crc INTEGER NOT NULL,
                    PRIMARY KEY(view, step)) WITHOUT ROWID;
"""


class StorageError(DataError):
    """A state file that cannot be used (not one, another version, corrupt, locked, not writable),
    or a write to it that failed.  Raised before anything is written to a file that is refused."""


@dataclass
class Checkpoint:
    step: int
    ddl_seq: int
    fingerprint: str
    version: str  # of the deltasql that wrote it
    size: int  # bytes of pickled state
    seconds: float  # how long writing it took
    created: float  # time.time() when it was written


@dataclass
class DDLEntry:
    seq: int
    after_step: int  # the number of steps committed when it ran
    sql: str  # the whole script it came from
    statement: int  # its index among the script's statements


def dumps(value) -> bytes:
    return pickle.dumps(value, protocol=5)


# A float in a pickle is its value ("G" and 8 big-endian bytes), so a NaN comes back as a new float object;
# but SQL's one NaN is one object (math.nan, sqllib.numbers.NAN): dicts find a row holding NaN only by
# identity, and a tuple's hash takes a NaN's id.  A blob that may hold a NaN (exponent bits all ones
# after a "G": infinities match too) is read by an unpickler that gives every NaN as math.nan.
_MAYBE_NAN = re.compile(rb"G[\x7f\xff][\xf0-\xff]")


class _OneNaN(pickle._Unpickler):  # the pure-Python unpickler: slow, used only for such blobs
    dispatch = dict(pickle._Unpickler.dispatch)

    def load_binfloat(self):
        x = struct.unpack(">d", self.read(8))[0]
        self.append(x if x == x else math.nan)

    dispatch[pickle.BINFLOAT[0]] = load_binfloat


def loads(data: bytes):
    """Unpickle a blob ``dumps`` wrote, every NaN in it as math.nan."""
    for m in _MAYBE_NAN.finditer(data):
        x = data[m.start() + 1:m.start() + 9]
        if len(x) == 8 and x[1:] != b"\xf0\x00\x00\x00\x00\x00\x00":  # not an infinity: a NaN (or a string's bytes)
            return _OneNaN(io.BytesIO(data)).load()
    return pickle.loads(data)


class Store:
    """An open state file.  ``Store.open(path)`` creates or opens it; every write method commits."""

    def __init__(self, conn: sqlite3.Connection, path: str, durability: str, group_interval: float):
        self.conn = conn
        self.path = path
        self.durability = durability
        self.group_interval = group_interval
        self._sync_timer: threading.Timer | None = None
        self._failed: str | None = None
        rows = conn.execute("SELECT key, value FROM meta").fetchall()
        self.meta = {k: json.loads(v) for k, v in rows}
        self.positions = {k: loads(v) for k, v in conn.execute("SELECT key, value FROM positions")}
        self.retained: dict = {}  # view -> {consumer: [since, floor]}
        for view, consumer, since, floor in conn.execute("SELECT view, consumer, since, floor FROM retained"):
            self.retained.setdefault(view, {})[consumer] = [since, floor]
        self.checkpoint = self._checkpoint_row()
        last = conn.execute("SELECT MAX(step) FROM journal").fetchone()[0]
        self.last_step = max(last or 0, self.checkpoint.step if self.checkpoint else 0)

    # -- opening ------------------------------------------------------------------------------------
    @classmethod
    def open(cls, path, options: dict, durability: str = "full", group_interval: float = 0.2) -> "Store":
        """Open the state file at ``path``, creating it (with ``options`` recorded in its meta) if
        there is none.  Refuses, with nothing written, a file that is not a deltasql state file of
        this format."""
        if durability not in DURABILITY:
            raise StorageError(f"durability must be one of {', '.join(DURABILITY)}, not {durability!r}")
        path = os.fspath(path)
        _remove_stale_temporaries(path)
        if not os.path.lexists(path):
            _create(path, options)
        _check_header(path)
        try:
            # the lock is exclusive for as long as a pipeline has the file open: waiting is pointless
            conn = sqlite3.connect(f"file:{_uri(path)}?mode=rw", uri=True, isolation_level=None,
                                   check_same_thread=False, timeout=0.2)
        except sqlite3.Error as e:
            raise StorageError(f"cannot open {path}: {e}") from None
        try:
            _check_contents(conn, path)
            # exclusive: the lock taken by the first write below is kept until close
            conn.execute("PRAGMA locking_mode=EXCLUSIVE")
            conn.execute("PRAGMA synchronous=FULL" if durability == "full" else "PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA journal_size_limit=67108864")  # the WAL shrinks back after a big checkpoint
            _write_lock(conn, path)
            return cls(conn, path, durability, group_interval)
        except BaseException:
            conn.close()
            raise

    def close(self) -> None:
        if self._sync_timer is not None:
            self._sync_timer.cancel()
            self._sync_timer = None
        if self.conn is not None:
            try:
                self.conn.close()  # (checkpoints the WAL into the database file and syncs it)
            finally:
                self.conn = None

    def _schedule_sync(self) -> None:
        """Group commit: sync the WAL file ``group_interval`` seconds from now, unless already planned.
        The timer thread only fsyncs the file; it never touches the SQLite connection."""
        timer = self._sync_timer
        if timer is not None and timer.is_alive():
            return
        timer = threading.Timer(self.group_interval, _fsync_file, (self.path + "-wal",))
        timer.daemon = True
        timer.start()
        self._sync_timer = timer

    # -- transactions ---------------------------------------------------------------------------------
    def _transaction(self, what: str, write) -> None:
        """Run ``write(conn)`` in one transaction and commit it (synced as the durability mode says).
        A failure before the commit rolls the transaction back (SQLite rolls back some, a full disk
        for one, by itself) and leaves the file as it was.  A failing COMMIT leaves its outcome
        unknown: the store then refuses further writes (reopening recovers what was committed)."""
        if self._failed is not None:
            raise StorageError(f"{self.path}: an earlier write failed ({self._failed}); reopen the pipeline")
        if self.conn is None:
            raise StorageError(f"{self.path} is closed")
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                write(conn)
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as e:
            if conn.in_transaction:  # not even rolled back
                self._failed = f"{what}: {e}"
            raise StorageError(f"{self.path}: could not write {what}: {e}") from None
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as e:
            self._failed = f"{what}: {e}"
            raise StorageError(f"{self.path}: could not commit {what}: {e}") from None
        if self.durability == "group":
            self._schedule_sync()

    def fail(self, reason: str) -> None:
        """Refuse every further write: what is in memory no longer matches the file."""
        self._failed = reason

    @property
    def usable(self) -> bool:
        return self.conn is not None and self._failed is None

    def set_meta(self, key: str, value) -> None:
        self._transaction("meta", lambda c: c.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                                                      (key, json.dumps(value))))
        self.meta[key] = value

    # -- DDL ------------------------------------------------------------------------------------------
    def add_ddl(self, sql: str, statement: int, after_step: int) -> None:
        """Record a DDL statement that took effect (the ``statement``-th of script ``sql``)."""
        script = _script_id(sql)

        def write(c):
            c.execute("INSERT OR IGNORE INTO scripts VALUES (?, ?)", (script, sql))
            c.execute("INSERT INTO ddl(after_step, script, statement) VALUES (?, ?, ?)",
                      (after_step, script, statement))

        self._transaction("DDL", write)

    def ddl(self) -> list[DDLEntry]:
        rows = self._rows("the DDL", "SELECT d.seq, d.after_step, s.sql, d.statement FROM ddl d JOIN scripts s "
                                     "ON s.id = d.script ORDER BY d.seq")
        return [DDLEntry(*r) for r in rows]

    def ddl_count(self) -> int:
        return self.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM ddl").fetchone()[0]

    # -- steps ----------------------------------------------------------------------------------------
    def commit_step(self, step: int, changes: dict, positions: dict | None = None,
                    outbox: dict | None = None) -> None:
        """Make step ``step`` durable: its input changes ({table: Z-set}), the source positions given
        with it and the deltas ({view: [(row, weight), ...]}) of retained views, in one transaction."""
        if step != self.last_step + 1:
            raise StorageError(f"{self.path}: step {step} follows step {self.last_step}")
        data = dumps(changes)
        pos = [(k, dumps(v)) for k, v in positions.items()] if positions else ()
        out = [(v, step, d, zlib.crc32(d)) for v, d in ((v, dumps(delta)) for v, delta in outbox.items())] \
            if outbox else ()

        def write(c):
            c.execute("INSERT INTO journal VALUES (?, ?, ?)", (step, data, zlib.crc32(data)))
            if pos:
                c.executemany("INSERT OR REPLACE INTO positions VALUES (?, ?)", pos)
            if out:
                c.executemany("INSERT INTO outbox VALUES (?, ?, ?, ?)", out)

        self._transaction(f"step {step}", write)
        self.last_step = step
        if positions:
            self.positions.update(positions)

    def journal_after(self, step: int):
        """(step, changes) for every journaled step after ``step``, in order."""
        query = "SELECT step, data, crc FROM journal WHERE step > ? ORDER BY step"
        for n, data, crc in self._rows("the journal", query, (step,)):
            yield n, self._load(data, crc, f"journal record of step {n}")

    def _rows(self, what: str, query: str, args=()):
        """The rows of a query, SQLite's complaints about a damaged file turned into StorageError."""
        try:
            cur = self.conn.execute(query, args)
            while True:
                rows = cur.fetchmany(64)
                if not rows:
                    return
                yield from rows
        except sqlite3.DatabaseError as e:
            raise StorageError(f"{self.path} is corrupt: {what} cannot be read ({e})") from None

    def _load(self, data: bytes, crc: int, what: str):
        if not isinstance(data, bytes) or zlib.crc32(data) != crc:
            raise StorageError(f"{self.path} is corrupt: the {what} fails its checksum")
        try:
            return loads(data)
        except Exception as e:
            raise StorageError(f"{self.path} is corrupt: the {what} cannot be read ({e})") from None

    # -- checkpoints ----------------------------------------------------------------------------------
    def write_checkpoint(self, step: int, ddl_seq: int, fingerprint: str, version: str, state) -> Checkpoint:
        """Store ``state`` (pickled, streamed in chunks) as the checkpoint at ``step``, replacing the
        previous one, and drop the journal rows it covers; all in one transaction."""
        started = time.perf_counter()
        old = self.checkpoint
        new_id = self.conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM checkpoints").fetchone()[0]
        result = {}

        def write(c):
            out = _ChunkWriter(c, new_id)
            pickle.Pickler(out, protocol=5).dump(state)
            out.close()
            seconds = time.perf_counter() - started
            now = time.time()
            c.execute("INSERT INTO checkpoints VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      (new_id, step, ddl_seq, fingerprint, version, out.size, out.crc, out.chunks, seconds, now))
            c.execute("DELETE FROM checkpoint_chunks WHERE id < ?", (new_id,))
            c.execute("DELETE FROM checkpoints WHERE id < ?", (new_id,))
            c.execute("DELETE FROM journal WHERE step <= ?", (step,))
            result["cp"] = Checkpoint(step, ddl_seq, fingerprint, version, out.size, seconds, now)

        self._transaction(f"the checkpoint of step {step}", write)
        self.checkpoint = result["cp"]
        if old is None or old.size > 4 * CHUNK:  # give the WAL back now rather than at the next commit
            try:
                self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error:
                pass
        return self.checkpoint

    def _checkpoint_row(self) -> Checkpoint | None:
        row = self.conn.execute("SELECT step, ddl_seq, fingerprint, version, size, seconds, created "
                                "FROM checkpoints ORDER BY id DESC LIMIT 1").fetchone()
        return Checkpoint(*row) if row else None

    def read_checkpoint(self):
        """The last checkpoint's state, its checksum verified first; None if there is none."""
        row = self.conn.execute("SELECT id, size, crc, chunks FROM checkpoints ORDER BY id DESC LIMIT 1").fetchone()
        if row is None:
            return None
        cid, size, crc, chunks = row
        what = f"checkpoint of step {self.checkpoint.step}"
        try:
            # the pickle whole in memory (it is much smaller than the objects it makes): loads() from
            # bytes is faster than an Unpickler pulling frames from a stream
            parts = [data for (data,) in self.conn.execute("SELECT data FROM checkpoint_chunks WHERE id = ? "
                                                           "ORDER BY n", (cid,))]
            got_crc = 0
            for data in parts:
                got_crc = zlib.crc32(data, got_crc) if isinstance(data, bytes) else -1
            blob = b"".join(parts) if got_crc >= 0 else b""
            del parts
            if (got_crc, len(blob)) != (crc, size):
                raise StorageError(f"{self.path} is corrupt: the {what} fails its checksum")
            with collector_paused():  # millions of new tuples would trigger collections that find no garbage
                state = loads(blob)
            # the young-generation pass over them (which untracks the tuples) now, not in the next step
            gc.collect(1)
            return state
        except sqlite3.DatabaseError as e:
            raise StorageError(f"{self.path} is corrupt: the {what} cannot be read ({e})") from None
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError, TypeError) as e:
            raise StorageError(f"{self.path}: the {what} cannot be read ({type(e).__name__}: {e})") from None

    # -- positions ------------------------------------------------------------------------------------
    def position(self, key: str, default=None):
        return self.positions.get(key, default)

    # -- retained views (the outbox for sinks) ---------------------------------------------------------
    def retain(self, view: str, consumer: str = "", floor: int | None = None) -> None:
        """Keep ``view``'s deltas for ``consumer`` from the next step on; ``floor`` (a step) says the
        consumer has what it needs up to that step, so deltas at steps <= floor may be dropped."""
        current = self.retained.get(view, {}).get(consumer)
        since, old_floor = current if current is not None else (self.last_step, self.last_step)
        if floor is not None and floor > self.last_step:
            raise StorageError(f"retain({view!r}): floor {floor} is after the last step {self.last_step}")
        new_floor = max(old_floor, floor if floor is not None else old_floor)

        def write(c):
            c.execute("INSERT OR REPLACE INTO retained VALUES (?, ?, ?, ?)", (view, consumer, since, new_floor))
            self._prune(c, view, {**self.retained.get(view, {}), consumer: [since, new_floor]})

        self._transaction(f"the retention of {view}", write)
        self.retained.setdefault(view, {})[consumer] = [since, new_floor]

    def release(self, view: str, consumer: str = "") -> None:
        """Stop keeping ``view``'s deltas for ``consumer`` (and drop those no consumer needs)."""
        consumers = dict(self.retained.get(view, {}))
        if consumer not in consumers:
            return
        del consumers[consumer]

        def write(c):
            c.execute("DELETE FROM retained WHERE view = ? AND consumer = ?", (view, consumer))
            self._prune(c, view, consumers)

        self._transaction(f"the release of {view}", write)
        if consumers:
            self.retained[view] = consumers
        else:
            self.retained.pop(view, None)

    @staticmethod
    def _prune(c, view: str, consumers: dict) -> None:
        if consumers:
            c.execute("DELETE FROM outbox WHERE view = ? AND step <= ?", (view, min(f for _, f in consumers.values())))
        else:
            c.execute("DELETE FROM outbox WHERE view = ?", (view,))

    def changes_since(self, view: str, step: int, consumer: str = ""):
        """(step, delta) for every committed step after ``step`` at which ``view`` changed, oldest
        first.  Refused if those deltas were never kept or are no longer kept for ``consumer``."""
        since, floor = self._retention(view, consumer)
        if step < max(since, floor):
            why = (f"its deltas are kept from step {since + 1} on (retained then)" if step < since else
                   f"deltas up to step {floor} were released (floor {floor})")
            raise StorageError(f"changes of {view!r} since step {step} are not available: {why}")
        query = "SELECT step, data, crc FROM outbox WHERE view = ? AND step > ? ORDER BY step"
        for n, data, crc in self._rows(f"the outbox of {view}", query, (view, step)):
            yield n, self._load(data, crc, f"delta of {view} at step {n}")

    def _retention(self, view: str, consumer: str):
        got = self.retained.get(view, {}).get(consumer)
        if got is None:
            who = f" for consumer {consumer!r}" if consumer else ""
            raise StorageError(f"view {view!r} is not retained{who} (p.retain({view!r}) keeps its deltas)")
        return got

    # -- looking inside -------------------------------------------------------------------------------
    def summary(self) -> dict:
        c = self.conn
        journal = c.execute("SELECT COUNT(*), COALESCE(SUM(LENGTH(data)), 0) FROM journal").fetchone()
        outbox = c.execute("SELECT view, COUNT(*), COALESCE(SUM(LENGTH(data)), 0) FROM outbox GROUP BY view").fetchall()
        return {"path": self.path, "format": self.meta.get("format"), "created_by": self.meta.get("created_by"),
                "options": self.meta.get("options", {}), "last_step": self.last_step,
                "checkpoint": self.checkpoint, "journal_records": journal[0], "journal_bytes": journal[1],
                "ddl_statements": self.ddl_count(), "positions": dict(self.positions),
                "retained": {v: dict(cs) for v, cs in self.retained.items()},
                "outbox": {v: (n, size) for v, n, size in outbox},
                "file_bytes": os.path.getsize(self.path)}


# -- creating and checking files -------------------------------------------------------------------------

def _uri(path: str) -> str:
    from urllib.parse import quote
    return quote(os.path.abspath(path))


def _script_id(sql: str) -> str:
    import hashlib
    return hashlib.sha256(sql.encode()).hexdigest()


def _create(path: str, options: dict) -> None:
    """Build a new state file under a temporary name, then link it into place (never over a file that
    appeared meanwhile)."""
    from .. import __version__

    directory = os.path.dirname(os.path.abspath(path))
    tmp = _temporary(path, os.getpid())
    try:
        conn = sqlite3.connect(tmp, isolation_level=None)
    except sqlite3.Error as e:
        raise StorageError(f"cannot create {path}: {_why(directory, e)}") from None
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("BEGIN")
        for stmt in SCHEMA.split(";"):
            if stmt.strip():
                conn.execute(stmt)
        meta = {"application": APPLICATION, "format": FORMAT, "created_by": __version__, "created": time.time(),
                "options": options}
        conn.executemany("INSERT INTO meta VALUES (?, ?)", [(k, json.dumps(v)) for k, v in meta.items()])
        conn.execute("COMMIT")
        conn.close()
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise StorageError(f"cannot create {path}: it appeared while the state file was being built") from None
        _fsync_dir(directory)
    except sqlite3.Error as e:
        raise StorageError(f"cannot create {path}: {_why(directory, e)}") from None
    except OSError as e:
        raise StorageError(f"cannot create {path}: {e.strerror or e}") from None
    finally:
        try:
            conn.close()
        except sqlite3.Error:
            pass
        for suffix in ("", "-wal", "-shm"):
            try:
                os.unlink(tmp + suffix)
            except OSError:
                pass


def _temporary(path: str, pid: int) -> str:
    return os.path.join(os.path.dirname(os.path.abspath(path)), f".{os.path.basename(path)}.new-{pid}")


def _remove_stale_temporaries(path: str) -> None:
    """Remove what a process killed while creating ``path`` left behind."""
    stem = os.path.basename(_temporary(path, 0))[:-1]
    directory = os.path.dirname(os.path.abspath(path))
    try:
        names = [n for n in os.listdir(directory) if n.startswith(stem)]
    except OSError:
        return
    for name in names:
        pid = name[len(stem):].split("-", 1)[0]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        try:
            os.unlink(os.path.join(directory, name))
        except OSError:
            pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _why(directory: str, e: Exception) -> str:
    if not os.access(directory, os.W_OK):
        return f"the directory {directory} is not writable"
    return str(e)


def _fsync_file(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return  # no WAL file: everything was checkpointed into the database file (and synced)
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _fsync_dir(directory: str) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _check_header(path: str) -> None:
    if os.path.isdir(path):
        raise StorageError(f"{path} is a directory, not a deltasql state file")
    try:
        with open(path, "rb") as f:
            head = f.read(len(_HEADER))
    except OSError as e:
        raise StorageError(f"cannot read {path}: {e.strerror or e}") from None
    if head != _HEADER:
        what = "an empty file" if not head else "not an SQLite database"
        raise StorageError(f"{path} is not a deltasql state file ({what}); nothing was written to it")


def _check_contents(conn: sqlite3.Connection, path: str) -> None:
    """Read-only checks: an SQLite database holding deltasql state of this format version."""
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall()) if "meta" in tables else {}
    except sqlite3.DatabaseError as e:
        _refuse_locked_or_read_only(path, str(e))
        raise StorageError(f"{path} cannot be read as a deltasql state file ({e}); nothing was written to it") \
            from None
    try:
        application = json.loads(meta.get("application", "null"))
        version = json.loads(meta.get("format", "null"))
        created_by = json.loads(meta.get("created_by", "null"))
    except ValueError:
        application = version = created_by = None
    if application != APPLICATION:
        raise StorageError(f"{path} is an SQLite database but not a deltasql state file; nothing was written to it")
    if version != FORMAT:
        raise StorageError(f"{path} is a deltasql state file of format {version} (written by deltasql "
                           f"{created_by}); this deltasql reads format {FORMAT} only; nothing was written to it")
    missing = {"scripts", "ddl", "journal", "checkpoints", "checkpoint_chunks", "positions", "retained",
               "outbox"} - tables
    if missing:
        raise StorageError(f"{path} is damaged: tables {', '.join(sorted(missing))} are missing")


def _write_lock(conn: sqlite3.Connection, path: str) -> None:
    """A first write: takes the exclusive lock and proves the file (and its directory, for the WAL)
    writable."""
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE meta SET value = value WHERE key = 'format'")
        conn.execute("COMMIT")
    except sqlite3.OperationalError as e:
        _refuse_locked_or_read_only(path, str(e))
        raise StorageError(f"cannot write to {path}: {e}") from None


def _refuse_locked_or_read_only(path: str, text: str) -> None:
    if "locked" in text or "busy" in text:
        raise StorageError(f"{path} is in use by another process")
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        raise StorageError(f"{path} is not writable (a durable pipeline writes to its state file and "
                           f"creates {os.path.basename(path)}-wal beside it): {text}; nothing was written to it")


class _ChunkWriter:
    """A file-like sink for pickle that stores what it is given in CHUNK-sized rows."""

    def __init__(self, conn, cid: int):
        self.conn, self.cid = conn, cid
        self.buf = bytearray()
        self.size = self.crc = self.chunks = 0

    def write(self, b) -> int:
        self.buf += b
        while len(self.buf) >= CHUNK:
            data = bytes(self.buf[:CHUNK])
            del self.buf[:CHUNK]
            self._flush(data)
        return len(b)

    def _flush(self, data: bytes) -> None:
        self.conn.execute("INSERT INTO checkpoint_chunks VALUES (?, ?, ?)", (self.cid, self.chunks, data))
        self.crc = zlib.crc32(data, self.crc)
        self.size += len(data)
        self.chunks += 1

    def close(self) -> None:
        if self.buf or not self.chunks:
            self._flush(bytes(self.buf))
            self.buf.clear()
