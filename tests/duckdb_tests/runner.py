"""Run DuckDB's SQL test files through deltasql, every query as an incrementally maintained view,
answers compared with a live DuckDB.

A file runs in order against two engines kept side by side:

* **DuckDB** (``duckdb`` package, in memory, one thread) runs every statement; its tables and its
  answer to each query are the reference (the expected rows written in the file belong to another
  DuckDB build: they are not used).
* **deltasql, statements**: a Pipeline ``ours`` runs the same CREATE / INSERT / UPDATE / DELETE /
  DROP statements.  After each, the tables it touched are compared with DuckDB's: a statement
  refused (CompileError) is counted ``refused`` with its reason, one that left different contents
  ``wrong``; either way the table is then re-loaded from DuckDB (its schema and rows) so that the
  later statements are checked on the right data.

Queries between two changing statements see one state of the tables.  For each such state a fresh
Pipeline gets the tables' schemas (DuckDB's column types), the file's own views, and then every
query of that state as a view ``q_<line>`` — **before any data**.  The tables' rows (DuckDB's) then
arrive as changes in four steps: about 60% of the rows plus a few duplicate decoys; the rest with the
decoys deleted; a third of the rows deleted; those re-inserted.  Each view's contents (which must
also equal the sum of the changes it emitted) are then compared with DuckDB's answer as multisets,
floats to 1e-9 relative.

A query ends as one of:

``equal``     the same rows as DuckDB (or both refused to run it with an error);
``wrong``     different rows, or a different number of columns;
``order``     different rows, but DuckDB's own answer changes with the order it reads the tables'
              rows in (STRING_AGG without ORDER BY, LIMIT with ties, DISTINCT ON with ties...): DuckDB
              is run again over the same rows in a reversed and a shuffled order to find out.  Listed,
              never counted wrong, never hidden;
``lenient``   deltasql gives rows where DuckDB raises an error (DuckDB's error is kept in the detail);
``error``     deltasql raises a DataError where DuckDB gives rows;
``crashed``   any other exception (a bug);
``refused``   CREATE VIEW raised a CompileError (the reason is tallied), or a table or view the query
              reads could not be created (an unsupported column type: that reason);
``skipped``   not attempted for a reason outside deltasql: DuckDB itself fails on the file's setup,
              the file needs a database file or an extension, a table is too large for the budget.

Statements count ``ok``, ``wrong`` (the tables differ from DuckDB's after it), ``lenient`` (accepted
where DuckDB errs), ``error`` (a DataError where DuckDB runs it), ``crashed`` and ``refused``.
A setting DuckDB has and deltasql does not (``SET x``, ``PRAGMA x``) that could change answers makes
the file's later queries ``refused`` with that reason; settings that only tune DuckDB are ignored.
"""

from __future__ import annotations

import datetime
import os
import random
import re
import signal
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field, replace

import duckdb
import sqlglot
from sqlglot import exp

from deltasql import CompileError, DataError, Pipeline

from ..harness import _freeze, diff_multisets
from ..slt.runner import _cause, collect, map_files  # noqa: F401  (collect is part of this module's API)
from .prepared import Unbindable, bind, deallocated, executed, prepared
from .script import Record, is_simple_name, parse_file, strip_sql

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.normpath(os.environ.get("DELTASQL_SHARED") or os.path.join(HERE, "..", "..", "..", "shared"))
CORPUS = os.path.join(SHARED, "duckdb-tests")
QUERY_STATUSES = ("equal", "wrong", "order", "lenient", "error", "crashed", "refused", "skipped")
STATEMENT_STATUSES = ("ok", "wrong", "lenient", "error", "crashed", "refused")
MAX_ROWS = 12_000  # a table larger than this is not fed to deltasql: the queries reading it are skipped
# (12,000: the 10,003-row tables of the quantile, median and MAD files load and run in seconds; the CI
# sample keeps 5,000, tests/test_duckdb_tests.py SAMPLE_MAX_ROWS)
STATE_SECONDS = 60  # time budget for the views of one state
FILE_SECONDS = 300  # time budget for one file

# directories of test/sql/ reported on their own (issue 19's list); others report under their first part
GROUPS = ("aggregate", "window", "cte", "subquery", "join", "setops", "order", "select", "filter",
          "function/string", "function/numeric", "function/date", "function/list", "types/nested",
          "types/decimal", "types/null", "topn")

