"""DuckDB's COLUMNS(…) column selector, written out as the columns it selects, before qualify resolves
the names (it needs the columns the SELECT's FROM clause provides, which a probe ``SELECT * FROM …``
over the same FROM clause, qualified alone, lists in the order ``*`` gives them).

Laws, each as DuckDB binds it (c1 … ck are the columns selector s selects, in that order):

    SELECT e[COLUMNS(s)] [AS a]     =  SELECT e[c1] AS n1, …, e[ck] AS nk
                                        ni: ci's name (after RENAME), else a (a regex selector's \\N in a
                                        replaced by the match's groups, the rest of the name kept)
    WHERE e[COLUMNS(s)]             =  WHERE e[c1] AND … AND e[ck]
    ORDER BY e[COLUMNS(s)]          =  ORDER BY e[c1], …, e[ck]          (also DISTINCT ON (…))
    f(x, *COLUMNS(s), y)            =  f(x, c1, …, ck, y)                 (any call or list literal)
    * LIKE p, * ILIKE p, * NOT LIKE p, * GLOB p, * SIMILAR TO p, * ~ p, * ~* p
                                    =  COLUMNS(lambda c: c LIKE p) …      (the star's name filters)
    * AS a                          =  COLUMNS(*) AS a

The selectors: ``*`` with EXCLUDE / REPLACE / RENAME, ``t.*``, a regex (matched anywhere in the name,
case-sensitive), a list of names (case-insensitive, each must be a column), ``lambda c[, i]: p`` (p true
of the name c at the 1-based position i, evaluated once as a query over those names; DuckDB's
deprecated ``c -> p`` too, as deltasql takes it in list functions).  One expression may repeat one
selector but not hold two different ones.  Refused where DuckDB refuses: GROUP BY, HAVING, QUALIFY,
ON, … (only the select list, WHERE, ORDER BY and DISTINCT ON expand), ``*COLUMNS`` as a whole select
item, a SELECT without FROM, a selector that selects nothing.
"""

from __future__ import annotations

import re
from typing import Callable

from sqlglot import exp
from sqlglot.optimizer.qualify import qualify

from .errors import CompileError
from .positions import error_at

# the rows of a query over constants (its SQL text), computed now: lambda selectors are evaluated so
Evaluate = Callable[[str], list]

_NAME_FILTERS = (exp.Like, exp.ILike, exp.Glob, exp.RegexpLike, exp.RegexpILike, exp.SimilarTo)
_CLAUSES = {"group": "GROUP BY", "having": "HAVING", "qualify": "QUALIFY", "joins": "a join condition",
            "from_": "FROM", "limit": "LIMIT", "offset": "OFFSET", "windows": "WINDOW"}
_EXPANDING = ("expressions", "where", "order", "distinct")
_PARAM, _POSITION = "__deltasql_name", "__deltasql_position"


def expands(item: exp.Expression) -> bool:
    """Whether a select item stands for several (so this module names each, not name_projections)."""
    select = item.parent
    body = item.this if isinstance(item, exp.Alias) else item
    if _name_filter(body) is not None or isinstance(body, exp.Star) and isinstance(item, exp.Alias):
        return True
    return any(not c.args.get("unpack") and _owner(c) is select and not _in_filter(c)
               for c in item.find_all(exp.Columns))


def expand_columns(query: exp.Expression, schema, dialect: str, sql: str, evaluate: Evaluate | None) -> None:
    """Write out every COLUMNS(…) of the query (the innermost SELECTs first: an outer one may read
    the columns an inner one's selectors made)."""
    for select in list(query.find_all(exp.Select)):
        _star_forms_as_selectors(select, sql)
    selects = [s for s in query.find_all(exp.Select) if any(_owner(c) is s for c in s.find_all(exp.Columns))]
    for select in reversed(selects):
        _Expansion(query, select, schema, dialect, sql, evaluate).run()
    left = next(query.find_all(exp.Columns), None)
    if left is not None:  # owned by a set operation's ORDER BY, or by nothing
        raise error_at(left, "COLUMNS(…) is not allowed here (only in a SELECT's select list, WHERE, "
                             "ORDER BY and DISTINCT ON)", sql)


