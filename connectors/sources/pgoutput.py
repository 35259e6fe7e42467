"""PostgreSQL's pgoutput logical replication messages (protocol version 1) read into plain objects.

Each XLogData payload is one message: Begin, Commit, Relation, Insert, Update, Delete, Truncate,
Message (pg_logical_emit_message), and Origin/Type (read and ignored).  A tuple is a list of column values as text, ``None`` for NULL and
``UNCHANGED`` for a TOASTed value an UPDATE left as it was (its old value is the one to keep).  LSNs
are integers; times are seconds since the Unix epoch.

The messages of one transaction arrive together, Begin … Commit, after it committed (protocol 1 does
not stream transactions in progress), and in commit order.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

UNCHANGED = object()  # 'u': a TOASTed value the UPDATE did not change
PG_EPOCH = 946_684_800  # 2000-01-01 in Unix seconds: PostgreSQL's timestamps count from there


@dataclass
class Begin:
    final_lsn: int
    commit_time: float
    xid: int


@dataclass
class Commit:
    commit_lsn: int
    end_lsn: int
    commit_time: float


@dataclass
class Relation:
    oid: int
    namespace: str
    name: str
    replica_identity: str  # d (default: the key), f (full), i (an index), n (nothing)
    columns: list  # [(name, type oid, type modifier, part of the key)]


@dataclass
class Insert:
    oid: int
    new: list


@dataclass
class Update:
    oid: int
    old: list | None  # the old row ('O', REPLICA IDENTITY FULL) or its key ('K'), if sent
    old_kind: str | None
    new: list


@dataclass
class Delete:
    oid: int
    old: list
    old_kind: str  # O (the whole row) or K (only the key columns, others None)


@dataclass
class Truncate:
    oids: list
    cascade: bool
    restart_identity: bool


@dataclass
class Message:
    """A logical decoding message (pg_logical_emit_message), sent with the option ``messages``."""

    transactional: bool
    lsn: int
    prefix: str
    content: bytes


@dataclass
class Ignored:
    kind: str


def lsn_text(lsn: int) -> str:
    """An LSN as PostgreSQL writes it: 16/B374D848."""
    return f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"


def parse_lsn(text: str) -> int:
    hi, lo = text.split("/")
    return (int(hi, 16) << 32) | int(lo, 16)


def _time(us: int) -> float:
    return PG_EPOCH + us / 1e6


class _Reader:
    __slots__ = ("buf", "pos")

    def __init__(self, buf: bytes):
        self.buf = buf
        self.pos = 0

    def unpack(self, fmt: str):
        s = struct.Struct(fmt)
        out = s.unpack_from(self.buf, self.pos)
        self.pos += s.size
        return out

    def byte(self) -> str:
        b = self.buf[self.pos:self.pos + 1].decode()
        self.pos += 1
        return b

    def string(self) -> str:
        end = self.buf.index(b"\0", self.pos)
        s = self.buf[self.pos:end].decode()
        self.pos = end + 1
        return s

    def tuple(self) -> list:
        (n,) = self.unpack(">H")
        buf, pos, out = self.buf, self.pos, []
        for _ in range(n):
            kind = buf[pos]
            pos += 1
            if kind == 0x74:  # 't': text
                length = int.from_bytes(buf[pos:pos + 4], "big")
                pos += 4
                out.append(buf[pos:pos + length].decode())
                pos += length
            elif kind == 0x6E:  # 'n': NULL
                out.append(None)
            elif kind == 0x75:  # 'u': unchanged TOAST
                out.append(UNCHANGED)
            else:
                raise ValueError(f"pgoutput: unknown tuple value kind {chr(kind)!r} (binary mode is not used)")
        self.pos = pos
        return out


def parse(payload: bytes):
    """One pgoutput message."""
    r = _Reader(payload)
    kind = r.byte()
    if kind == "B":
        lsn, t, xid = r.unpack(">QqI")
        return Begin(lsn, _time(t), xid)
    if kind == "C":
        _flags, lsn, end, t = r.unpack(">BQQq")
        return Commit(lsn, end, _time(t))
    if kind == "R":
        (oid,) = r.unpack(">I")
        namespace, name = r.string(), r.string()
        ident = r.byte()
        (n,) = r.unpack(">H")
        cols = []
        for _ in range(n):
            (flags,) = r.unpack(">B")
            cname = r.string()
            typ, mod = r.unpack(">Ii")
            cols.append((cname, typ, mod, bool(flags & 1)))
        return Relation(oid, namespace, name, ident, cols)
    if kind == "I":
        (oid,) = r.unpack(">I")
        r.byte()  # 'N'
        return Insert(oid, r.tuple())
    if kind == "U":
        (oid,) = r.unpack(">I")
        tag = r.byte()
        old = old_kind = None
        if tag in ("K", "O"):
            old_kind, old = tag, r.tuple()
            tag = r.byte()
        return Update(oid, old, old_kind, r.tuple())
    if kind == "D":
        (oid,) = r.unpack(">I")
        tag = r.byte()
        return Delete(oid, r.tuple(), tag)
    if kind == "T":
        n, options = r.unpack(">IB")
        oids = list(r.unpack(f">{n}I"))
        return Truncate(oids, bool(options & 1), bool(options & 2))
    if kind == "M":
        flags, lsn = r.unpack(">BQ")
        prefix = r.string()
        (n,) = r.unpack(">I")
        return Message(bool(flags & 1), lsn, prefix, r.buf[r.pos:r.pos + n])
    if kind in ("O", "Y"):
        return Ignored(kind)
    raise ValueError(f"pgoutput: unknown message {kind!r}")
