"""Every sql_examples/ scenario runs with `deltasql run` and passes `deltasql check`, using the exact
commands written in its header (the `-- Run:` and `-- Check:` lines); the README's Quickstart and
Python example hold."""

import glob
import os
import shlex

import pytest

from deltasql import cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = sorted(glob.glob(os.path.join(ROOT, "sql_examples", "*.sql")))


def documented_command(path: str, label: str) -> list[str]:
    """The arguments of the `-- Run:` or `-- Check:` line in an example's header (after 'deltasql')."""
    with open(path) as f:
        for line in f:
            if line.startswith(f"-- {label}:"):
                words = shlex.split(line.split(":", 1)[1])
                assert words[0] == "deltasql", line
                return words[1:]
    raise AssertionError(f"{path} has no '-- {label}:' line")


def view_files() -> list[str]:
    """Example view files: those holding CREATE VIEW (change scripts hold none)."""
    out = []
    for path in EXAMPLES:
        with open(path) as f:
            if "CREATE VIEW" in f.read().upper():
                out.append(path)
    return out


VIEW_FILES = view_files()


def test_examples_exist():
    names = {os.path.basename(p) for p in VIEW_FILES}
    assert {"shop.sql", "bank.sql", "graph.sql", "org.sql"} <= names


def test_every_example_file_is_used():
    used = set()
    for path in VIEW_FILES:
        for label in ("Run", "Check"):
            used.update(os.path.normpath(os.path.join(ROOT, a)) for a in documented_command(path, label)
                        if a.startswith("sql_examples/"))
    present = {os.path.normpath(p) for p in glob.glob(os.path.join(ROOT, "sql_examples", "*"))}
    assert present == used, f"files no example command uses: {sorted(present - used)}"


@pytest.mark.parametrize("path", VIEW_FILES, ids=os.path.basename)
def test_example_runs(path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    args = documented_command(path, "Run")
    assert args[0] == "run"
    assert cli.main(args) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert out.count("== step ") >= 5
    # every view changes at least once: the changes exercise each of them
    for name in cli_views(path):
        assert f"\n{name}\n" in out, f"view {name} never changes"


@pytest.mark.parametrize("path", VIEW_FILES, ids=os.path.basename)
def test_example_passes_check(path, capsys, monkeypatch):
    pytest.importorskip("duckdb")
    monkeypatch.chdir(ROOT)
    args = documented_command(path, "Check")
    assert args[0] == "check"
    code = cli.main(args)
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "every view equal to DuckDB" in out
    assert documented_command(path, "Run")[1:] == args[1:], "Run and Check lines use different inputs"


def cli_views(path: str) -> list[str]:
    from deltasql import Pipeline

    p = Pipeline()
    with open(path) as f:
        p.execute(f.read())
    return p.views


def readme() -> str:
    with open(os.path.join(ROOT, "README.md")) as f:
        return f.read()


def test_readme_quickstart_holds_two_commands():
    text = readme()
    section = text[text.index("## Quickstart"):]
    block = section[section.index("```bash\n") + len("```bash\n"):]
    commands = [line for line in block[:block.index("```")].splitlines() if line.strip()]
    assert len(commands) == 2
    assert commands[0].startswith("pip install . && deltasql run ")
    assert commands[1] == "pip install '.[test]' && pytest -q"
    for word in shlex.split(commands[0].split("&&")[1]):
        if word.startswith("sql_examples/"):
            assert os.path.exists(os.path.join(ROOT, word)), word


def test_readme_python_example_runs(capsys):
    text = readme()
    start = text.index("```python\n") + len("```python\n")
    code = text[start:text.index("```", start)]
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    p = namespace["p"]
    from decimal import Decimal

    assert p.view("revenue").rows() == [("ada", 1, Decimal("5.00")), ("bob", 1, Decimal("12.00"))]
    out = capsys.readouterr().out
    assert out.startswith("views.sql:1:27: unknown column 'nope'\n")
    assert out.endswith("cannot delete (9, 'zed', 1.00) from orders: the row is not in the table\n")
