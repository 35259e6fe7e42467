"""TRY_CAST of nested values (compiler/nested.py generates the calls): each element, field, key or
value converted by a function that gives NULL where it fails; the value itself NULL where its shape
does not fit (an ARRAY's length, a text that is not the value's text, a map left with a NULL or a
repeated key)."""

from __future__ import annotations

from .errors import DataError
from .lists import SqlList, parse_list_text
from .maps import make_map, parse_map_text
from .structs import parse_struct_text


def try_list(v, convert, size: int):
    if v is None:
        return None
    if isinstance(v, str):
        try:
            v = parse_list_text(v)
        except DataError:
            return None
    if size and len(v) != size:
        return None
    return SqlList(None if x is None else convert(x) for x in v)


def try_struct(v, cls, pairs, converts):
    """From a struct: target field k is source field pairs[k] (None: NULL) through converts[k]."""
    if v is None:
        return None
    return cls(None if i is None or v[i] is None else conv(v[i]) for i, conv in zip(pairs, converts))


def try_struct_text(v, cls, names, converts):
    if v is None:
        return None
    try:
        texts = parse_struct_text(v, names)
    except DataError:
        return None
    return cls(None if x is None else conv(x) for x, conv in zip(texts, converts))


def try_map(v, key, value):
    if v is None:
        return None
    if isinstance(v, str):
        try:
            v = parse_map_text(v)
        except DataError:
            return None
    try:
        return make_map((key(k), None if x is None else value(x)) for k, x in v)
    except DataError:  # a key that converted to NULL, or two keys to one
        return None