def _in_filter(node) -> bool:
    """Whether node is in an aggregate's FILTER (WHERE …) condition (of its own SELECT)."""
    child, p = node, node.parent
    while p is not None and not isinstance(p, (exp.Select, exp.SetOperation)):
        if isinstance(p, exp.Filter) and child is p.expression:
            return True
        child, p = p, p.parent
    return False


def _owner(node):
    return node.find_ancestor(exp.Select, exp.SetOperation)


def _name_filter(e):
    """``* LIKE p`` and its kin (also ``t.* …`` and ``* EXCLUDE (…) …``; NOT wraps LIKE in some
    sqlglot forms): the node, else None."""
    inner = e.this if isinstance(e, exp.Not) else e
    if isinstance(inner, _NAME_FILTERS) and _is_star(inner.this):
        return inner
    return None


def _is_star(e) -> bool:
    return isinstance(e, exp.Star) or isinstance(e, exp.Column) and isinstance(e.this, exp.Star)


def _star_forms_as_selectors(select, sql: str) -> None:
    for item in select.expressions:
        body = item.this if isinstance(item, exp.Alias) else item
        f = _name_filter(body)
        if f is not None and f.this.args.get("replace"):
            raise error_at(f, "* REPLACE (…) cannot be combined with a filter of the names (LIKE, GLOB, ~, …), "
                              "as DuckDB refuses", sql)
        if f is not None:
            test = body.copy()
            (test.this if isinstance(test, exp.Not) else test).set("this", exp.column(_PARAM))
            if f.meta.get("regex_full_match"):  # SET regex_match_operator_semantics = 'full': ~ matches whole names
                flags = {"options": exp.Literal.string("i")} if isinstance(f, exp.RegexpILike) else {}
                whole = exp.RegexpFullMatch(this=exp.column(_PARAM), expression=f.expression.copy(), **flags)
                test = exp.Not(this=whole) if isinstance(body, exp.Not) else whole
            sel = exp.Columns(this=exp.Lambda(this=test, expressions=[exp.to_identifier(_PARAM)]))
            sel.meta.update(f.this.meta)
            sel.meta["over"] = f.this.copy()  # the star whose names the filter tests
            body.replace(sel)
        elif isinstance(item, exp.Alias) and isinstance(body, exp.Star):
            sel = exp.Columns(this=body.copy())
            sel.meta.update(body.meta)
            body.replace(sel)


