"""Test configuration: make the repository importable when the tests run from a checkout."""

import os
import sys
from pathlib import Path

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

# deltasql raises the recursion limit at its first compile (compiler/frontend.py); raised before any
# test runs, hypothesis does not see it change under it (and warn)
from deltasql.compiler.frontend import ensure_recursion_limit  # noqa: E402

ensure_recursion_limit()


class _CheckoutIsNotATestPackage:
    """The checkout's top level has __init__.py (it is the deltasql package), so pytest collects it as a
    test package and imports that __init__.py under a name derived from the directory; in a checkout whose
    name is no identifier (a worktree such as ``sources-16``) that name is ``__init__`` and its relative
    imports fail.  Collect the top level as a plain directory instead."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_collect_directory(self, path, parent):
        if path == Path(ROOT):
            return pytest.Dir.from_parent(parent, path=path)
        return None


def pytest_configure(config):
    config.pluginmanager.register(_CheckoutIsNotATestPackage(), "deltasql-checkout-dir")


# -- PostgreSQL test server (tests/pgserver.py) ------------------------------------------------------
from tests import pgserver  # noqa: E402


@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL server on loopback for the whole session (wal_level=logical; see tests/pgserver.py).

    Skips only where no server can be started on this machine and we are not in CI; in CI (``CI`` set,
    as .ci/run does) that is a failure, since .ci/run installs the package."""
    reason = pgserver.unavailable()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL test server unavailable in CI: {reason}")
        pytest.skip(reason)
    server = pgserver.PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture
def pg_database(pg_server):
    """A fresh database on the session's server, dropped (with its replication slots) after the test."""
    db = pg_server.create_database()
    yield db
    db.drop()
