"""SESSION windows: the markers compiler/timewindows.py leaves in the select list become a Session
plan node's two columns (session start and end).

Law: a session's gap is a constant INTERVAL and its time a TIMESTAMP or DATE column; the rows of a
partition whose times are less than a gap apart are one session.
"""

from __future__ import annotations

from sqlglot import exp

from .. import plan as P
from ..bind_expr import ExprBinder
from ..expr import Col, columns_used, remap
from ..scope import Rel
from ..timewindows import SESSION_END, SESSION_START


class SessionBinding:
    """QueryBinder methods for the constructs above (mixed into QueryBinder)."""

    def sessions(self, node: exp.Select, rel: Rel) -> None:
        """The session bounds a SESSION window table function was rewritten into (markers in the
        select list, compiler/timewindows.py) become a Session plan node's two columns."""
        marks = [m for p in node.expressions for m in p.find_all(exp.Anonymous)
                 if m.name.lower() in (SESSION_START, SESSION_END)]
        if not marks:
            return
        eb = ExprBinder(self, rel)
        time_node, gap_node, *keys = marks[0].expressions
        time = eb.bind(time_node)
        if not isinstance(time, Col) or time.type.kind not in ("timestamp", "date"):
            raise self.error(time_node, "SESSION needs a TIMESTAMP or DATE time column")
        end = eb.bind(exp.Add(this=time_node.copy(), expression=gap_node.copy()))
        end = remap(end, lambda c: Col(0, c.type, False, c.name) if c.index == time.index else c)
        if columns_used(end) != {0}:
            raise self.error(gap_node, "SESSION's gap must be a constant INTERVAL")
        partition = tuple(eb.bind(k) for k in keys)
        width = rel.width
        rel.plan = P.Session(rel.plan, partition, time, end)
        rel.ast_map = dict(rel.ast_map)
        for m in marks:
            rel.ast_map[m] = width if m.name.lower() == SESSION_START else width + 1