# settings that only tune DuckDB's execution or tests (not what a query answers)
HARMLESS_SETTINGS = {
    "lambda_syntax",  # which lambda spellings DuckDB parses (x -> … or lambda x: …); deltasql reads both
    "threads", "enable_verification", "disable_verification", "verify_parallelism", "verify_external",
    "enable_profiling", "disable_profiling", "profiling_mode", "profile_output", "explain_output",
    "memory_limit", "max_memory", "preserve_insertion_order", "disabled_optimizers", "force_parallelism",
    "verify_serializer", "enable_object_cache", "checkpoint_threshold", "wal_autocheckpoint",
    "force_checkpoint", "debug_force_external", "debug_force_no_cross_product", "enable_progress_bar",
    "disable_progress_bar", "temp_directory", "errors_as_json", "debug_window_mode", "verify_fetch_row",
    "enable_optimizer", "disable_optimizer", "external_threads", "debug_verify_vector", "storage_compatibility_version",
    "enable_external_access", "lock_configuration", "immediate_transaction_mode", "debug_asof_iejoin",
    "perfect_ht_threshold", "streaming_buffer_size", "verify_pushdown", "scalar_subquery_error_on_multiple_rows",
    "partitioned_write_flush_threshold", "enable_http_metadata_cache", "default_block_size", "debug_skip_checkpoint_on_commit",
    "allocator_flush_threshold", "allocator_background_threads", "enable_fsst_vectors", "merge_join_threshold",
    "nested_loop_join_threshold", "prefer_range_joins", "dynamic_or_filter_threshold", "late_materialization_max_rows",
    "force_compression", "force_bitpacking_mode", "max_temp_directory_size", "variable", "seed",
    "pivot_filter_threshold", "ordered_aggregate_threshold", "abort_on_wal_failure", "index_scan_percentage",
    "index_scan_max_count", "disable_timestamptz_casts", "arrow_large_buffer_size",
    "profiling_renderer_settings", "debug_verify_serializer", "enable_caching_operators",
    "approximate_join_order_threshold", "debug_verify_column_bindings",
    "delim_join_as_cte",  # how DuckDB plans a decorrelated join (as a CTE or not): the same answers
}

_QUERY_START = re.compile(r"^\s*(\(*\s*)(SELECT|WITH|VALUES|FROM|TABLE)\b", re.I)
_SETTING = re.compile(r"^\s*(SET|RESET|PRAGMA)\s+(GLOBAL\s+|SESSION\s+|LOCAL\s+)?(\w+)", re.I)
_IGNORED_STATEMENT = re.compile(r"^\s*(EXPLAIN|DESCRIBE|SHOW|SUMMARIZE|CHECKPOINT|FORCE\s+CHECKPOINT|VACUUM|"
                                r"ANALYZE|CALL|PREPARE|EXECUTE|DEALLOCATE|SUMMARIZE|LOAD|INSTALL|"
                                r"EXPORT|IMPORT|COPY|ATTACH|DETACH|USE)\b", re.I)

_TIMESTAMP_UNITS = ("TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS")  # DuckDB's other TIMESTAMPs


@dataclass
class Outcome:
    """The result of one query or statement."""

    qid: str  # path relative to the corpus, and the record key: test/sql/x.test:12
    kind: str  # "query" or "statement"
    status: str
    sql: str
    cause: str = ""  # a short key to group by (the refusal reason, the error)
    detail: str = ""


@dataclass
class FileReport:
    path: str
    fid: str
    queries: Counter = field(default_factory=Counter)
    statements: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    outcomes: list[Outcome] = field(default_factory=list)  # every outcome but equal / ok
    notes: list[str] = field(default_factory=list)

    def add(self, o: Outcome) -> None:
        (self.queries if o.kind == "query" else self.statements)[o.status] += 1
        if o.status not in ("equal", "ok"):
            self.outcomes.append(o)

    def to_json(self) -> dict:
        return {"path": self.path, "fid": self.fid, "queries": dict(self.queries),
                "statements": dict(self.statements), "seconds": round(self.seconds, 2), "notes": self.notes,
                "outcomes": [o.__dict__ for o in self.outcomes]}

    @classmethod
    def from_json(cls, d: dict) -> "FileReport":
        r = cls(d["path"], d["fid"], Counter(d["queries"]), Counter(d["statements"]), d["seconds"],
                notes=d.get("notes", []))
        r.outcomes = [Outcome(**o) for o in d["outcomes"]]
        return r


def file_id(path: str) -> str:
    full = os.path.abspath(path)
    if full.startswith(CORPUS + os.sep):
        return os.path.relpath(full, CORPUS).replace(os.sep, "/")
    return path


def group_of(fid: str) -> str:
    """The report row a file counts in: the longest of GROUPS its directory starts with."""
    rel = fid.split("test/sql/", 1)[-1]
    parts = rel.split("/")[:-1]
    best = ""
    for g in GROUPS:
        if "/".join(parts).startswith(g) and ("/".join(parts) == g or "/".join(parts).startswith(g + "/")):
            best = g if len(g) > len(best) else best
    return best or (parts[0] if parts else "(top)")


class Timeout(BaseException):
    """The runner's time budget ran out (a BaseException: no ``except Exception`` swallows it)."""


def _alarm(seconds: int):
    def handler(signum, frame):
        raise Timeout(f"over {seconds}s")
    signal.signal(signal.SIGALRM, handler)
    signal.alarm(seconds)


# -- values ------------------------------------------------------------------------------------------

_IV_PART = re.compile(r"(-?\d+) (year|month|day)s?")
_IV_TIME = re.compile(r"(-?)(\d+):(\d\d):(\d\d)(?:\.(\d+))?")