class _Expansion:
    """The COLUMNS(…) of one SELECT, written out."""

    def __init__(self, query, select, schema, dialect, sql, evaluate):
        self.query, self.select, self.schema, self.dialect, self.sql = query, select, schema, dialect, sql
        self.evaluate = evaluate
        self.memo: dict = {}

    def error(self, node, message):
        return error_at(node, message, self.sql)

    def run(self) -> None:
        select = self.select
        mine = [c for c in select.find_all(exp.Columns) if _owner(c) is select]
        if select.args.get("from_") is None:
            raise self.error(mine[0], "COLUMNS(…) needs a FROM clause to select from")
        for c in mine:
            clause = _clause(select, c)
            if clause not in _EXPANDING:
                raise self.error(c, f"COLUMNS(…) is not allowed in {_CLAUSES.get(clause, clause)} (DuckDB "
                                    f"expands it only in the select list, WHERE, ORDER BY and DISTINCT ON)")
        name_sources(select)
        for f in list(select.find_all(exp.Filter)):  # FILTER (WHERE e[COLUMNS(s)]): an AND, as WHERE
            if _owner(f) is select and isinstance(f.expression, exp.Where):
                self._and_of_copies(f.expression)
        select.set("expressions", [x for item in select.expressions for x in self._items(item)])
        if select.args.get("where") is not None:
            self._and_of_copies(select.args["where"])
        order = select.args.get("order")
        if order is not None:
            order.set("expressions", [e for o in order.expressions for e, _ in self._copies(o)])
        distinct = select.args.get("distinct")
        on = distinct.args.get("on") if distinct is not None else None
        if isinstance(on, exp.Tuple):
            on.set("expressions", [e for k in on.expressions for e, _ in self._copies(k)])
        elif on is not None:
            distinct.set("on", exp.Tuple(expressions=[e for e, _ in self._copies(on)]))

    def _and_of_copies(self, where) -> None:
        """WHERE e[COLUMNS(s)] = WHERE e[c1] AND … AND e[ck]."""
        copies = [e for e, _ in self._copies(where.this)]
        where.set("this", exp.and_(*[exp.paren(e, copy=False) if isinstance(e, exp.Or) else e for e in copies],
                                   copy=False))

    # -- select items -----------------------------------------------------------------------------

    def _items(self, item):
        body = item.this if isinstance(item, exp.Alias) else item
        if isinstance(body, exp.Columns) and body.args.get("unpack"):
            raise self.error(body, "*COLUMNS(…) unpacks into a function's arguments, not into the select "
                                   "list: write COLUMNS(…)")
        driver = self._driver(item)
        if driver is None:
            self._unpack(item)
            return [item]
        alias = item.alias if isinstance(item, exp.Alias) else None
        out = []
        for e, (name, match) in self._copies(body):
            if alias is None and body is not driver:
                name = _compound_name(e)
            out.append(exp.Alias(this=e, alias=exp.to_identifier(self._name(name, alias, match), quoted=True)))
        return out

    def _name(self, name, alias, match) -> str:
        if alias is None:
            return name
        if match is None or "\\" not in alias:
            return alias
        # DuckDB: the alias rewrites the matched part of the name (\0 the match, \N its groups)
        groups = [match.group(0)] + [g or "" for g in match.groups()]
        rewrite = re.sub(r"\\(\d)", lambda m: groups[int(m.group(1))] if int(m.group(1)) < len(groups) else "", alias)
        return name[:match.start()] + rewrite + name[match.end():]

    # -- copies of an expression, one per selected column -------------------------------------------

    def _driver(self, e):
        """The one selector (not unpacked) that e holds, or None; two different ones are refused."""
        found = None
        for c in e.find_all(exp.Columns):
            if c.args.get("unpack") or _owner(c) is not self.select:
                continue
            if found is None:
                found = c
            elif c.this.sql() != found.this.sql():
                raise self.error(c, "two different COLUMNS(…) selectors in one expression (DuckDB: multiple "
                                    "different STAR/COLUMNS in the same expression are not supported)")
        return found

    def _copies(self, e):
        """[(e with the selector replaced by one column, (that column's name, its regex match))]."""
        driver = self._driver(e)
        if driver is None:
            self._unpack(e)
            return [(e, (None, None))]
        out = []
        for name, ref, match in self._selected(driver):
            copy = self._replace_driver(e.copy(), driver.this.sql(), ref)
            self._unpack(copy)
            out.append((copy, (name, match)))
        return out

    def _replace_driver(self, copy, key, ref):
        """copy with every (not unpacked) selector key of this SELECT replaced by ref."""
        if isinstance(copy, exp.Columns) and not copy.args.get("unpack") and copy.this.sql() == key:
            return ref.copy()
        for c in list(copy.find_all(exp.Columns)):
            if not c.args.get("unpack") and c.this.sql() == key and not self._nested(c, copy):
                c.replace(ref.copy())
        return copy

    def _nested(self, node, top) -> bool:
        """Whether node belongs to a subquery inside top (so to another SELECT)."""
        p = node.parent
        while p is not None and p is not top:
            if isinstance(p, (exp.Select, exp.SetOperation)):
                return True
            p = p.parent
        return False

    def _unpack(self, e) -> None:
        """f(x, *COLUMNS(s), y) = f(x, c1, …, ck, y)."""
        for c in list(e.find_all(exp.Columns)):
            if not c.args.get("unpack") or self._nested(c, e):
                continue
            call = c.parent
            refs = [ref.copy() for _, ref, _ in self._selected(c)]
            if c.arg_key == "expressions" and isinstance(call.args.get("expressions"), list):
                args = call.args["expressions"]
                i = next(k for k, a in enumerate(args) if a is c)
                call.set("expressions", args[:i] + refs + args[i + 1:])
            elif c.arg_key == "this" and isinstance(call.args.get("expressions"), list):  # COALESCE(this, …)
                call.set("this", refs[0])
                call.set("expressions", refs[1:] + call.args["expressions"])
            else:
                raise self.error(c, "*COLUMNS(…) unpacks only into a function's arguments or a list")

    # -- what a selector selects --------------------------------------------------------------------

    def _selected(self, c):
        """[(output name, the reference to write, the regex match or None)] for selector c."""
        key = c.this.sql() + (c.meta["over"].sql() if c._meta and "over" in c.meta else "")
        if key not in self.memo:
            self.memo[key] = self._select(c)
        return self.memo[key]

    def _select(self, c):
        s = c.this
        if _is_star(s):
            found = [(name, ref, None) for name, ref in self._star(c, s.copy())]
        elif isinstance(s, exp.Literal) and s.is_string:
            try:
                pattern = re.compile(s.this)
            except re.error as err:
                raise self.error(c, f"COLUMNS: the regular expression {s.this!r} does not compile ({err})") from None
            found = []
            for name, ref in self._star(c, exp.Star()):
                m = pattern.search(name)
                if m is not None:
                    found.append((name, ref, m))
            if not found:
                raise self.error(c, f"COLUMNS: no column matches the regular expression {s.this!r}")
        elif isinstance(s, exp.Array) and all(isinstance(x, exp.Literal) and x.is_string for x in s.expressions):
            columns = self._star(c, exp.Star())
            for x in s.expressions:
                if not any(name.lower() == x.this.lower() for name, _ in columns):
                    raise self.error(x, f"COLUMNS: column {x.this!r} is not in the FROM clause")
            listed = {x.this.lower() for x in s.expressions}  # (selected in FROM order, as DuckDB does)
            found = [(name, ref, None) for name, ref in columns if name.lower() in listed]
        elif isinstance(s, exp.Lambda):
            columns = self._star(c, c.meta["over"].copy() if c._meta and "over" in c.meta else exp.Star())
            keep = self._lambda(c, s, [name for name, _ in columns])
            found = [(name, ref, None) for i, (name, ref) in enumerate(columns) if i + 1 in keep]
            if not found:
                raise self.error(c, "COLUMNS: no column name satisfies the condition, so nothing is selected")
        else:
            raise self.error(c, "COLUMNS(…) takes *, t.*, a regular expression (a string), a list of column "
                                "names or a lambda over a column's name")
        return found

    def _star(self, c, star):
        """[(name, reference)] that SELECT star gives over the SELECT's FROM clause (a USING column
        written by its bare name, which qualify resolves as a USING column; the rest table.column)."""
        out = []
        for name, e in star_items(self.select, star, self.schema, self.dialect, self.sql, c):
            if isinstance(e, exp.Coalesce):  # (quoted where folding would change it: the name is final)
                ident = exp.to_identifier(name)
                ref = exp.column(exp.to_identifier(name, quoted=ident.quoted or name != name.lower()))
            else:  # a REPLACE expression in parentheses: it stands inside other expressions
                ref = e.copy() if isinstance(e, exp.Column) else exp.paren(e.copy(), copy=False)
            ref.meta["column_selector"] = True
            place(ref, c)
            out.append((name, ref))
        return out

    def _lambda(self, c, lam, names) -> set:
        """The 1-based positions of the names the lambda keeps (list_filter's rule: the body cast to
        BOOLEAN), evaluated as one query over the names."""
        params = [p.name for p in lam.expressions]
        if len(params) > 2:
            raise self.error(c, "COLUMNS: a lambda takes the column's name and at most its position")
        body = lam.this.copy()
        for n in body.find_all(exp.Column):
            if n.table or n.name not in params:
                raise self.error(n, f"COLUMNS: the lambda reads {n.sql()}, but may only read its parameters")
        for n in list(body.find_all(exp.Identifier)):
            if n.name in params and not isinstance(n.parent, exp.Column):
                n.replace(exp.column(n.name))
        if self.evaluate is None:
            raise self.error(c, "COLUMNS(lambda …) cannot be evaluated here")
        cols = [params[0], params[1] if len(params) > 1 else _POSITION]
        rows = ", ".join(f"({exp.Literal.string(n).sql()}, {i + 1})" for i, n in enumerate(names))
        text = (f"SELECT {cols[1]} FROM (VALUES {rows}) AS __deltasql_columns({cols[0]}, {cols[1]}) "
                f"WHERE CAST(({body.sql(dialect=self.dialect)}) AS BOOLEAN)")
        try:
            return {r[0] for r in self.evaluate(text)}
        except CompileError as err:
            raise self.error(c, f"COLUMNS: the lambda cannot be evaluated ({err.message})") from None



