"""What every sink is: a target that holds some views, applies each step's changes to them in one
transaction together with the step's number, and tells on request which step it applied last.

The laws a sink keeps, and the engine relies on (the engine's feed drives a sink; a sink never reads
the pipeline):

- After ``reset(step, view, rows)`` the target holds exactly ``rows`` for the view and records
  ``step`` for it; after ``write(step, changes)`` it holds what it held plus ``changes`` (a Z-set per
  view: ``[(row, weight), ...]``, each row once) and records ``step`` for each view changed.  Each
  call is one transaction of the target: on any error (``SinkError``) the target is as it was, rows
  and recorded steps alike.  So the recorded step never disagrees with the rows: a restarted
  pipeline resumes a sink at ``position(view)`` and neither repeats nor skips a step.
- ``position(view)`` is the last step recorded for the view, or None when the target holds nothing
  of it under these columns (then the engine calls ``reset``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ...compiler.types import SqlType


class SinkError(Exception):
    """A sink could not open its target or apply a change to it (the target is left as it was)."""


@dataclass(frozen=True)
class Column:
    name: str
    type: SqlType


@dataclass(frozen=True)
class ViewSchema:
    """A view as a sink sees it: its name, its columns in order, and its query (SQL text: a view
    replaced by one with the same columns but another query is another view to a target that did not
    see the replacement happen)."""

    name: str
    columns: tuple[Column, ...]
    query: str = ""

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def signature(self) -> str:
        """The columns as text and a digest of the query, recorded beside the step so that a changed
        view is recognised: ``a INTEGER, b VARCHAR; query 1f0c…``."""
        columns = ", ".join(f"{c.name} {c.type}" for c in self.columns)
        if not self.query:
            return columns
        return f"{columns}; query {hashlib.sha256(self.query.encode()).hexdigest()[:16]}"


class Sink:
    """A target kept equal to some views.  ``target`` is the string it was opened from."""

    kind = ""  # duckdb, sqlite, postgresql, jsonl, csv, parquet
    replaceable = False  # may reset() replace rows it holds (a database), or only add (a change log)?

    def __init__(self, target: str):
        self.target = target

    def position(self, view: ViewSchema) -> int | None:
        """The last step applied to ``view``, or None if the target holds nothing of it with these
        columns (never written, or written when the view had other columns)."""
        raise NotImplementedError

    def reset(self, step: int, view: ViewSchema, rows: dict) -> None:
        """Make the target hold exactly ``rows`` ({row: positive count}) for ``view``, as of ``step``:
        one transaction."""
        raise NotImplementedError

    def write(self, step: int, views: dict[str, ViewSchema], changes: dict[str, list]) -> None:
        """Apply one step's changes ({view: [(row, weight), ...]}, only views that changed, each reset
        into the target before and with the same columns) and record ``step`` and the view's
        signature for each: one transaction."""
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __repr__(self) -> str:
        return f"<{self.kind} sink {self.target}>"
