"""Side-by-side runs of the headline figures (bench/headline.py) in one run: two commits
(`python -m bench --compare REV`) or several Python interpreters (`python -m bench --pythons`).

Each side is an interpreter and a deltasql tree.  Another commit is checked out in a temporary
`git worktree`; a side imports its tree through a directory holding only a `deltasql` symlink, put
first on PYTHONPATH (ahead of the editable install), and the child reports which file it imported.
Rounds are interleaved (A B, B A, A B, ...) so that a change in the machine's load falls on both
sides alike; each round is a fresh process per side.  Figures are CPU time; the table gives the median
over rounds and the spread (min-max), and the load the rounds ran under."""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

from . import headline
from .common import OUT_DIR, ROOT, Load, table

VENVS = os.path.join(OUT_DIR, "venvs")
CHILD_TIMEOUT_S = 3600


@contextlib.contextmanager
def checkout(rev: str):
    """A temporary detached worktree of ``rev``; yields (path, full commit hash)."""
    commit = subprocess.run(["git", "rev-parse", "--verify", f"{rev}^{{commit}}"], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout.strip()
    path = tempfile.mkdtemp(prefix="deltasql-compare-")
    os.rmdir(path)
    subprocess.run(["git", "worktree", "add", "--detach", "--quiet", path, commit], cwd=ROOT, check=True)
    try:
        yield path, commit
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", path], cwd=ROOT, capture_output=True)
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def shim(tree: str):
    """A directory whose only entry is ``deltasql`` -> ``tree``, for PYTHONPATH."""
    d = tempfile.mkdtemp(prefix="deltasql-shim-")
    os.symlink(os.path.abspath(tree), os.path.join(d, "deltasql"))
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def interpreters() -> dict[str, str]:
    """CPython 3.11 and newer found on PATH, in /usr/bin and in pyenv's versions, one per build
    (pyenv builds have no PGO/LTO; Debian's have): {"CPython 3.12.1 (pyenv)": path}."""
    found, seen = {}, set()
    candidates = [sys.executable]
    candidates += [shutil.which(f"python3.{m}") for m in range(11, 20)]
    candidates += sorted(glob.glob(f"/usr/bin/python3.{'[0-9]' * 2}"))
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates += sorted(glob.glob(os.path.join(root, "versions", "3.*", "bin", "python3.*[0-9]")))
    for exe in filter(None, candidates):
        try:
            out = subprocess.run([exe, "-c", "import sys; print(sys.version.split()[0], sys.base_prefix)"],
                                 capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            continue
        if out.returncode != 0 or not out.stdout.strip():
            continue  # e.g. a pyenv shim for a version that is not selected
        version, prefix = out.stdout.split()
        if tuple(map(int, version.split(".")[:2])) < (3, 11) or prefix in seen:
            continue
        seen.add(prefix)
        origin = "pyenv" if "/.pyenv/" in prefix else "Debian" if prefix == "/usr" else prefix
        found[f"CPython {version} ({origin})"] = exe
    return dict(sorted(found.items(), key=lambda kv: [int(x) for x in kv[0].split()[1].split(".")]))


SQLGLOT = "sqlglot>=30,<31"


def python_with_sqlglot(label: str, exe: str) -> str:
    """``exe`` if it imports sqlglot, else the python of a venv under bench/out/venvs made for it
    with deltasql's one dependency (from PyPI)."""
    if subprocess.run([exe, "-c", "import sqlglot"], capture_output=True).returncode == 0:
        return exe
    return venv_python(label, exe, ["sqlglot"], [SQLGLOT])


def venv_python(label: str, exe: str, modules: list[str], requirements: list[str], prefix: str = "") -> str:
    """The python of a venv under bench/out/venvs made from ``exe`` (named after ``label``), with
    ``requirements`` installed from PyPI unless it already imports ``modules``."""
    venv = os.path.join(VENVS, prefix + label.replace("CPython ", "py").replace(" ", "-").strip("()").replace("(", ""))
    py = os.path.join(venv, "bin", "python")
    if not os.path.exists(py):
        subprocess.run([exe, "-m", "venv", venv], check=True)
    if subprocess.run([py, "-c", "import " + ", ".join(modules)], capture_output=True).returncode != 0:
        subprocess.run([py, "-m", "pip", "install", "-q", *requirements], check=True)
    return py


def run_side(python: str, tree: str, mode: str) -> dict:
    with shim(tree) as d:
        env = dict(os.environ, PYTHONPATH=d)
        cmd = [python, "-m", "bench.headline", "--json"] + ([] if mode == "full" else [f"--{mode}"])
        out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S)
        if out.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stderr[-3000:]}")
        res = json.loads(out.stdout.strip().splitlines()[-1])
        if os.path.realpath(os.path.dirname(res["deltasql"])) != os.path.realpath(tree):
            raise RuntimeError(f"the child imported {res['deltasql']}, not deltasql from {tree}")
    return res


