"""Shared helpers for the workloads: sizes by mode, clocks (wall and CPU) and the machine's load,
timing statistics, DuckDB setup, results JSON.

The machine is shared (2 cores, other engineers' test suites): wall time includes the time other
processes held our core, CPU time (``time.process_time``: this process, every thread, DuckDB's
included) does not.  Every timing records both; targets are judged on CPU time, and a measurement
taken while other processes kept every other core busy says so instead of counting as a miss."""

from __future__ import annotations

import argparse
import csv
import datetime
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import resource
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:  # `python -m bench.x` from the checkout without installing it
    sys.path.insert(0, ROOT)

OUT_DIR = os.path.join(ROOT, "bench", "out")
SHARED = os.environ.get("DELTASQL_SHARED") or os.path.join(os.path.dirname(ROOT), "shared")  # slt corpus, graphs
MODES = ("full", "quick", "smoke")
DUCKDB_THREADS = 1  # the headline DuckDB figures are single-threaded, like the Python runtime

now = time.perf_counter
NPROC = os.cpu_count() or 1


def results_path(mode: str) -> str:
    return os.path.join(OUT_DIR, "results.json" if mode == "full" else f"results-{mode}.json")


# -- command line -------------------------------------------------------------------------------
def parse_args(description: str, argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=description)
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_true", help="smaller sizes (a few minutes for the whole suite)")
    g.add_argument("--smoke", action="store_true", help="tiny sizes, only to check that the code runs")
    ap.add_argument("--out", help="results JSON to update (default bench/out/results[-MODE].json)")
    args = ap.parse_args(argv)
    args.mode = "quick" if args.quick else "smoke" if args.smoke else "full"
    args.out = args.out or results_path(args.mode)
    return args


def main_for(name: str, run, description: str, argv=None) -> dict:
    """The body of each workload's ``main``: parse flags, run, print, store the section."""
    args = parse_args(description, argv)
    print(f"== {name} ({args.mode}) ==", flush=True)
    t = now()
    load = Load()
    section = run(args.mode)
    section["seconds"] = round(now() - t, 1)
    section["mode"] = args.mode
    # other processes on the machine preempt ours: how busy they kept it tells how quiet the run was
    section["load"] = load.read()
    section["loadavg_1min"] = section["load"]["loadavg_1min"]
    save_section(args.out, name, section)
    print(f"-- {name} done in {section['seconds']} s; results in {os.path.relpath(args.out, ROOT)}", flush=True)
    return section


def _loadavg() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