def name_sources(select) -> None:
    """Name the FROM items that have no name (a subquery, VALUES), so that references to their
    columns can say which item they read."""
    items = [select.args["from_"].this] + [j.this for j in select.args.get("joins") or []]
    for i, item in enumerate(items):
        if isinstance(item, (exp.Subquery, exp.Values)) and not item.alias:
            alias = item.args.get("alias")
            if alias is None:
                item.set("alias", exp.TableAlias(this=exp.to_identifier(f"__deltasql_from{i}")))
            else:
                alias.set("this", exp.to_identifier(f"__deltasql_from{i}"))


def star_items(select, star, schema, dialect: str, sql: str, at, sources=None) -> list:
    """[(name, qualified expression)] that SELECT star gives over the SELECT's FROM clause (or over
    ``sources``, FROM items of it), found by qualifying that probe alone; a CompileError at ``at``
    where qualify cannot."""
    if sources is None:
        probe = exp.Select(expressions=[star], from_=select.args["from_"].copy())
        for key in ("joins", "laterals"):
            if select.args.get(key):
                probe.set(key, [j.copy() for j in select.args[key]])
    else:
        probe = exp.Select(expressions=[star], from_=exp.From(this=sources.copy()))
    ctes, recursive = _ctes_in_scope(select)
    if ctes:
        probe.set("with_", exp.With(expressions=ctes, recursive=recursive))
    try:
        probe = qualify(probe, schema=schema, dialect=dialect, quote_identifiers=False,
                        identify=False, validate_qualify_columns=False)
    except Exception as err:  # sqlglot's own words: the probe failed where the query would
        raise error_at(at, f"the columns of this FROM clause cannot be listed ({err})", sql) from None
    out = []
    for p in probe.expressions:
        e = p.this if isinstance(p, exp.Alias) else p
        if isinstance(e, exp.Star) or isinstance(e, exp.Column) and isinstance(e.this, exp.Star):
            raise error_at(at, "the columns of this FROM clause cannot be listed: a FROM item has two columns "
                               "of one name (give them distinct names), or is a table function", sql)
        out.append((p.alias_or_name, e))
    return out


