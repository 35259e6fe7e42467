"""deltasql's command line: compile SQL views, stream changes through them, check them against DuckDB."""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import textwrap

import sqlglot

from . import DataError, DeliveryError, __version__
from .connectors import InputError
from .connectors.changefiles import Statement, Unit, read_units
from .connectors.formats import Printer, Progress, fmt_value
from .connectors.session import Session, batches
from .connectors.sinks import TARGET_HELP, SinkError, parse_target, split_views
from .connectors.sources.follow import DEFAULT_MAX_DELAY, DEFAULT_MAX_ROWS
from .oracle import DuckMirror, multiset_diff, names_duckdb_cannot_tell_apart

EMIT_LEVELS = ("plan", "circuit", "python", "dot")
FORMATS = ("table", "jsonl", "csv", "none")


# -- commands ----------------------------------------------------------------------------------------

def selected_views(p, wanted: list[str] | None) -> list[str]:
    if not wanted:
        return list(p.views)
    out = []
    for v in wanted:
        try:
            out.append(p.view(v).name)  # the name as the pipeline holds it (names are folded)
        except DataError:
            known = ", ".join(p.views) or "none"
            raise InputError(f"error: unknown view {v!r} (views: {known})") from None
    return out


def cmd_compile(args) -> int:
    session = Session(args.dialect, max_iterations=args.max_iterations,
                      max_step_rows=args.max_step_rows)
    for unit in read_units(args.views, args.dialect):
        session.apply(unit)
    p = session.p
    names = selected_views(p, args.view)
    if not names:
        raise InputError(f"{args.views}: error: the file defines no view")
    if args.emit == "dot":
        sys.stdout.write(dot_text(p, names))
        return 0
    parts = []
    for name in names:
        head = f"{name}({', '.join(p.columns(name))})"
        if args.emit == "plan":
            parts.append(f"-- view {head}\n{p.plan_text(name)}")
        elif args.emit == "circuit":
            parts.append(f"-- view {head}\n{p.circuit_text(name)}")
        else:
            parts.append(f"# view {head}\n{p.generated_source(name)}")
    sys.stdout.write("\n\n".join(part.rstrip("\n") for part in parts) + "\n")
    return 0


def dot_text(p, names: list[str]) -> str:
    """One Graphviz digraph, a cluster per view."""
    def esc(s: str) -> str:
        return s.replace("\\", "\\\\").replace('"', '\\"')

    lines = ["digraph deltasql {", "  rankdir=BT;", '  node [shape=box, fontname="monospace"];']
    for i, name in enumerate(names):
        nodes, edges = p.circuit_graph(name)
        lines.append(f"  subgraph cluster_{i} {{")
        lines.append(f'    label="view {esc(name)}";')
        for nid, label in nodes:
            lines.append(f'    v{i}_{nid} [label="{esc(label)}"];')
        for a, b in edges:
            lines.append(f"    v{i}_{a} -> v{i}_{b};")
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def read_all(args) -> tuple[list[Unit], int]:
    """The units of VIEWS.sql and then of every CHANGES file, and how many come from VIEWS.sql."""
    units = read_units(args.views, args.dialect)
    n_views = len(units)
    for path in args.changes:
        if path != "-":
            units.extend(read_units(path, args.dialect))
    return units, n_views


def sink_spec(text: str) -> tuple[list[str] | None, str]:
    """A --sink argument: TARGET, or VIEW,VIEW=TARGET (checked before anything runs)."""
    views, target = split_views(text)
    try:
        parse_target(target)
    except SinkError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return views, target


class Sinks:
    """The --sink targets of a run, attached once VIEWS.sql is loaded; a target of every view also
    follows the views created later."""

    def __init__(self, p, specs: list):
        self.p = p
        self.specs = specs
        self.started = False

    def attach(self) -> None:
        following = {feed.target: feed.views for feed in self.p.sinks}
        for views, target in self.specs:
            if views is not None and self.started:
                continue
            todo = [n for n in selected_views(self.p, views) if n not in following.get(target, ())]
            if todo:
                try:
                    self.p.sink(todo, target)
                except SinkError as e:
                    raise InputError(f"error: {e}") from None
        self.started = True

    def close(self) -> None:
        for feed in self.p.sinks:
            feed.close()


