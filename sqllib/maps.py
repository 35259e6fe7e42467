"""MAP values (DuckDB's ``MAP(INTEGER, VARCHAR)``, ``MAP {1: 'a'}``, ``map([1], ['a'])``).

A map value is a ``SqlMap``: a tuple of its entries in the order they were given, each entry a
struct (key, value) (``ENTRY``), as DuckDB stores a map (a list of such structs).  Laws:

- maps compare as those lists do (DuckDB's): entry by entry, so ``MAP {1: 2, 3: 4}`` is neither equal
  to nor above ``MAP {3: 4, 1: 2}``; equality is the tuple's; hashable, picklable;
- keys are unique and never NULL: building a map that breaks this is an error (DataError, DuckDB's
  'Map keys must be unique' / 'can not be NULL'); values may be NULL;
- m[k] is k's value (NULL when absent), map_extract(m, k) the list [value] or [];
- text form ``{1=a, 2=NULL}``: keys and VARCHAR values quoted only where they could not be read back.
"""

from __future__ import annotations

from .errors import DataError, show_value
from .lists import NestedOrder, SqlList, quote_element
from .numbers import NAN
from .structs import _split_pair, _unquote, _value_text, split_top, struct_class

ENTRY = struct_class(("key", "value"))


class SqlMap(NestedOrder, tuple):
    """A SQL map value: a tuple of ENTRY structs, ordered as DuckDB orders maps."""

    __slots__ = ()

    def items(self):
        return iter(self)  # each entry unpacks as (key, value)

    def __repr__(self) -> str:  # printed as a Python dict, so a map value reads as one
        return "{" + ", ".join(f"{k!r}: {v!r}" for k, v in self) + "}"

    def __reduce__(self):  # unpickled with every NaN the one NaN
        return (_restore, (tuple((k, v) for k, v in self),))


def _restore(pairs):
    return SqlMap(ENTRY(NAN if type(x) is float and x != x else x for x in kv) for kv in pairs)


def make_map(pairs) -> SqlMap:
    """A map of (key, value) pairs: keys unique and not NULL (DataError otherwise)."""
    seen = set()
    entries = []
    for k, v in pairs:
        if k is None:
            raise DataError("map keys can not be NULL")
        if k in seen:
            raise DataError(f"map keys must be unique ({show_value(k)} is given twice)")
        seen.add(k)
        entries.append(ENTRY((k, v)))
    return SqlMap(entries)


# -- building maps ---------------------------------------------------------------------------------------

def map_pack(*items):
    """MAP {k1: v1, k2: v2, …} (items: k1, v1, k2, v2, …): never NULL."""
    return make_map(zip(items[0::2], items[1::2]))


def map_from_lists(keys, values):
    """map([keys], [values]): NULL if either list is NULL; the lists must have one length."""
    if keys is None or values is None:
        return None
    if len(keys) != len(values):
        raise DataError("the map key list does not align with the map value list")
    return make_map(zip(keys, values))


def map_from_entries(entries):
    """map_from_entries([(k, v), …]): each entry a struct of two fields (key, then value)."""
    if entries is None:
        return None
    if any(e is None for e in entries):
        raise DataError("map keys can not be NULL")
    return make_map((e[0], e[1]) for e in entries)


# -- reading maps ----------------------------------------------------------------------------------------

def map_keys(m):
    return None if m is None else SqlList(k for k, _ in m)


def map_values(m):
    return None if m is None else SqlList(v for _, v in m)


def map_entries(m):
    return None if m is None else SqlList(m)


def map_extract_value(m, key):
    """m[key]: key's value, NULL when the map has no such key (or either is NULL)."""
    if m is None or key is None:
        return None
    for k, v in m:
        if k == key:
            return v
    return None


def map_extract(m, key):
    """map_extract(m, key) / element_at: [value] for a key the map has, else []; NULL for a NULL map."""
    if m is None:
        return None
    if key is not None:
        for k, v in m:
            if k == key:
                return SqlList((v,))
    return SqlList(())


def map_contains(m, key):
    """Whether the map has the key: NULL for a NULL map; for a NULL key, FALSE of an empty map and NULL
    of any other (DuckDB's, as list_contains)."""
    if m is None:
        return None
    if key is None:
        return False if not m else None
    return any(k == key for k, _ in m)


def cardinality(m):
    return None if m is None else len(m)


def map_concat(*maps):
    """map_concat(a, b, …): the entries of each map in turn, a later map's value replacing an earlier
    one's for the same key (where the key first appeared); NULL maps are left out, NULL when all are."""
    if all(m is None for m in maps):
        return None
    out: dict = {}
    for m in maps:
        if m is not None:
            for k, v in m:
                out[k] = v
    return SqlMap(ENTRY(kv) for kv in out.items())


# -- casts and text ---------------------------------------------------------------------------------------

def cast_map(m, key, value):
    """CAST(map AS MAP(K, V)) (``key``/``value``: the casts of a non-NULL key and value)."""
    if m is None:
        return None
    return make_map((key(k), None if v is None else value(v)) for k, v in m)


def map_text(m, key, value, quote_key: bool, quote_value: bool):
    """CAST(map AS VARCHAR): '{1=a, 2=NULL}'."""
    if m is None:
        return None
    parts = []
    for k, v in m:
        kt = key(k)
        vt = "NULL" if v is None else value(v)
        parts.append(f"{quote_element(kt) if quote_key else kt}={quote_element(vt) if quote_value and v is not None else vt}")
    return "{" + ", ".join(parts) + "}"


def parse_map_text(text: str) -> list:
    """'{1=a, b=NULL}' -> [('1', 'a'), ('b', None)]: the keys' and values' texts, as DuckDB casts text to a
    map.  Raises DataError for text that is not a map."""
    s = text.strip()
    if len(s) < 2 or s[0] != "{" or s[-1] != "}":
        raise DataError(f"cannot convert {show_value(text)} to a map")
    out = []
    for item in split_top(s[1:-1], text):
        k, sep, v = _split_pair(item, "=")
        if not sep:
            raise DataError(f"cannot convert {show_value(text)} to a map: an entry needs key=value")
        key = _value_text(*_unquote(k))
        if key is None:
            raise DataError("map keys can not be NULL")
        out.append((key, _value_text(*_unquote(v))))
    return out


def cast_text_map(text, key, value):
    """CAST(text AS MAP(K, V)): DuckDB's text form read, each key and value through its type's cast."""
    if text is None:
        return None
    return make_map((key(k), None if v is None else value(v)) for k, v in parse_map_text(text))
