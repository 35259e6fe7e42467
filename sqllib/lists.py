"""LIST values (DuckDB's ``INT[]``, ``VARCHAR[]``, …) and the functions over them.

A list value is a ``SqlList``: a tuple (so it is hashable, a GROUP BY / DISTINCT / join key, and
picklable) whose order is DuckDB's, not Python's:

- lists compare element by element; a NULL element is above every value and equal to another NULL
  element; NaN is above every other number (it is the one NaN, so equal to itself);
- a list that is a prefix of another is below it (``[] < [1] < [1, 2] < [1, NULL] < [2] < [NULL]``);
- equality is the tuple's (``[1, NULL] = [1, NULL]`` is TRUE in DuckDB, as ``(1, None) == (1, None)``).

So ``=``, ``<``, ORDER BY, MIN/MAX and DISTINCT on lists need nothing of their own.  Functions follow
sqllib's convention (a NULL list in, NULL out, unless DuckDB says otherwise, as for ``list_concat``);
indices are 1-based, negative ones count from the end, and an index out of range is NULL.
"""

from __future__ import annotations

from .errors import DataError, show_value
from .numbers import NAN
from .string_ranges import duck_string_element


class NestedOrder:
    """<, <=, >, >= of a nested value (a tuple subclass: a list, a struct, a map's entries) in DuckDB's
    order of lists (_compare); equality and hashing stay the tuple's."""

    __slots__ = ()

    def __lt__(self, other):
        return _compare(self, other) < 0

    def __le__(self, other):
        return _compare(self, other) <= 0

    def __gt__(self, other):
        return _compare(self, other) > 0

    def __ge__(self, other):
        return _compare(self, other) >= 0


class SqlList(NestedOrder, tuple):
    """A SQL list value: a tuple ordered as DuckDB orders lists (see the module docstring)."""

    __slots__ = ()

    def __add__(self, other):
        return SqlList(tuple.__add__(self, other))

    def __getitem__(self, i):
        out = tuple.__getitem__(self, i)
        return SqlList(out) if isinstance(i, slice) else out

    def __repr__(self) -> str:  # printed as a Python list, so a list value reads as one
        return repr(list(self))

    def __reduce__(self):  # unpickled (shards, state files) with every NaN the one NaN, as rows are
        return (_restore, (tuple(self),))


def _restore(items):
    return SqlList(NAN if type(x) is float and x != x else x for x in items)


def _compare(a, b) -> int:
    """-1, 0 or 1: a against b in DuckDB's order of lists."""
    if not isinstance(b, tuple):
        return NotImplemented
    for x, y in zip(a, b):
        if x is y or x == y:
            continue
        if x is None:
            return 1
        if y is None:
            return -1
        if x != x:  # NaN: above every number
            return 1
        if y != y:
            return -1
        return -1 if x < y else 1
    return (len(a) > len(b)) - (len(a) < len(b))


def element_key(v):
    """A sort key for one element: NULL above every value, NaN above every number."""
    if v is None:
        return (2, 0)
    if v != v:
        return (1, 0)
    return (0, v)


def list_value(*items):
    """[a, b, …] / list_value(a, b, …): never NULL (its elements may be)."""
    return SqlList(items)


def make_list(v, convert=None):
    """A value as a SqlList, each non-NULL element through ``convert`` (a Python list or tuple)."""
    if v is None:
        return None
    if convert is None:
        return v if type(v) is SqlList else SqlList(v)
    return SqlList(None if x is None else convert(x) for x in v)


def cast_list(v, convert):
    """CAST(list AS T[]): each element cast to T (``convert``); a text is read as DuckDB reads '[1, 2]'."""
    if v is None:
        return None
    if isinstance(v, str):
        v = parse_list_text(v)
    return SqlList(None if x is None else convert(x) for x in v)


_QUOTE_CHARS = frozenset("\"'(),:=[]\\{}")


def quote_element(s: str) -> str:
    """A VARCHAR element as DuckDB prints it inside a list: quoted where it could not be read back."""
    if (not s or s[0].isspace() or s[-1].isspace() or s.lower() == "null"
            or any(c in _QUOTE_CHARS for c in s)):
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return s


def list_text(v, convert, quote: bool):
    """CAST(list AS VARCHAR): '[1, 2, NULL]', each element's text by ``convert`` (quoted if ``quote``)."""
    if v is None:
        return None
    parts = []
    for x in v:
        if x is None:
            parts.append("NULL")
        else:
            t = convert(x)
            parts.append(quote_element(t) if quote else t)
    return "[" + ", ".join(parts) + "]"