def live_sources(args) -> list:
    """The live sources of a run, in order: standard input (-), --source, --follow DIR."""
    from .connectors.sources import SourceError, open_source

    if args.changes.count("-") > 1 or ("-" in args.changes and args.changes[-1] != "-"):
        raise InputError("error: - (standard input) may be given once, after the CHANGES files")
    follow_dir = args.follow if isinstance(args.follow, str) else None
    pg_options = {k: v for k, v in (("slot", args.slot), ("publication", args.publication)) if v}
    if (pg_options or args.drop_slot or args.table) and not (args.source or "").startswith("postgres"):
        raise InputError("error: --slot, --publication, --drop-slot and --table apply to a postgresql:// --source")
    if args.follow is True and not args.source:
        raise InputError("error: --follow without a directory keeps following a --source; give one")
    specs = []
    if "-" in args.changes:
        specs.append(("-", {}))
    if args.source:
        options = {"follow": args.follow is True}
        if args.source.startswith("postgres"):
            tables = {}
            for item in args.table or []:
                name, sep, upstream = item.partition("=")
                if not sep or not name or not upstream:
                    raise InputError(f"error: --table takes NAME=UPSTREAM_TABLE, not {item!r}")
                tables[name] = upstream
            options.update(pg_options, drop_slot=args.drop_slot, tables=tables)
        specs.append((args.source, options))
    if follow_dir:
        specs.append((follow_dir, {}))
    try:
        return [open_source(spec, **options) for spec, options in specs]
    except SourceError as e:
        raise InputError(f"error: {e}") from None


def follow_live(args, session, printer, shown) -> None:
    """Follow each live source in turn, printing every step; SIGTERM and Ctrl-C end the current one
    cleanly (its last step kept, its slot confirmed or dropped as asked)."""
    import signal
    import types

    from .connectors.sources import SourceError
    from .connectors.sources import Progress as LiveProgress

    stopping = []

    def stop(signum, frame):
        stopping.append(signum)

    old = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        for source in live_sources(args):
            progress = LiveProgress() if args.progress or sys.stderr.isatty() else None

            def on_step(changes, stats, source=source):
                session.steps += 1
                where = " ".join(f"{k}={v}" for k, v in stats.position.items()) or source.kind
                printer.step(session.steps, types.SimpleNamespace(where=where), changes, shown(),
                             session.p.columns)
                sys.stdout.flush()

            try:
                session.p.follow(source, on_step=on_step, progress=progress, stop=lambda: bool(stopping),
                                 max_rows=args.batch_rows, max_delay=args.batch_delay)
            except (SourceError, DeliveryError) as e:
                raise InputError(f"error: {e}") from None
            if stopping:
                break
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


def cmd_run(args) -> int:
    if args.workers < 1:
        raise InputError(f"error: --workers must be at least 1, not {args.workers}")
    shards = {"workers": args.workers, "backend": args.backend, "address": args.ray_address} \
        if args.workers > 1 or args.backend else {}
    session = Session(args.dialect, args.state, args.durability, clock=args.clock, max_iterations=args.max_iterations,
                      max_step_rows=args.max_step_rows, **shards)
    try:
        return _run(args, session)
    finally:
        session.close()