def interval_from_text(text: str):
    """DuckDB's text of an INTERVAL ('1 year 2 months 3 days 04:05:06.5') as deltasql's Interval."""
    from deltasql.sqllib.sqlfuncs import Interval
    months = days = micros = 0
    for n, unit in _IV_PART.findall(text):
        n = int(n)
        if unit == "year":
            months += 12 * n
        elif unit == "month":
            months += n
        else:
            days += n
    m = _IV_TIME.search(text)
    if m:
        sign = -1 if m.group(1) else 1
        frac = (m.group(5) or "").ljust(6, "0")[:6]
        micros = sign * ((int(m.group(2)) * 3600 + int(m.group(3)) * 60 + int(m.group(4))) * 1_000_000 + int(frac or 0))
    return Interval(months, days, micros)


def same_rows(expected, got) -> tuple[bool, str]:
    """Whether two row lists are equal as multisets (floats within 1e-9 relative); a short diff if not."""
    e = [tuple(_freeze(v) for v in r) for r in expected]
    g = [tuple(_freeze(v) for v in r) for r in got]
    missing, extra = diff_multisets(e, g)
    if not missing and not extra:
        return True, ""

    def show(rows):
        s = "; ".join(repr(r) for r in rows[:6])
        return s + (f" … ({len(rows)} rows)" if len(rows) > 6 else "")
    return False, f"DuckDB only:   {show(missing)}\ndeltasql only: {show(extra)}"


# -- DuckDB's side -----------------------------------------------------------------------------------

_DEFAULT_SETTINGS: dict = {}  # DuckDB setting -> its value in a new connection


class Duck:
    """The reference engine, and what the runner needs to know about its tables."""

    def __init__(self):
        self.con = duckdb.connect(":memory:")
        self.con.execute("SET threads=1")
        self.views: dict[str, str] = {}  # the file's views still alive: name -> CREATE VIEW text

    def run(self, sql: str):
        """(columns, rows) of a statement's result, raising DuckDB's error."""
        cur = self.con.execute(sql)
        if cur.description is None:
            return [], []
        return [d[0] for d in cur.description], cur.fetchall()

    def tables(self) -> list[str]:
        return [r[0] for r in self.con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name IN ('main', 'temp') ORDER BY table_oid").fetchall()]

    def setting_is_default(self, name: str) -> bool:
        """Whether DuckDB's setting has the value a new connection starts with."""
        try:
            now = self.con.execute("SELECT current_setting(?)", [name]).fetchone()[0]
            if name not in _DEFAULT_SETTINGS:
                fresh = duckdb.connect(":memory:")
                try:
                    _DEFAULT_SETTINGS[name] = fresh.execute("SELECT current_setting(?)", [name]).fetchone()[0]
                finally:
                    fresh.close()
        except duckdb.Error:  # not a setting (a PRAGMA that is a function)
            return False
        return now == _DEFAULT_SETTINGS[name]

    def view_names(self) -> set:
        return {r[0].lower() for r in self.con.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal AND database_name = current_database()"
        ).fetchall()}

    def schema(self, table: str) -> list[tuple[str, str]]:
        """(name, type) of each column of the table a query naming ``table`` reads."""
        return [(r[0], r[1]) for r in self.con.execute(f'DESCRIBE "{table}"').fetchall()]

    def count(self, table: str) -> int:
        return self.con.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]

    def rows(self, table: str, schema) -> list[tuple]:
        """The table's rows as Python values deltasql takes: INTERVALs read from their text (the
        Python API drops months), ±infinity DATEs and TIMESTAMPs as deltasql's infinite values (the
        Python API gives the largest or smallest date instead)."""
        from deltasql.sqllib.dates import infinite
        cols = ", ".join(f'"{c}"::VARCHAR' if t == "INTERVAL" else f'"{c}"' for c, t in schema)
        temporal = [i for i, (_, t) in enumerate(schema) if t in ("DATE", "TIMESTAMP") + _TIMESTAMP_UNITS]
        flags = "".join(f', isinf("{schema[i][0]}")' for i in temporal)
        rows = self.con.execute(f'SELECT {cols}{flags} FROM "{table}"').fetchall()
        ivs = [i for i, (_, t) in enumerate(schema) if t == "INTERVAL"]
        width = len(schema)
        out = []
        for r in rows:
            vals = list(r[:width])
            for i in ivs:
                if vals[i] is not None:
                    vals[i] = interval_from_text(vals[i])
            for n, i in enumerate(temporal):
                if r[width + n]:
                    vals[i] = infinite(schema[i][1] != "DATE", 1 if vals[i].year > 5000 else -1)
            out.append(tuple(vals))
        return out

    def note_view(self, sql: str) -> None:
        """Keep track of the file's views (their text, to replay in deltasql) after a statement ran."""
        alive = self.view_names()
        for name in list(self.views):
            if name not in alive:
                del self.views[name]
        try:
            trees = sqlglot.parse(sql, read="duckdb")
        except Exception:  # noqa: BLE001
            return
        for t in trees:
            if isinstance(t, exp.Create) and (t.args.get("kind") or "").upper() == "VIEW":
                name = t.this.name.lower() if isinstance(t.this, exp.Table) else t.this.this.name.lower()
                if name in alive:
                    self.views.pop(name, None)
                    self.views[name] = t.sql(dialect="duckdb")

    def variant_answer(self, sql: str, order: str, seed: int):
        """DuckDB's answer to a query over the same rows stored in another order (``reverse`` or
        ``shuffle``): the tables copied into an attached database in that order, the file's views
        re-created there."""
        con = self.con
        con.execute("ATTACH ':memory:' AS variant")
        try:
            for t in self.tables():
                how = "rowid DESC" if order == "reverse" else f"hash(rowid + {seed})"
                con.execute(f'CREATE TABLE variant."{t}" AS SELECT * FROM memory."{t}" ORDER BY {how}')
            con.execute("USE variant")
            for v in self.views.values():
                con.execute(v)
            return self.run(sql)[1]
        finally:
            con.execute("USE memory")
            con.execute("DETACH variant")


