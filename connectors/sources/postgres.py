"""Change data capture from PostgreSQL: a consistent snapshot of the pipeline's tables, then every later
transaction on them, through logical replication (the pgoutput plugin, over psycopg2's replication
protocol support).

How it starts (``open``):

1. Each table the pipeline declares is found upstream (by name through the search path, or through
   ``tables={"orders": "sales.orders"}``) and its columns checked against the declared ones
   (pgtypes.compatible; NOT NULL, PRIMARY KEY and UNIQUE must be guaranteed upstream, and the table
   must have REPLICA IDENTITY FULL so deletes and updates carry the whole old row).  Every problem is
   reported at once, before anything is applied.
2. A pipeline that recorded a position (``postgresql.slot`` and ``postgresql.lsn`` in its step meta)
   resumes its slot from there.  Otherwise a publication for the tables and a replication slot are
   made, the slot exporting its snapshot; the snapshot is read inside a REPEATABLE READ transaction
   that imports it, and becomes the first batch (each table emptied, then its rows).  Replication then
   starts at the slot's consistent point: a transaction is in the snapshot exactly when it committed
   before that point, so none is lost or seen twice.

Each upstream transaction is one batch: its changes summed per table (an UPDATE is the old row out
and the new one in), its position the LSN at its end.  ``confirm`` reports that LSN to the server as
flushed: only then may the slot drop the WAL before it.  A pipeline that is not durable uses a
temporary slot, gone when the connection closes.

Without ``follow`` the source is done once it has read every transaction committed before it
started; with it, it runs until closed (or until ``stop_at()``).  Both use a marker: a logical
decoding message written to the WAL, which comes back through the stream after every transaction
that committed before it.  ``drop_slot`` drops
the slot (and the publication it made) on ``close``: a slot that is kept holds the server's WAL
until the pipeline comes back.
"""

from __future__ import annotations

import select
import time
import uuid

from .base import Batch, Source, SourceError, TableChanges
from .follow import durable, recorded
from . import pgoutput as pgo
from .pgtypes import SESSION_OPTIONS, Upstream, decoder, mismatch

META_SLOT = "postgresql.slot"
META_PUBLICATION = "postgresql.publication"
META_LSN = "postgresql.lsn"
MARKER_PREFIX = "deltasql"
MIN_VERSION = 140000  # pgoutput's "messages" option: the marker stop_at waits for
SNAPSHOT_FETCH = 10_000


def _driver():
    try:
        import psycopg2
        import psycopg2.extras
        import psycopg2.sql
    except ImportError:
        raise SourceError("the PostgreSQL source needs psycopg2: pip install 'deltasql[postgres]'") from None
    return psycopg2


class _Table:
    """A declared table and the upstream table feeding it: how to turn an upstream tuple into a row."""

    def __init__(self, name: str, rel, upstream_name: str):
        self.name = name
        self.rel = rel  # the declared Relation
        self.upstream_name = upstream_name  # as given (may be schema-qualified)
        self.oid = None
        self.schema = self.relname = None
        self.types: dict = {}  # upstream column name -> (type oid, typmod) as checked
        self.columns: list = []  # upstream column name for each declared column
        self.index: list = []  # position of each declared column in the upstream tuple
        self.decoders = [decoder(f.type) for f in rel.fields]

    def bind(self, upstream_columns: list) -> None:
        """Positions of the declared columns in an upstream tuple of these column names."""
        pos = {c: i for i, c in enumerate(upstream_columns)}
        self.index = [pos[c] for c in self.columns]

    def row(self, values: list) -> tuple:
        return tuple(None if (v := values[i]) is None else d(v) for i, d in zip(self.index, self.decoders))


def _match_column(declared: str, upstream: list) -> str | None:
    if declared in upstream:
        return declared
    low = [c for c in upstream if c.lower() == declared.lower()]
    return low[0] if len(low) == 1 else None