def run_sides(sides: dict[str, tuple[str, str]], mode: str, rounds: int) -> dict:
    """``sides``: label -> (python, tree).  Returns per side the figures of every round, and the load."""
    labels = list(sides)
    per = {label: [] for label in labels}
    load = Load()
    for r in range(rounds):
        order = labels[r % len(labels):] + labels[:r % len(labels)]  # rotate who goes first
        for label in order:
            res = run_side(*sides[label], mode)
            per[label].append(res["figures"])
            print(f"  round {r + 1}/{rounds} {label:<24} " + "  ".join(
                f"{k.split('_')[0]}:{headline.fmt(k, v)}" for k, v in res["figures"].items()), flush=True)
    out = {"mode": mode, "rounds": rounds, "load": load.read(), "sides": {}}
    for label in labels:
        figs = {}
        for metric in headline.METRICS:
            xs = sorted(f[metric] for f in per[label] if f.get(metric) is not None)
            if xs:
                figs[metric] = {"median": statistics.median(xs), "min": xs[0], "max": xs[-1], "all": xs}
        out["sides"][label] = {"figures": figs, "python": sides[label][0]}
    return out


def compare(rev: str, mode: str, rounds: int) -> dict:
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                           text=True).stdout.strip()
    with checkout(rev) as (path, commit):
        a, b = f"{rev} ({commit[:7]})", f"this tree ({head}{' + changes' if dirty else ''})"
        res = run_sides({a: (sys.executable, path), b: (sys.executable, ROOT)}, mode, rounds)
    res["baseline"], res["current"] = a, b
    return res


def pythons(mode: str, rounds: int) -> dict:
    found = interpreters()
    sides = {label: (python_with_sqlglot(label, exe), ROOT) for label, exe in found.items()}
    res = run_sides(sides, mode, rounds)
    res["interpreters"] = found
    return res


def spread(f: dict, metric: str) -> str:
    return f"{headline.fmt(metric, f['median'])} ({headline.fmt(metric, f['min'])}–{headline.fmt(metric, f['max'])})"


def render_compare(res: dict) -> str:
    a, b = res["baseline"], res["current"]
    fa, fb = res["sides"][a]["figures"], res["sides"][b]["figures"]
    rows = []
    for metric, (what, _unit, higher_better) in headline.METRICS.items():
        if metric not in fa or metric not in fb:
            continue
        x, y = fa[metric]["median"], fb[metric]["median"]
        change = (y - x) / x * 100 if x else 0.0
        better = change > 0 if higher_better else change < 0
        overlap = fa[metric]["min"] <= fb[metric]["max"] and fb[metric]["min"] <= fa[metric]["max"]
        verdict = "same" if abs(change) < 0.05 else "within the spread" if overlap else "better" if better else "worse"
        rows.append([what, spread(fa[metric], metric), spread(fb[metric], metric), f"{change:+.1f}% ({verdict})"])
    return table(["figure (CPU time)", a, b, "change"], rows)


def render_pythons(res: dict) -> str:
    labels = list(res["sides"])
    rows = []
    for metric, (what, _unit, _hb) in headline.METRICS.items():
        rows.append([what] + [spread(res["sides"][lb]["figures"][metric], metric)
                              if metric in res["sides"][lb]["figures"] else "-" for lb in labels])
    return table(["figure (CPU time)"] + labels, rows)
