"""deltasql: SQL views compiled to incremental DBSP circuits, maintained by a pure-Python runtime.

    import deltasql
    p = deltasql.Pipeline()
    p.execute("CREATE TABLE t(a INT); CREATE VIEW v AS SELECT a, COUNT(*) AS n FROM t GROUP BY a")
    p.insert("t", [(1,), (1,)])
    p.step()                      # {'v': [((1, 2), 1)]}

The repository's top-level ``compiler/``, ``runtime/``, ``sqllib/`` and ``cli.py`` are installed as
``deltasql.compiler``, ``deltasql.runtime``, ``deltasql.sqllib`` and ``deltasql.cli``; this module is
the public API and ``python -m deltasql`` the command line.  A view's LIST, MAP and STRUCT values are
``SqlList``, ``SqlMap`` and ``SqlStruct`` (tuples ordered and compared as DuckDB orders them); a DATE
before year 1 or after 9999 (Python's ``datetime.date`` has none) is a ``FarDate``.
"""

from .compiler import CompileError, DataError
from .connectors.sinks.base import SinkError
from .engine import Pipeline, ViewHandle
from .engine.feeds import DeliveryError
from .sqllib.fardates import FarDate
from .sqllib.lists import SqlList
from .sqllib.maps import SqlMap
from .sqllib.structs import SqlStruct

__version__ = "0.2.0"

__all__ = ["Pipeline", "ViewHandle", "CompileError", "DataError", "DeliveryError", "SinkError",
           "SqlList", "SqlMap", "SqlStruct", "FarDate", "__version__"]
