"""Runs generated cases through DuckDB and deltasql: discards what DuckDB rejects, classifies
CompileErrors, drives the survivors through tests/harness.py, shrinks failures and keeps the counts.

    result = run_case(gen_case(7))     # a CaseResult: one ViewResult per view
    stats = Stats(); stats.add(result); print(stats.summary())
"""

from __future__ import annotations

import re
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field

import duckdb

import tests.harness as H
from deltasql import CompileError, Pipeline
from tests.harness import Harness, RandomChooser, Spec, ViewSpec, gen_steps

from .generator import Case, gen_case, keyed_tables
from .reduce import compile_error, describe, reduce_failure
from .timeouts import Timeout, deadline, timed_out

# a CompileError with one of these phrases refuses an unsupported construct; any other CompileError on
# SQL that DuckDB accepts is a wrong error
UNSUPPORTED = re.compile(r"not supported|unsupported|not deterministic|cannot be maintained|"
                         r"not stratifiable|must not read the recursion")

# which generated construct a refusal names (for the per-construct refusal rates)
BLAME = [(r"Lateral|LATERAL", "from:lateral"), (r"REGEXP_REPLACE", "fn:regexp_replace"),
         (r"regular expression", "expr:regexp_matches"), (r"SIMILAR TO", "expr:similar_to"),
         (r"BIT_LENGTH", "fn:bit_length"), (r"TRY_CAST", "fn:try_cast"), (r"DISTINCT ON", "select:distinct_on"),
         (r"ARRAY_AGG", "agg:array_agg"), (r"ON condition of an outer join", "join:subquery_in_on"),
         (r"GROUPING\(\) in a correlated", "group:grouping_function"), (r"BETWEEN SYMMETRIC", "expr:between_symmetric"),
         (r"POSITION", "fn:position"), (r"STRFTIME", "fn:strftime"), (r"UNKNOWN", "expr:is_unknown"),
         (r"window|OVER", "window:*"), (r"QUALIFY", "window:qualify"), (r"recursive|RECURSIVE", "rec:*")]


def blame(message: str) -> str:
    """The construct a refusal message names, or 'other: <message>'."""
    for pattern, feature in BLAME:
        if re.search(pattern, message):
            return feature
    return "other: " + normalize(message)

# outcomes that are bugs
BUG_STATUSES = ("fail", "rejected", "crash", "timeout")


@dataclass
class ViewResult:
    """What happened to one generated view.  status: discarded (DuckDB rejects it), dep_discarded
    (it reads a view that was dropped), unsupported (CompileError naming an unsupported construct),
    rejected (another CompileError: a wrong error), crash (not a CompileError), ok, fail (the
    harness found a difference), timeout."""

    case: int
    view: str
    sql: str
    features: frozenset
    status: str = "pending"  # see BUG_STATUSES; also harness_nan, inconclusive
    message: str = ""
    kind: str = ""  # harness failure kind
    report: str = ""

    def line(self) -> str:
        return f"seed {self.case} {self.view}: {self.status}{f' ({self.kind})' if self.kind else ''}: {first_line(self.message)}"


@dataclass
class CaseResult:
    case: Case
    views: list
    seconds: float = 0.0
    runs: int = 0


def first_line(s: str) -> str:
    return (s or "").strip().splitlines()[0][:300] if (s or "").strip() else ""


def normalize(msg: str) -> str:
    """An error message without positions, quoted names and numbers: a key for counting alike errors."""
    m = first_line(msg)
    m = re.sub(r"^\d+:\d+: ", "", m)
    m = re.sub(r"^(unsupported expression: \w+)\b.*", r"\1(…)", m)
    m = re.sub(r"'[^']*'", "'…'", m)
    m = re.sub(r"\"[^\"]*\"", '"…"', m)
    m = re.sub(r"\b\d+\b", "N", m)
    return m[:160]


# -- the steps of a case --------------------------------------------------------------------------