def parse_list_text(text: str) -> list:
    """'[a, "b,c", NULL, [1, 2]]' -> ['a', 'b,c', None, '[1, 2]']: the elements' texts (a nested list's
    whole text, read by the element's own cast), NULL for an unquoted NULL; as DuckDB casts text to a
    list.  Raises DataError for text that is not a list."""
    s = text.strip()
    if len(s) < 2 or s[0] != "[" or s[-1] != "]":
        raise DataError(f"cannot convert {show_value(text)} to a list")
    body = s[1:-1]
    items: list = []
    if not body.strip():
        return items
    cur: list[str] = []
    quoted = False
    depth = 0
    i = 0
    n = len(body)
    while i < n:
        c = body[i]
        if c in "'\"" and depth == 0 and not "".join(cur).strip():
            end = i + 1
            out = []
            while end < n and body[end] != c:
                if body[end] == "\\" and end + 1 < n:
                    end += 1
                out.append(body[end])
                end += 1
            if end >= n:
                raise DataError(f"cannot convert {show_value(text)} to a list: an unclosed quote")
            cur = out
            quoted = True
            i = end + 1
            while i < n and body[i].isspace():
                i += 1
            if i < n and body[i] != ",":
                raise DataError(f"cannot convert {show_value(text)} to a list")
            continue
        if c in "'\"" and depth > 0:  # a quoted text inside a nested element: kept as written, brackets in it too
            end = i + 1
            while end < n and body[end] != c:
                end += 2 if body[end] == "\\" else 1
            cur.append(body[i:end + 1])
            i = end + 1
            continue
        if c in "[{(":
            depth += 1
        elif c in "]})":
            depth -= 1
        if c == "," and depth == 0:
            items.append(_item(cur, quoted))
            cur, quoted = [], False
        else:
            cur.append(c)
        i += 1
    items.append(_item(cur, quoted))
    return items


def _item(chars, quoted):
    s = "".join(chars)
    if quoted:
        return s
    s = s.strip()
    return None if s.upper() == "NULL" else s


# -- functions ---------------------------------------------------------------------------------------

def list_length(v):
    return None if v is None else len(v)


def list_element(v, i):
    """v[i]: 1-based, negative from the end, NULL out of range (and for index 0); of a string (DuckDB's
    array_extract of a VARCHAR), its character there, as s[i] (string_ranges.duck_string_element)."""
    if v is None or i is None:
        return None
    if isinstance(v, str):
        return duck_string_element(v, i)  # (DuckDB's 32-bit offset checked: string_ranges.py)
    n = len(v)
    if i > 0:
        return v[i - 1] if i <= n else None
    if i < 0:
        return v[n + i] if -i <= n else None
    return None


def list_slice(v, begin, end, has_begin: bool, has_end: bool):
    """v[begin:end]: 1-based and inclusive; negative bounds count from the end; a bound left out is
    the list's start or end; a NULL bound makes the slice NULL (DuckDB)."""
    if v is None or (has_begin and begin is None) or (has_end and end is None):
        return None
    n = len(v)
    if not has_begin:
        b = 0
    elif begin < 0:
        b = max(n + begin, 0)
    else:
        b = max(begin - 1, 0)
    if not has_end:
        e = n
    elif end < 0:
        e = n + end + 1
    else:
        e = min(end, n)
    return SqlList(tuple.__getitem__(v, slice(b, max(e, b))))


def list_slice_step(v, begin, end, step, has_begin: bool, has_end: bool):
    """v[begin:end:step]: a positive step takes every step-th element of v[begin:end]; a negative one goes
    from begin down to end (1-based, inclusive; left out: the last and the first element), so begin must
    not be before end; a NULL step or bound makes the slice NULL, a step of 0 is an error (DuckDB)."""
    if v is None or step is None or (has_begin and begin is None) or (has_end and end is None):
        return None
    if step == 0:
        raise DataError("a slice's step cannot be zero")
    if step > 0:
        return SqlList(tuple.__getitem__(list_slice(v, begin, end, has_begin, has_end), slice(None, None, step)))
    n = len(v)

    def position(x, default):
        return default if x is None else x if x >= 0 else n + x + 1
    b = min(position(begin if has_begin else None, n), n)
    e = max(position(end if has_end else None, 1), 1)
    return SqlList(tuple.__getitem__(v, i - 1) for i in range(b, e - 1, step)) if b >= e else SqlList(())


def list_contains(v, x):
    """list_contains(v, x): NULL for a NULL list, FALSE for an empty one, else NULL for a NULL x; a NULL
    element matches nothing."""
    if v is None:
        return None
    if x is None:
        return False if not v else None
    for y in v:
        if y is not None and (y == x or (y != y and x != x)):
            return True
    return False


def list_position(v, x):
    """list_position(v, x): the 1-based position of x's first occurrence (NULL finds a NULL), else NULL."""
    if v is None:
        return None
    for i, y in enumerate(v, 1):
        if (x is None and y is None) or (x is not None and y is not None and (y == x or (y != y and x != x))):
            return i
    return None


def list_concat(*lists):
    """list_concat(a, b, …): NULL lists are empty ones (DuckDB: never NULL unless every argument is the
    untyped NULL, which the binder folds)."""
    out: list = []
    for v in lists:
        if v is not None:
            out.extend(v)
    return SqlList(out)


def list_concat_strict(a, b):
    """a || b on lists: NULL if either is NULL (DuckDB's operator, unlike list_concat)."""
    if a is None or b is None:
        return None
    return SqlList(tuple(a) + tuple(b))


