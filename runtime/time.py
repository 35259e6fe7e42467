"""Times inside nested scopes: tuples of iteration counters ordered by the product order.

The outer (root) tick is never stored: state keeps the sum over all past ticks, because every past
tick is ≤ the current one.  A scope at depth d sees times of length d - 1, e.g. ``(i,)`` inside one
fixpoint and ``(i, j)`` inside a fixpoint nested in another.  Two updates at times a and b interact
at their least upper bound ``lub(a, b)``; a value at time t is the sum of updates at times ``≤ t``.
"""


def leq(a: tuple, b: tuple) -> bool:
    """a ≤ b in the product order."""
    if len(a) == 1:
        return a[0] <= b[0]
    for x, y in zip(a, b):
        if x > y:
            return False
    return True


def lub(a: tuple, b: tuple) -> tuple:
    """The least upper bound (coordinate-wise max)."""
    if len(a) == 1:
        return a if a[0] >= b[0] else b
    return tuple(x if x >= y else y for x, y in zip(a, b))
