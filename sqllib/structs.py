"""STRUCT values (DuckDB's ``STRUCT(a INTEGER, b VARCHAR)``, ``{'a': 1, 'b': 'x'}``, ``row(1, 'x')``).

A struct value is a ``SqlStruct``: a tuple of its field values (so it is hashable, a GROUP BY /
DISTINCT / join key, and picklable) of a class that knows the field names (``struct_class(names)``,
one class per name tuple, so a value needs no storage of its own for them).  Laws:

- structs of one type compare field by field in DuckDB's order, the order of lists: a NULL field is
  above every value and equal to another NULL field, NaN above every number (``{'a': 1} < {'a': NULL}``,
  ``{'a': NULL} = {'a': NULL}`` is TRUE); a struct's own NULL is the column's NULL (None);
- equality is the tuple's; the names are the type's, so two values of one column always share them;
- an unnamed struct (``row(1, 'x')``) has the empty string for every name, prints as ``(1, x)`` (one
  field: ``(1,)``, as DuckDB prints it).

Text forms, as DuckDB casts them: ``{'a': 1, 'b': x y}`` (names quoted, a VARCHAR field quoted only
where it could not be read back, as inside a list) and the reverse cast from ``{a: 1, b: x}`` /
``{'a': 1}`` (fields by name, in any order, missing ones NULL) or ``(1, x)`` (by position).
"""

from __future__ import annotations

from .errors import DataError, show_value
from .lists import NestedOrder, SqlList, quote_element
from .numbers import NAN


class SqlStruct(NestedOrder, tuple):
    """A SQL struct value: a tuple ordered as DuckDB orders structs; ``names`` is its class's."""

    __slots__ = ()
    names: tuple[str, ...] = ()

    def items(self):
        return zip(self.names, self)

    def __repr__(self) -> str:  # printed as a Python dict, so a struct value reads as one
        if self.names and all(self.names):
            return "{" + ", ".join(f"{n!r}: {v!r}" for n, v in self.items()) + "}"
        return repr(tuple(self))

    def __reduce__(self):  # unpickled (shards, state files) with its class and every NaN the one NaN
        return (_restore, (self.names, tuple(self)))


_CLASSES: dict[tuple[str, ...], type] = {}


def struct_class(names: tuple[str, ...]) -> type:
    """The SqlStruct class of structs with these field names (one per name tuple)."""
    cls = _CLASSES.get(names)
    if cls is None:
        cls = _CLASSES[names] = type("SqlStruct", (SqlStruct,), {"__slots__": (), "names": names})
    return cls


def make_struct(names: tuple[str, ...], values) -> SqlStruct:
    return struct_class(tuple(names))(values)


def _restore(names, values):
    return struct_class(names)(NAN if type(x) is float and x != x else x for x in values)


# -- functions (the binder resolves field names to positions) -------------------------------------------

def struct_field(v, i: int):
    """s.a / s['a'] / struct_extract(s, 'a') (``i``: a's position): NULL for a NULL struct."""
    return None if v is None else v[i]


def struct_keys(v, names):
    """struct_keys(s): the field names (a constant the binder passes), NULL for a NULL struct."""
    return None if v is None else names


def row_value(*items):
    """row(a, b, …): an unnamed struct, never NULL (its fields may be)."""
    return struct_class(("",) * len(items))(items)


def list_zip(*args):
    """list_zip(a, b, …[, truncate]): the i-th elements of the lists as an unnamed struct, for i up to the
    longest list (the shorter ones padded with NULL fields) or, with ``truncate`` TRUE, the shortest; a
    NULL list is an empty one, a NULL ``truncate`` FALSE, and the result is never NULL (DuckDB's)."""
    *lists, truncate = args
    lists = [() if v is None else v for v in lists]
    lengths = [len(v) for v in lists]
    n = min(lengths) if truncate else max(lengths)
    cls = struct_class(("",) * len(lists))
    return SqlList(cls(v[i] if i < len(v) else None for v in lists) for i in range(n))


def cast_struct(v, cls, convert):
    """CAST(struct AS STRUCT(…)) / a struct read from text: ``convert`` maps the source value to the
    target's field values (codegen builds it from the two types)."""
    if v is None:
        return None
    return cls(convert(v))


