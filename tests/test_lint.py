"""The package's lint habits (pyproject.toml's [tool.ruff] and [tool.mypy]; CONTRIBUTING.md says why):
ruff over the installed package, and mypy, every definition annotated, over the typed modules — the
public API and the plan and expression IR.  A finding fails the test with the tool's report."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYPROJECT = os.path.join(ROOT, "pyproject.toml")
TYPED = ["__init__.py", "engine/pipeline.py", "compiler/plan.py", "compiler/expr.py", "compiler/types.py"]


def _tool(module: str) -> None:
    try:
        __import__(module)
    except ImportError:
        pytest.skip(f"{module} is not installed (pip install -e '.[test]')")


def test_ruff():
    _tool("ruff")
    out = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--config", PYPROJECT, ROOT],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy(tmp_path):
    """mypy reads the repository as the package it installs as: ``deltasql`` is the repository's top
    level (pyproject maps it so), which a link in a scratch directory reproduces."""
    _tool("mypy")
    os.symlink(ROOT, tmp_path / "deltasql")
    cache = os.path.join(ROOT, ".mypy_cache") if os.access(ROOT, os.W_OK) else str(tmp_path / "cache")
    out = subprocess.run([sys.executable, "-m", "mypy", "--config-file", PYPROJECT, "--cache-dir", cache]
                         + [os.path.join("deltasql", f) for f in TYPED],
                         capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr


def test_typed_modules_exist():
    """TYPED names real files (a module moved without this list following would be checked by nothing)."""
    for f in TYPED:
        assert os.path.isfile(os.path.join(ROOT, f)), f