def _run(args, session: Session) -> int:
    p = session.p
    args.dialect = session.dialect  # a resumed state file's
    units, n_views = read_all(args)
    if session.resumed:
        views = session.views_to_resume(units[:n_views])
        units, n_views = views + units[n_views:], len(views)
        print(f"deltasql: resuming {args.state} after step {p.last_step}: {len(p.tables)} table"
              f"{'s' if len(p.tables) != 1 else ''}, {len(p.views)} view{'s' if len(p.views) != 1 else ''}"
              + (f"; {n_views} new statement{'s' if n_views != 1 else ''} from {args.views}" if n_views else ""),
              file=sys.stderr)
    progress = Progress(len(units), args.progress)
    printer = Printer(args.format, sys.stdout, progress)
    sinks = Sinks(p, args.sink or [])

    def shown() -> list[str]:
        views = selected_views(p, args.view)
        if args.format == "csv" and len(views) > 1:
            raise InputError(f"error: --format csv prints one view: choose it with --view NAME "
                            f"(views: {', '.join(views)})")
        return views

    try:
        for i, unit in enumerate(units):
            if i == n_views:
                selected_views(p, args.view)  # --view names are checked once VIEWS.sql is loaded
            if i >= n_views:
                sinks.attach()
            try:
                changes, queries = session.apply(unit)
            except DeliveryError as e:
                raise InputError(f"{unit.where}: error: {e}") from None
            for st, answer in queries:
                printer.query(st, answer)
            if changes is not None:
                printer.step(p.last_step, unit, changes, shown(), p.columns)
            progress.update(i + 1, session.late_rows())
        if len(units) == n_views:
            selected_views(p, args.view)
            shown()
        sinks.attach()  # views the last unit created
        progress.clear()
        follow_live(args, session, printer, shown)
    finally:
        progress.clear()
        sinks.close()
    return 0


def cmd_state(args) -> int:
    if not os.path.exists(args.path):
        raise InputError(f"{args.path}: error: no such file")
    if args.workers < 1:
        raise InputError(f"error: --workers must be at least 1, not {args.workers}")
    session = Session(None, args.path, **({"workers": args.workers} if args.workers > 1 else {}))
    p = session.p
    try:
        info = p.state_summary()
    finally:
        p.close(checkpoint=False)  # looking changes nothing
    cp = info["checkpoint"]
    print(f"{args.path}: deltasql state file, format {info['format']}, created by deltasql {info['created_by']}, "
          f"dialect {p.dialect.name}, {_size(info['file_bytes'])}")
    print(f"last step: {p.last_step}")
    if cp is None:
        print("checkpoint: none yet")
    else:
        when = datetime.datetime.fromtimestamp(cp.created).strftime("%Y-%m-%d %H:%M:%S")
        print(f"checkpoint: at step {cp.step}, {_size(cp.size)}, written {when} in {cp.seconds:.2f} s by deltasql "
              f"{cp.version}")
    print(f"journal: {info['journal_records']} step{'s' if info['journal_records'] != 1 else ''} after the "
          f"checkpoint ({_size(info['journal_bytes'])})")
    for title, names, count in (("tables", p.tables, lambda n: len(p.table_rows(n))),
                                ("views", p.views, lambda n: len(p.view(n)))):
        print(f"{title}:" + ("" if names else " none"))
        width = max((len(n) for n in names), default=0)
        for n in names:
            rows = count(n)
            print(f"  {n.ljust(width)}  {rows} row{'s' if rows != 1 else ''}  ({', '.join(p.columns(n))})")
    for view, consumers in info["retained"].items():
        kept, size = info["outbox"].get(view, (0, 0))
        who = "; ".join(f"{c or 'default'}: since step {since}, floor {floor}"
                        for c, (since, floor) in consumers.items())
        print(f"retained: {view} ({who}); {kept} deltas kept, {_size(size)}")
    for key, value in sorted(info["positions"].items()):
        print(f"position: {key} = {value!r}")
    return 0


