"""Golden files: `deltasql compile --emit plan|circuit|python` of every sql_examples/ view file, stored
in tests/golden/ and compared (and the circuit shown in README.md).  After an intended compiler
change, regenerate them with

    DELTASQL_UPDATE_GOLDEN=1 pytest tests/test_golden.py

and review the diff (git diff tests/golden README.md) before committing it."""

import difflib
import glob
import os

import pytest

from deltasql import cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOLDEN = os.path.join(ROOT, "tests", "golden")
LEVELS = ("plan", "circuit", "python")
UPDATE = os.environ.get("DELTASQL_UPDATE_GOLDEN", "") not in ("", "0")


def view_files() -> list[str]:
    out = []
    for path in sorted(glob.glob(os.path.join(ROOT, "sql_examples", "*.sql"))):
        with open(path) as f:
            if "CREATE VIEW" in f.read().upper():
                out.append(path)
    return out


CASES = [(path, level) for path in view_files() for level in LEVELS]


def golden_path(path: str, level: str) -> str:
    return os.path.join(GOLDEN, f"{os.path.basename(path)[:-len('.sql')]}.{level}.txt")


@pytest.mark.parametrize("path, level", CASES, ids=[f"{os.path.basename(p)}-{lv}" for p, lv in CASES])
def test_golden(path, level, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert cli.main(["compile", os.path.relpath(path, ROOT), "--emit", level]) == 0
    actual = capsys.readouterr().out
    target = golden_path(path, level)
    if UPDATE:
        os.makedirs(GOLDEN, exist_ok=True)
        with open(target, "w") as f:
            f.write(actual)
        return
    assert os.path.exists(target), f"no golden file {target}: run DELTASQL_UPDATE_GOLDEN=1 pytest tests/test_golden.py"
    with open(target) as f:
        expected = f.read()
    if actual != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                            f"golden/{os.path.basename(target)}", "compiled now"))
        pytest.fail(f"compile --emit {level} changed; if intended, run "
                    f"DELTASQL_UPDATE_GOLDEN=1 pytest tests/test_golden.py\n{diff}", pytrace=False)


def test_no_stale_golden_files():
    expected = {golden_path(p, lv) for p, lv in CASES}
    present = set(glob.glob(os.path.join(GOLDEN, "*.txt")))
    if UPDATE:
        for stale in present - expected:
            os.remove(stale)
        return
    assert present == expected, f"golden files without an example: {sorted(present - expected)}"


README_COMMAND = ["compile", "sql_examples/graph.sql", "--emit", "circuit", "--view", "reachable"]


def test_readme_circuit_picture(capsys, monkeypatch):
    """The README's 'How it works' shows this command's output; regenerated with the golden files."""
    monkeypatch.chdir(ROOT)
    assert cli.main(README_COMMAND) == 0
    actual = capsys.readouterr().out
    path = os.path.join(ROOT, "README.md")
    with open(path) as f:
        text = f.read()
    assert "`deltasql " + " ".join(README_COMMAND) + "`" in text
    start = text.index("```\n-- view reachable(") + len("```\n")
    end = text.index("```", start)
    if UPDATE:
        with open(path, "w") as f:
            f.write(text[:start] + actual + text[end:])
        return
    assert text[start:end] == actual, ("README.md's circuit picture is out of date: run "
                                       "DELTASQL_UPDATE_GOLDEN=1 pytest tests/test_golden.py")
