"""What a pipeline's readers get: a view's compiled parts (View), read access to one view
(ViewHandle), an ad-hoc query's answer (QueryResult), and the deterministic order rows are given in."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from ..compiler.catalog import Relation
from ..compiler.codegen import Codegen
from ..compiler.errors import DataError
from ..runtime.aggregates import Desc
from ..runtime.operators import Output
from ..sqllib.sqlfuncs import NAN

if TYPE_CHECKING:
    from .pipeline import Pipeline


# the kinds of column that never hold a float, so never NaN (decimals have no NaN in SQL)
_NAN_FREE = frozenset(("int", "decimal", "text", "bool", "date", "timestamp", "timestamptz", "null"))


@dataclass
class View:
    rel: Relation
    output: Output
    plan: object
    ops: list
    order: tuple = ()
    codegen: Codegen | None = None
    # an ORDER BY over expressions outside the select list: the rows with those trailing columns,
    # kept only to put rows() in order
    ordered: Output | None = None
    bounds: tuple = ()  # the waterlines of its columns (compiler/waterlines.py)
    streaming: bool = False  # reads a table with watermarks

    @cached_property
    def nan_free(self) -> bool:
        """No column of its rows can hold a float (so no NaN): ordered_changes skips its search."""
        return all(f.type.kind in _NAN_FREE for f in self.rel.fields)


@dataclass
class QueryResult:
    """The answer to an ad-hoc query: column names and rows."""

    columns: list
    rows: list


class ViewHandle:
    """Read access to one view."""

    def __init__(self, pipeline: "Pipeline", name: str):
        self._p = pipeline
        self.name = name

    @property
    def _view(self) -> View:
        v = self._p._views.get(self.name)
        if v is None:
            raise DataError(f"view {self.name!r} no longer exists")
        return v

    @property
    def columns(self) -> list[str]:
        with self._p._lock:
            return [f.name for f in self._view.rel.fields]

    def rows(self) -> list[tuple]:
        """The current contents, duplicates repeated, in ORDER BY order if the view has one."""
        with self._p._lock:
            self._p._check_whole(self.name, statically=True)
            return self._rows()

    def _rows(self) -> list[tuple]:
        v = self._view
        source = v.ordered if v.ordered is not None else v.output
        out = []
        for row, w in source.contents.items():
            out.extend([row] * w)
        out = sort_rows(out, v.order)
        if v.ordered is not None:
            width = len(v.rel.fields)
            out = [r[:width] for r in out]
        return out

    def delta(self) -> list[tuple]:
        """The changes the last ``step()`` returned for this view, as (row, weight) pairs."""
        self._view  # noqa: B018 - raises if the view is gone
        return list(self._p.last_changes.get(self.name, ()))

    def to_arrow(self):
        """The rows (as ``rows()``) as a pyarrow Table with the view's column names, each SQL type as
        connectors/arrow maps it (exact: DECIMAL as decimal128, INTERVAL as month_day_nano).  Needs
        pyarrow: pip install 'deltasql[arrow]'."""
        try:
            from ..connectors.arrow import arrow_table
        except ImportError as e:
            raise ImportError("to_arrow() needs pyarrow: pip install 'deltasql[arrow]'") from e
        return arrow_table(self.columns, [f.type for f in self._view.rel.fields], self.rows())

    def df(self):
        """The rows as a pandas DataFrame (``to_arrow().to_pandas()``: DECIMAL values as Decimal objects,
        DATE as date objects, INTERVAL as DateOffsets).  Needs pandas: pip install 'deltasql[pandas]'."""
        try:
            import pandas  # noqa: F401
        except ImportError as e:
            raise ImportError("df() needs pandas: pip install 'deltasql[pandas]'") from e
        return self.to_arrow().to_pandas()

    def __len__(self) -> int:
        with self._p._lock:
            self._p._check_whole(self.name, statically=True)
            return sum(self._view.output.contents.values())

    def __repr__(self) -> str:
        if not self._view.output.keep:
            return f"<view {self.name}: keeps no rows>"
        return f"<view {self.name}: {len(self)} rows>"


def unique_names(names):
    seen = {}
    out = []
    for n in names:
        if n in seen:
            seen[n] += 1
            candidate = f"{n}_{seen[n]}"
            while candidate in seen:
                seen[n] += 1
                candidate = f"{n}_{seen[n]}"
            seen[candidate] = 0
            out.append(candidate)
        else:
            seen[n] = 0
            out.append(n)
    return out


def _row_key(row):
    return tuple((v is None, str(type(v)), _nan_last(v) if v is not None else (False, 0)) for v in row)


def _nan_last(v):
    """A value as a sort key where NaN comes after every other number (as DuckDB orders it)."""
    return (True, 0.0) if v != v else (False, v)


def ordered_changes(z: dict, nan_free: bool = False) -> list:
    """A view's changes in step()'s documented order: removed rows (negative weights) first, then
    added rows, each part ordered by value, column by column, NULLs last (a fixed order: the same
    changes are always listed alike). ``nan_free``: no column can hold a float (View.nan_free), so
    the search for NaN is skipped."""
    if len(z) < 3:
        if len(z) < 2:
            return list(z.items())
        (r1, w1), (r2, w2) = z.items()  # a one-row change of a view: often -old +new
        if (w1 < 0) != (w2 < 0):  # one row in each part: the order of the parts is the whole order
            return [(r1, w1), (r2, w2)] if w1 < 0 else [(r2, w2), (r1, w1)]
    try:
        # plain tuple order (fast: the rows themselves are compared, at C speed; each part is sorted
        # apart, as a row is unique in z); it raises where a NULL or a value of another type meets a
        # value, and NaN has no place in it: then the full key of sort_rows
        if not nan_free and any(NAN in row for row in z):
            raise TypeError
        if len(z) <= _FEW:  # (a one-row change's -old +new: one sort by a key costs less than the parts)
            return sorted(z.items(), key=_plain_key)
        if min(z.values()) > 0 or max(z.values()) < 0:
            return [(row, z[row]) for row in sorted(z)]
        removed = sorted([row for row, w in z.items() if w < 0])
        added = sorted([row for row, w in z.items() if w > 0])
        return [(row, z[row]) for row in removed] + [(row, z[row]) for row in added]
    except TypeError:
        return sorted(z.items(), key=lambda rw: (rw[1] > 0, _row_key(rw[0]), rw[1]))


_FEW = 8


def _plain_key(rw):
    return (rw[1] > 0, rw[0], rw[1])


def sort_rows(rows, order) -> list:
    """Rows sorted by ORDER BY keys (over output columns) if any, else in a deterministic order."""
    if not order:
        try:
            return sorted(rows, key=_row_key)
        except TypeError:
            return rows

    def key(row):
        out = []
        for k in order:
            v = row[k.expr.index]
            flag = (v is not None) if k.nulls_first else (v is None)
            out.append((flag, (Desc(_nan_last(v)) if k.descending else _nan_last(v)) if v is not None else 0))
        return out

    return sorted(rows, key=key)
