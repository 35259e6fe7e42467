"""The Parquet change log (``parquet:DIR``): for each view a directory DIR/VIEW of files, one per step
that changed the view, named by the step (DIR/VIEW/00000000000000000042.parquet, so names sort as
steps do).  Each file holds the step's changed rows with two columns in front, step and weight
(underscores in front while the view has such a column; +k adds k copies of the row, -k removes k),
then the view's columns as ``connectors.arrow`` maps them (INTERVAL a struct of months, days and
microseconds).  A file is written beside its final name, fsynced and renamed into place: a view's
step is either wholly there or not at all, and the last file's name is the view's recorded step.
The view's columns are kept in each file's metadata (``deltasql.columns``).  Read a view's log
with ``SELECT * FROM 'DIR/VIEW/*.parquet'`` (DuckDB) or ``pyarrow.dataset``.
"""

from __future__ import annotations

import glob
import os

import pyarrow as pa
import pyarrow.parquet as pq

from ..arrow import arrow_table
from ..formats import change_order
from .base import Sink, SinkError
from .changelog import bookkeeping_names, fsync_dir, replace_atomically, safe_file_name
from .values import check_values

MARKER = ".deltasql"
_DIGITS = 20


class ParquetSink(Sink):
    kind = "parquet"

    def __init__(self, target: str, directory: str):
        super().__init__(target)
        self.directory = directory
        self._positions: dict[str, tuple] = {}  # view -> (step, columns), read on first use
        marker = os.path.join(directory, MARKER)
        try:
            if not os.path.exists(marker):
                if os.path.isdir(directory) and os.listdir(directory) or os.path.isfile(directory):
                    raise SinkError(f"{target}: {directory} is not a deltasql change log (it has no {MARKER}); "
                                    f"sink to a new path")
                os.makedirs(directory, exist_ok=True)
                replace_atomically(marker, b"deltasql parquet change log, version 1\n")
        except OSError as e:
            raise SinkError(f"{target}: open: {e}") from e

    def _recorded(self, view) -> tuple | None:
        name = view.name
        if name not in self._positions:
            folder = os.path.join(self.directory, safe_file_name(view))
            for tmp in glob.glob(os.path.join(folder, ".*.tmp")):
                os.remove(tmp)  # a write a crash interrupted
            files = sorted(glob.glob(os.path.join(folder, "*.parquet")))
            if not files:
                self._positions[name] = None
            else:
                meta = pq.read_schema(files[-1]).metadata or {}
                columns = meta.get(b"deltasql.columns", b"").decode()
                self._positions[name] = (int(os.path.basename(files[-1]).split(".")[0]), columns)
        return self._positions[name]

    def position(self, view) -> int | None:
        rec = self._recorded(view)
        if rec is None or rec[1] != view.signature():
            return None
        return rec[0]

    def reset(self, step: int, view, rows: dict) -> None:
        rec = self._recorded(view)
        if rec is not None:
            raise SinkError(f"{self.target}: the log already holds view {view.name} (up to step {rec[0]}, "
                            f"columns {rec[1]}); a change log is only appended to: to start over with columns "
                            f"{view.signature()}, sink to a new path")
        self._write_file(step, view, self._encode(step, view, list(rows.items())))

    def write(self, step: int, views: dict, changes: dict) -> None:
        for name in changes:
            if self.position(views[name]) is None:
                raise SinkError(f"{self.target}: view {name} was never reset into this log")
        # every view's file is encoded before any is written: a value that cannot be written fails
        # the step with nothing written; past that, each view's file is renamed into place on its own
        # (a crash between two leaves the views at different steps, which their positions say)
        tables = {name: self._encode(step, views[name], delta) for name, delta in changes.items()}
        for name, table in tables.items():
            self._write_file(step, views[name], table)

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

    def _write_file(self, step: int, view, table: pa.Table) -> None:
        folder = os.path.join(self.directory, safe_file_name(view))
        final = os.path.join(folder, f"{step:0{_DIGITS}d}.parquet")
        tmp = os.path.join(folder, f".{step:0{_DIGITS}d}.parquet.tmp")
        try:
            os.makedirs(folder, exist_ok=True)
            with open(tmp, "wb") as f:
                pq.write_table(table, f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, final)
            fsync_dir(folder)
        except OSError as e:
            try:
                os.remove(tmp)
            except OSError:
                pass
            raise SinkError(f"{self.target}: view {view.name}: step {step}: {e}") from e
        self._positions[view.name] = (step, view.signature())
