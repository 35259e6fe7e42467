"""Z-sets: finite maps from rows (tuples) to non-zero integer weights, and their group operations.

A Z-set is a plain ``dict`` {row: weight}; ``ZSet`` is a dict subclass that adds the algebra for
callers who like operators.  Invariant everywhere: a stored weight is never 0 (consolidated).
Laws: (Z, +, -, 0) is an abelian group; ``add_into(a, b)`` makes ``a`` equal ``a + b``.
"""

from __future__ import annotations


def add_into(target: dict, delta: dict) -> dict:
    """target += delta, in place, dropping rows whose weight becomes 0.  Returns target."""
    get = target.get
    for row, w in delta.items():
        n = get(row, 0) + w
        if n:
            target[row] = n
        else:
            del target[row]  # n == 0 only when row was present with weight -w
    return target


def add_scaled_into(target: dict, delta: dict, scale: int) -> dict:
    """target += scale * delta, in place."""
    get = target.get
    for row, w in delta.items():
        n = get(row, 0) + w * scale
        if n:
            target[row] = n
        else:
            target.pop(row, None)
    return target


def plus(*zsets: dict) -> dict:
    """The sum of Z-sets, as a new dict."""
    out: dict = {}
    for z in zsets:
        add_into(out, z)
    return out


def negate(z: dict) -> dict:
    """-z."""
    return {row: -w for row, w in z.items()}


def consolidate(pairs) -> dict:
    """Sum an iterable of (row, weight) pairs into a Z-set without zero weights."""
    out: dict = {}
    get = out.get
    for row, w in pairs:
        out[row] = get(row, 0) + w
    return drop_zeros(out)


def drop_zeros(z: dict) -> dict:
    """Remove zero weights in place (after a loop that accumulated with possible cancellation)."""
    if 0 not in z.values():  # (the common case, found at C speed)
        return z
    zeros = [row for row, w in z.items() if not w]
    for row in zeros:
        del z[row]
    return z


def expand(z: dict) -> list:
    """The bag of rows of a Z-set with non-negative weights, each row repeated weight times."""
    out = []
    for row, w in z.items():
        if w < 0:
            raise ValueError(f"row {row!r} has negative weight {w}")
        out.extend([row] * w)
    return out


class ZSet(dict):
    """A Z-set with arithmetic operators: ``a + b``, ``a - b``, ``-a``, ``k * a``."""

    def __add__(self, other: dict) -> "ZSet":
        return add_into(ZSet(self), other)

    def __sub__(self, other: dict) -> "ZSet":
        return add_scaled_into(ZSet(self), other, -1)

    def __neg__(self) -> "ZSet":
        return ZSet(negate(self))

    def __mul__(self, k: int) -> "ZSet":
        return ZSet({row: w * k for row, w in self.items()}) if k else ZSet()

    __rmul__ = __mul__

    def weight(self, row) -> int:
        return self.get(row, 0)

    def is_positive(self) -> bool:
        return all(w > 0 for w in self.values())
