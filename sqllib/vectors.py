"""Lists as vectors: LIST_INNER_PRODUCT, LIST_NEGATIVE_INNER_PRODUCT, LIST_DISTANCE, LIST_COSINE_SIMILARITY
and LIST_COSINE_DISTANCE, computed as DuckDB computes them, to the last bit.

Laws, as DuckDB's loops are written and compiled:
- the sums run left to right in the result type (DOUBLE, or FLOAT: float32), each step
  ``acc += x * y`` one fused multiply-add (rounded once: the DuckDB build this project tests against
  contracts it so; a build that does not would differ in the last bit);
- a NULL list gives NULL; a NULL element, or lists of different lengths, is an error;
- the cosine similarity is ``dot / sqrt(|l|² · |r|²)`` clamped to [-1, 1]; when a sum is not finite or
  the product of the norms is below the type's smallest normal number, it is computed again over both
  lists divided by their largest absolute value (NaN for a zero or infinite one); of empty lists it is
  NULL, and the cosine distance is 1 minus it.
"""

from __future__ import annotations

import math
from fractions import Fraction

from .errors import DataError
from .numbers import NAN
from .real import _round_exact, f32

__all__ = ["list_inner_product", "list_negative_inner_product", "list_distance", "list_cosine_similarity",
           "list_cosine_distance"]

_MIN_NORMAL = {False: 2.2250738585072014e-308, True: 1.1754943508222875e-38}


def _fma(x: float, y: float, z: float, real: bool) -> float:
    """x * y + z rounded once to a DOUBLE (a float32 if ``real``)."""
    if math.isfinite(x) and math.isfinite(y) and math.isfinite(z):
        q = Fraction(x) * Fraction(y) + Fraction(z)
        if real:
            return _round_exact(q)
        try:
            return float(q)
        except OverflowError:
            return math.inf if q > 0 else -math.inf
    return x * y + z  # (inf and NaN: the fused and the plain results agree)


def _vectors(a, b, what: str):
    """The two lists checked as DuckDB checks them, or None for a NULL one."""
    if a is not None and None in a or b is not None and None in b:
        side = "left" if a is not None and None in a else "right"
        raise DataError(f"{what}: {side} argument can not contain NULL values")
    if a is None or b is None:
        return None
    if len(a) != len(b):
        raise DataError(f"{what}: list dimensions must be equal, got left length '{len(a)}' and right length "
                        f"'{len(b)}'")
    return a, b


def _dot(a, b, real: bool) -> float:
    acc = 0.0
    for x, y in zip(a, b):
        acc = _fma(x, y, acc, real)
    return NAN if acc != acc else acc


def list_inner_product(a, b, real: bool):
    v = _vectors(a, b, "list_inner_product")
    return None if v is None else _dot(*v, real)


def list_negative_inner_product(a, b, real: bool):
    v = _vectors(a, b, "list_negative_inner_product")
    return None if v is None else -_dot(*v, real)


def list_distance(a, b, real: bool):
    v = _vectors(a, b, "list_distance")
    if v is None:
        return None
    acc = 0.0
    for x, y in zip(*v):
        d = f32(x - y) if real else x - y
        acc = _fma(d, d, acc, real)
    if acc != acc:
        return NAN
    return f32(math.sqrt(acc)) if real else math.sqrt(acc)


def _sums(a, b, real: bool) -> tuple[float, float]:
    """(l · r, |l|² · |r|²), each sum left to right."""
    dot = nl = nr = 0.0
    for x, y in zip(a, b):
        dot, nl, nr = _fma(x, y, dot, real), _fma(x, x, nl, real), _fma(y, y, nr, real)
    return dot, (f32(nl * nr) if real else nl * nr)


def _cosine(a, b, real: bool) -> float:
    dot, product = _sums(a, b, real)
    if not math.isfinite(dot) or not math.isfinite(product) or product < _MIN_NORMAL[real]:
        ml, mr = max(abs(x) for x in a), max(abs(y) for y in b)  # both scaled to a largest |x| of 1
        if ml == 0 or mr == 0 or not math.isfinite(ml) or not math.isfinite(mr):
            return NAN
        div = (lambda x, m: f32(x / m)) if real else (lambda x, m: x / m)
        dot, product = _sums([div(x, ml) for x in a], [div(y, mr) for y in b], real)
    root = f32(math.sqrt(product)) if real else math.sqrt(product)
    if root == 0:
        return NAN if dot == 0 or dot != dot else math.copysign(math.inf, dot)
    s = f32(dot / root) if real else dot / root
    return NAN if s != s else max(-1.0, min(s, 1.0))


def list_cosine_similarity(a, b, real: bool):
    v = _vectors(a, b, "list_cosine_similarity")
    if v is None or not v[0]:
        return None
    return _cosine(*v, real)


def list_cosine_distance(a, b, real: bool):
    v = _vectors(a, b, "list_cosine_distance")
    if v is None or not v[0]:
        return None
    d = 1.0 - _cosine(*v, real)
    return NAN if d != d else f32(d) if real else d
