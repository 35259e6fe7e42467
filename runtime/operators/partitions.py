"""Sorted partitions: the integrated state shared by the per-partition operators (TopK, Window).

Each partition holds its rows as a SortedList of (order key, row) (runtime/ordered.py: a change
costs a search and one block's move, not the partition) and a {row: weight} map; a row is in the
list exactly while its weight is non-zero.  Output is the
difference of each touched partition's old and new emission:
    Δout = Σ_{p touched} emit(I(in)_p) - emit(I(in)_p - Δ_p).

With an expiry over partition keys (a partition column only changing at or above a watermark-driven
bound), ``expire_partitions`` drops the partitions below the bound after the step: top-k or a
window per closed window.
"""

from ..ordered import SortedList


def apply_sorted(parts: dict, keyed, sign: int, touched: set) -> None:
    """Add sign × each (partition, order key, row, weight) of ``keyed`` to ``parts``; note the
    partitions touched.  Applying with -sign undoes it exactly."""
    for p, key, row, w in keyed:
        touched.add(p)
        part = parts.get(p)
        if part is None:
            part = parts[p] = [SortedList(), {}]
        order, weights = part
        old = weights.get(row, 0)
        new = old + sign * w
        if old and not new:
            order.remove((key, row))
            del weights[row]
        elif new and not old:
            order.add((key, row))
            weights[row] = new
        else:
            weights[row] = new
        if not weights:
            del parts[p]


def replace_emitted(emitted: dict, fresh: dict, out: dict) -> dict:
    """Make ``fresh`` (partition -> {row: weight}) the emission of its partitions, adding the
    change to ``out``; returns the replaced emissions, for ``restore_emitted``."""
    old_emitted = {}
    for p, new in fresh.items():
        old = emitted.get(p, {})
        old_emitted[p] = old
        if new:
            emitted[p] = new
        else:
            emitted.pop(p, None)
        for row, w in old.items():
            d = new.get(row, 0) - w
            if d:
                out[row] = out.get(row, 0) + d
        for row, w in new.items():
            if row not in old:
                out[row] = out.get(row, 0) + w
    return old_emitted


def restore_emitted(emitted: dict, old_emitted: dict) -> None:
    for p, old in old_emitted.items():
        if old:
            emitted[p] = old
        else:
            emitted.pop(p, None)


def new_partitions(parts: dict, keyed) -> list:
    """The partitions of ``keyed`` that ``parts`` does not hold yet (to note in an expiry)."""
    return [p for p in {item[0] for item in keyed} if p not in parts]


def expire_partitions(op, created, *by_partition: dict) -> None:
    """Drop op's partitions that its expiry finds due: from ``op.parts`` and from each dict of
    ``by_partition`` (the operator's other state by partition), journaled; ``created`` are the
    partitions this step created."""
    expiry, parts = op.expiry, op.parts
    for p in created:
        expiry.note(p)
    popped = expiry.due()
    if popped:
        dropped = [(p, parts.pop(p), [d.pop(p, _ABSENT) for d in by_partition]) for _, _, p in popped if p in parts]
        op.journal.record(_unexpire, (op, by_partition, popped, dropped))


_ABSENT = object()


def _unexpire(saved) -> None:
    op, by_partition, popped, dropped = saved
    op.expiry.restore(popped)
    for p, part, entries in dropped:
        op.parts[p] = part
        for d, e in zip(by_partition, entries):
            if e is not _ABSENT:
                d[p] = e