def _duckdb_check(case: Case, results: dict) -> None:
    """Discard the views DuckDB rejects (on empty tables) and those that read them."""
    con = duckdb.connect()
    try:
        con.execute(case.ddl)
        for v in case.views:
            r = results[v.name]
            if any(results[d].status != "pending" for d in v.deps):
                r.status, r.message = "dep_discarded", "reads a discarded view"
                continue
            dl1 = deadline(20, con)
            try:
                with dl1:
                    con.execute(f"CREATE VIEW {v.name} AS {v.sql}")
                    con.execute(f"SELECT * FROM {v.name}").fetchall()
            except duckdb.Error as e:
                r.status, r.message = "discarded", str(e)
                if "INTERNAL" in str(e).upper():
                    r.message = "DuckDB internal error: " + str(e)
                    con.close()
                    con = duckdb.connect()   # an internal error invalidates the database
                    con.execute(case.ddl)
                    for w in case.views:
                        if w.name == v.name:
                            break
                        if results[w.name].status == "pending":
                            con.execute(f"CREATE VIEW {w.name} AS {w.sql}")
            except (Timeout, RuntimeError) as e:
                if not timed_out(dl1, e):
                    raise
                r.status, r.message = "discarded", f"DuckDB too slow on empty tables: {e}"
    finally:
        con.close()


def _compile_check(case: Case, results: dict) -> None:
    """CREATE VIEW each surviving view in a Pipeline; classify what fails."""
    p = Pipeline()
    p.execute(case.ddl)
    for v in case.views:
        r = results[v.name]
        if r.status != "pending":
            continue
        if any(results[d].status != "pending" for d in v.deps):
            r.status, r.message = "dep_discarded", "reads a view deltasql refused"
            continue
        dl2 = deadline(60)
        try:
            with dl2:
                p.execute(f"CREATE VIEW {v.name} AS {v.sql}")
        except CompileError as e:
            r.status = "unsupported" if UNSUPPORTED.search(e.message) else "rejected"
            r.message = str(e)
        except Timeout as e:
            if not dl2.mine(e):
                raise
            r.status, r.message = "timeout", f"CREATE VIEW: {e}"
        except Exception as e:  # noqa: BLE001 - a crash is what we look for
            r.status = "crash"
            r.message = f"CREATE VIEW raised {type(e).__name__}: {e}\n{traceback.format_exc()}"


def spec_of(case: Case, names, steps: int | None = None) -> Spec:
    views = {v.name: ViewSpec(v.sql, ordered=v.ordered, create_at=v.create_at)
             for v in case.views if v.name in names}
    # odd seeds send changes as SQL statements inside BEGIN … COMMIT (transactions in the API); a table
    # with a primary key gets inserts that collide with its keys, applied as upserts
    keys = keyed_tables(case.ddl)
    spec = Spec(case.ddl, views, domains=dict(case.domains), dml=case.seed % 2 == 1, keys=keys, upsert=bool(keys))
    if steps:
        spec.steps = steps
    return spec


def _dependents(case: Case, name: str) -> set:
    out = {name}
    for v in case.views:
        if any(d in out for d in v.deps):
            out.add(v.name)
    return out


