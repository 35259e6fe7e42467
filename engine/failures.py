"""How a failed step or backfill is reported: as a DataError naming the view whose operator failed,
saying that nothing was changed."""

from __future__ import annotations

from ..compiler.errors import DataError
from ..runtime.circuit import IterationLimitError


def view_of(op) -> str:
    label = getattr(op, "label", "") or ""
    return label.split(" in view ", 1)[1] if " in view " in label else label or "a view"


def data_error(cause: BaseException, where: str) -> DataError:
    if isinstance(cause, IterationLimitError):
        return DataError(f"{where}: {cause}; nothing was changed")
    msg = str(cause) or type(cause).__name__
    return DataError(f"{where}: {msg}; nothing was changed")
