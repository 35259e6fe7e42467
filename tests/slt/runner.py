"""Run sqllogictest scripts against deltasql, every query as an incrementally maintained view.

    python -m tests.slt.runner FILES_OR_DIRS... [--sample N] [--seed S] [--jobs J] [--verbose]

Two ways to run a script:

* batch (every statement precedes every query: random/*, most of index/*): tables are created,
  every query is registered as a view ``q_<line>`` while the tables are still empty, then the
  INSERTs are fed over several steps, followed by a delete / re-insert round of some rows; the views
  are compared with the expected results at the end.  Views are built in chunks, one Pipeline each.
* sequential (DML and queries interleave: index/delete, index/view, evidence/*): records run in
  order; each query becomes a view over the data present, is checked at once, and stays alive for a
  while: after later steps, views whose contents changed are compared with the same query evaluated
  ad hoc over the current tables.

Each query ends ``correct``, ``wrong``, ``unsupported`` (CompileError), ``crashed`` (any other
exception, or a DataError where SQLite gives a result) or ``refused`` (a DataError, e.g. an overflow,
where the script expects no rows: SQLite's query errors too).  Statements are counted the same way.
In sequential files a step that fails because one of our live views cannot be maintained (an
aggregate overflows) is the intended incremental semantics: that view is dropped, counted as
``refused``, and the step retried.  A DROP VIEW refused because the script's other views read it
(deltasql is RESTRICT, SQLite is not) is retried after the script's next DROP.  GROUP_CONCAT results
compare as the multisets of their parts (SQL leaves the order open; SQLite uses its scan order).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import random
import re
import sys
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp

from deltasql import CompileError, DataError, Pipeline

from .printing import arrange, hash_line, matches, render_rows
from .script import Record, parse_file

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "slt"))
STATUSES = ("correct", "wrong", "unsupported", "crashed", "refused")
CHUNK = 128  # views per Pipeline in batch mode (a failure nobody can be blamed for is bisected in it)
LIVE = 48  # views kept alive in sequential mode
RECHECK = 12  # live views re-checked ad hoc after each step (those whose contents changed first)
MAX_PERMUTATIONS = 5040  # tie orders tried for a hashed ORDER BY result

_SELECT = re.compile(r"^\s*(SELECT|VALUES|WITH)\b", re.I)
_DROP = re.compile(r"^\s*DROP\b", re.I)
_DML = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.I)
_PLAIN_DDL = re.compile(r"^\s*CREATE\s+(TABLE|(UNIQUE\s+)?INDEX)\b(?![^(]*\bAS\b\s*SELECT)", re.I)


@dataclass
class Outcome:
    """The result of one record."""

    qid: str  # file id and line, e.g. random/select/slt_good_0.test:123
    kind: str  # "query" or "statement"
    status: str  # one of STATUSES
    sql: str
    detail: str = ""  # what went wrong: expected vs got, or the error
    cause: str = ""  # a short key to group failures by


@dataclass
class FileReport:
    """Counts and failures of one script."""

    path: str
    fid: str
    mode: str = ""
    queries: Counter = field(default_factory=Counter)
    statements: Counter = field(default_factory=Counter)
    total_queries: int = 0  # applicable queries in the file
    skipped: int = 0  # records for other engines
    seconds: float = 0.0
    failures: list[Outcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, o: Outcome) -> None:
        (self.queries if o.kind == "query" else self.statements)[o.status] += 1
        if o.status != "correct":
            self.failures.append(o)

    @property
    def ran(self) -> int:
        return sum(self.queries.values())

    def to_json(self) -> dict:
        return {"path": self.path, "fid": self.fid, "mode": self.mode, "queries": dict(self.queries),
                "statements": dict(self.statements), "total_queries": self.total_queries,
                "skipped": self.skipped, "seconds": round(self.seconds, 2), "notes": self.notes,
                "failures": [o.__dict__ for o in self.failures]}

    @classmethod
    def from_json(cls, d: dict) -> "FileReport":
        r = cls(d["path"], d["fid"], d["mode"], Counter(d["queries"]), Counter(d["statements"]),
                d["total_queries"], d["skipped"], d["seconds"], notes=d.get("notes", []))
        r.failures = [Outcome(**o) for o in d["failures"]]
        return r


def file_id(path: str) -> str:
    """A stable name for a script: relative to the shared corpus or to this package."""
    full = os.path.abspath(path)
    for root in (SHARED, HERE):
        if full.startswith(root + os.sep):
            return os.path.relpath(full, root).replace(os.sep, "/")
    return path


# -- comparing ---------------------------------------------------------------------------------------

def order_keys(sql: str):
    """For a query with a top-level ORDER BY: the positions of the output columns that its leading
    ORDER BY terms name (as far as they can be told), else None when there is no ORDER BY."""
    try:
        tree = sqlglot.parse_one(sql, read="sqlite")
    except Exception:
        return []
    order = tree.args.get("order")
    if order is None:
        return None
    selects = tree.selects if hasattr(tree, "selects") else []
    names = [s.alias_or_name for s in selects]
    texts = [(s.this if isinstance(s, exp.Alias) else s).sql() for s in selects]
    keys = []
    for o in order.expressions:
        e = o.this
        if isinstance(e, exp.Literal) and not e.is_string and e.this.isdigit():
            keys.append(int(e.this) - 1)
            continue
        pos = None
        if isinstance(e, exp.Column) and not e.table and e.name in names:
            pos = names.index(e.name)
        elif e.sql() in texts:
            pos = texts.index(e.sql())
        if pos is None:
            break  # later terms only split ties further; stop at the first we cannot place
        keys.append(pos)
    return keys


def _tie_groups(printed: list[list[str]], keys: list[int]) -> list[list[list[str]]]:
    groups = []
    last = object()
    for row in printed:
        k = tuple(row[i] for i in keys if i < len(row))
        if k != last:
            groups.append([])
            last = k
        groups[-1].append(row)
    return groups


_ORDER_BY = re.compile(r"\border\s+by\b", re.I)


_CONCAT = re.compile(r"\b(group_concat|string_agg)\s*\(", re.I)


def _same_up_to_concat_order(rec: Record, printed: list[list[str]], expected: list[str]) -> bool:
    """GROUP_CONCAT without ORDER BY: SQL leaves the order of the parts open (SQLite uses its scan
    order), so values compare as the multisets of their parts, for ',' or any string literal of the
    query as the separator."""
    w = len(rec.types) or 1
    if len(expected) % w:
        return False
    exp_rows = [expected[i:i + w] for i in range(0, len(expected), w)]
    for sep in {","} | {m.replace("''", "'") for m in re.findall(r"'((?:[^']|'')+)'", rec.sql)}:
        def canon(rows):
            rows = [[sep.join(sorted(v.split(sep))) for v in r] for r in rows]
            return arrange(rows, "rowsort" if rec.sort == "nosort" else rec.sort)
        if canon(printed) == canon(exp_rows):
            return True
    return False


def compare(rec: Record, rows: list[tuple], ncols: int) -> tuple[bool, str]:
    """(ok, detail) for a query's rows (in the view's order) against the record's expectation.

    ``nosort`` keeps the engine's order only when the query has a top-level ORDER BY (SQLite's order
    is otherwise not determined, so both sides are compared sorted), and even then rows tied on the
    ORDER BY keys may come in any order."""
    expected = rec.results if rec.results is not None else []
    if ncols != len(rec.types):
        return False, f"{ncols} columns, the query record says {len(rec.types)}"
    printed = render_rows(rows, rec.types)
    hashed = len(expected) == 1 and " values hashing to " in expected[0]
    values = arrange(printed, rec.sort)
    if matches(values, expected):
        return True, ""
    if _CONCAT.search(rec.sql) and not hashed and _same_up_to_concat_order(rec, printed, expected):
        return True, ""
    if rec.sort != "nosort":
        return False, _diff(values, expected)
    keys = order_keys(rec.sql) if _ORDER_BY.search(rec.sql) else None
    w = len(rec.types) or 1
    if keys is None:
        if not hashed and len(expected) % w == 0:
            exp_rows = sorted(expected[i:i + w] for i in range(0, len(expected), w))
            if arrange(printed, "rowsort") == [v for r in exp_rows for v in r]:
                return True, ""
        return False, _diff(values, expected)
    groups = _tie_groups(printed, keys)
    if not hashed:
        exp_rows = [expected[i:i + w] for i in range(0, len(expected), w)]
        canon = [v for g in groups for r in sorted(g) for v in r]
        exp_canon = [v for g in _tie_groups(exp_rows, keys) for r in sorted(g) for v in r]
        if canon == exp_canon:
            return True, ""
    elif any(len(g) > 1 for g in groups):
        n = math.prod(math.factorial(len(g)) for g in groups)
        if n <= MAX_PERMUTATIONS:
            for combo in itertools.product(*(itertools.permutations(g) for g in groups)):
                if hash_line([v for g in combo for r in g for v in r]) == expected[0].strip():
                    return True, ""
    return False, _diff(values, expected)


def _diff(values: list[str], expected: list[str]) -> str:
    def show(vs):
        s = " ".join(vs[:24])
        return s + (" ..." if len(vs) > 24 else "")

    got = hash_line(values) if len(expected) == 1 and " values hashing to " in expected[0] else show(values)
    return f"expected: {show(expected)}\ngot:      {got}" + (f"\nvalues:   {show(values)}" if got != show(values) else "")


def _cause(e: BaseException) -> str:
    """A short grouping key for an exception: the message with numbers and names blurred, and for
    internal errors the innermost frame in the project."""
    if isinstance(e, CompileError):
        msg = e.message
    else:
        msg = str(e).split("\n")[0]
    msg = re.sub(r"'[^']*'", "'…'", msg)
    msg = re.sub(r"\b\w*\d\w*\b", "N", msg)  # numbers and names like t1, view_3_tab0_153
    m = re.match(r"(unsupported statement: \w+( \w+)?)", msg)
    if m:
        msg = m.group(1)
    if isinstance(e, (CompileError, DataError)):
        return f"{type(e).__name__}: {msg[:120]}"
    where = ""
    for fr in traceback.extract_tb(e.__traceback__):
        if "/compiler/" in fr.filename or "/runtime/" in fr.filename:
            where = f" at {os.path.basename(fr.filename)}:{fr.lineno}"
    return f"{type(e).__name__}{where}: {msg[:100]}"


def _error_outcome(qid, kind, sql, e: BaseException, expects_rows: bool = True) -> Outcome:
    if isinstance(e, CompileError):
        return Outcome(qid, kind, "unsupported", sql, e.message, _cause(e))
    if isinstance(e, DataError) and not expects_rows:
        return Outcome(qid, kind, "refused", sql, f"DataError: {e}\n(the script expects no rows: SQLite "
                                                  f"errors here too)", _cause(e))
    detail = f"{type(e).__name__}: {e}"
    if not isinstance(e, DataError):
        detail += "\n" + "".join(traceback.format_exception(type(e), e, e.__traceback__, limit=-4))
    return Outcome(qid, kind, "crashed", sql, detail, _cause(e))


# -- running -----------------------------------------------------------------------------------------

def _dropped_but_present(p: Pipeline, sql: str) -> str:
    """The name a successful ``DROP TABLE/VIEW name`` left in place, else ''."""
    m = re.match(r"\s*DROP\s+(TABLE|VIEW)\s+(IF\s+EXISTS\s+)?(\w+)\s*;?\s*$", sql, re.I)
    if not m:
        return ""
    name = m.group(3)
    return name if name in (p.tables if m.group(1).upper() == "TABLE" else p.views) else ""


class _Unattributed(Exception):
    """A step failed and the failure could not be pinned on one view."""


def _view_name(line: int) -> str:
    return f"q_{line}"


class FileRun:
    """Runs one script and fills a FileReport."""

    def __init__(self, path: str, sample: int | None = None, seed: int = 0, chunk: int = CHUNK,
                 lines: set | None = None):
        self.path = path
        self.fid = file_id(path)
        self.sample = sample
        self.seed = seed
        self.chunk = chunk
        self.lines = lines  # run only the queries at these lines
        self.report = FileReport(path, self.fid)
        self.rng = random.Random(f"{seed}:{self.fid}")

    def qid(self, rec: Record) -> str:
        return f"{self.fid}:{rec.line}"

    def run(self) -> FileReport:
        t0 = time.perf_counter()
        records = []
        for rec in parse_file(self.path):
            if not rec.applies():
                self.report.skipped += 1
                continue
            if rec.kind == "halt":
                break
            if rec.kind == "unknown":
                self.report.notes.append(f"line {rec.line}: unknown record {rec.text!r} skipped")
                continue
            records.append(rec)
        queries = [r for r in records if r.kind == "query"]
        self.report.total_queries = len(queries)
        chosen = queries
        if self.lines is not None:
            chosen = [q for q in queries if q.line in self.lines]
        if self.sample is not None and self.sample < len(chosen):
            chosen = sorted(self.rng.sample(chosen, self.sample), key=lambda r: r.line)
        statements = [r for r in records if r.kind == "statement"]
        first_query = min((r.line for r in queries), default=None)
        batch = all(not s.expect_error and (first_query is None or s.line < first_query) for s in statements)
        if batch:
            # plain CREATE TABLE / INDEX move ahead of the data; anything else must not follow DML
            seen_dml = False
            for s in statements:
                if _DML.match(s.sql):
                    seen_dml = True
                elif seen_dml and not _PLAIN_DDL.match(s.sql):
                    batch = False
        self.report.mode = "batch" if batch else "sequential"
        if batch:
            self._run_batch(statements, chosen)
        else:
            self._run_sequential(records, set(id(r) for r in chosen))
        self.report.seconds = time.perf_counter() - t0
        return self.report

    # -- batch ---------------------------------------------------------------------------------
    def _run_batch(self, statements: list[Record], queries: list[Record]) -> None:
        ddl = [s for s in statements if not _DML.match(s.sql)]
        dml = [s for s in statements if _DML.match(s.sql)]
        for o in self._batch_once(ddl, dml, [], record_statements=True):
            self.report.add(o)
        for i in range(0, len(queries), self.chunk):
            for o in self._batch_part(ddl, dml, queries[i:i + self.chunk]):
                self.report.add(o)

    def _batch_part(self, ddl, dml, queries) -> list[Outcome]:
        """Outcomes of ``queries`` run together; a step failure no view can be blamed for is bisected."""
        try:
            return self._batch_once(ddl, dml, queries)
        except _Unattributed as e:
            if len(queries) == 1:
                q = queries[0]
                return [_error_outcome(self.qid(q), "query", q.sql, e.__cause__ or e, bool(q.results))]
            half = len(queries) // 2
            return self._batch_part(ddl, dml, queries[:half]) + self._batch_part(ddl, dml, queries[half:])

    def _batch_once(self, ddl, dml, queries, record_statements=False) -> list[Outcome]:
        p = Pipeline(dialect="sqlite")
        outs: list[Outcome] = []
        st_outs: list[Outcome] = []

        def statement(s: Record) -> None:
            try:
                p.execute(s.sql)
                st_outs.append(Outcome(self.qid(s), "statement", "correct", s.sql))
            except Exception as e:  # noqa: BLE001 - every failure is a finding
                st_outs.append(_error_outcome(self.qid(s), "statement", s.sql, e))

        for s in ddl:
            statement(s)
        live: dict[str, Record] = {}
        for q in queries:
            name = _view_name(q.line)
            try:
                p.execute(f"CREATE VIEW {name} AS {q.sql}")
                live[name] = q
            except Exception as e:  # noqa: BLE001
                outs.append(_error_outcome(self.qid(q), "query", q.sql, e, bool(q.results)))
        failed: dict[str, Outcome] = {}

        def step() -> None:
            blamed = set()
            while True:
                try:
                    p.step()
                    return
                except DataError as e:
                    m = re.match(r"(q_\d+)\b", str(e))
                    name = m.group(1) if m else None
                    if name is None or name not in live or name in blamed:
                        raise _Unattributed(str(e)) from e
                    blamed.add(name)
                    q = live.pop(name)
                    failed[name] = _error_outcome(self.qid(q), "query", q.sql, e, bool(q.results))
                    p.execute(f"DROP VIEW {name}")
                except Exception as e:  # noqa: BLE001
                    raise _Unattributed(f"{type(e).__name__}: {e}") from e

        # the data arrives in three steps, then some rows leave and come back
        n = len(dml)
        bounds = [0, (n + 2) // 3, (2 * n + 2) // 3, n]
        for a, b in zip(bounds, bounds[1:]):
            for s in dml[a:b]:
                statement(s)
            step()
        rng = random.Random(f"{self.seed}:{self.fid}:retract")  # the same rows in every chunk
        gone1, gone2 = {}, {}
        for t in p.tables:
            rows = p.table_rows(t)
            rng.shuffle(rows)
            k = (len(rows) + 2) // 3
            gone1[t], gone2[t] = rows[:k], rows[k:2 * k]
        for t, rows in gone1.items():
            p.delete(t, rows)
        step()
        for t in p.tables:
            p.insert(t, gone1[t])
            p.delete(t, gone2[t])
        step()
        for t, rows in gone2.items():
            p.insert(t, rows)
        step()
        for name, q in live.items():
            outs.append(self._check_view(p, name, q))
        outs.extend(failed.values())
        return (st_outs if record_statements else []) + outs

    def _check_view(self, p: Pipeline, name: str, q: Record) -> Outcome:
        try:
            v = p.view(name)
            ok, detail = compare(q, v.rows(), len(v.columns))
        except Exception as e:  # noqa: BLE001
            return _error_outcome(self.qid(q), "query", q.sql, e)
        if ok:
            return Outcome(self.qid(q), "query", "correct", q.sql)
        # tell an incremental maintenance bug from a wrong evaluation: run the query ad hoc too
        try:
            adhoc_ok, _ = compare(q, p.execute(q.sql), len(v.columns))
            how = "the view is wrong but the same query ad hoc is right" if adhoc_ok else \
                "the query ad hoc is wrong too"
        except Exception as e:  # noqa: BLE001
            how = f"the query ad hoc fails: {type(e).__name__}: {str(e).splitlines()[0]}"
        cause = "wrong (view only)" if how.startswith("the view") else "wrong"
        return Outcome(self.qid(q), "query", "wrong", q.sql, f"{detail}\n({how})", cause)

    # -- sequential ----------------------------------------------------------------------------
    def _run_sequential(self, records: list[Record], chosen: set) -> None:
        p = Pipeline(dialect="sqlite")
        live: list[tuple[str, Record]] = []
        dirty = False
        broken: set = set()  # live views already reported wrong
        diverged = ""  # set once a statement SQLite ran failed here: later results may differ
        deferred: list[Record] = []  # DROP VIEWs refused while the script's other views read them

        def step() -> None:
            nonlocal dirty, diverged
            if not dirty:
                return
            dirty = False
            blamed = set()
            while True:
                try:
                    changes = p.step()
                    break
                except DataError as e:
                    m = re.match(r"(q_\d+)\b", str(e))
                    name = m.group(1) if m else None
                    entry = next(((n, r) for n, r in live if n == name), None)
                    if entry is None or name in blamed:
                        failed(e)
                        return
                    # one of our views cannot follow the change (e.g. its SUM overflows): SQLite
                    # would report that only when the query runs, so the view goes and the step is retried
                    blamed.add(name)
                    live.remove(entry)
                    self._drop(p, name)
                    self._later(Outcome(f"{self.qid(entry[1])}@later", "query", "refused", entry[1].sql,
                                        f"a later step failed in this view: {e}", _cause(e)), name not in broken)
                except Exception as e:  # noqa: BLE001
                    failed(e)
                    return
            self._recheck(p, live, changes, broken)

        def execute_blaming_views(sql: str) -> None:
            """A change statement is a step of its own (autocommit): when one of our views cannot follow
            it (its SUM overflows), SQLite would report that only when the query runs, so the view goes
            and the statement runs again, as step() does."""
            blamed = set()
            while True:
                try:
                    p.execute(sql)
                    return
                except DataError as e:
                    m = re.match(r"(q_\d+)\b", str(e))
                    entry = next(((n, r) for n, r in live if m and n == m.group(1)), None)
                    if entry is None or entry[0] in blamed:
                        raise
                    blamed.add(entry[0])
                    live.remove(entry)
                    self._drop(p, entry[0])
                    self._later(Outcome(f"{self.qid(entry[1])}@later", "query", "refused", entry[1].sql,
                                        f"a later step failed in this view: {e}", _cause(e)), entry[0] not in broken)

        def failed(e) -> None:
            nonlocal diverged
            # SQLite applied the statements; we cannot: the whole step is lost
            o = _error_outcome(f"{self.fid}:step", "statement", "", e)
            self.report.add(o)
            diverged = diverged or f"a step: {o.cause}"
            p.discard()

        def retry_deferred() -> None:
            for d in list(deferred):
                try:
                    p.execute(d.sql)
                except CompileError:
                    continue
                deferred.remove(d)
                self.report.add(Outcome(self.qid(d), "statement", "correct", d.sql))

        for rec in records:
            if rec.kind == "hash-threshold":
                continue
            if rec.kind == "statement":
                qid = self.qid(rec)
                is_dml = bool(_DML.match(rec.sql))
                is_drop = bool(_DROP.match(rec.sql))
                if not is_dml:
                    step()  # DDL sees the data so far, as in SQLite
                    if is_drop:
                        # our views must not keep the script's tables and views from being dropped
                        for name, _ in live:
                            self._drop(p, name)
                        live.clear()
                try:
                    execute_blaming_views(rec.sql)
                except Exception as e:  # noqa: BLE001
                    if rec.expect_error and isinstance(e, (CompileError, DataError)):
                        self.report.add(Outcome(qid, "statement", "correct", rec.sql))
                    elif is_drop and isinstance(e, CompileError) and "depend" in e.message:
                        # SQLite drops a view other views read (they break until it is re-created);
                        # deltasql refuses (RESTRICT).  Scripts drop the dependents next: retry then.
                        deferred.append(rec)
                    else:
                        o = _error_outcome(qid, "statement", rec.sql, e)
                        self.report.add(o)
                        if not _SELECT.match(rec.sql):
                            diverged = diverged or f"line {rec.line}: {o.cause}"
                    continue
                if is_drop:
                    retry_deferred()
                gone = _dropped_but_present(p, rec.sql)
                if gone and not rec.expect_error:
                    self.report.add(Outcome(qid, "statement", "wrong", rec.sql,
                                            f"the statement ran but {gone!r} still exists",
                                            "DROP did nothing"))
                    diverged = diverged or f"line {rec.line}: DROP did nothing"
                elif rec.expect_error:
                    self.report.add(Outcome(qid, "statement", "wrong", rec.sql,
                                            "SQLite rejects this statement; it ran here",
                                            "statement error accepted"))
                    if not _SELECT.match(rec.sql):
                        diverged = diverged or f"line {rec.line}: a statement SQLite rejects ran"
                else:
                    self.report.add(Outcome(qid, "statement", "correct", rec.sql))
                dirty = dirty or is_dml
                continue
            if id(rec) not in chosen:
                continue
            step()
            name = _view_name(rec.line)
            try:
                p.execute(f"CREATE VIEW {name} AS {rec.sql}")
            except Exception as e:  # noqa: BLE001
                self.report.add(_error_outcome(self.qid(rec), "query", rec.sql, e, bool(rec.results)))
                continue
            o = self._check_view(p, name, rec)
            if o.status == "wrong" and diverged:
                # the tables differ from SQLite's since a statement failed: not this query's fault
                o.status = "unsupported"
                o.cause = f"state diverged after a failed statement ({diverged.split(': ', 1)[1][:80]})"
                o.detail += f"\n(after the failed statement at {diverged})"
            self.report.add(o)
            if o.status != "correct":
                broken.add(name)
            live.append((name, rec))
            while len(live) > LIVE:
                old, _ = live.pop(0)
                self._drop(p, old)
        step()
        for d in deferred:
            self.report.add(Outcome(self.qid(d), "statement", "unsupported", d.sql,
                                    "DROP VIEW of a view other views read (SQLite allows it)",
                                    "DROP VIEW refused: other views read it (never dropped later)"))

    def _drop(self, p: Pipeline, name: str) -> None:
        try:
            p.execute(f"DROP VIEW {name}")
        except CompileError:
            pass  # a view of the script's own depends on it? they cannot name ours

    def _recheck(self, p: Pipeline, live, changes: dict, broken: set) -> None:
        """After a step: compare some live views with their query evaluated ad hoc now."""
        changed = [(n, r) for n, r in live if n in changes and n not in broken]
        rest = [(n, r) for n, r in live if n not in changes and n not in broken]
        pick = changed[:RECHECK] + rest[:max(0, 2 - len(changed))]
        for name, rec in pick:
            try:
                v = p.view(name)
                got = sorted(render_rows(v.rows(), "T" * len(v.columns)))
                want = sorted(render_rows(p.execute(rec.sql), "T" * len(v.columns)))
            except Exception as e:  # noqa: BLE001
                o = _error_outcome(f"{self.qid(rec)}@recheck", "query", rec.sql, e)
                if o.status == "unsupported":
                    continue  # the ad hoc path refusing is not a maintenance finding
                o.status = "crashed"
                self._later(o, True)
                broken.add(name)
                continue
            if got != want:
                broken.add(name)
                self._later(Outcome(
                    f"{self.qid(rec)}@recheck", "query", "wrong", rec.sql,
                    f"after a later step the view holds {' | '.join(map(' '.join, got[:8]))}\n"
                    f"the query ad hoc gives     {' | '.join(map(' '.join, want[:8]))}",
                    "wrong after later DML (view differs from ad hoc)"), True)

    def _later(self, o: Outcome, was_correct: bool) -> None:
        """A finding, after later steps, about a query already counted: its count moves to o.status."""
        self.report.failures.append(o)
        if was_correct:
            self.report.queries["correct"] -= 1
            self.report.queries[o.status] += 1


# -- reports -----------------------------------------------------------------------------------------

def collect(paths: list[str]) -> list[str]:
    """Every .test file under the given files and directories, sorted."""
    out = []
    for p in paths:
        if os.path.isdir(p):
            for root, _dirs, files in os.walk(p):
                out.extend(os.path.join(root, f) for f in files if f.endswith(".test"))
        else:
            out.append(p)
    return sorted(out)


def read_qids(path: str) -> dict[str, set]:
    """file id -> query lines, from a list of query ids (one per line, e.g. the known-failures list)."""
    out: dict[str, set] = {}
    with open(path) as f:
        for line in f:
            words = line.split("#", 1)[0].split()
            if words:
                fid, _, rest = words[0].rpartition(":")
                out.setdefault(fid, set()).add(int(rest.split("@")[0]))
    return out


def run_file(args) -> dict:
    path, sample, seed, chunk, lines = args
    return FileRun(path, sample, seed, chunk, lines).run().to_json()


def run_files(files: list[str], sample=None, seed=0, jobs=1, chunk=CHUNK, only=None,
              progress=None) -> list[FileReport]:
    """Run scripts (in ``jobs`` processes); ``only`` maps a file id to the query lines to run."""
    if only is not None:
        files = [f for f in files if file_id(f) in only]
    work = [(f, sample, seed, chunk, only.get(file_id(f)) if only is not None else None) for f in files]
    return map_files(run_file, FileReport.from_json, work, jobs, progress)


def map_files(run_one, from_json, work: list, jobs: int, progress=None, maxtasksperchild=None) -> list:
    """``run_one`` over ``work`` (tuples whose first item is a file's path) in ``jobs`` processes started
    by a fork server (not forked from this process: under pytest-xdist it has threads, and a fork of a
    process with threads may deadlock), biggest files first so the pool's tail is short; each result read
    back with ``from_json``, passed to ``progress`` as it arrives, and all returned sorted by file id."""
    out = []
    if jobs > 1 and len(work) > 1:
        import multiprocessing as mp
        work = sorted(work, key=lambda w: -os.path.getsize(w[0]))
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["deltasql", "duckdb", "sqlglot"])
        with ctx.Pool(jobs, maxtasksperchild=maxtasksperchild) as pool:
            for d in pool.imap_unordered(run_one, work):
                r = from_json(d)
                out.append(r)
                if progress:
                    progress(r)
    else:
        for w in work:
            r = from_json(run_one(w))
            out.append(r)
            if progress:
                progress(r)
    return sorted(out, key=lambda r: r.fid)


def summary_line(r: FileReport) -> str:
    q = r.queries
    bad_st = sum(r.statements[s] for s in ("wrong", "unsupported", "crashed"))
    return (f"{r.fid:<44} {r.mode:<10} {r.ran:>6}/{r.total_queries:<6} ok {q['correct']:>6}  wrong {q['wrong']:>4}  "
            f"unsup {q['unsupported']:>5}  crash {q['crashed']:>4}  refused {q['refused']:>3}  "
            f"stmt-fail {bad_st:>3}  {r.seconds:7.1f}s")


def totals(reports: list[FileReport]) -> tuple[Counter, Counter]:
    q, st = Counter(), Counter()
    for r in reports:
        q.update(r.queries)
        st.update(r.statements)
    return q, st


def _table_row(name: str, mode: str, reports: list[FileReport]) -> str:
    q, st = totals(reports)
    ran = sum(q.values())
    sup = 100.0 * (ran - q["unsupported"]) / ran if ran else 100.0
    bad_st = sum(st[s] for s in ("wrong", "unsupported", "crashed"))
    return (f"| {name} | {mode} | {ran} / {sum(r.total_queries for r in reports)} | {q['correct']} | {q['wrong']} | "
            f"{q['unsupported']} | {q['crashed']} | {q['refused']} | {sup:.3f} | {bad_st} | "
            f"{sum(r.seconds for r in reports):.1f} |")


def markdown_table(reports: list[FileReport]) -> str:
    lines = ["| file | mode | ran / queries | correct | wrong | unsupported | crashed | refused | supported % | "
             "statements failed | seconds |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    lines.extend(_table_row(r.fid, r.mode, [r]) for r in reports)
    target = [r for r in reports if r.fid.startswith(("random/", "index/"))]
    if target and len(target) < len(reports):
        lines.append(_table_row("**random/ + index/**", "", target))
    lines.append(_table_row("**total**", "", reports))
    return "\n".join(lines)


def run_info(argv, command: str = "python -m tests.slt.runner") -> dict:
    """How a run was made: its command line, date and the checkout's commit."""
    import subprocess
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=HERE).stdout.strip()
    except OSError:
        commit = "?"
    return {"command": command + " " + " ".join(argv), "date": time.strftime("%Y-%m-%d"), "commit": commit}