def run_case(case: Case | int, steps: int | None = None, shrink: bool = True, timeout: float = 120,
             shrink_budget: int = 120, avoid=frozenset()) -> CaseResult:
    """Every view of the case through DuckDB, deltasql's compiler, and the harness."""
    t0 = time.monotonic()
    if isinstance(case, int):
        case = gen_case(case, avoid=avoid)
    results = {v.name: ViewResult(case.seed, v.name, v.sql, v.features) for v in case.views}
    _duckdb_check(case, results)
    _compile_check(case, results)
    if shrink:
        for r in results.values():
            if r.status in ("rejected", "crash"):
                r.report = _reduce_compile(case, r.view, results, shrink_budget) or r.message
    live = [v.name for v in case.views if results[v.name].status == "pending"]
    runs = 0
    while live:
        spec = spec_of(case, live, steps)
        h = Harness(spec)
        h.con.execute("SET enable_progress_bar = false")
        try:
            stream = gen_steps(RandomChooser(case.seed), h)
            runs += 1
            dl3 = deadline(timeout, h.con)
            try:
                with dl3:
                    f = h.run(stream, case.seed)
            except (Timeout, RuntimeError) as e:
                if not timed_out(dl3, e):
                    raise
                found = _fast_diff(case, live, stream, timeout)
                if found is None:
                    for n in live:
                        results[n].status, results[n].message = "timeout", f"harness run: {e}"
                    break
                view, msg = found
                r = results[view]
                r.status, r.kind, r.message = "fail", "mismatch", msg
                drop = _dependents(case, view)
                for n in drop - {view}:
                    if n in live:
                        results[n].status, results[n].message = "dep_discarded", f"reads {view}, which failed"
                live = [n for n in live if n not in drop]
                continue
        finally:
            h.close()
        if f is None:
            for n in live:
                results[n].status = "ok"
            break
        view = f.view if f.view in live else _culprit(case, live, steps, timeout)
        r = results[view]
        if f.kind == "compile" and "DataError" in f.message and _oracle_fails_too(spec, stream, f):
            # a late view whose backfill fails as DuckDB does: consistent, nothing more to check
            r.status, r.message = "ok", "backfill error, as in DuckDB"
        elif f.kind == "delta" and "nan" in f.message:
            # the harness compares deltas with NaN keys by identity (reported under "fuzz" in BUGS.md)
            r.status, r.kind, r.message = "harness_nan", f.kind, f.message
        elif f.kind == "mismatch" and _only_nan_sign(f):
            # DuckDB prints NaN's sign ('-nan' for 0/0); deltasql has one NaN (BUGS.md "fuzz": information only)
            r.status, r.kind, r.message = "inconclusive", f.kind, f.message
        elif f.kind in ("oracle_error", "error", "compile") and \
                "more than one row returned by a subquery" in f.message.lower():
            # whether a scalar subquery's extra rows raise depends on which rows an engine evaluates it for
            # (DuckDB decorrelates it for rows a filter drops, and folds some away): not a bug by itself
            r.status, r.kind, r.message = "inconclusive", f.kind, f.message
        else:
            r.status, r.kind, r.message, r.report = "fail", f.kind, f.message, f.report()
            if shrink:
                r.report = _reduce(case, live, spec, stream, f, shrink_budget)
        drop = _dependents(case, view)
        for n in drop - {view}:
            if n in live:
                results[n].status, results[n].message = "dep_discarded", f"reads {view}, which failed"
        live = [n for n in live if n not in drop]
    return CaseResult(case, [results[v.name] for v in case.views], time.monotonic() - t0, runs)


def _only_nan_sign(f) -> bool:
    """Do the missing and extra rows differ only by '-nan' against 'nan' in strings?"""
    def norm(rows):
        return sorted(repr(tuple(re.sub(r"-(nan)", r"\1", v, flags=re.I) if isinstance(v, str) else v for v in r))
                      for r in rows)
    return bool(f.missing) and norm(f.missing) == norm(f.extra)