# -- statistics ---------------------------------------------------------------------------------
def percentile(samples, q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation between closest ranks."""
    xs = sorted(samples)
    if not xs:
        return float("nan")
    pos = (len(xs) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def summary(samples) -> dict:
    """Median, p99 and mean of durations, in microseconds: of wall time, and of CPU time (``cpu_*``)
    when ``samples`` is a Timings."""
    wall = samples.wall if isinstance(samples, Timings) else samples
    out = {"n": len(wall), "median_us": round(statistics.median(wall) * 1e6, 2),
           "p99_us": round(percentile(wall, 99) * 1e6, 2), "mean_us": round(statistics.fmean(wall) * 1e6, 2)}
    if isinstance(samples, Timings):
        out.update(cpu_median_us=round(statistics.median(samples.cpu) * 1e6, 2),
                   cpu_p99_us=round(percentile(samples.cpu, 99) * 1e6, 2),
                   cpu_mean_us=round(statistics.fmean(samples.cpu) * 1e6, 2))
    return out


def cpu_or_wall(s: dict, key: str = "median_us") -> float:
    """The CPU-time figure of a summary when it has one (older results have only wall time)."""
    return s.get("cpu_" + key, s[key])


def ratio(slow: float, fast: float) -> float:
    return round(slow / fast, 1) if fast else float("inf")


def fmt_us(us: float) -> str:
    """A duration in microseconds, printed with a unit that fits."""
    if us != us:
        return "-"
    if us < 1000:
        return f"{us:.0f} µs" if us >= 10 else f"{us:.1f} µs"
    if us < 1e6:
        return f"{us / 1000:.1f} ms" if us < 1e5 else f"{us / 1000:.0f} ms"
    return f"{us / 1e6:.2f} s"


def fmt_rate(r: float) -> str:
    if r >= 1e6:
        return f"{r / 1e6:.2f} M/s"
    if r >= 1e3:
        return f"{r / 1e3:.1f} k/s"
    return f"{r:.0f} /s"


def table(headers, rows) -> str:
    """A plain aligned text table (also valid Markdown)."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |" for r in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


# -- clocks and load ------------------------------------------------------------------------------
def _cpu_clock_cost() -> float:
    """What one reading of the CPU clock costs (a system call, ~0.3-1.5 µs): taken off each CPU sample."""
    xs = []
    for _ in range(201):
        c = time.process_time()
        xs.append(time.process_time() - c)
    return statistics.median(xs)


CPU_CLOCK_COST = _cpu_clock_cost()


def clock() -> tuple[float, float]:
    """(wall, CPU) readings now, for ``since``."""
    return time.perf_counter(), time.process_time()


def since(t0: tuple[float, float]) -> tuple[float, float]:
    """(wall, CPU) seconds since ``t0 = clock()``."""
    c = time.process_time()
    w = time.perf_counter()
    return w - t0[0], max(0.0, c - t0[1] - CPU_CLOCK_COST)


class Timings:
    """Durations of repeated operations, wall and CPU side by side."""

    def __init__(self):
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def add(self, sample: tuple[float, float]) -> None:
        self.wall.append(sample[0])
        self.cpu.append(sample[1])

    def __len__(self):
        return len(self.wall)

    def __add__(self, other: "Timings") -> "Timings":
        t = Timings()
        t.wall, t.cpu = self.wall + other.wall, self.cpu + other.cpu
        return t

    def __getitem__(self, sl: slice) -> "Timings":
        t = Timings()
        t.wall, t.cpu = self.wall[sl], self.cpu[sl]
        return t


def timed(fn, *args) -> tuple[float, float]:
    t = clock()
    fn(*args)
    return since(t)


def _busy_seconds() -> float | None:
    """CPU seconds every process on the machine has spent busy since boot (/proc/stat), or None."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


class Load:
    """How busy the rest of the machine was between construction and ``read()``: the cores other
    processes kept busy on average (the machine's busy time less ours, over the wall time).  Above
    ``NPROC - 1`` they also took turns on our core, and wall times are inflated; CPU times much
    less so (caches and memory bandwidth are still shared)."""

    def __init__(self):
        self._wall, self._busy, self._own, self._avg = now(), _busy_seconds(), _own_cpu_seconds(), _loadavg()

    def read(self) -> dict:
        wall = max(now() - self._wall, 1e-9)
        out = {"seconds": round(wall, 2), "loadavg_1min": [self._avg, _loadavg()], "nproc": NPROC}
        busy = _busy_seconds()
        if busy is not None and self._busy is not None:
            own = _own_cpu_seconds() - self._own
            out["others_cores"] = round(max(0.0, (busy - self._busy - own) / wall), 2)
            out["own_cores"] = round(own / wall, 2)
        return out


def too_loaded(load: dict | None) -> bool:
    """Whether other processes shared our core during a measurement (see Load)."""
    if not load:
        return False
    if "others_cores" in load:
        return load["others_cores"] > load.get("nproc", NPROC) - 1
    return max(load.get("loadavg_1min") or [0]) > load.get("nproc", NPROC)  # older results: the load average


def describe_load(load: dict | None) -> str:
    if not load:
        return "load not recorded"
    if "others_cores" in load:
        return f"other processes kept {load['others_cores']} of {load.get('nproc', NPROC)} cores busy"
    return f"1-minute load average {load['loadavg_1min'][0]}/{load['loadavg_1min'][1]}"


def fresh_gc():
    """Collect garbage before a measurement so one workload's leftovers don't land in the next."""
    gc.collect()


# -- DuckDB -------------------------------------------------------------------------------------
def duck(threads: int = DUCKDB_THREADS):
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads={threads}")
    return con


def duck_load(con, table: str, rows, columns: int | None = None) -> float:
    """Bulk-load Python rows into an existing DuckDB table through a CSV file; returns seconds."""
    t = now()
    if not rows:
        return 0.0
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, newline="") as f:
        w = csv.writer(f)
        w.writerows([[("\\N" if v is None else v) for v in r] for r in rows])
        path = f.name
    try:
        con.execute(f"COPY {table} FROM '{path}' (FORMAT csv, HEADER false, NULLSTR '\\N')")
    finally:
        os.unlink(path)
    return now() - t


def duck_recompute(con, query: str) -> None:
    """What a recompute-based engine does to keep a view fresh: rerun the query and store the result
    inside DuckDB.  (A bare ``con.execute(query)`` is not enough: the client streams, so it computes
    only the first chunk; fetching into Python would add the conversion to Python objects.)"""
    con.execute(f"CREATE OR REPLACE TEMP TABLE view_result AS {query}")


# -- comparing results --------------------------------------------------------------------------
def _norm(v):
    import decimal

    if isinstance(v, bool):
        return int(v)
    if isinstance(v, (float, decimal.Decimal)):
        f = float(v)
        return float(f"{f:.9g}")
    return v


def _sort_key(row):
    return tuple((v is None, str(type(v)), v if v is not None else 0) for v in row)


def same_rows(ours, theirs, rel: float = 1e-6) -> tuple[bool, str]:
    """Compare two bags of rows; numbers compare with a relative tolerance (DECIMAL vs DOUBLE)."""
    import math

    a = sorted((tuple(_norm(v) for v in r) for r in ours), key=_sort_key)
    b = sorted((tuple(_norm(v) for v in r) for r in theirs), key=_sort_key)
    if len(a) != len(b):
        return False, f"{len(a)} rows vs {len(b)} rows"
    for x, y in zip(a, b):
        if len(x) != len(y):
            return False, f"row widths differ: {x} vs {y}"
        for u, v in zip(x, y):
            if isinstance(u, (int, float)) and isinstance(v, (int, float)) and not isinstance(u, bool):
                if not math.isclose(u, v, rel_tol=rel, abs_tol=1e-9):
                    return False, f"{x} vs {y}"
            elif u != v:
                return False, f"{x} vs {y}"
    return True, ""


# -- machine and results ------------------------------------------------------------------------
def machine() -> dict:
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        import duckdb

        duck_version = duckdb.__version__
    except ImportError:
        duck_version = None
    import sqlglot

    commit = os.environ.get("BENCH_COMMIT", "")  # for a run from an exported tree (no .git)
    try:
        if not commit:
            commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                    text=True, timeout=10).stdout.strip()
            dirty = subprocess.run(["git", "status", "--porcelain", "--", "compiler", "runtime"], cwd=ROOT,
                                   capture_output=True, text=True, timeout=10).stdout.strip()
            if commit and dirty:
                commit += " + uncommitted changes to compiler/ or runtime/"
    except (OSError, subprocess.SubprocessError):
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
        mem = f"{kb / 2**20:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {"nproc": os.cpu_count(), "cpu": cpu, "memory": mem, "python": platform.python_version(),
            "implementation": platform.python_implementation(), "duckdb": duck_version,
            "sqlglot": sqlglot.__version__, "commit": commit, "duckdb_threads": DUCKDB_THREADS,
            "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M")}


def load_results(path: str) -> dict:
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def save_section(path: str, name: str, section: dict) -> None:
    """Store one workload's results, keeping the others' (each workload can be rerun alone)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    data = load_results(path)
    data[name] = section
    data.setdefault("machine", {})
    data["machine"] = machine()
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=1, default=str)
    os.replace(tmp, path)


def reset_peak_rss() -> bool:
    """Reset the kernel's high-water mark of this process's RSS (Linux); False if not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss_bytes() -> int:
    """Peak RSS since the last reset_peak_rss() (or since the process started)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def current_rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0
