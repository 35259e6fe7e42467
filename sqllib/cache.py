"""Caches bounded by the size of what they hold, not only by how many entries: a pattern cache that
keeps 10,000 one-megabyte patterns would hold ten gigabytes.

Law: a lookup returns what was stored under the key, or None once it was evicted (oldest first);
the total size of the stored keys never exceeds ``max_size``.
"""

from __future__ import annotations


class SizedCache:
    """A dict from keys to compiled values; ``size(key)`` is what an entry costs (for a pattern, its
    length), and entries go oldest first when the total would pass ``max_size`` or there would be
    more than ``max_entries``.  A key larger than ``max_size`` alone is never stored."""

    def __init__(self, max_size: int = 4_000_000, max_entries: int = 10_000, size=None):
        self.max_size = max_size
        self.max_entries = max_entries
        self.size = size or (lambda key: len(key[0]) if isinstance(key, tuple) else len(key))
        self._items: dict = {}
        self._total = 0

    def get(self, key):
        return self._items.get(key)

    def put(self, key, value):
        cost = self.size(key)
        if cost > self.max_size or key in self._items:
            return value
        items = self._items
        while items and (self._total + cost > self.max_size or len(items) >= self.max_entries):
            oldest = next(iter(items))
            del items[oldest]
            self._total -= self.size(oldest)
        items[key] = value
        self._total += cost
        return value

    def __len__(self) -> int:
        return len(self._items)

    @property
    def total(self) -> int:
        return self._total