# -- loading tables into a Pipeline ------------------------------------------------------------------

def column_sql(name: str, typ: str) -> str:
    return f"{name if is_simple_name(name) else chr(34) + name.replace(chr(34), chr(34) * 2) + chr(34)} {typ}"


def create_table(p: Pipeline, name: str, schema) -> None:
    """CREATE TABLE name (… DuckDB's column types …) in a Pipeline; CompileError if it cannot."""
    cols = ", ".join(column_sql(c, t) for c, t in schema)
    qname = name if is_simple_name(name) else '"' + name + '"'
    try:
        p.execute(f"CREATE TABLE {qname} ({cols})")
    except CompileError:
        if all(is_simple_name(c) for c, _ in schema):
            raise
        p.execute(f"CREATE TABLE {qname} ({', '.join(column_sql(c + ' ', t)[:-1] for c, t in schema)})")


def table_name_in(p: Pipeline, name: str) -> str | None:
    for t in p.tables:
        if t.lower() == name.lower():
            return t
    return None


# -- one file ----------------------------------------------------------------------------------------

@dataclass
class PendingQuery:
    rec: Record
    sql: str
    expect_error: bool  # a ``statement error`` record holding a query
    duck_cols: list | None = None
    duck_rows: list | None = None
    duck_error: str | None = None


