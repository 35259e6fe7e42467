"""Staging: a bulk insert's rows go to the workers when they are inserted, and the workers check
their types.

On a sharded pipeline the coordinator's serial work per inserted row bounds what more workers can
do (BENCHMARKS.md §12, the scaling model's ``c_c``); checking each value's type was the largest
part of ``insert()``, and it needs no state.  So for a batch of at least ``STAGE_MIN`` rows given
as a list, the coordinator cuts the batch into one part per worker (``cut``: by the worker owning
each row's key at the first exchange that reads the table, directly or through a filter/project, by
columns of its rows, a GROUP BY's partial groups included: compiler/routing.cut_function, so that
the exchange moves none of the rows; else every n-th row, as wire.split does), pickles each
(wire.dumps_plain) and sends it with ``("stage", table, token, part)``; each worker runs the
table's own row check (compiler/types.row_checker's batch test) on its part, all of them at once,
keeps the part for the next step and answers whether every row passed.  The coordinator files the
batch's keys where that is the C-speed filing of new keys (Table.insert_unchecked), as a ChangeLog
entry of its own.  Then: every part passed -> the batch is queued as it is (filed already, or now
as always); any part failed (a row to convert, or a wrong one) -> the filing is rolled back
(ChangeLog) and the coordinator checks the whole batch itself as it always has, which converts or
raises the same DataError.  So ``insert()`` keeps its contract: a bad row or a taken key is an
error of that call, and the call queues nothing.

When it files: while the workers check, on any number of workers and cores.  With as many worker
processes as cores, the filing then takes a core from a checking worker for a while; filing before
the parts are sent left both workers idle for that time instead, and measured slower once the workers'
steps got shorter (join_group on 2 worker processes, 10,000-row steps: 200 against 217 ms per 200,000
rows, medians of 6 alternating runs; BUGS.md).

At ``step()``, a table whose queue is made only of staged batches (every ChangeLog entry for it
since the last step is a staged batch, queued as it was sent, with weight 1) is fed to each worker
as "the parts you hold" (their tokens) instead of its rows, which then cross to the workers once.
Anything else queued for the table (a delete, an upsert, a late row dropped, a rollback, a batch
converted on the coordinator) makes it fed as before: its queue cut and sent.  The workers drop
every part they hold once a step is final (a step that fails on the coordinator's side keeps them,
as the coordinator keeps its queue).

COPY … FROM a CSV file (engine/copy_from.py) is read by the workers: the coordinator never holds the
rows as Python objects before they do.  It cuts the file's bytes into one range of whole records per
worker; each worker parses, converts and checks its range, cuts its rows by owner as above, keeps its
own part and sends every part pickled to the coordinator, with the rows' one-column primary keys.
Inside a transaction (or where the table has other changes queued) that is a command of its own
(``stage_csv``): the coordinator reads the parts as its copy of the table (the filing), and at the
step passes each worker the parts the others read for it (``inbound``).  Outside one, the COPY is a
step of its own (``copy_step``): the workers read their ranges at the start of the step and meet in a
"copied" round, where the coordinator passes each one the parts the others read for it, then files
the batch while they run the step; a taken key there aborts the step on every worker before it is
final.  Where the table allows (Table.defers_rows), the filing is only a check of the keys: the rows
are committed unread (engine/tables.py ``take_unread``), as the bytes the workers sent, and read the
first time anything reads the table's rows; a state file journals those bytes as they are
(engine/durability.py ``journaled_rows``).

Laws: (1) the parts of a batch add up to it, and any split of a step's input is a valid one (every
operator before the first exchange is linear; a cut by owner only spares the exchange its
crossing), so feeding a table's staged parts computes what feeding its queue computes whenever the
queue is the sum of those batches, which the ChangeLog proves (every change to a queue is logged,
and a rollback pops what it undoes) together with, for a table with a one-column primary key,
Table.queue_is_fresh (its one-row insert() and delete() outside a transaction are not logged, but
they end a queue of fresh filings, which a staged batch is); (2) a row's check
depends only on the row, and wire.dumps_plain only sends values whose copies have their types and
values, so a part passes on a worker exactly when it would pass on the coordinator; (3) a batch cut
by an exchange's owners puts every row on the worker that exchange sends it to (a filter/project
between them maps each row to rows with the same key columns, on the same worker; a Combine's
partial groups of a worker's rows are then all its own), so when a
step's change to a table is only such batches, that exchange moves nothing, as does one reading a
table that has no change; a depth whose exchanges all move nothing needs no round of the workers
(``local_exchanges``; with one worker every exchange of the circuit moves nothing).
"""

