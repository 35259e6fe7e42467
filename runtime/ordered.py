"""A sorted sequence kept as a list of sorted blocks, for the operators that keep a partition or a group
in order (TopK, Window, quantiles): finding an item's place is a binary search over the blocks'
maxima then within one block, and inserting or deleting moves at most one block's items (at most
2·LOAD), so a change costs O(log n + LOAD) instead of the O(n) move of one flat list.

Laws: iteration yields the items in sorted order; ``add(x)`` then ``remove(x)`` restores the exact
previous contents; ``at(i)`` is the i-th item in that order.  Items must be totally ordered;
SortedList holds distinct items, SortedBag may repeat them.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from itertools import accumulate, chain

LOAD = 512  # a block splits in two above 2·LOAD items


class SortedList:
    __slots__ = ("blocks", "maxes", "size", "_ends")

    def __init__(self, items=()):
        items = sorted(items)
        self.blocks = [items[i:i + LOAD] for i in range(0, len(items), LOAD)]
        self.maxes = [b[-1] for b in self.blocks]
        self.size = len(items)
        self._ends = None  # cumulative block sizes, for at(); rebuilt after a change

    def add(self, item) -> None:
        blocks, maxes = self.blocks, self.maxes
        self.size += 1
        self._ends = None
        if not blocks:
            blocks.append([item])
            maxes.append(item)
            return
        i = bisect_left(maxes, item)
        if i == len(maxes):  # above every item: the end of the last block
            i -= 1
            b = blocks[i]
            b.append(item)
            maxes[i] = item
        else:
            b = blocks[i]
            insort(b, item)
        if len(b) > 2 * LOAD:
            blocks.insert(i + 1, b[LOAD:])
            del b[LOAD:]
            maxes.insert(i, b[-1])

    def remove(self, item) -> None:
        """Remove one copy of ``item``, which must be present."""
        blocks, maxes = self.blocks, self.maxes
        i = bisect_left(maxes, item)
        b = blocks[i]
        j = bisect_left(b, item)
        if j == len(b) or b[j] != item:
            raise KeyError(item)
        del b[j]
        self.size -= 1
        self._ends = None
        if b:
            maxes[i] = b[-1]
        else:
            del blocks[i]
            del maxes[i]

    def _cumulative(self) -> list:
        ends = self._ends
        if ends is None:
            ends = self._ends = list(accumulate(map(len, self.blocks)))
        return ends

    def at(self, index: int):
        """The item at position ``index`` (0 = the smallest)."""
        if not 0 <= index < self.size:
            raise IndexError(index)
        ends = self._cumulative()
        i = bisect_right(ends, index)
        return self.blocks[i][index - (ends[i - 1] if i else 0)]

    def position(self, item) -> int:
        """How many items sort before ``item`` (its index if present, else where it would go)."""
        i = bisect_left(self.maxes, item)
        if i == len(self.maxes):
            return self.size
        ends = self._cumulative()
        return (ends[i - 1] if i else 0) + bisect_left(self.blocks[i], item)

    def slice(self, start: int, stop: int) -> list:
        """The items at positions start .. stop - 1, as a list."""
        start, stop = max(start, 0), min(stop, self.size)
        if start >= stop:
            return []
        ends = self._cumulative()
        i = bisect_right(ends, start)
        out = []
        offset = start - (ends[i - 1] if i else 0)
        while len(out) < stop - start:
            b = self.blocks[i]
            out.extend(b[offset:offset + (stop - start - len(out))])
            i, offset = i + 1, 0
        return out

    def __iter__(self):
        return chain.from_iterable(self.blocks)

    def __len__(self) -> int:
        return self.size

    def __bool__(self) -> bool:
        return self.size > 0

    def __eq__(self, other) -> bool:
        return isinstance(other, SortedList) and list(self) == list(other)

    def __repr__(self) -> str:
        return f"SortedList({list(self)!r})"

    def __getstate__(self):
        return list(self)

    def __setstate__(self, items) -> None:
        self.__init__(items)


SortedBag = SortedList  # the same structure: remove() takes out one copy
