"""Repeated values held once: a table's rows share the int and text objects of values that repeat
in a column (dictionary encoding at insert, adaptive per column).

A row handed over by a caller holds objects of its own: every order's customer id and amount is a
fresh int (32 B each, beyond -5..256), as a parser or a driver makes them.  A batch inserted into a
table is rebuilt with each such value replaced by the one object of that column's memo that equals
it, so the table, its arrangements and its views hold one object per distinct value.

Laws: the row check (types.row_checker and the slow path it falls back to) leaves exactly ``int``
(or NULL) in an integer column and exactly ``str`` (or NULL) in a text column, and for those types
equal values are interchangeable (same value, same type, same hash); so a rebuilt row equals and
hashes as the row it replaces, and every reader (keys, arrangements, views, queries, state files)
sees the same rows.  Only values already checked are shared: the rows are rebuilt after the check,
before anything is queued.

Adaptive: a column a one-column key makes unique is never memoized; another one stops being (its
memo dropped) once it looks unique (at least 4,096 values seen, 99 % of them distinct: a memo that
saves nothing), does not pay (2^18 values seen and more than half of them distinct, or a memo of
more than 2^17 values), or comes shared already (while it is judged, i.e. its first 2^18 values: of
a sample of a batch, 7/8 of the values the memo holds were its very object, as constants and small
ints are).  A column of many distinct values that repeat later (100k customers' ids in the first
50k of 1M orders: 77 % distinct) keeps its memo: the judgements wait for that.
Which columns repeat is not known statically; the tests run once per batch, at C speed.  One-row
inserts are not rebuilt (a new tuple and a lookup per value would add to the one-row change; the
rows of bulk loads are what fills memory).  The collector is paused while a batch is rebuilt (its
new tuples hold only ints, strings and NULLs: no cycle to find).

Freed as the table shrinks: a memo does not keep values no row holds.  A table of n rows holds at most
n distinct values in a column, so once it holds fewer rows than half of what its largest memo holds (of
256 values or more), most of that memo is values no row holds: then the table (Table._free_values, after
a bulk or general delete, a step of deletions without a primary key, a discard) hands its rows to
``free``, which keeps of every memo of 256 values or more the values the rows hold (the memo's own
objects).  So after each such check a memo holds at most twice as many values as the table has rows, or
fewer than 256; a column of few rows a value whose values churn (new ones in, old ones out, the table's
size steady) may hold that many values no row holds until the bound is reached.  The one-row paths do
not check (every one-row change would pay it): a table emptied one row at a time is checked at its next
bulk delete or discard.
The cost, a pass over the rows and each memo, is paid for by the deletions that left the table so small
(more rows than half of what the largest memo holds, since it last held only what rows hold); a memo
holds at most 2^17 values, so the pass reads fewer than 2^16 rows.  The judgements count every distinct
value a column has shown (``freed`` adds the values dropped), so that a unique column of a table that
keeps shrinking still looks unique.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import is_, itemgetter

from .collector import collector_paused

_LOOKS_UNIQUE = 4_096  # values seen before a column whose values are ~all distinct stops
_JUDGED = 1 << 18  # values seen before a column must show that at least half of them repeat
_MAX_MEMO = 1 << 17  # distinct values a column's memo may hold
_SAMPLE = 512  # values of a batch whose objects are compared with the memo's
_FREE_MIN = 256  # values a memo holds before the values no row holds are dropped from it


class SharedValues:
    """The memos of a table's candidate columns and the generated loop that rebuilds a batch."""

    __slots__ = ("width", "memos", "seen", "freed", "free_below", "_share")

    def __init__(self, width: int, columns: Sequence[int]):
        self.width = width
        self.memos: dict[int, dict] = {c: {} for c in columns}
        self.seen: dict[int, int] = dict.fromkeys(columns, 0)
        self.freed: dict[int, int] = dict.fromkeys(columns, 0)  # values dropped by ``free``, per column
        self.free_below = 0  # a table holding fewer rows than this calls ``free`` (0: no memo large enough)
        self._share: Callable | None = None

    def rows(self, rows):
        """``rows`` (a list of checked tuples) with the memoized columns' values shared."""
        memos = self.memos
        if not memos or type(rows) is not list or len(rows) < 2:
            return rows
        if any(seen < _JUDGED for seen in self.seen.values()):
            self._judge_sample(rows)
            if not memos:
                return rows
        share = self._share or self._make()
        try:
            with collector_paused():
                out = share(rows, *[m.setdefault for m in memos.values()])
        except (TypeError, ValueError):  # (not tuples of the table's width: left to the caller's checks)
            return rows
        self._judge(len(rows))
        self._bound()
        return out

    def _make(self) -> Callable:
        names = [f"v{i}" for i in range(self.width)]
        setters = {c: f"s{j}" for j, c in enumerate(self.memos)}
        made = ", ".join(f"{setters[i]}({v}, {v})" if i in setters else v for i, v in enumerate(names))
        unpack = ", ".join(names) + ("," if self.width == 1 else "")
        src = (f"def share(rows, {', '.join(setters.values())}):\n"
               f"    return [({made}{',' if self.width == 1 else ''}) for {unpack} in rows]")
        env: dict = {}
        exec(compile(src, "<shared values>", "exec"), env)
        self._share = env["share"]
        return self._share

    def _judge(self, n: int) -> None:
        """Stop memoizing the columns that look unique or do not pay (the module's docstring)."""
        for c, memo in list(self.memos.items()):
            seen = self.seen[c] = self.seen[c] + n
            distinct = len(memo) + self.freed[c]
            if len(memo) > _MAX_MEMO or (seen >= _LOOKS_UNIQUE and distinct * 100 >= seen * 99) or \
                    (seen >= _JUDGED and distinct * 2 > seen):
                self._stop(c)

    def _judge_sample(self, rows: list) -> None:
        """Stop memoizing the columns, still judged, whose values come shared already: of the values
        of a sample of ``rows`` that the memo holds, 7/8 are the memo's very object."""
        for c, memo in list(self.memos.items()):
            if self.seen[c] >= _JUDGED or not memo:
                continue
            known = [v for v in map(itemgetter(c), rows[:_SAMPLE]) if v in memo]
            if len(known) >= _SAMPLE // 8 and sum(map(is_, known, map(memo.__getitem__, known))) * 8 >= len(known) * 7:
                self._stop(c)

    def _stop(self, c: int) -> None:
        del self.memos[c], self.seen[c], self.freed[c]
        self._share = None
        self._bound()

    def free(self, rows) -> None:
        """Drop from each memo of at least _FREE_MIN values the values that none of ``rows`` holds:
        ``rows`` are the table's rows, fewer than half of what the largest memo holds (the module's
        docstring).  The kept values are the memo's own objects."""
        for c, memo in list(self.memos.items()):
            if len(memo) >= _FREE_MIN:
                kept = list(map(memo.__getitem__, memo.keys() & set(map(itemgetter(c), rows))))
                self.memos[c] = dict(zip(kept, kept))
                self.freed[c] += len(memo) - len(kept)
        self._bound()

    def _bound(self) -> None:
        """``free_below``: half the largest memo (rounded up), if it holds at least _FREE_MIN values."""
        most = max(map(len, self.memos.values()), default=0)
        self.free_below = (most + 1) // 2 if most >= _FREE_MIN else 0

    def columns(self) -> list[int]:
        """The columns memoized now."""
        return list(self.memos)


def candidates(fields, keys: Sequence[Sequence[int]]) -> list[int]:
    """The columns worth memoizing at first: integer and text columns that no one-column key
    constraint makes unique."""
    unique = {cols[0] for cols in keys if len(cols) == 1}
    return [i for i, f in enumerate(fields) if f.type.kind in ("int", "text") and i not in unique]