class FileRun:
    def __init__(self, path: str, seed: int = 0, keys: set | None = None, max_rows: int = MAX_ROWS):
        self.path = path
        self.fid = file_id(path)
        self.report = FileReport(path, self.fid)
        self.seed = seed
        self.keys = keys  # run only these query keys (record.key), else all
        self.max_rows = max_rows
        self.rng = random.Random(f"{seed}:{self.fid}")
        self.duck = Duck()
        self.ours = Pipeline("duckdb")
        self.pending: list[PendingQuery] = []
        self.blocks: dict[str, str] = {}  # settings deltasql lacks, in force now: name -> reason
        self.blocked: str = ""  # a setting deltasql lacks is in force: later queries are refused with this
        self.settings: list[str] = []  # the settings deltasql took (SET default_null_order …), in order
        self.unavailable: dict[str, str] = {}  # table -> why deltasql's copy of it cannot be made
        # PREPAREd statements: name -> (text, the block in force then, the settings in force then)
        self.prepared: dict[str, tuple[str, str, list[str]]] = {}

    def qid(self, rec: Record) -> str:
        return f"{self.fid}:{rec.key}"

    def run(self) -> FileReport:
        t0 = time.perf_counter()
        try:
            _alarm(FILE_SECONDS)
            self._run()
        except Timeout:
            self.report.notes.append(f"the file took over {FILE_SECONDS}s: stopped")
        except (duckdb.Error, OSError, RecursionError) as e:  # the runner's own trouble with a file
            self.report.notes.append(f"runner error: {type(e).__name__}: {str(e).splitlines()[0][:200]}")
        except _SkipFile as e:
            self.report.notes.append(f"skipped: {e}")
            for rec in e.records:
                if rec.kind == "query" or (rec.kind == "statement" and _QUERY_START.match(rec.sql)):
                    if self.keys is None or rec.key in self.keys:
                        self.report.add(Outcome(self.qid(rec), "query", "skipped", rec.sql, str(e)))
        finally:
            signal.alarm(0)
            self.duck.con.close()
        self.report.seconds = time.perf_counter() - t0
        return self.report

    def _run(self) -> None:
        records = parse_file(self.path)
        for i, rec in enumerate(records):
            if rec.kind == "require":
                self._require(rec, records[i:])
            elif rec.kind in ("load", "unzip"):
                raise _SkipFile("needs a database file (load/unzip)", records[i:])
            elif rec.kind == "halt":
                break
        for rec in records:
            if rec.kind not in ("query", "statement"):
                if rec.kind == "restart":
                    self.flush()  # in memory a restart keeps nothing; DuckDB's runner keeps file
                    # databases only, and files that load one are skipped: the state carries on
                elif rec.kind == "halt":
                    break
                continue
            duck_sql = None
            bound = self._bound_execute(rec)
            if bound is not None:  # EXECUTE name(args): DuckDB runs it, deltasql the statement it binds
                duck_sql, rec = rec.sql, bound
            ignored = _IGNORED_STATEMENT.match(rec.sql) or _SETTING.match(rec.sql)
            if rec.kind == "query" and ignored:
                self._query_record(rec, expect_error=False)  # counted as skipped: not a query
            elif _QUERY_START.match(rec.sql) and _single_query(rec.sql):
                self._query_record(rec, expect_error=rec.kind == "statement" and rec.expect == "error",
                                   duck_sql=duck_sql)
            else:  # a statement, or a query record holding one (CREATE TABLE … AS, INSERT …)
                self.flush()
                self.statement(rec, duck_sql)
        self.flush()

    def _bound_execute(self, rec: Record) -> Record | None:
        """An EXECUTE of a statement PREPAREd (and not deallocated) in this file, as a record of the
        statement with its parameters bound to the arguments (tests/duckdb_tests/prepared.py); None
        when rec is no such EXECUTE or it cannot be bound (it is then left out as before).  Bound
        where the settings in force differ from those at the PREPARE, the statement would be
        compiled under other settings than DuckDB's: left out too."""
        call = executed(rec.sql)
        if call is None or call[0] not in self.prepared:
            return None
        text, blocked, settings = self.prepared[call[0]]
        if blocked != self.blocked or settings != self.settings:
            return None
        try:
            return replace(rec, sql=bind(text, call[1], call[2]))
        except Unbindable:
            return None

    def _require(self, rec: Record, rest) -> None:
        what = rec.args[0] if rec.args else ""
        if what in ("vector_size", "64bit", "notwindows", "no_alternative_verify", "skip_reload", "ram",
                    "longdouble", "no_extension_autoloading", "exact_vector_size", "block_size", "noforcestorage"):
            return
        if what in ("windows",):
            raise _SkipFile("require windows", rest)
        try:
            self.duck.con.execute(f"LOAD {what}")
        except Exception:  # noqa: BLE001
            raise _SkipFile(f"require {what}: not available", rest) from None

    # -- statements -----------------------------------------------------------------------------
    def statement(self, rec: Record, duck_sql: str | None = None) -> None:
        """A statement run by both engines (DuckDB runs duck_sql instead when given: the EXECUTE
        that rec's statement was bound from)."""
        sql = rec.sql
        qid = self.qid(rec)
        m = _SETTING.match(sql)
        if m or _IGNORED_STATEMENT.match(sql):
            try:
                self.duck.run(sql)
            except Exception:  # noqa: BLE001
                return
            if prepared(sql) is not None:
                name, text = prepared(sql)
                self.prepared[name] = (text, self.blocked, list(self.settings))
            elif deallocated(sql) is not None:
                self.prepared.pop(deallocated(sql), None)
            if m and m.group(3).lower() not in HARMLESS_SETTINGS:
                name = m.group(3).lower()
                if name in self.blocks and self.duck.setting_is_default(name):
                    del self.blocks[name]  # set back to DuckDB's default: what deltasql answers again
                    self.blocked = next(iter(self.blocks.values()), "")
                    return
                try:
                    self.ours.execute(sql)
                    self.settings.append(sql)  # (every fresh pipeline of a later state gets it too)
                except CompileError as e:
                    self.blocks[name] = f"setting {name} (deltasql does not have it)"
                    self.blocked = next(iter(self.blocks.values()))
                    self.report.add(Outcome(qid, "statement", "refused", sql, _cause(e)))
            return
        duck_error = None
        try:
            self.duck.run(duck_sql or sql)
        except Exception as e:  # noqa: BLE001
            duck_error = f"{type(e).__name__}: {str(e).splitlines()[0]}"
        if duck_error is None:
            self.duck.note_view(sql)
        elif rec.expect != "error":
            self.report.notes.append(f"line {rec.key}: DuckDB failed a statement the file expects to run: "
                                     f"{duck_error[:200]}")
        try:
            self.ours.execute(sql)
            if not self.ours.in_transaction:  # (inside BEGIN … COMMIT the changes wait for the COMMIT)
                self.ours.step()
            ours_error = None
        except (CompileError, DataError) as e:
            ours_error = e
            self.ours.discard()
        except Exception as e:  # noqa: BLE001
            ours_error = e
            self.ours.discard()
            self.report.add(Outcome(qid, "statement", "crashed", sql, _cause(e), _trace(e)))
            self.resync(sql, ours_failed=True)
            return
        if duck_error is not None:
            if ours_error is None:
                self.report.add(Outcome(qid, "statement", "lenient", sql, "accepted where DuckDB errs", duck_error))
            else:
                self.report.statements["ok"] += 1
            self.resync(sql, ours_failed=ours_error is not None)
            return
        if ours_error is not None:
            status = "refused" if isinstance(ours_error, CompileError) else "error"
            self.report.add(Outcome(qid, "statement", status, sql, _cause(ours_error), str(ours_error)))
            self.resync(sql, ours_failed=True)
            return
        if self.ours.in_transaction:  # deltasql's tables show what was committed: compared after COMMIT
            self.report.statements["ok"] += 1
            return
        diff = self.resync(sql)
        if diff:
            self.report.add(Outcome(qid, "statement", "wrong", sql, "table contents differ from DuckDB's", diff))
        else:
            self.report.statements["ok"] += 1

    def resync(self, sql: str, ours_failed: bool = False) -> str:
        """Make deltasql's tables equal DuckDB's again (those the statement names, those created or
        dropped); returns what differed (empty if nothing did, or if only a statement deltasql
        failed, already counted, left them apart)."""
        duck_tables = self.duck.tables()
        lower = {t.lower(): t for t in duck_tables}
        for name in list(self.unavailable):
            if name not in lower:
                del self.unavailable[name]
        diffs = []
        for t in list(self.ours.tables):
            if t.lower() not in lower:
                diffs.append(f"table {t} exists in deltasql only")
                self._drop(t)
        touched = _named_tables(sql)
        for t in duck_tables:
            key = t.lower()
            mine = table_name_in(self.ours, t)
            named = touched is None or key in touched
            if mine is None:
                if key in self.unavailable and not named:
                    continue  # a table deltasql cannot hold, already counted
                self.unavailable.pop(key, None)
                if not ours_failed:
                    diffs.append(f"table {t} is missing in deltasql")
                self._load(t)
                continue
            if not named:
                continue
            schema = self.duck.schema(t)
            if len(self.ours.columns(mine)) != len(schema):
                diffs.append(f"table {t} has {len(self.ours.columns(mine))} columns in deltasql, "
                             f"{len(schema)} in DuckDB")
                self._drop(mine)
                self._load(t)
                continue
            if self.duck.count(t) > self.max_rows:
                continue
            want = self.duck.rows(t, schema)
            ok, d = same_rows(want, self.ours.table_rows(mine))
            if not ok:
                diffs.append(f"table {t}: {d}")
                self._drop(mine)
                self._load(t)
        return "" if ours_failed else "\n".join(diffs)

    def _drop(self, name: str) -> None:
        for v in list(self.ours.views):
            self.ours.execute(f'DROP VIEW "{v}"')
        self.ours.execute(f'DROP TABLE "{name}"')

    def _load(self, t: str) -> None:
        """Create DuckDB's table t in ``ours`` and fill it with DuckDB's rows (or note why not)."""
        schema = self.duck.schema(t)
        try:
            create_table(self.ours, t, schema)
        except CompileError as e:
            self.unavailable[t.lower()] = _cause(e)
            return
        if self.duck.count(t) > self.max_rows:
            self.unavailable[t.lower()] = "skipped: table too large for the runner"
            return
        try:
            self.ours.insert(table_name_in(self.ours, t), self.duck.rows(t, schema))
            self.ours.step()
        except DataError as e:
            self.ours.discard()
            self.unavailable[t.lower()] = f"DuckDB's rows cannot be loaded: {_cause(e)}"

    # -- queries --------------------------------------------------------------------------------
    def _query_record(self, rec: Record, expect_error: bool, duck_sql: str | None = None) -> None:
        """A query to check at the current state (DuckDB answers duck_sql instead when given: the
        EXECUTE that rec's query was bound from)."""
        if self.keys is not None and rec.key not in self.keys:
            return
        q = PendingQuery(rec, strip_sql(rec.sql), expect_error)
        if _IGNORED_STATEMENT.match(q.sql) or _SETTING.match(q.sql):
            self.report.add(Outcome(self.qid(rec), "query", "skipped", q.sql,
                                    f"skipped: not a query ({q.sql.split()[0].upper()})"))
            try:
                self.duck.run(q.sql)
            except Exception:  # noqa: BLE001
                pass
            return
        try:
            q.duck_cols, q.duck_rows = self.duck.run(duck_sql or q.sql)
        except Exception as e:  # noqa: BLE001
            q.duck_error = f"{type(e).__name__}: {str(e).splitlines()[0][:300]}"
        self.pending.append(q)

    def flush(self) -> None:
        """Check the queries asked at the current state of the tables."""
        batch, self.pending = self.pending, []
        if not batch:
            return
        if self.blocked:
            for q in batch:
                self.report.add(Outcome(self.qid(q.rec), "query", "refused", q.sql, self.blocked))
            return
        outcomes = self.check_state(batch)
        for o in outcomes:
            self.report.add(o)

    def check_state(self, batch: list[PendingQuery]) -> list[Outcome]:
        """Every query of the batch a view of one fresh Pipeline, registered before the data; then
        the data in steps.  A failure nobody can be blamed for reruns the views one by one."""
        try:
            signal.alarm(STATE_SECONDS)
            return self._check_views(batch)
        except _Unattributed:
            pass
        except Timeout:
            if len(batch) == 1:
                return [Outcome(self.qid(batch[0].rec), "query", "skipped", batch[0].sql,
                                f"skipped: over the runner's {STATE_SECONDS}s for one query")]
        finally:
            signal.alarm(FILE_SECONDS)  # the file's budget starts again: a rough bound is enough
        if len(batch) == 1:
            return [Outcome(self.qid(batch[0].rec), "query", "crashed", batch[0].sql, "step failed")]
        out = []
        for q in batch:
            out.extend(self.check_state([q]))
        return out

    def _check_views(self, batch: list[PendingQuery]) -> list[Outcome]:
        p = Pipeline("duckdb")
        for sql in self.settings:
            p.execute(sql)
        tables = {}
        for t in self.duck.tables():
            if t.lower() in self.unavailable:
                continue
            schema = self.duck.schema(t)
            if self.duck.count(t) > self.max_rows:
                self.unavailable[t.lower()] = "skipped: table too large for the runner"
                continue
            try:
                create_table(p, t, schema)
            except CompileError as e:
                self.unavailable[t.lower()] = _cause(e)
                continue
            tables[table_name_in(p, t)] = self.duck.rows(t, schema)
        broken_views = {}
        for name, sql in self.duck.views.items():
            try:
                p.execute(sql)
            except CompileError as e:
                broken_views[name] = f"the file's view {name} is refused: {_cause(e)}"
        out: list[Outcome] = []
        live: dict[str, PendingQuery] = {}
        for n, q in enumerate(batch):
            qid = self.qid(q.rec)
            name = f"q_{q.rec.line}_{n}"  # unique in the batch (loop tags differ in characters a name cannot hold)
            reason = self._unavailable_reason(q.sql, broken_views)
            if reason is not None and reason.startswith("skipped"):
                out.append(Outcome(qid, "query", "skipped", q.sql, reason))
                continue
            try:
                p.execute(f"CREATE VIEW {name} AS {q.sql}")
            except CompileError as e:
                out.append(self._refused(q, reason or _cause(e), e))
                continue
            except DataError as e:  # a view over constants fails as it is filled
                status = "equal" if q.duck_error is not None else "error"
                out.append(Outcome(qid, "query", status, q.sql, _cause(e), str(e)[:500]))
                continue
            except Exception as e:  # noqa: BLE001
                out.append(Outcome(qid, "query", "crashed", q.sql, _cause(e), _trace(e)))
                continue
            live[name] = q
        if not live:
            return out
        # a view's changes, from the first step after it was created (which delivers what it held
        # then: an aggregate over no rows has its row already), add up to its contents
        sums: dict[str, Counter] = {n: Counter() for n in live}
        try:
            for step in self.feed_steps(tables):
                for op, t, rows in step:
                    (p.insert if op == "+" else p.delete)(t, rows)
                changes = p.step()
                for n, delta in changes.items():
                    if n in sums:
                        for row, w in delta:
                            sums[n][row] += w
        except DataError as e:
            if len(live) > 1:
                raise _Unattributed() from e
            (name, q), = live.items()
            if q.duck_error is not None:
                return out + [Outcome(self.qid(q.rec), "query", "equal", q.sql)]
            return out + [Outcome(self.qid(q.rec), "query", "error", q.sql, _cause(e), str(e)[:500])]
        except Timeout:
            raise
        except Exception as e:  # noqa: BLE001
            if len(live) > 1:
                raise _Unattributed() from e
            (name, q), = live.items()
            return out + [Outcome(self.qid(q.rec), "query", "crashed", q.sql, _cause(e), _trace(e))]
        for name, q in live.items():
            out.append(self.judge(q, p.view(name), sums[name]))
        return out

    def _refused(self, q: PendingQuery, reason: str, e: CompileError) -> Outcome:
        if q.duck_error is not None:
            return Outcome(self.qid(q.rec), "query", "equal", q.sql)  # both refuse it
        return Outcome(self.qid(q.rec), "query", "refused", q.sql, reason, e.message)

    def _unavailable_reason(self, sql: str, broken_views: dict) -> str | None:
        names = _named_tables(sql) or set()
        for n in names:
            if n in self.unavailable:
                why = self.unavailable[n]
                return why if why.startswith("skipped") else f"table {n}: {why}"
            if n in broken_views:
                return broken_views[n]
        return None

    def feed_steps(self, tables: dict) -> list:
        """The tables' rows as four steps of changes: ~60% plus duplicate decoys; the rest, decoys
        deleted; a third deleted; that third re-inserted."""
        steps = [[], [], [], []]
        for t, rows in tables.items():
            if not rows:
                continue
            rows = list(rows)
            self.rng.shuffle(rows)
            cut = (len(rows) * 3 + 4) // 5
            decoys = [self.rng.choice(rows) for _ in range(min(3, len(rows)))]
            third = rows[: len(rows) // 3]
            steps[0].append(("+", t, rows[:cut] + decoys))
            steps[1].append(("+", t, rows[cut:]))
            steps[1].append(("-", t, decoys))
            if third:
                steps[2].append(("-", t, third))
                steps[3].append(("+", t, third))
        return [s for s in steps if s] or [[]]

    def judge(self, q: PendingQuery, view, summed: Counter) -> Outcome:
        qid = self.qid(q.rec)
        got = view.rows()
        if q.duck_error is not None:
            return Outcome(qid, "query", "lenient", q.sql, "rows where DuckDB errs", q.duck_error)
        contents = Counter(got)
        if +summed != contents or -summed:
            return Outcome(qid, "query", "wrong", q.sql, "the view's changes do not add up to its contents",
                           f"sum of changes {dict(summed)!r:.300}\ncontents {dict(contents)!r:.300}")
        if len(view.columns) != len(q.duck_cols):
            return Outcome(qid, "query", "wrong", q.sql, "number of columns differs",
                           f"DuckDB {q.duck_cols}, deltasql {view.columns}")
        ok, diff = same_rows(q.duck_rows, got)
        if ok:
            return Outcome(qid, "query", "equal", q.sql)
        varies = self.order_dependent(q) or unordered(q.sql)
        if varies:
            return Outcome(qid, "query", "order", q.sql, "DuckDB's answer depends on the rows' order",
                           diff + f"\n{varies}")
        return Outcome(qid, "query", "wrong", q.sql, "different rows", diff)

    def order_dependent(self, q: PendingQuery) -> str:
        """Whether DuckDB answers differently over the same rows stored in another order: how, or ''."""
        for order, seed in (("reverse", 0), ("shuffle", 1), ("shuffle", 2)):
            try:
                other = self.duck.variant_answer(q.sql, order, seed)
            except Exception:  # noqa: BLE001
                continue
            ok, diff = same_rows(q.duck_rows, other)
            if not ok:
                return f"DuckDB over the rows in {order} order:\n{diff}"
        return ""


_ORDER_SENSITIVE_AGGREGATES = {"STRING_AGG", "GROUP_CONCAT", "LISTAGG", "ARRAY_AGG", "LIST", "FIRST", "LAST",
                                "ANY_VALUE", "ARBITRARY", "ARRAY_AGG", "HISTOGRAM"}
_ORDER_SENSITIVE_WINDOWS = (exp.RowNumber, exp.Rank, exp.DenseRank, exp.PercentRank, exp.CumeDist, exp.Ntile,
                            exp.Lag, exp.Lead, exp.FirstValue, exp.LastValue, exp.NthValue)


def unordered(sql: str) -> str:
    """Why a query's answer is not determined by its input as a multiset (SQL leaves an order open
    that the answer depends on), or ''; DuckDB answers by the order it happens to read rows in."""
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except Exception:  # noqa: BLE001
        return ""
    for node in tree.walk():
        if isinstance(node, (exp.Select, exp.Union, exp.Except, exp.Intersect)):
            if (node.args.get("limit") is not None or node.args.get("offset") is not None) \
                    and node.args.get("order") is None:
                return "LIMIT / OFFSET without ORDER BY"
            distinct = node.args.get("distinct")
            if isinstance(distinct, exp.Distinct) and distinct.args.get("on") is not None:
                return "DISTINCT ON (the row kept among ties)"
        if isinstance(node, exp.Window) and node.args.get("order") is None and \
                isinstance(node.this, _ORDER_SENSITIVE_WINDOWS):
            return f"{node.this.sql_name()} OVER without ORDER BY"
        if isinstance(node, exp.AggFunc) or isinstance(node, exp.Anonymous):
            name = node.name.upper() if isinstance(node, exp.Anonymous) else node.sql_name().upper()
            if (name in _ORDER_SENSITIVE_AGGREGATES or isinstance(node, (exp.GroupConcat, exp.ArrayAgg))) \
                    and not any(isinstance(a, exp.Order) for a in node.iter_expressions()):
                return f"{name} without ORDER BY"
    return ""


class _SkipFile(Exception):
    def __init__(self, why: str, records):
        super().__init__(why)
        self.records = records


class _Unattributed(Exception):
    pass


def _single_query(sql: str) -> bool:
    try:
        trees = [t for t in sqlglot.parse(sql, read="duckdb") if t is not None]
    except Exception:  # noqa: BLE001
        return True  # let deltasql's parser say what is wrong with it
    return len(trees) == 1 and isinstance(trees[0], exp.Query)


def _named_tables(sql: str) -> set | None:
    """Lower-cased names of the tables a statement names (None if it cannot be parsed)."""
    try:
        trees = [t for t in sqlglot.parse(sql, read="duckdb") if t is not None]
    except Exception:  # noqa: BLE001
        return None
    return {t.name.lower() for tree in trees for t in tree.find_all(exp.Table) if t.name}


def _trace(e: BaseException) -> str:
    return f"{type(e).__name__}: {e}\n" + "".join(traceback.format_exception(type(e), e, e.__traceback__, limit=-4))


# -- many files --------------------------------------------------------------------------------------

def run_file(args) -> dict:
    path, seed, keys, max_rows = args
    return FileRun(path, seed, keys, max_rows).run().to_json()


def run_files(files: list[str], seed: int = 0, jobs: int = 1, only: dict | None = None,
              max_rows: int = MAX_ROWS, progress=None) -> list[FileReport]:
    """Run files (in ``jobs`` processes); ``only`` maps a file id to the record keys to run."""
    if only is not None:
        files = [f for f in files if file_id(f) in only]
    work = [(f, seed, only.get(file_id(f)) if only is not None else None, max_rows) for f in files]
    return map_files(run_file, FileReport.from_json, work, jobs, progress, maxtasksperchild=20)


def sample_files(files: list[str], n: int, seed: int = 0) -> list[str]:
    """n files drawn from each report group in proportion to its size (at least one per group)."""
    by_group: dict[str, list[str]] = {}
    for f in sorted(files):
        by_group.setdefault(group_of(file_id(f)), []).append(f)
    rng = random.Random(seed)
    total = len(files)
    out = []
    for g, fs in sorted(by_group.items()):
        k = max(1, round(n * len(fs) / total)) if total else 0
        out.extend(rng.sample(fs, min(k, len(fs))))
    return sorted(out)