def _compound_name(e) -> str:
    """DuckDB names f(COLUMNS(s)) after the column it reads (its name before RENAME), but after its
    own text where the column is a REPLACE expression."""
    refs = [n for n in e.walk() if n._meta and n.meta.get("column_selector")]
    if refs and all(isinstance(n, exp.Column) for n in refs):
        return refs[0].name
    text = e.copy()
    for n in text.find_all(exp.Column):
        n.set("table", None)
    return text.sql(dialect="duckdb")


def _clause(select, node) -> str:
    while node.parent is not select:
        node = node.parent
    return node.arg_key


def place(ref, at) -> None:
    """A reference made here (no position of its own) gets that of the COLUMNS(…) it stands for, so
    that errors point there."""
    if any(n._meta and "start" in n._meta for n in ref.walk()):
        return
    spans = [n._meta for n in at.walk() if n._meta and "start" in n._meta]
    if spans:
        first = min(spans, key=lambda m: m["start"])
        ref.meta.update({k: first[k] for k in ("line", "col", "start", "end") if k in first})


def _ctes_in_scope(select):
    """The CTEs the SELECT can read (those of every WITH around it; the nearest wins a name) and
    whether one of those WITHs is RECURSIVE."""
    levels, recursive = [], False
    node = select
    while node is not None:
        with_ = node.args.get("with_")
        if with_ is not None:
            levels.append([cte for cte in with_.expressions if not any(n is select for n in cte.walk())])
            recursive = recursive or bool(with_.args.get("recursive"))
        node = node.parent
    out, taken = [], set()
    for level in reversed(levels):  # outermost first: inner CTEs may read outer ones
        for cte in level:
            if cte.alias not in taken and _nearest(levels, cte):
                out.append(cte.copy())
                taken.add(cte.alias)
    return out, recursive


def _nearest(levels, cte) -> bool:
    """Whether cte is the nearest CTE of its name (an inner WITH may define the name again)."""
    for level in levels:
        for other in level:
            if other.alias == cte.alias:
                return other is cte
    return False