def _fast_diff(case, live, stream, timeout):
    """After a harness timeout (its comparison is quadratic in the differing rows): replay the stream
    and compare each view with DuckDB exactly.  (view, message) of the first difference, else None."""
    spec = spec_of(case, live)
    h = Harness(spec)
    p = Pipeline()
    dl4 = deadline(timeout, h.con)
    try:
        with dl4:
            p.execute(case.ddl)
            model = {t.name: Counter() for t in h.tables}
            created = []
            for i, step in enumerate(stream):
                for v in case.views:
                    if v.name in live and v.create_at == i:
                        try:
                            p.execute(f"CREATE VIEW {v.name} AS {v.sql}")
                        except Exception:  # noqa: BLE001 - the harness reports these
                            return None
                        created.append(v.name)
                saved = {t: Counter(c) for t, c in model.items()}
                for sign, table, rows in H._batches(H._materialize(step, model)):
                    for r in rows:
                        if sign == "^":
                            H.upsert_into(model[table], r, h._key(table))
                            continue
                        model[table][r] += 1 if sign == "+" else -1
                        if not model[table][r]:
                            del model[table][r]
                    {"+": p.insert, "-": p.delete, "^": p.upsert}[sign](table, rows)
                try:
                    p.step()
                except Exception:  # noqa: BLE001 - error consistency is the harness's job
                    p.discard()
                    model = saved
                    continue
                h._load(model, set(model))
                for n in created:
                    try:
                        want = Counter(tuple(H._tag(x, False) for x in H._freeze_row(r)) for r in h.expected(n, model))
                    except duckdb.Error:
                        continue
                    rows = p.view(n).rows()
                    got = Counter(tuple(H._tag(x, False) for x in H._freeze_row(r)) for r in rows)
                    if want != got and not any(isinstance(x, float) for r in rows[:50] for x in r):
                        missing, extra = list((want - got).items())[:3], list((got - want).items())[:3]
                        return n, (f"view {n} differs from the oracle at step {i} ({sum(want.values())} rows "
                                   f"expected, {len(rows)} got; found by an exact comparison after the harness "
                                   f"timed out)\n  missing (tagged row, count): {missing}\n  extra: {extra}")
    except (Timeout, RuntimeError) as e:
        if not timed_out(dl4, e):
            raise
        return None
    finally:
        h.close()
    return None


def _culprit(case, live, steps, timeout) -> str:
    """The view a failure without a view name belongs to: the first that fails alone."""
    for n in live:
        spec = spec_of(case, {n} | set(case.views[[v.name for v in case.views].index(n)].deps), steps)
        h = Harness(spec)
        dl5 = deadline(timeout, h.con)
        try:
            with dl5:
                if h.run(gen_steps(RandomChooser(case.seed), h), case.seed) is not None:
                    return n
        except (Timeout, RuntimeError) as e:
            if not timed_out(dl5, e):
                raise
            return n
        finally:
            h.close()
    return live[0]


def _oracle_fails_too(spec: Spec, stream, f) -> bool:
    """Does DuckDB also fail to compute view f.view on the tables as they are before step f.step?"""
    h = Harness(spec)
    try:
        model = {t.name: Counter() for t in h.tables}
        for step in stream[:f.step]:
            for sign, table, row in H._materialize(step, model):
                if sign == "^":
                    H.upsert_into(model[table], row, h._key(table))
                    continue
                model[table][row] += 1 if sign == "+" else -1
                if not model[table][row]:
                    del model[table][row]
        h._load(model, set(model))
        try:
            h.expected(f.view, model)
        except duckdb.Error:
            return True
        return False
    finally:
        h.close()


def _reduce(case, live, spec, stream, f, budget) -> str:
    """A reduced repro (SQL, schema, stream) of a harness failure, or its plain report."""
    dl6 = deadline(400)
    try:
        with dl6:
            red = reduce_failure(case.ddl, spec.view_specs(), case.domains, stream, f, "run", budget=budget)
        return describe(red)
    except Timeout as e:
        if not dl6.mine(e):
            raise
        return "(reduction timed out)\n" + f.report()
    except Exception as e:  # noqa: BLE001 - a reducer problem (or DuckDB interrupted by the alarm) must not hide the failure
        return f"(reduction failed: {type(e).__name__}: {e})\n" + f.report()
    finally:
        for h in list(H._HARNESSES.values()):  # shrink caches a harness (a DuckDB connection) per spec
            h.close()
        H._HARNESSES.clear()


def _reduce_compile(case, name, results, budget) -> str:
    """A reduced repro of a view whose CREATE VIEW fails (wrong CompileError or crash)."""
    need, by_name = {name}, {v.name: v for v in case.views}
    for v in reversed(case.views):  # the views it reads, transitively
        if v.name in need:
            need.update(v.deps)
    views = {v.name: ViewSpec(v.sql) for v in case.views if v.name in need and v.name in by_name}
    err = compile_error(case.ddl, views)
    if err is None:
        return ""
    dl7 = deadline(300)
    try:
        with dl7:
            red = reduce_failure(case.ddl, views, case.domains, [], err, "compile", budget=budget)
        return describe(red)
    except Timeout as e:
        if not dl7.mine(e):
            raise
        return ""
    except Exception as e:  # noqa: BLE001 - as in _reduce
        return f"(reduction failed: {type(e).__name__}: {e})"