def markdown_report(reports: list[FileReport], info: dict) -> str:
    """The per-file table and the failures grouped by cause, as markdown."""
    q, st = totals(reports)
    ran = sum(q.values())
    out = ["# sqllogictest results", "",
           f"Generated by `{info['command']}` on {info['date']} at commit {info['commit']} (the checkout's "
           f"working tree, uncommitted changes included).", "",
           "Each query is a view registered before the data arrives (batch files) or over the data so far "
           "(sequential files); see tests/slt/runner.py.  *supported %* = share of queries that compiled.",
           "", markdown_table(reports), "",
           f"Statements: " + ", ".join(f"{k} {st[k]}" for k in STATUSES if st[k]) + ".", "",
           "## Failures by cause", "", "| count | status | cause | example |", "|---:|---|---|---|"]
    for status, cause, outs in failure_groups(reports):
        sql = " ".join(outs[0].sql.split())[:90].replace("|", "\\|")
        out.append(f"| {len(outs)} | {status} | {cause.replace('|', '/')} | {outs[0].qid} `{sql}` |")
    return "\n".join(out) + "\n"


def failure_groups(reports: list[FileReport]) -> list[tuple[str, str, list[Outcome]]]:
    """Failures grouped by (status, cause), biggest group first."""
    groups: dict = {}
    for r in reports:
        for o in r.failures:
            groups.setdefault((o.status, o.cause or o.status), []).append(o)
    return sorted(((s, c, os_) for (s, c), os_ in groups.items()), key=lambda g: -len(g[2]))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.slt.runner", description=__doc__.split("\n")[0])
    ap.add_argument("paths", nargs="*", help=".test files or directories holding them")
    ap.add_argument("--load", help="instead of running, read the results a previous --json wrote")
    ap.add_argument("--sample", type=int, default=None, help="run at most N queries per file (random)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", "-j", type=int, default=1, help="files run in parallel processes")
    ap.add_argument("--chunk", type=int, default=CHUNK, help="views per Pipeline in batch mode")
    ap.add_argument("--verbose", "-v", action="store_true", help="print every failure")
    ap.add_argument("--qids", help="run only the queries named in this file (first word of each line is "
                                   "a query id like random/expr/slt_good_0.test:46601; # starts a comment)")
    ap.add_argument("--json", help="write the full results (every failure) to this file")
    ap.add_argument("--report", help="write a markdown report (per-file table, failures by cause) here")
    args = ap.parse_args(argv)
    files = collect(args.paths)
    if not files and not args.load:
        print("no .test files found", file=sys.stderr)
        return 2

    def progress(r: FileReport) -> None:
        print(summary_line(r), flush=True)
        if args.verbose:
            for o in r.failures:
                print(f"  {o.status.upper()} {o.qid}: {o.sql.strip()[:200]}")
                for line in o.detail.splitlines()[:8]:
                    print(f"      {line}")

    t0 = time.perf_counter()
    info = run_info(argv if argv is not None else sys.argv[1:])
    if args.load:
        with open(args.load) as f:
            saved = json.load(f)
        info = saved["info"]
        reports = [FileReport.from_json(d) for d in saved["files"]]
        for r in reports:
            progress(r)
    else:
        only = read_qids(args.qids) if args.qids else None
        reports = run_files(files, args.sample, args.seed, args.jobs, args.chunk, only, progress)
    q, st = totals(reports)
    ran = sum(q.values())
    print(f"\n{len(reports)} files, {ran} queries in {time.perf_counter() - t0:.1f}s: "
          f"correct {q['correct']}, wrong {q['wrong']}, unsupported {q['unsupported']} "
          f"({100.0 * q['unsupported'] / ran if ran else 0:.2f}%), crashed {q['crashed']}; statements: "
          + ", ".join(f"{k} {st[k]}" for k in STATUSES if st[k]))
    groups = failure_groups(reports)
    if groups:
        print("\nfailures by cause:")
        for status, cause, outs in groups[:40]:
            print(f"  {len(outs):>6}  {status:<11} {cause}\n          e.g. {outs[0].qid}: {outs[0].sql.strip()[:150]}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"info": info, "files": [r.to_json() for r in reports]}, f, indent=1)
    if args.report:
        with open(args.report, "w") as f:
            f.write(markdown_report(reports, info))
    return 1 if q["wrong"] or q["crashed"] else 0


if __name__ == "__main__":
    sys.exit(main())