def _size(n: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("kB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


def cmd_check(args) -> int:
    units, _ = read_all(args)
    session = Session(args.dialect, clock=args.clock, max_iterations=args.max_iterations,
                      max_step_rows=args.max_step_rows)
    p = session.p
    mirror = DuckMirror(p.dialect)
    progress = Progress(len(units), args.progress)
    streams: dict = {}  # a view that keeps no rows (a stream): its changes, added up
    try:
        for i, unit in enumerate(units, 1):
            changes, queries = _apply_both(session, mirror, unit)
            for st, ours, theirs in queries:
                only_ours, only_theirs = multiset_diff(ours, theirs)
                if only_ours or only_theirs:
                    progress.clear()
                    _report_mismatch(f"query at {st.where}", only_ours, only_theirs)
                    return 1
            for v in p.views:
                if not p._views[v].output.keep:
                    seen = streams.setdefault(v, {})
                    for row, w in p.view(v).delta() if changes is not None or v not in streams else ():
                        seen[row] = seen.get(row, 0) + w
            if all(isinstance(a, Statement) and a.kind == "query" for a in unit.actions):
                progress.update(i, session.late_rows())
                continue
            at = f"step {session.steps} ({unit.where})" if unit.step else unit.where
            if not _compare(p, mirror, p.views, at, progress, streams):
                return 1
            progress.update(i, session.late_rows())
    finally:
        progress.clear()
    if not _compare(p, mirror, p.tables, "at the end", progress, streams):
        return 1
    print(f"deltasql check: {session.steps} step{'s' if session.steps != 1 else ''}, every view equal to "
          f"DuckDB {mirror.version} after each")
    width = max((len(v) for v in p.views), default=0)
    for v in p.views:
        n = sum(streams[v].values()) if v in streams else len(p.view(v))
        kind = " (a stream: its changes added up)" if v in streams else ""
        print(f"  {v.ljust(width)}  ok  {n} row{'s' if n != 1 else ''} at the end{kind}")
    late = session.late_rows()
    if late:
        print(f"  {late} late row{'s' if late != 1 else ''} dropped by the watermarks (DuckDB was given the others)")
    return 0


def _compare(p, mirror: DuckMirror, names: list[str], at: str, progress: Progress, streams: dict) -> bool:
    """Compare views (or tables) with DuckDB's; print the first difference.  On a view's difference
    the tables are compared too, to tell a wrong view from a change applied differently.  A view
    that keeps no rows is compared through its changes; a table that discarded rows behind its
    watermark is not compared (DuckDB still has them)."""
    for name in names:
        is_view = name in p.views
        if is_view:
            seen = streams.get(name)
            ours = p.view(name).rows() if seen is None else [r for r, w in seen.items() for _ in range(w)]
        elif p._tables[name].discarded:
            continue
        else:
            ours = p.table_rows(name)
        only_ours, only_theirs = multiset_diff(ours, mirror.contents(name))
        if only_ours or only_theirs:
            progress.clear()
            _report_mismatch(f"{at}: {'view' if is_view else 'table'} {name}", only_ours, only_theirs)
            if is_view:
                _compare(p, mirror, p.tables, at, progress, streams)
            return False
    return True


def _apply_both(session: Session, mirror: DuckMirror, unit: Unit):
    """Apply a unit to the pipeline, then the same actions to DuckDB: the step's changes and the
    ad-hoc queries as (statement, our rows, DuckDB's rows).  DuckDB gets the changes a table with
    watermarks accepted (the late ones were dropped), not the statements and rows that made them."""
    changes, queries = session.apply(unit)
    clashes = names_duckdb_cannot_tell_apart(session.p)
    if clashes:
        raise InputError(f"{unit.where}: error: {clashes[0]} are two names in the {session.dialect} dialect "
                         f"but one in DuckDB, which matches names case-insensitively even when quoted: check "
                         f"cannot compare them (rename one)")
    ours = {id(st): answer.rows for st, answer in queries}
    p = session.p
    marked = {t for t in p.tables if p._tables[t].watermark is not None}
    out = []
    for item in batches(unit.actions):
        if isinstance(item, Statement):
            if item.kind == "dml" and marked and _target(item.text, session.dialect) in marked:
                continue
            rows = mirror.statement(item)
            if item.kind == "query":
                out.append((item, ours[id(item)], rows))
        elif isinstance(item, list) and item[0].table not in marked:
            mirror.rows(item)
    if changes is not None:
        for t in marked:
            delta = p._tables[t].input.value
            if delta:
                mirror.apply_delta(t, delta)
        mirror.set_clock(p.now)
    return changes, out


def _target(text: str, dialect: str):
    """The table a DML statement changes."""
    import sqlglot
    try:
        tree = sqlglot.parse_one(text, read=dialect)
    except Exception:
        return None
    table = tree.this.this if isinstance(tree.this, sqlglot.exp.Schema) else tree.this
    return table.name if isinstance(table, sqlglot.exp.Table) else None


def _report_mismatch(what: str, only_ours: list, only_theirs: list, limit: int = 20) -> None:
    out = [f"deltasql check: {what} differs from DuckDB"]
    for title, rows in (("only in deltasql", only_ours), ("only in DuckDB", only_theirs)):
        if not rows:
            continue
        out.append(f"  {title} ({len(rows)} row{'s' if len(rows) != 1 else ''}):")
        out.extend(f"    ({', '.join(fmt_value(v) for v in r)})" for r in rows[:limit])
        if len(rows) > limit:
            out.append(f"    … {len(rows) - limit} more")
    print("\n".join(out))


# -- argument parsing --------------------------------------------------------------------------------

_INPUTS_HELP = """\
inputs, applied in order after VIEWS.sql:
  *.sql    a script: each BEGIN … COMMIT block is one step (ROLLBACK drops it); a change outside a
           transaction is a step of its own (autocommit); CREATE/DROP take effect at once and
           SELECTs print their rows
  *.csv    one step inserting every row into the table the file is named after (orders.csv and
           day1.orders.csv feed table orders); the header names the columns; an empty field is NULL
  *.jsonl  lines {"table": "orders", "insert": {...}} or {..., "delete": {...}}, a row as an object
           by column name or an array in column order; a {"commit": true} line ends a step, and the
           lines after the last one (the whole file, if it has none) are one more step; a
           {"now": "2024-01-01 10:00:00"} line moves NOW() (the clock of temporal filters) forward
           for its step
"""
_CLOCK_HELP = ("NOW() of temporal filters: 'wall' sets it to the current UTC time before every step; a "
               "timestamp sets it once at the start (a .jsonl line {\"now\": …} moves it on); unset, no row "
               "passes a temporal filter")


def _text(description: str, examples: list[str], more: str = "") -> dict:
    """A command's description (wrapped) and its epilog of examples."""
    epilog = "examples:\n" + "".join(f"  {e}\n" for e in examples) + (f"\n{more}" if more else "")
    return dict(description=textwrap.fill(description, 100), epilog=epilog.rstrip("\n"),
                formatter_class=argparse.RawDescriptionHelpFormatter)


def _positive(text: str) -> int:
    n = int(text)
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text}")
    return n


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="deltasql", **_text(
        "Compile SQL views to incremental DBSP circuits and keep them up to date as changes stream into "
        "their tables.",
        ["deltasql compile sql_examples/shop.sql --emit circuit",
         "deltasql run sql_examples/shop.sql sql_examples/shop_changes.sql",
         "deltasql check sql_examples/shop.sql sql_examples/shop_changes.sql"],
        "exit status: 0 ok, 1 error in the input (or a mismatch for check), 2 bad command line\n"
        "`deltasql COMMAND --help` describes each command."))
    parser.add_argument("--version", action="version", version=f"deltasql {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name, summary, func, **text):
        sp = sub.add_parser(name, help=summary, **text)
        sp.add_argument("views", metavar="VIEWS.sql", help="CREATE TABLE and CREATE VIEW statements")
        sp.add_argument("--dialect", metavar="D", help="sqlglot dialect of the SQL (default: duckdb, or a "
                                                       "resumed state file's)")
        sp.add_argument("--max-iterations", type=int, default=10_000, metavar="N",
                        help="iterations a WITH RECURSIVE fixpoint may take in one step before the step fails "
                             "(default: 10000)")
        sp.add_argument("--max-step-rows", type=_positive, default=None, metavar="N",
                        help="row changes one step may produce, counted over every operator, before the "
                             "step fails and is rolled back (default: no limit)")
        sp.set_defaults(func=func)
        return sp

    c = command("compile", "check SQL views and print what they compile to", cmd_compile, **_text(
        "Check the tables and views of VIEWS.sql and print one level of what each view compiles to: the "
        "optimized logical plan, the runtime circuit, the generated Python, or the circuit as a Graphviz digraph.",
        ["deltasql compile sql_examples/shop.sql",
         "deltasql compile sql_examples/graph.sql --emit circuit --view reachable",
         "deltasql compile sql_examples/org.sql --emit dot | dot -Tsvg > org.svg"],
        "A mistake in the SQL prints file:line:col: error: …, the line and a caret; exit 1."))
    c.add_argument("--emit", choices=EMIT_LEVELS, default="plan", help="what to print (default: plan)")
    c.add_argument("--view", action="append", metavar="NAME", help="only this view (repeatable)")

    r = command("run", "stream changes through the views and print their changes", cmd_run, **_text(
        "Load VIEWS.sql, apply the CHANGES files step by step, and print each step's changes to every view "
        "(+ an added row, - a removed one, +N/-N for N copies).",
        ["deltasql run sql_examples/shop.sql sql_examples/shop_changes.sql",
         "deltasql run sql_examples/bank.sql sql_examples/bank.accounts.csv sql_examples/bank_transfers.jsonl "
         "--view balances --format jsonl",
         "tail -f events.jsonl | deltasql run views.sql - --format jsonl",
         "deltasql run views.sql --source postgresql://app@localhost:5432/shop --follow --progress",
         "deltasql run views.sql --follow incoming/",
         "deltasql run sql_examples/shop.sql sql_examples/shop_changes.sql --state shop.db"],
        _INPUTS_HELP + "\nA progress bar is drawn on stderr when it is a terminal (--progress forces it).\n\n"
        "With --state PATH every step is durable once printed, and a later run with the same PATH goes on\n"
        "from the last step (the step numbers continue); VIEWS.sql's CREATE statements of tables and views\n"
        "PATH does not hold yet are run (new views are computed from the stored tables), the rest of it\n"
        "took effect in the first run and is skipped.  `deltasql state PATH` shows what PATH holds."))
    r.add_argument("changes", metavar="CHANGES", nargs="*",
                   help=".sql, .csv or .jsonl files, in order; - last reads JSON-lines changes from standard input")
    r.add_argument("--format", choices=FORMATS, default="table",
                   help="table (default), jsonl (one change a line), csv (one view; see --view) or none")
    r.add_argument("--sink", action="append", type=sink_spec, metavar="TARGET",
                   help=f"keep a database or change log equal to the views, one transaction per step: {TARGET_HELP}; "
                        f"VIEW,VIEW=TARGET for some views only (repeatable)")
    r.add_argument("--view", action="append", metavar="NAME", help="only this view (repeatable)")
    r.add_argument("--progress", action="store_true", help="draw the progress bar even if stderr is no terminal")
    r.add_argument("--state", metavar="PATH", help="keep the pipeline in this state file: created if missing, "
                                                   "else resumed (VIEWS.sql may add tables and views)")
    r.add_argument("--durability", choices=("full", "group"), default="full",
                   help="with --state: sync every step to disk (full, default), or group commits "
                        "(a power loss may lose the last 0.2 s of steps; a crash loses none)")
    r.add_argument("--clock", metavar="wall|TIMESTAMP", help=_CLOCK_HELP)
    shard = r.add_argument_group("sharding (see the README's Sharding)")
    shard.add_argument("--workers", type=int, default=1, metavar="N",
                       help="run the views on N workers, each on a shard of the data (default 1)")
    shard.add_argument("--backend", choices=("processes", "threads", "simulated", "ray"), default=None,
                       help="where the workers run: processes of this machine (default), threads, "
                            "simulated (threads taking turns, deterministic) or Ray actors")
    shard.add_argument("--ray-address", metavar="ADDR", help="a Ray cluster's address (default: a local Ray)")
    live = r.add_argument_group("live sources (after the CHANGES files; see the README's Live sources)")
    live.add_argument("--source", metavar="URI", help="postgresql://USER@HOST:PORT/DB (change data capture) or "
                      "kafka://BROKERS/TOPIC: a snapshot, then changes until caught up (or on, with --follow)")
    live.add_argument("--follow", nargs="?", const=True, default=False, metavar="DIR",
                      help="keep following the --source until interrupted; with DIR, take each new .csv, "
                      ".jsonl or .parquet file of DIR as a step")
    live.add_argument("--table", action="append", metavar="NAME=UPSTREAM",
                      help="PostgreSQL: table NAME follows UPSTREAM (schema.table; default: the same name)")
    live.add_argument("--slot", metavar="NAME", help="PostgreSQL: the replication slot's name")
    live.add_argument("--publication", metavar="NAME", help="PostgreSQL: an existing publication to use")
    live.add_argument("--drop-slot", action="store_true",
                      help="PostgreSQL: drop the replication slot (and the publication it made) at the end")
    live.add_argument("--batch-rows", type=int, default=DEFAULT_MAX_ROWS, metavar="N",
                      help=f"a step holds at most about N row changes (default {DEFAULT_MAX_ROWS})")
    live.add_argument("--batch-delay", type=float, default=DEFAULT_MAX_DELAY, metavar="S",
                      help=f"a step closes S seconds after its first change at the latest (default {DEFAULT_MAX_DELAY})")

    k = command("check", "replay changes and compare every view with DuckDB", cmd_check, **_text(
        "Replay the CHANGES like `run`, and after every step compare every view with DuckDB running the same "
        "statements on its own copy of the tables (and the tables themselves at the end), as multisets, floats "
        "with a tolerance.  Prints a summary per view; on the first difference prints the differing rows and "
        "exits 1.  Needs DuckDB: pip install 'deltasql[check]'.  A view with ORDER BY … LIMIT compares equal "
        "only if its order has no ties at the limit.",
        ["deltasql check sql_examples/shop.sql sql_examples/shop_changes.sql",
         "deltasql check sql_examples/graph.sql sql_examples/graph.links.csv sql_examples/graph_changes.sql"],
        _INPUTS_HELP))
    k.add_argument("changes", metavar="CHANGES", nargs="+", help=".sql, .csv or .jsonl files, in order")
    k.add_argument("--progress", action="store_true", help="draw the progress bar even if stderr is no terminal")
    k.add_argument("--clock", metavar="wall|TIMESTAMP", help=_CLOCK_HELP)
    st = sub.add_parser("state", help="print what a state file holds", **_text(
        "Print what a state file (written by `deltasql run --state PATH` or Pipeline(path=PATH)) holds: its "
        "tables and views with their row counts, the last step, the last checkpoint, the journal after it, "
        "retained views and source positions.  Nothing in the file changes.",
        ["deltasql state shop.db", "deltasql state shop.db --workers 4   # written by run --workers 4"]))
    st.add_argument("path", metavar="PATH", help="the state file")
    st.add_argument("--workers", type=int, default=1, metavar="N",
                    help="the number of workers a sharded pipeline's file was written with (default 1)")
    st.set_defaults(func=cmd_state, dialect=None)
    return parser


def check_dialect(name: str) -> None:
    try:
        sqlglot.Dialect.get_or_raise(name)
    except ValueError:
        raise InputError(f"error: unknown SQL dialect {name!r} (sqlglot's names: duckdb, postgres, "
                        f"sqlite, mysql, …)") from None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.dialect is None and args.func is not cmd_state and not getattr(args, "state", None):
        args.dialect = "duckdb"
    try:
        if args.dialect is not None:
            check_dialect(args.dialect)
        return args.func(args)
    except InputError as e:
        sys.stdout.flush()
        print(str(e) if str(e).split(":", 1)[0] != "error" else f"deltasql: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("deltasql: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0
    except Exception as e:  # a bug in deltasql, not in the input
        if os.environ.get("DELTASQL_TRACEBACK"):
            raise
        print(f"deltasql: internal error: {type(e).__name__}: {e} (a bug in deltasql; "
              f"DELTASQL_TRACEBACK=1 shows the traceback)", file=sys.stderr)
        return 1
