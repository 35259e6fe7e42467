"""Looking inside a pipeline: its tables and views, their rows, and for each view its optimized plan,
its circuit (as text or as a graph) and the Python generated for it."""

from __future__ import annotations

from ..compiler import plan as P
from ..compiler.errors import DataError
from ..runtime import Circuit, describe_circuit
from .results import View, ViewHandle, sort_rows


class Inspection:
    """Read access and the printed forms of each compiled level."""

    def view(self, name: str) -> ViewHandle:
        name = self._name(name)
        if name not in self._views:
            raise DataError(f"unknown view {name!r}")
        return ViewHandle(self, name)

    def table_rows(self, name: str) -> list[tuple]:
        """A table's committed rows (queued changes not included)."""
        t = self._table(name)
        out = []
        for r, w in t.contents.items():
            out.extend([r] * w)
        return sort_rows(out, ())

    @property
    def views(self) -> list[str]:
        return list(self._views)

    @property
    def tables(self) -> list[str]:
        return list(self._tables)

    def memory(self) -> dict:
        """{name: {"kind": "view" or "table", "bytes": …}}: the deep size of each view's operator state
        and of each table's rows (see engine/memory.py for what is counted)."""
        from .memory import operator_state_bytes, table_bytes

        out = {n: {"kind": "table", "bytes": table_bytes(t)} for n, t in self._tables.items()}
        for n, v in self._views.items():
            out[n] = {"kind": "view", "bytes": operator_state_bytes(v.ops), "operators": len(v.ops)}
        return out

    def explain(self, name: str) -> str:
        """The view's optimized plan and its operators, as text."""
        return (f"view {name}({', '.join(self.columns(name))})\n-- plan\n{self.plan_text(name)}\n"
                f"-- circuit\n{self.circuit_text(name)}")

    def _view_named(self, name: str) -> View:
        v = self._views.get(self._name(name))
        if v is None:
            raise DataError(f"unknown view {name!r}")
        return v

    def columns(self, name: str) -> list[str]:
        """Column names of a table or view."""
        rel = self.catalog.relation(self._name(name))
        if rel is None:
            raise DataError(f"unknown table or view {name!r}")
        return [f.name for f in rel.fields]

    def plan_text(self, name: str) -> str:
        """The optimized logical plan of a view, one node per line."""
        return P.explain(self._view_named(name).plan)

    def circuit_text(self, name: str) -> str:
        """The runtime operators a view added, in evaluation order, with their inputs."""
        return _describe_ops(self._view_named(name).ops)

    def circuit_graph(self, name: str):
        """(nodes, edges) of a view's circuit: nodes are (id, label), edges (from id, to id); operators
        the view reads but did not create (tables, other views, shared arrangements) are included."""
        ops = self._view_named(name).ops
        ids = {}
        nodes, edges = [], []

        def node_id(op):
            if id(op) not in ids:
                ids[id(op)] = f"n{len(ids)}"
                nodes.append((ids[id(op)], op.describe()))
            return ids[id(op)]

        for op in ops:
            me = node_id(op)
            for i in op.inputs:
                edges.append((node_id(i), me))
            body = getattr(op, "body", None)
            if body is not None:
                for inner in body.ops:
                    node_id(inner)
                    for i in inner.inputs:
                        edges.append((node_id(i), node_id(inner)))
                for fb in getattr(op, "feedbacks", []):
                    if fb.source is not None:
                        edges.append((node_id(fb.source), node_id(fb)))
        return nodes, edges

    def generated_source(self, name: str) -> str:
        """The Python source generated for a view's expressions and kernels."""
        return "\n\n".join(self._view_named(name).codegen.sources)


def _describe_ops(ops) -> str:
    c = Circuit()
    c.ops = list(ops)
    return describe_circuit(c)