def string_split(s, sep):
    """string_split(s, sep): the pieces between separators; an empty or NULL separator splits into
    characters (NULL: the whole string as one piece)."""
    if s is None:
        return None
    if sep is None:
        return SqlList((s,))
    if sep == "":
        return SqlList(s)
    return SqlList(s.split(sep))


def list_sort(v, descending: bool, nulls_first: bool):
    """list_sort(v[, 'ASC'|'DESC'[, 'NULLS FIRST'|'NULLS LAST']]): NULL elements placed as asked."""
    if v is None:
        return None
    values = [x for x in v if x is not None]
    nulls = [None] * (len(v) - len(values))
    values.sort(key=element_key, reverse=descending)
    return SqlList(nulls + values if nulls_first else values + nulls)


def list_sum(v):
    if v is None:
        return None
    vals = [x for x in v if x is not None]
    return sum(vals[1:], vals[0]) if vals else None


def list_min(v):
    if v is None:
        return None
    vals = [x for x in v if x is not None]
    return min(vals, key=element_key) if vals else None


def list_max(v):
    if v is None:
        return None
    vals = [x for x in v if x is not None]
    return max(vals, key=element_key) if vals else None


def list_append(v, x):
    """list_append(v, x): a NULL list is an empty one."""
    return SqlList((tuple(v) if v is not None else ()) + (x,))


def list_prepend(v, x):
    """list_prepend(x, v) (the list read first here): a NULL list is an empty one."""
    return SqlList((x,) + (tuple(v) if v is not None else ()))


def list_has_any(a, b):
    """Whether a and b share a non-NULL element; NULL if either list is NULL."""
    if a is None or b is None:
        return None
    return any(list_contains(a, x) for x in b if x is not None)


def list_has_all(a, b):
    """Whether every non-NULL element of b is in a; NULL if either list is NULL."""
    if a is None or b is None:
        return None
    return all(list_contains(a, x) for x in b if x is not None)


def list_contained_by(a, b):
    """a <@ b: whether every non-NULL element of a is in b (list_has_all(b, a)); NULL if either is NULL."""
    return list_has_all(b, a)


def array_pop_back(v):
    """array_pop_back(v): v without its last element ([] stays [])."""
    return None if v is None else SqlList(tuple.__getitem__(v, slice(None, -1)))


def array_pop_front(v):
    """array_pop_front(v): v without its first element ([] stays [])."""
    return None if v is None else SqlList(tuple.__getitem__(v, slice(1, None)))


def list_reverse(v):
    return None if v is None else SqlList(reversed(v))


def list_unique(v):
    """The number of distinct non-NULL elements."""
    return None if v is None else len({x for x in v if x is not None})


def flatten(v):
    """flatten(list of lists): the inner lists concatenated, NULL inner lists left out."""
    if v is None:
        return None
    out: list = []
    for x in v:
        if x is not None:
            out.extend(x)
    return SqlList(out)


def array_to_string(v, sep):
    """array_to_string(list of VARCHAR, sep): the non-NULL elements joined by sep (NULL sep: ','), as
    string_agg over the elements: '' for an empty list, NULL for one of NULLs only."""
    if v is None:
        return None
    items = [x for x in v if x is not None]
    if v and not items:
        return None
    return ("," if sep is None else sep).join(items)


def list_transform(v, fn):
    """list_transform(v, lambda x[, i]: …): fn of each element (and its 1-based position)."""
    return None if v is None else SqlList(fn(x, i) for i, x in enumerate(v, 1))


def list_filter(v, fn):
    """list_filter(v, lambda x[, i]: …): the elements for which fn is TRUE (fn answers truthy exactly then)."""
    return None if v is None else SqlList(x for i, x in enumerate(v, 1) if fn(x, i))


NO_INIT = object()  # list_reduce without an initial value


def list_reduce(v, fn, start, init=NO_INIT):
    """list_reduce(v, lambda acc, x[, i]: …[, init]): acc = init (or v's first element through ``start``),
    then fn(acc, x, position of x) for each further element.  NULL for a NULL list; an empty list without
    init is an error (DuckDB's)."""
    if v is None:
        return None
    if init is NO_INIT:
        if not v:
            raise DataError("list_reduce of an empty list without an initial value")
        acc, first = start(v[0]), 2
        items = tuple.__getitem__(v, slice(1, None))
    else:
        acc, first, items = init, 1, v
    for i, x in enumerate(items, first):
        acc = fn(acc, x, i)
    return acc


def list_first(v):
    """list_first(v): the first element (NULL for an empty list)."""
    return v[0] if v else None


def list_last(v):
    return v[-1] if v else None


def list_count(v):
    """list_count(v): how many elements are not NULL."""
    return None if v is None else sum(1 for x in v if x is not None)


def list_avg(v):
    """list_avg(v): the mean of the non-NULL elements, a DOUBLE (NULL for none)."""
    if v is None:
        return None
    vals = [x for x in v if x is not None]
    if not vals:
        return None
    if any(x != x for x in vals):
        return NAN
    return float(sum(vals) / len(vals)) if not isinstance(vals[0], float) else sum(vals) / len(vals)