def struct_text(v, converts, quotes, named: bool):
    """CAST(struct AS VARCHAR): {'a': 1, 'b': x} (``converts``: each field's text; ``quotes``: which
    fields are VARCHARs, quoted where needed); an unnamed struct (1, x)."""
    if v is None:
        return None
    parts = []
    for name, x, conv, quote in zip(v.names, v, converts, quotes):
        t = "NULL" if x is None else quote_element(conv(x)) if quote else conv(x)
        parts.append(f"{_quote_name(name)}: {t}" if named else t)
    if named:
        return "{" + ", ".join(parts) + "}"
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"  # (DuckDB's one-field tuple: (1,))


def _quote_name(name: str) -> str:
    return "'" + name.replace("\\", "\\\\").replace("'", "\\'") + "'"


# -- reading the text form -------------------------------------------------------------------------------

def _top_level(s: str):
    """(i, c) for each character of s outside quotes (with backslash escapes) and brackets."""
    depth, quote, i = 0, None, 0
    while i < len(s):
        c = s[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c in "[{(":
            depth += 1
        elif c in "]})":
            depth -= 1
        elif depth == 0:
            yield i, c
        i += 1
    if quote:
        raise DataError("an unclosed quote")


def split_top(body: str, text: str) -> list[str]:
    """The comma-separated items of ``body`` (the inside of [...], {...} or (...)) as written: quotes
    and brackets nest.  ``text`` is for messages."""
    if not body.strip():
        return []
    try:
        cuts = [i for i, c in _top_level(body) if c == ","]
    except DataError:
        raise DataError(f"cannot convert {show_value(text)}: an unclosed quote") from None
    starts = [0] + [i + 1 for i in cuts]
    return [body[a:b] for a, b in zip(starts, cuts + [len(body)])]


def _unquote(s: str) -> tuple[str, bool]:
    s = s.strip()
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"":
        out, i = [], 1
        while i < len(s) - 1:
            if s[i] == "\\" and i + 1 < len(s) - 1:
                i += 1
            out.append(s[i])
            i += 1
        return "".join(out), True
    return s, False


def _value_text(s: str, quoted: bool):
    if quoted:
        return s
    s = s.strip()
    return None if s.upper() == "NULL" else s


def parse_struct_text(text: str, names: tuple[str, ...]) -> list:
    """'{a: 1, b: x}' / "{'a': 1}" (by name, any order, missing fields NULL) or '(1, x)' (by position)
    -> each field's text (None for NULL), in the order of ``names``; as DuckDB casts text to a struct.
    Raises DataError for text that is not such a struct."""
    s = text.strip()
    if len(s) >= 2 and s[0] == "(" and s[-1] == ")":
        items = split_top(s[1:-1], text)
        if len(items) == len(names) + 1 and not items[-1].strip():  # (1,): a one-field tuple as DuckDB prints it
            items = items[:-1]
        if len(items) != len(names):
            raise DataError(f"cannot convert {show_value(text)} to a struct of {len(names)} fields")
        return [_value_text(*_unquote(t)) for t in items]
    if len(s) < 2 or s[0] != "{" or s[-1] != "}":
        raise DataError(f"cannot convert {show_value(text)} to a struct")
    out: list = [None] * len(names)
    lower = [n.lower() for n in names]
    for item in split_top(s[1:-1], text):
        name, sep, value = _split_pair(item, ":")
        if not sep:
            raise DataError(f"cannot convert {show_value(text)} to a struct: a field needs a name")
        name, _ = _unquote(name)
        if name.lower() not in lower:
            raise DataError(f"cannot convert {show_value(text)} to a struct: no field {name!r}")
        v, q = _unquote(value)
        out[lower.index(name.lower())] = _value_text(v, q)
    return out


def _split_pair(item: str, sep: str) -> tuple[str, str, str]:
    """name SEP value, split at the first SEP outside quotes and brackets."""
    for i, c in _top_level(item):
        if c == sep:
            return item[:i], sep, item[i + 1:]
    return item, "", ""