class PostgresSource(Source):
    """Follow PostgreSQL tables into a pipeline's tables of the same names (see the module docstring)."""

    kind = "postgresql"

    def __init__(self, dsn: str, *, tables: dict | None = None, follow: bool = True, slot: str | None = None,
                 publication: str | None = None, drop_slot: bool = False, status_interval: float = 1.0):
        self.dsn = dsn
        self.mapping = dict(tables or {})
        self.following = follow
        self.slot = slot
        self.publication = publication
        self.drop_slot = drop_slot
        self.status_interval = status_interval
        self.made_publication = False
        self.conn = self.repl = self.cur = None
        self.tables: dict[str, _Table] = {}
        self.by_oid: dict[int, _Table] = {}
        self.resume_lsn = 0
        self.pending: Batch | None = None  # the snapshot, handed out by the first read
        self.txn = None  # the transaction being read: [Begin, {table: TableChanges}, rows]
        self.last_end = 0
        self.confirmed = 0
        self._done = False
        self._marker = None

    # -- opening ----------------------------------------------------------------------------------
    def open(self, pipeline) -> None:
        pg = _driver()
        try:
            self.conn = pg.connect(self.dsn, options=SESSION_OPTIONS)
            self.conn.autocommit = True
        except pg.Error as e:
            raise SourceError(f"cannot connect to {self._where()}: {_pg_message(e)}") from None
        if self.conn.server_version < MIN_VERSION:
            self._close_connections()
            raise SourceError(f"{self._where()} runs PostgreSQL {self.conn.server_version // 10000}: following it "
                              f"needs PostgreSQL 14 or newer")
        self._check(pipeline)
        saved_slot, saved_lsn = recorded(pipeline, META_SLOT), recorded(pipeline, META_LSN)
        if saved_slot and self.slot and self.slot != saved_slot:
            self._close_connections()
            raise SourceError(f"this pipeline follows the replication slot {saved_slot!r}, not {self.slot!r}")
        try:
            if saved_slot and saved_lsn:
                self._resume(pipeline, saved_slot)
            else:
                if durable(pipeline):
                    self._reserve(pipeline, saved_slot)
                self._begin(durable(pipeline))
            if not self.following:
                self.stop_at()
        except pg.Error as e:
            self._close_connections()
            raise SourceError(f"{self._where()}: {_pg_message(e)}") from None

    def _where(self) -> str:
        pg = _driver()
        try:
            p = pg.extensions.parse_dsn(self.dsn)
        except pg.Error:
            return "PostgreSQL"
        return f"PostgreSQL {p.get('host', '')}:{p.get('port', '5432')}/{p.get('dbname', '')}"

    def _check(self, pipeline) -> None:
        """Find and check every declared table upstream; all problems in one SourceError."""
        problems = []
        unknown = set(self.mapping) - set(pipeline.tables)
        if unknown:
            problems.append(f"tables mapped but not declared: {', '.join(sorted(unknown))}")
        if not pipeline.tables:
            problems.append("the pipeline declares no tables to follow")
        with self.conn.cursor() as c:
            for name in pipeline.tables:
                rel = pipeline.catalog.relation(name)
                t = _Table(name, rel, self.mapping.get(name, name))
                c.execute("SELECT c.oid, n.nspname, c.relname, c.relreplident, c.relkind FROM pg_class c "
                          "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass(%s)",
                          (t.upstream_name,))
                found = c.fetchone()
                if found is None or found[4] not in ("r", "p"):
                    problems.append(f"table {name}: no table {t.upstream_name!r} in {self._where()}")
                    continue
                t.oid, t.schema, t.relname, ident, _ = found
                problems += self._check_columns(c, t)
                if ident != "f":
                    problems.append(f"table {name}: {t.schema}.{t.relname} needs REPLICA IDENTITY FULL so that "
                                    f"deletes and updates carry the old row (ALTER TABLE {t.schema}.{t.relname} "
                                    f"REPLICA IDENTITY FULL)")
                self.tables[name] = t
                self.by_oid[t.oid] = t
        if problems:
            self._close_connections()
            raise SourceError(f"{self._where()} does not fit the declared tables:\n  " + "\n  ".join(problems))

    def _check_columns(self, c, t: _Table) -> list:
        c.execute("""
            SELECT a.attname, a.atttypid, a.atttypmod,
                   CASE WHEN ty.typtype = 'd' THEN bt.typname ELSE ty.typname END,
                   CASE WHEN ty.typtype = 'd' THEN ty.typtypmod ELSE a.atttypmod END,
                   NOT a.attnotnull AND NOT coalesce(ty.typnotnull, false),
                   format_type(a.atttypid, a.atttypmod)
              FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid
              LEFT JOIN pg_type bt ON bt.oid = ty.typbasetype
             WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum""", (t.oid,))
        upstream = {}
        for attname, typid, typmod, base, basemod, nullable, display in c.fetchall():
            p, s = Upstream.numeric_modifier(basemod) if base == "numeric" else (None, None)
            upstream[attname] = Upstream(attname, base, p, s, nullable, display)
            t.types[attname] = (typid, typmod)
        problems = []
        names = list(upstream)
        for f in t.rel.fields:
            col = _match_column(f.name, names)
            if col is None:
                problems.append(f"table {t.name}: {t.schema}.{t.relname} has no column {f.name}")
                continue
            t.columns.append(col)
            why = mismatch(t.name, f.name, f.type, f.nullable, upstream[col])
            if why:
                problems.append(why)
        if problems:
            return problems
        keys = [(k, "PRIMARY KEY") for k in [t.rel.primary_key] if k] + [(u, "UNIQUE") for u in t.rel.unique]
        if keys:
            c.execute("""
                SELECT array(SELECT a.attname::text FROM unnest(i.indkey) k
                             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k)
                  FROM pg_index i WHERE i.indrelid = %s AND i.indisunique AND i.indpred IS NULL
                   AND i.indexprs IS NULL""", (t.oid,))
            unique = [set(r[0]) for r in c.fetchall()]
            for cols, what in keys:
                mine = {t.columns[i] for i in cols}
                if not any(u <= mine for u in unique):
                    problems.append(f"table {t.name}: the declared {what} ({', '.join(t.rel.fields[i].name for i in cols)})"
                                    f" is not enforced upstream (no unique index on those columns)")
        return problems

    def _replication(self):
        pg = _driver()
        self.repl = pg.connect(self.dsn, options=SESSION_OPTIONS,
                               connection_factory=pg.extras.LogicalReplicationConnection)
        self.cur = self.repl.cursor()

    def _reserve(self, pipeline, saved_slot: str | None) -> None:
        """A durable pipeline records its slot's name (in a step of no changes) before making the slot,
        so a crash before the snapshot's step is durable leaves no slot that nobody knows of: the next
        run finds the name, drops what the broken start left, and starts again."""
        if saved_slot:
            self.slot = saved_slot
            self.publication = recorded(pipeline, META_PUBLICATION)
            self.made_publication = self.publication == saved_slot
            with self.conn.cursor() as c:
                c.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                          "WHERE slot_name = %s AND database = current_database()", (saved_slot,))
            if self.made_publication:
                self.publication = None  # made again below
            return
        self.slot = self.slot or f"deltasql_{uuid.uuid4().hex[:16]}"
        reserved = {META_SLOT: self.slot, META_PUBLICATION: self.publication or self.slot}
        pipeline.step(meta=reserved)

    def _begin(self, permanent: bool) -> None:
        """A fresh start: publication, slot with its exported snapshot, the snapshot as the first batch."""
        pg = _driver()
        sql = pg.sql
        self.slot = self.slot or f"deltasql_{uuid.uuid4().hex[:16]}"
        if self.publication is None:
            self.publication = self.slot
            tables = sql.SQL(", ").join(sql.Identifier(t.schema, t.relname) for t in self.tables.values())
            with self.conn.cursor() as c:
                c.execute(sql.SQL("DROP PUBLICATION IF EXISTS {}").format(sql.Identifier(self.publication)))
                c.execute(sql.SQL("CREATE PUBLICATION {} FOR TABLE {}").format(sql.Identifier(self.publication),
                                                                              tables))
            self.made_publication = True
        else:
            self._check_publication()
        self._replication()
        temporary = "" if permanent else " TEMPORARY"
        self.cur.execute(f'CREATE_REPLICATION_SLOT "{self.slot}"{temporary} LOGICAL pgoutput EXPORT_SNAPSHOT')
        _slot, consistent, snapshot, _plugin = self.cur.fetchone()
        start = pgo.parse_lsn(consistent)
        changes, rows = self._snapshot(snapshot)
        self.pending = Batch(changes, self._position(start), rows, time.time(),
                             f"snapshot of {self._where()} at LSN {consistent}")
        self._start(start)

    def _snapshot(self, snapshot: str):
        """Every table's rows as of the exported snapshot."""
        sql = _driver().sql
        changes, rows = {}, 0
        with _driver().connect(self.dsn, options=SESSION_OPTIONS) as snap:
            with snap.cursor() as c:
                c.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                c.execute("SET TRANSACTION SNAPSHOT %s", (snapshot,))
            for t in self.tables.values():
                t.index = list(range(len(t.columns)))
                ch = changes[t.name] = TableChanges(truncate=True)
                query = sql.SQL("SELECT {} FROM {}").format(
                    sql.SQL(", ").join(sql.SQL("{}::text").format(sql.Identifier(col)) for col in t.columns),
                    sql.Identifier(t.schema, t.relname))
                with snap.cursor(name=f"deltasql_snapshot_{t.oid}") as c:
                    c.itersize = SNAPSHOT_FETCH
                    c.execute(query)
                    for values in c:
                        ch.add(self._decode(t, values, "snapshot"), 1)
                        rows += 1
            snap.rollback()
        snap.close()
        return changes, rows

    def _check_publication(self) -> None:
        with self.conn.cursor() as c:
            c.execute("SELECT pubinsert AND pubupdate AND pubdelete AND pubtruncate FROM pg_publication "
                      "WHERE pubname = %s", (self.publication,))
            row = c.fetchone()
            if row is None:
                raise SourceError(f"{self._where()}: no publication {self.publication!r}")
            if not row[0]:
                raise SourceError(f"publication {self.publication!r} must publish inserts, updates, deletes and "
                                  f"truncates")
            c.execute("SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = %s", (self.publication,))
            have = set(c.fetchall())
        missing = [f"{t.schema}.{t.relname}" for t in self.tables.values() if (t.schema, t.relname) not in have]
        if missing:
            raise SourceError(f"publication {self.publication!r} does not include {', '.join(missing)}")

    def _resume(self, pipeline, slot: str) -> None:
        self.slot = slot
        self.publication = pipeline.meta(META_PUBLICATION)
        self.resume_lsn = pgo.parse_lsn(pipeline.meta(META_LSN))
        with self.conn.cursor() as c:
            c.execute("SELECT plugin, confirmed_flush_lsn::text, active_pid FROM pg_replication_slots "
                      "WHERE slot_name = %s AND database = current_database()", (slot,))
            row = c.fetchone()
        if row is None:
            self._close_connections()
            raise SourceError(f"the replication slot {slot!r} this pipeline follows is gone from {self._where()}: "
                              f"the changes after LSN {pgo.lsn_text(self.resume_lsn)} cannot be read; start "
                              f"again from a new state")
        if row[2] is not None:
            self._close_connections()
            raise SourceError(f"the replication slot {slot!r} is in use by another process (pid {row[2]})")
        self.made_publication = self.publication == slot
        self._check_publication()
        self.last_end = self.confirmed = self.resume_lsn
        self._replication()
        self._start(self.resume_lsn)

    def _start(self, lsn: int) -> None:
        self.cur.start_replication(slot_name=self.slot, decode=False, start_lsn=lsn,
                                   options={"proto_version": "1", "publication_names": self.publication,
                                            "messages": "true"},
                                   status_interval=self.status_interval)

    def _position(self, lsn: int) -> dict:
        return {META_SLOT: self.slot, META_PUBLICATION: self.publication, META_LSN: pgo.lsn_text(lsn)}

    # -- reading ----------------------------------------------------------------------------------
    def read(self, timeout: float) -> Batch | None:
        if self.pending is not None:
            batch, self.pending = self.pending, None
            return batch
        pg = _driver()
        deadline = time.monotonic() + timeout
        try:
            while not self._done:
                msg = self.cur.read_message()
                if msg is not None:
                    batch = self._message(pgo.parse(msg.payload))
                    if batch is not None:
                        return batch
                    continue
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                select.select([self.cur], [], [], left)
        except pg.Error as e:
            raise SourceError(f"{self._where()}: replication failed: {_pg_message(e)}") from None
        return None

    @property
    def done(self) -> bool:
        return self._done

    def stop_at(self) -> None:
        """Stop following once every transaction committed before this call is read (callable from
        another thread while ``follow`` runs): a logical decoding message is written to the WAL, and
        the source is done when it comes back through the stream, after everything before it."""
        conn = self.conn
        if conn is None:  # closed already (the follow ended)
            return
        self._marker = f"{self.slot}:{uuid.uuid4().hex}"
        with conn.cursor() as c:
            c.execute("SELECT pg_logical_emit_message(false, %s, %s)", (MARKER_PREFIX, self._marker))

    def _message(self, m) -> Batch | None:
        if isinstance(m, pgo.Begin):
            self.txn = [m, {}, 0]
            return None
        if isinstance(m, pgo.Relation):
            self._relation(m)
            return None
        if isinstance(m, pgo.Commit):
            begin, changes, rows = self.txn
            self.txn = None
            self.last_end = max(self.last_end, m.end_lsn)
            if m.end_lsn <= self.resume_lsn or not changes:
                return None  # applied before the restart, or nothing of ours
            return Batch(changes, self._position(m.end_lsn), rows, m.commit_time,
                         f"transaction {begin.xid} (LSN {pgo.lsn_text(m.commit_lsn)})")
        if isinstance(m, pgo.Message):
            if m.prefix == MARKER_PREFIX and m.content.decode() == self._marker:
                self._done = True
            return None
        if isinstance(m, pgo.Ignored):
            return None
        if self.txn is None:
            raise SourceError(f"{self._where()}: pgoutput sent a change outside a transaction")
        changes = self.txn[1]
        if isinstance(m, pgo.Truncate):
            for oid in m.oids:
                t = self.by_oid.get(oid)
                if t is not None:
                    changes[t.name] = TableChanges(truncate=True)
                    self.txn[2] += 1
            return None
        t = self.by_oid.get(m.oid)
        if t is None:
            return None
        ch = changes.get(t.name)
        if ch is None:
            ch = changes[t.name] = TableChanges()
        self.txn[2] += 1
        if isinstance(m, pgo.Insert):
            ch.add(self._decode(t, m.new), 1)
        elif isinstance(m, pgo.Delete):
            ch.add(self._decode(t, self._full_old(t, m.old, m.old_kind)), -1)
        elif isinstance(m, pgo.Update):
            old = self._full_old(t, m.old, m.old_kind)
            new = [o if n is pgo.UNCHANGED else n for n, o in zip(m.new, old)]
            ch.add(self._decode(t, old), -1)
            ch.add(self._decode(t, new), 1)
        return None

    def _full_old(self, t: _Table, old, kind) -> list:
        if kind != "O":
            raise SourceError(f"table {t.name}: PostgreSQL sent {'only the key of' if kind else 'no'} old row "
                              f"for a change: the table needs REPLICA IDENTITY FULL")
        return old

    def _relation(self, m: pgo.Relation) -> None:
        """The columns of an upstream table as the stream now has them: the declared columns must be
        there with the types that were checked."""
        t = self.by_oid.get(m.oid)
        if t is None:
            return
        names = [c[0] for c in m.columns]
        types = {c[0]: (c[1], c[2]) for c in m.columns}
        for declared, col in zip(t.rel.fields, t.columns):
            if col not in types:
                raise SourceError(f"table {t.name}: column {col} was dropped from {t.schema}.{t.relname} upstream")
            if types[col] != t.types[col]:
                raise SourceError(f"table {t.name}: the type of {t.schema}.{t.relname}.{col} changed upstream "
                                  f"(declared {declared.type}); the pipeline cannot follow it any more")
        if m.replica_identity != "f":
            raise SourceError(f"table {t.name}: {t.schema}.{t.relname} no longer has REPLICA IDENTITY FULL")
        t.bind(names)

    def _decode(self, t: _Table, values, where: str | None = None) -> tuple:
        try:
            return t.row(values)
        except (ValueError, ArithmeticError) as e:
            begin = self.txn[0] if self.txn else None
            at = where or (f"transaction {begin.xid}" if begin else "the stream")
            raise SourceError(f"table {t.name}: {at}: a value PostgreSQL sent cannot be read: {e}") from None

    # -- confirming and closing -------------------------------------------------------------------
    def confirm(self, position: dict) -> None:
        lsn = pgo.parse_lsn(position[META_LSN])
        if lsn > self.confirmed and self.cur is not None:
            self.confirmed = lsn
            self.cur.send_feedback(flush_lsn=lsn)

    def close(self) -> None:
        pg = _driver()
        if self.cur is not None and self.confirmed:
            try:
                self.cur.send_feedback(flush_lsn=self.confirmed, force=True)
            except pg.Error:
                pass
        self._close_connections(keep_admin=self.drop_slot)
        if self.drop_slot and self.conn is not None:
            self._drop()
            self.conn.close()
            self.conn = None

    def _drop(self) -> None:
        pg = _driver()
        sql = pg.sql
        for _ in range(100):  # the walsender lets go of the slot shortly after its connection closes
            try:
                with self.conn.cursor() as c:
                    c.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                              "WHERE slot_name = %s", (self.slot,))
                break
            except pg.errors.ObjectInUse:
                time.sleep(0.05)
        if self.made_publication:
            with self.conn.cursor() as c:
                c.execute(sql.SQL("DROP PUBLICATION IF EXISTS {}").format(sql.Identifier(self.publication)))

    def _close_connections(self, keep_admin: bool = False) -> None:
        for name in ("cur", "repl") + (() if keep_admin else ("conn",)):
            obj = getattr(self, name)
            setattr(self, name, None)
            if obj is not None:
                try:
                    obj.close()
                except Exception:
                    pass


def _pg_message(e) -> str:
    text = (getattr(e, "pgerror", None) or str(e)).strip()
    return text.splitlines()[0] if text else type(e).__name__