from __future__ import annotations

from ...compiler.errors import DataError
from ...runtime.operators.exchange import Exchange
from ..copy_from import split_records
from .wire import dumps_plain, loads, split
from .worker import walk

STAGE_MIN = 1000  # fewer rows: checked on the coordinator (a round to the workers costs ~0.1 ms)


class Staging:
    """The coordinator's side: the batches the workers hold for the next step."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.batches: dict = {}  # id(rows) -> (token, rows, table): staged since the last final step
        self.cuts: dict = {}  # token -> the exchange its batch was cut for (None: every n-th row)
        self.inbound: list = [{} for _ in range(cluster.workers)]  # per worker: {token: parts other workers read for it}
        self.next_token = 0
        self.min_rows = STAGE_MIN

    def stage(self, name: str, table, rows: list, file, circuit=None) -> bool:
        """Send the workers their parts of ``rows`` (a new list, to be queued into ``table`` as it
        is) and have them checked; True if every row passed (the batch is then staged), False if the
        coordinator must check it (fewer than ``min_rows``, a row to convert, a bad one, a value that
        is not plain).  ``file()`` (which must not raise) files the batch's keys while the workers
        check; not at all when this returns False before sending.  ``circuit``: the coordinator's,
        whose exchanges say how to cut the batch."""
        if len(rows) < self.min_rows:
            return False
        n = self.cluster.workers
        parts, by = cut(rows, n, owner_cut(circuit, table.output) if circuit is not None and n > 1 else None)
        blobs = []
        for part in parts:
            blob = dumps_plain(part)
            if blob is None:
                return False
            blobs.append(blob)
        token = self.next_token
        self.next_token += 1
        msgs = [("stage", name, token, b) for b in blobs]
        verdicts = self.cluster.command(msgs, meanwhile=file)
        if not all(verdicts):
            return False
        self.batches[id(rows)] = (token, rows, table)
        self.cuts[token] = by
        self.cluster.stats["rows_staged"] += len(rows)
        return True

    def stage_csv(self, table, spec, data: bytes, start: int, line: int, circuit) -> "CsvBatch | None":
        """COPY's file read by the workers: the records from ``start`` (at ``line``) cut into one range
        per worker (copy_from.split_records), each parsed, converted and checked by its worker, which
        cuts its rows by their owners at ``circuit``'s first exchange reading the table (as ``cut``
        does), keeps its own part and sends back every part pickled.  The batch, whose parts each
        worker is passed at the next step (``inbound``) and whose rows the coordinator reads as its
        copy of the table (``CsvBatch.rows``, then ``keep``); None if the coordinator must read the
        file itself (``read_verdicts``).  A file read as one range raises its first bad record's
        DataError here."""
        token, msgs, ranges = self._ranges(table, spec, data, start, line, circuit)
        batch = self.read_verdicts(self.cluster.command([("stage_csv",) + m for m in msgs]), token, ranges)
        if batch is not None:
            for d in range(self.cluster.workers):
                theirs = batch.theirs(d)
                if theirs:
                    self.inbound[d][token] = theirs
        return batch

    def copy_step(self, table, spec, data: bytes, start: int, line: int, circuit, file, filed) -> "CopyStep":
        """A COPY that is a step of its own, its file read by the workers inside that step (Cluster.step
        ``copying``): each worker reads its range as ``stage_csv`` has it read, and the workers meet in a
        round ("copied") where the coordinator passes each one the parts the others read for it and
        then ``file(batch)``s the batch while they run the step; ``filed(batch)`` once it is final."""
        token, msgs, ranges = self._ranges(table, spec, data, start, line, circuit)
        return CopyStep(table, token, msgs, ranges, file, filed)

    def _ranges(self, table, spec, data: bytes, start: int, line: int, circuit) -> tuple:
        """(a new token, each worker's (spec, token, range, its first line, cut by owner?), the number
        of ranges): the records from ``start`` (at ``line``) cut into one range per worker."""
        n = self.cluster.workers
        ranges = split_records(data, start, line, n, spec.fmt)
        by = owner_cut(circuit, table.output) if n > 1 else None
        token = self.next_token
        self.next_token += 1
        msgs = [(spec, token, data[b:e], first, by is not None) for b, e, first in ranges]
        msgs += [(spec, token, b"", line, by is not None)] * (n - len(ranges))
        self.cuts[token] = by
        return token, msgs, len(ranges)

    def read_verdicts(self, verdicts: list, token: int, ranges: int) -> "CsvBatch | None":
        """The batch the workers read (worker.read_range's verdicts), or None if the coordinator must
        read the file itself (a row the check would convert or refuse, a value that is not plain, or a
        range that did not read, which a cut inside a quoted field makes: then the file's own error, if
        any, is the coordinator's to raise).  A file read as one range raises its DataError."""
        for v in verdicts:
            if v[0] == "error":
                if ranges > 1:
                    # (a quote inside an unquoted field, which the csv module reads as a plain character,
                    # breaks law 1's parity, and a cut may then fall inside a quoted field; the range before
                    # such a cut ends inside quotes, an error: the coordinator reads the file whole)
                    return None
                raise DataError(v[1])
        if not all(v[0] == "ok" for v in verdicts):
            return None
        return CsvBatch(token, [v[1] for v in verdicts], sum(v[2] for v in verdicts), [v[3] for v in verdicts])

    def keep(self, batch: "CsvBatch", rows: list, table) -> None:
        """``rows`` (``batch.rows()``) are queued into ``table`` as they are: at a step whose queue for
        the table is only staged batches, the workers' parts are fed instead (``tokens``)."""
        self.batches[id(rows)] = (batch.token, rows, table)
        self.cluster.stats["rows_staged"] += len(rows)

    def tokens(self, table, log) -> list | None:
        """The tokens of the staged batches ``table``'s queue is the sum of, or None if it is not
        only those (then it is fed as rows)."""
        if not self.batches or table.log is not log:
            return None
        if table.pk_column is not None and not table.queue_is_fresh:
            return None  # (a one-row change outside a transaction, which the ChangeLog does not hold)
        tokens, count = [], 0
        for t, rows, weight in log.entries:
            if t is not table:
                continue
            staged = self.batches.get(id(rows))
            if weight != 1 or staged is None or staged[1] is not rows or staged[2] is not table:
                return None
            tokens.append(staged[0])
            count += len(rows)
        if not tokens or count != sum(table.input.pending.values()):
            return None
        return tokens

    def clear(self) -> None:
        """The step is final: the workers dropped their parts."""
        self.batches, self.cuts = {}, {}
        self.inbound = [{} for _ in range(self.cluster.workers)]

    def inbound_for(self, worker: int, staged: dict) -> dict:
        """The parts other workers read for ``worker`` of the batches ``staged`` feeds ({token: blobs})."""
        mine = self.inbound[worker]
        return {t: mine[t] for tokens in staged.values() for t in tokens if t in mine}


class CsvBatch:
    """A COPY's rows as the workers read them: each worker's parts, pickled, by destination; how many
    there are; and each worker's pickled list of their one-column primary keys (None: no such key)."""

    def __init__(self, token: int, blobs: list, count: int, key_blobs: list):
        self.token = token
        self.blobs = blobs
        self.count = count
        self.key_blobs = key_blobs
        self._keys: list | None = None

    @property
    def nbytes(self) -> int:
        """The bytes the batch is kept in (Pipeline.memory of a table holding it unread)."""
        return sum(map(len, self.parts()))

    def parts(self) -> list:
        """Every part, pickled (each a list of rows)."""
        return [b for parts in self.blobs for b in parts if b is not None]

    def theirs(self, worker: int) -> list:
        """The parts the other workers read for ``worker``."""
        return [b[worker] for w, b in enumerate(self.blobs) if w != worker and b[worker] is not None]

    def keys(self) -> list | None:
        """The rows' primary keys in file order (the workers read the file's ranges in order), or None."""
        if self.key_blobs[0] is None:
            return None
        if self._keys is None:
            self._keys = []
            for blob in self.key_blobs:
                self._keys.extend(loads(blob))
        return self._keys

    def rows(self) -> list:
        """Every row, read from the parts (a new list)."""
        rows: list = []
        for blob in self.parts():
            rows.extend(loads(blob))
        return rows


def local_exchanges(circuit, tables: dict, staged: dict, cuts: dict, n: int, fed: dict = None) -> frozenset:
    """The numbers (in walk order, as Worker.connect numbers them) of the root circuit's exchanges that
    move no row in this step on any of the ``n`` workers (law 3): with one worker, every one; else one
    reading a table's rows (directly, or through a filter/project by columns of the table: its
    ``cut_reads``; a table without watermarks) when that table has no change to feed, or when its
    change is ``staged`` batches ({table: tokens}) all cut for that exchange (``cuts``: {token:
    exchange}), or its queue fed as rows cut for it (``fed``: {table: exchange}, ``cut_delta``).
    Exchanges inside a fixpoint's body are not counted."""
    sources = {id(t.output): (name, t) for name, t in tables.items() if t.watermark is None}
    out, xid = [], 0
    for path, op in walk(circuit):
        if isinstance(op, Exchange):
            if len(path) == 1 and (n == 1 or _moves_nothing(op, sources, staged, cuts, fed or {})):
                out.append(xid)
            xid += 1
    return frozenset(out)


def _moves_nothing(op: Exchange, sources: dict, staged: dict, cuts: dict, fed: dict) -> bool:
    name, table = sources.get(id(op.inputs[0]), sources.get(id(op.cut_reads), (None, None)))
    if table is None:
        return False
    tokens = staged.get(name)  # (first: a COPY's batch is filed while the step runs, its queue still empty)
    if tokens is not None:
        return op.cut_rows is not None and all(cuts.get(token) is op for token in tokens)
    if not table.input.pending:
        return True
    if op.cut_rows is None:
        return False
    return fed.get(name) is op


def owner_cut(circuit, source) -> Exchange | None:
    """The first exchange of ``circuit`` that can cut ``source``'s rows (a table's output operator) by
    its owners before they reach it (compiler/routing.cut_function: its key is columns of those rows,
    read directly or through a filter/project), or None."""
    for op in circuit.ops:
        if isinstance(op, Exchange) and op.cut_reads is source:
            return op
    return None


def cut_delta(delta: dict, n: int, by: Exchange | None) -> tuple:
    """(``delta``, a table's queue, cut into n parts as wire.split makes them, the exchange it was cut
    for): by the worker owning each row at ``by`` as ``cut`` does, else every n-th row (None).  With the
    owner's cut, that exchange moves none of them: a one-row step saves its round."""
    if n > 1 and by is not None:
        parts, by = cut(list(delta), n, by)
        if by is not None:
            if list(delta.values()).count(1) == len(delta):  # inserts only: no weights to carry
                return [(part, None) for part in parts], by
            return [(part, [delta[r] for r in part]) for part in parts], by
    return split(delta, n), None


def cut(rows: list, n: int, by: Exchange | None) -> tuple:
    """(``rows`` cut into n lists that add up to it, the exchange it was cut for): by the worker that
    exchange sends each row to (its ``cut_rows``), else every n-th row (None).  The rows are not
    checked yet: a row that the cut cannot read (another shape, a value of another type) makes it
    every n-th row (its check will refuse or convert it anyway, and the batch is then not staged)."""
    if n == 1:
        return [rows], None
    if by is not None:
        try:
            return by.cut_rows(rows, n), by
        except Exception:  # noqa: BLE001 - a row of another shape or type: refused by its check, cut as any
            pass
    return [rows[w::n] for w in range(n)], None


class CopyStep:
    """A COPY run as a step of its own (Staging.copy_step): the table, its batch's token, each worker's
    range to read, how many ranges there are, what the coordinator does with the batch while the step
    runs (``file``) and once it is final (``filed``, or None), and the batch once read."""

    def __init__(self, table, token: int, msgs: list, ranges: int, file, filed):
        self.table = table
        self.token = token
        self.msgs = msgs
        self.ranges = ranges
        self.file = file
        self.filed = filed
        self.batch: CsvBatch | None = None
