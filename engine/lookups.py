"""Equality lookups for DELETE and UPDATE: the rows a WHERE can match, found through a key or an
index instead of a scan of the table.

Law: if WHERE is (c1 = v1) AND … AND rest, every row it keeps has row[c_i] = v_i, so it is among the
rows that an index on some of the c_i holds under their values; evaluating the whole WHERE on those
candidates keeps exactly the rows a scan would.  Two conditions make that hold here:

- the statement reads no other relation (no subquery anywhere), so restricting what the scan of the
  target table sees changes nothing else;
- a literal is used only where its Python value equals a stored value exactly when SQL's ``=`` is
  true: numbers against numeric columns (as a float against a DOUBLE column, which is what SQL
  compares), strings against text columns, booleans against booleans.  Anything else (a date
  written as a string, a number against text) scans, as before.

The keys come from PRIMARY KEY and UNIQUE constraints (the table's own {key: row} indexes over its
committed and queued rows) and from CREATE INDEX: a secondary index {key: {row: None}} over the
committed rows, built on first use and kept up to date by ``Table.commit`` through ``apply``; queued
rows are looked at directly (they are the statement's own transaction, a few rows).
"""

from __future__ import annotations

import decimal

from sqlglot import exp

_NOT_LITERAL = object()


def literal_value(x):
    """The Python value of a literal (NULL, a boolean, a number or a string, possibly negated), or
    ``_NOT_LITERAL``."""
    neg = False
    while isinstance(x, (exp.Neg, exp.Paren)):
        if isinstance(x, exp.Neg):
            neg = not neg
        x = x.this
    if isinstance(x, exp.Null):
        return None if not neg else _NOT_LITERAL
    if isinstance(x, exp.Boolean) and not neg:
        return bool(x.this)
    if isinstance(x, exp.Literal):
        if x.is_string:
            return x.this if not neg else _NOT_LITERAL
        text = x.this
        try:
            v = int(text)
        except ValueError:
            try:
                v = decimal.Decimal(text)
            except decimal.InvalidOperation:
                return _NOT_LITERAL
            if "e" in text.lower():
                v = float(text)
        if not neg:
            return v
        return v.copy_negate() if isinstance(v, decimal.Decimal) else -v  # exact (unary minus rounds to 28 digits)
    return _NOT_LITERAL


def _comparable(value, kind: str):
    """``value`` as the column's stored value would be when SQL's ``=`` holds, or _NOT_LITERAL."""
    if value is None:
        return None  # col = NULL is never true: no row
    if isinstance(value, bool):
        return value if kind == "bool" else _NOT_LITERAL
    if isinstance(value, (int, float, decimal.Decimal)):
        if kind == "float":
            return float(value)
        return value if kind in ("int", "decimal") else _NOT_LITERAL
    if isinstance(value, str):
        return value if kind == "text" else _NOT_LITERAL
    return _NOT_LITERAL


def reads_nothing_else(*nodes) -> bool:
    """No subquery in any of the expressions."""
    return not any(n is not None and next(n.find_all(exp.Select, exp.Subquery), None) is not None for n in nodes)


def equalities(where, fields) -> tuple[dict, bool]:
    """({column index: value} from WHERE's top-level ``column = literal`` conjuncts, whether every
    conjunct is one of them).  A value None means no row can match (``= NULL``, or one column
    equal to two different values)."""
    names = {f.name: i for i, f in enumerate(fields)}  # names are folded at parse, as the fields' are
    out, only = {}, True
    stack = [where]
    while stack:
        node = stack.pop()
        while isinstance(node, exp.Paren):
            node = node.this
        if isinstance(node, exp.And):
            stack += [node.left, node.right]
            continue
        col = value = None
        if isinstance(node, exp.EQ):
            for a, b in ((node.left, node.right), (node.right, node.left)):
                if isinstance(a, exp.Column) and a.name in names:
                    v = literal_value(b)
                    if v is not _NOT_LITERAL:
                        col = names[a.name]
                        value = _comparable(v, fields[col].type.kind)
                        break
        if col is None or value is _NOT_LITERAL:
            only = False
        elif col not in out:
            out[col] = value
        elif out[col] != value:
            out[col] = None  # two different values: nothing matches
    return out, only


class SecondaryIndex:
    """{key: {row: None}} over a table's committed rows, for the columns of a CREATE INDEX."""

    def __init__(self, cols: tuple, contents: dict):
        self.cols = cols
        self.rows: dict = {}
        for row in contents:
            self._add(row)

    def key(self, row):
        c = self.cols
        return row[c[0]] if len(c) == 1 else tuple(row[i] for i in c)

    def _add(self, row) -> None:
        k = self.key(row)
        bucket = self.rows.get(k)
        if bucket is None:
            self.rows[k] = {row: None}
        else:
            bucket[row] = None

    def apply(self, changed, contents: dict) -> None:
        """The rows in ``changed`` were just committed: follow whether each is still present."""
        for row in changed:
            if row in contents:
                self._add(row)
            else:
                k = self.key(row)
                bucket = self.rows.get(k)
                if bucket is not None:
                    bucket.pop(row, None)
                    if not bucket:
                        del self.rows[k]


def candidates(t, eqs: dict):
    """{row: weight} that a WHERE with equalities ``eqs`` can only match, through a key or an index
    of table ``t``; None if no key or index covers them (then the caller scans)."""
    if not eqs:
        return None
    if any(v is None for v in eqs.values()):
        return {}
    for cols, index in zip(t.constraints, t.indexes):
        if all(c in eqs for c in cols):
            row = index.get(eqs[cols[0]] if len(cols) == 1 else tuple(eqs[c] for c in cols))
            w = t.weight(row) if row is not None else 0
            return {row: w} if w > 0 else {}
    names = [f.name for f in t.rel.fields]
    for index_cols in t.rel.indexes.values():
        cols = tuple(names.index(c) for c in index_cols)
        if not cols or not all(c in eqs for c in cols):
            continue
        ix = t.secondary.get(cols)
        if ix is None:
            ix = t.secondary[cols] = SecondaryIndex(cols, t.contents)
        key = eqs[cols[0]] if len(cols) == 1 else tuple(eqs[c] for c in cols)
        rows = list(ix.rows.get(key, ()))
        rows += [r for r in t.pending if ix.key(r) == key and r not in t.contents]
        out = {}
        for r in rows:
            w = t.weight(r)
            if w > 0:
                out[r] = w
        return out
    return None
