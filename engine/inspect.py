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
        self._check_whole(name)
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
        """The view's optimized plan and its operators, as text (and, for a view over tables with
        watermarks, their watermarks and late rows)."""
        text = (f"view {name}({', '.join(self.columns(name))})\n-- plan\n{self.plan_text(name)}\n"
                f"-- circuit\n{self.circuit_text(name)}")
        times = [self._time_text(t) for t in self._reads(name) if self._tables[t].watermark is not None]
        return text + ("\n-- time\n" + "\n".join(times) if times else "")

    def _reads(self, name: str) -> list:
        """The tables a view reads, directly or through other views."""
        out, stack = [], [name]
        while stack:
            rel = self.catalog.relation(stack.pop())
            if rel is None:
                continue
            if not rel.is_view:
                if rel.name not in out:
                    out.append(rel.name)
                continue
            stack.extend(sorted(rel.depends_on))
        return out

    def _time_text(self, table: str) -> str:
        t = self._tables[table]
        wm = t.watermark
        marks = ", ".join(f"{n} {w if w is not None else '(none yet)'} (lateness {late})"
                          for n, w, late in zip(wm.names, wm.values, wm.lateness))
        kept = "all rows kept" if not t.collects else f"{t.discarded} rows behind the watermark discarded"
        return f"table {table}: watermark {marks}; late rows dropped: {wm.late}; {kept}"

    def watermark(self, table: str) -> dict:
        """The current watermark of each of a table's watermarked columns ({column: value}; None
        before its first row): every change behind it is dropped as late."""
        wm = self._table(table).watermark
        return dict(zip(wm.names, wm.values)) if wm is not None else {}

    def late_rows(self, table: str) -> int:
        """How many late changes (inserts and deletes behind the watermark) the table has dropped."""
        wm = self._table(table).watermark
        return wm.late if wm is not None else 0

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
