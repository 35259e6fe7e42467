"""The installed package: one top-level name, deltasql, holding every package directory of the
repository; the public API importable from it."""

import os
import subprocess
import sys
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOT_INSTALLED = {"tests", "bench", "build", "dist", "venv"}  # and hidden directories (.git, .venv, ...)


def package_dirs():
    """Every directory of the repository that is a Python package, as its installed dotted name."""
    out = set()
    for top in sorted(os.listdir(ROOT)):
        if top in NOT_INSTALLED or top.startswith(".") or not os.path.isdir(os.path.join(ROOT, top)):
            continue
        for here, dirs, files in os.walk(os.path.join(ROOT, top)):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            if "__init__.py" in files:
                out.add("deltasql." + os.path.relpath(here, ROOT).replace(os.sep, "."))
    return out


def test_every_package_directory_is_installed_under_deltasql():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        setuptools = tomllib.load(f)["tool"]["setuptools"]
    assert setuptools["package-dir"] == {"deltasql": "."}
    listed = set(setuptools["packages"])
    assert listed == package_dirs() | {"deltasql"}
    assert all(name == "deltasql" or name.startswith("deltasql.") for name in listed)


def test_public_api():
    import deltasql

    assert {"Pipeline", "CompileError", "DataError"} <= set(deltasql.__all__)
    p = deltasql.Pipeline()
    p.execute("CREATE TABLE t(a INT); CREATE VIEW v AS SELECT a, COUNT(*) AS n FROM t GROUP BY a")
    p.insert("t", [(1,), (1,)])
    assert p.step() == {"v": [((1, 2), 1)]}


def test_a_users_own_compiler_module_does_not_shadow_deltasql(tmp_path):
    (tmp_path / "compiler.py").write_text("raise SystemExit('the user module was imported')\n")
    (tmp_path / "runtime.py").write_text("raise SystemExit('the user module was imported')\n")
    (tmp_path / "cli.py").write_text("raise SystemExit('the user module was imported')\n")
    code = "from deltasql import Pipeline, CompileError, DataError; print(Pipeline().dialect.name)"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "duckdb"


def test_version():
    import deltasql

    r = subprocess.run([sys.executable, "-m", "deltasql", "--version"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"deltasql {deltasql.__version__}"