# -- statistics -------------------------------------------------------------------------------------

@dataclass
class Stats:
    """Counts over many cases: outcomes, per-feature refusal rates, messages, failures."""

    cases: int = 0
    seconds: float = 0.0
    status: Counter = field(default_factory=Counter)
    feature_n: Counter = field(default_factory=Counter)  # views using a feature (compiled or refused)
    feature_refused: Counter = field(default_factory=Counter)  # views refused while using it
    blamed: Counter = field(default_factory=Counter)  # refusals whose message names the construct
    feature_bug: Counter = field(default_factory=Counter)
    refusals: Counter = field(default_factory=Counter)  # normalized unsupported messages
    discards: Counter = field(default_factory=Counter)
    bugs: list = field(default_factory=list)

    def add(self, res: CaseResult) -> None:
        self.cases += 1
        self.seconds += res.seconds
        for r in res.views:
            self.status[r.status] += 1
            if r.status in ("discarded",):
                self.discards[normalize(r.message)] += 1
            if r.status in ("discarded", "dep_discarded"):
                continue
            for ft in r.features:
                self.feature_n[ft] += 1
                if r.status == "unsupported":
                    self.feature_refused[ft] += 1
                if r.status in BUG_STATUSES:
                    self.feature_bug[ft] += 1
            if r.status == "unsupported":
                self.refusals[normalize(r.message)] += 1
                self.blamed[blame(r.message)] += 1
            if r.status in BUG_STATUSES:
                self.bugs.append(r)

    @property
    def ran(self) -> int:
        """Views that DuckDB accepted and deltasql was asked to compile."""
        return sum(n for s, n in self.status.items() if s not in ("discarded", "dep_discarded"))

    def summary(self, top: int = 40) -> str:
        s = self.status
        lines = [f"{self.cases} cases, {sum(s.values())} views generated in {self.seconds:.0f}s",
                 f"  discarded (DuckDB rejects): {s['discarded']}   reading a dropped view: {s['dep_discarded']}",
                 (f"  ran: {self.ran}   ok: {s['ok']}   unsupported (CompileError): {s['unsupported']}"
                  f" ({100 * s['unsupported'] / max(self.ran, 1):.1f}%)"),
                 (f"  bugs: fail {s['fail']}, wrong CompileError {s['rejected']}, crash {s['crash']},"
                  f" timeout {s['timeout']}   not bugs: inconclusive {s['inconclusive']},"
                  f" harness NaN {s['harness_nan']}")]
        lines.append("\nunsupported-construct refusals by message:")
        for m, n in self.refusals.most_common(top):
            lines.append(f"  {n:6d}  {m}")
        lines.append("\nrefusals by the construct the message names (refused / views using it):")
        for ft, k in self.blamed.most_common():
            n = self.feature_n[ft] if not ft.endswith("*") else max(
                (self.feature_n[f] for f in self.feature_n if f.startswith(ft[:-1])), default=0)
            lines.append(f"  {ft:32s} {k:5d} / {n:5d}" + (f" = {100 * k / n:5.1f}%" if n else ""))
        lines.append("\nviews refused among those using each construct (a refusal counts for every construct"
                     " of its view; bugs = views with a bug):")
        rows = sorted(self.feature_n, key=lambda f: (-self.feature_refused[f] / self.feature_n[f], f))
        for ft in rows:
            n, k, b = self.feature_n[ft], self.feature_refused[ft], self.feature_bug[ft]
            lines.append(f"  {ft:32s} {k:5d} / {n:5d} = {100 * k / n:5.1f}%   bugs {b}")
        if self.discards:
            lines.append("\nmost common DuckDB rejections (discarded):")
            for m, n in self.discards.most_common(10):
                lines.append(f"  {n:6d}  {m}")
        if self.bugs:
            lines.append("\nbugs:")
            for r in self.bugs:
                lines.append("  " + r.line())
        return "\n".join(lines)
