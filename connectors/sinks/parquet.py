"""The Parquet change log (``parquet:DIR``): for each view a directory DIR/VIEW of files, one per step
that changed the view, named by the step (DIR/VIEW/00000000000000000042.parquet, so names sort as
steps do).  Each file holds the step's changed rows with two columns in front, step and weight
(underscores in front while the view has such a column; +k adds k copies of the row, -k removes k),
then the view's columns as ``connectors.arrow`` maps them (INTERVAL a struct of months, days and
microseconds).  Read a view's log with ``SELECT * FROM 'DIR/VIEW/*.parquet'`` (DuckDB) or
``pyarrow.dataset``.

A step is one transaction over all its views: each view's file is written under a temporary name
(``.NAME.tmp``) and fsynced; then the commit record DIR/.deltasql (each view's last step and columns)
is replaced atomically, which commits the step; then the files are renamed into place.  Opening the
log finishes the renames of a committed step a crash interrupted and deletes the files of one that
was not committed, so a reader of the directory sees whole steps only, and, once the log was opened
after a crash, every committed one.
"""

from __future__ import annotations

import glob
import os

import pyarrow as pa
import pyarrow.parquet as pq

from ..arrow import arrow_table
from ..formats import change_order
from .base import SinkError
from .changelog import RECORD_VERSION, ChangeLog, bookkeeping_names, fsync_dir, replace_atomically, safe_file_name
from .values import check_values

RECORD = ".deltasql"
_DIGITS = 20


def _file_name(step: int) -> str:
    return f"{step:0{_DIGITS}d}.parquet"


class ParquetSink(ChangeLog):
    """(A ChangeLog for its commit record; its files are whole Parquet files, never appended to.)"""

    kind = "parquet"

    def __init__(self, target: str, directory: str):
        self.directory = directory
        super().__init__(target, directory, os.path.join(directory, RECORD))

    def _create(self) -> None:
        os.makedirs(self.directory, exist_ok=True)

    def _cut_uncommitted(self) -> None:
        """Finish the renames of the committed step, delete the files of an uncommitted one."""
        for tmp in glob.glob(os.path.join(self.directory, "*", ".*.parquet.tmp")):
            folder, name = os.path.split(tmp)
            step = int(name[1:].split(".")[0])
            rec = self.record["views"].get(os.path.basename(folder))
            if rec is not None and step <= rec["step"]:
                os.replace(tmp, os.path.join(folder, name[1:-len(".tmp")]))
                fsync_dir(folder)
            else:
                os.remove(tmp)

    def _append(self, step: int, views: dict, changes: dict) -> None:
        # every view's file is encoded before anything is written: a value that cannot be written
        # fails the step with nothing written
        tables = {name: self._encode(step, views[name], delta) for name, delta in changes.items()}
        moves = []
        try:
            for name, table in tables.items():
                folder = os.path.join(self.directory, safe_file_name(views[name]))
                os.makedirs(folder, exist_ok=True)
                final = os.path.join(folder, _file_name(step))
                tmp = os.path.join(folder, "." + _file_name(step) + ".tmp")
                with open(tmp, "wb") as f:
                    pq.write_table(table, f)
                    f.flush()
                    os.fsync(f.fileno())
                moves.append((tmp, final))
            record = {"version": RECORD_VERSION, "files": {},
                      "views": {**self.record["views"],
                                **{n: {"step": step, "columns": views[n].signature()} for n in changes}}}
            replace_atomically(self.record_path, self._record_bytes(record))
        except OSError as e:
            for tmp, _final in moves:
                try:
                    os.remove(tmp)
                except OSError:
                    pass
            raise SinkError(f"{self.target}: step {step}: {e}") from e
        self.record = record
        try:  # committed: the renames only make the files visible (the next open finishes them)
            for tmp, final in moves:
                os.replace(tmp, final)
            for folder in {os.path.dirname(final) for _tmp, final in moves}:
                fsync_dir(folder)
        except OSError as e:
            raise SinkError(f"{self.target}: step {step} is committed but its files could not be renamed into "
                            f"place ({e}); the next open of the log finishes them") from e

    def _encode(self, step: int, view, changes: list) -> pa.Table:
        changes = sorted(changes, key=change_order)
        step_name, weight_name = bookkeeping_names(view)
        try:
            for row, _w in changes:
                check_values(row, view)
            return arrow_table(view.names, [c.type for c in view.columns], [r for r, _w in changes], parquet=True,
                               extra={step_name: pa.array([step] * len(changes), pa.int64()),
                                      weight_name: pa.array([w for _r, w in changes], pa.int64())},
                               metadata={"deltasql.columns": view.signature()})
        except (TypeError, ValueError, pa.ArrowException) as e:
            raise SinkError(f"{self.target}: view {view.name}: step {step}: {e}") from e
