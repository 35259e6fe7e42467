"""The front end: SQL text -> sqlglot statements, name resolution by sqlglot's optimizer (qualify),
and every failure turned into a CompileError that points at the SQL.

Identifiers are normalized here, once, as each statement is parsed, by the dialect's rule
(sqlglot's normalize_identifiers): DuckDB and SQLite fold every name to lower case, quoted or not
(``"Foo"`` and ``foo`` are one name, as those engines resolve them); Postgres folds unquoted names
and keeps quoted ones exact (``"Foo"`` and ``foo`` are two names).  Every later stage (catalog,
qualify, binder) compares names exactly, so the normalized spelling is the name.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import OptimizeError, ParseError, TokenError
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, traverse_scope
from sqlglot.schema import MappingSchema

from . import constructs, duckdb_syntax, settings  # noqa: F401 (settings notes NULLS FIRST/LAST as sqlglot parses ORDER BY)
from .recurring import rewrite_recurring
from .column_selectors import Evaluate, expand_columns, expands
from .correlated_ctes import inline_correlated_ctes
from .dialect import get_dialect
from .errors import CompileError
from .export_state import attach_export_states, mark_export_states
from .keyed_syntax import attach_key_aggregates, blank_key_aggregates
from .lateness import blank_watermarks
from .named_arguments import bind_named_arguments
from .order_preservation import carry_inner_order
from .positional_references import resolve_positions
from .positions import element_position, error_at, offset_to_position, position, token_span  # noqa: F401 (re-exported)
from .timewindows import blank_tvf_syntax, expand_time_windows
from .types import SURROGATE


@dataclass
class Statement:
    """One parsed statement with its text and where that text starts in the whole input."""

    ast: exp.Expression
    sql: str  # the whole input text (positions in the AST are relative to it)


# How deep parentheses may nest in SQL text (expressions, subqueries), as DuckDB's default
# max_expression_depth.  Parsing, binding and code generation recurse once per level, in Python
# frames: RECURSION_LIMIT leaves them room for it (see ensure_recursion_limit).
MAX_NESTING = 1000
RECURSION_LIMIT = 60_000


def ensure_recursion_limit() -> None:
    """Raise the interpreter's recursion limit to RECURSION_LIMIT (never lower it).  Since Python
    3.11 a call between Python functions takes no C stack, so the deep recursion of parsing a
    statement nested MAX_NESTING deep is safe; the limit stays raised (it is process-wide, and
    lowering it again would race with another thread compiling)."""
    if sys.getrecursionlimit() < RECURSION_LIMIT:
        sys.setrecursionlimit(RECURSION_LIMIT)


_NESTING_TOKENS = re.compile(r"[()]|'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/", re.S)


def check_nesting(sql: str) -> None:
    """A CompileError at the first parenthesis nested deeper than MAX_NESTING."""
    if sql.count("(") <= MAX_NESTING:
        return
    depth = 0
    for m in _NESTING_TOKENS.finditer(sql):
        t = m.group()
        if t == "(":
            depth += 1
            if depth > MAX_NESTING:
                line, col = offset_to_position(sql, m.start())
                raise CompileError(f"parentheses nested more than {MAX_NESTING} deep (the limit)", line, col, sql)
        elif t == ")":
            depth -= 1


def parse(sql: str, dialect: str) -> list[Statement]:
    """Parse a script of ;-separated statements.  Raises CompileError on a syntax error."""
    ensure_recursion_limit()
    check_nesting(sql)
    if not sql.isascii():
        m = SURROGATE.search(sql)
        if m is not None:  # only a Python string can hold one; it is no Unicode text
            line, col = offset_to_position(sql, m.start())
            raise CompileError("the SQL text holds a lone surrogate (not Unicode text)", line, col, sql)
    tokenizer = sqlglot.Dialect.get_or_raise(dialect)
    text, partitions = blank_tvf_syntax(sql, tokenizer)
    text, watermarks = blank_watermarks(text, tokenizer)
    text, exported = mark_export_states(text, tokenizer)
    text, key_aggregates = blank_key_aggregates(text, tokenizer)
    try:
        trees = sqlglot.parse(text, read=dialect)
    except ParseError as e:
        unknown = _unknown_statement(sql, dialect)
        if unknown is not None:
            raise unknown from None
        err = e.errors[0] if e.errors else {}
        desc = _clean(err.get("description") or str(e).splitlines()[0], err.get("highlight"))
        line, col = err.get("line"), err.get("col")
        if line is not None and col is not None:
            col = _start_col(sql, line, col, err.get("highlight"))
            missing = _missing_semicolon(sql, line, col)
            if missing:
                desc = missing
        raise CompileError(f"syntax error: {desc}", line, col, sql) from None
    except TokenError as e:
        raise _token_error(str(e), sql) from None
    found = duckdb_syntax.scan(text, sql, tokenizer) if dialect == "duckdb" else None
    if found is not None and found.error is not None:
        raise found.error
    if "::" in text:
        typed = _typed_literal_cast(text, sql, tokenizer)
        if typed is not None:
            raise typed
    if any(u.args.get("offset") for t in trees if t is not None for u in t.find_all(exp.Unnest)):
        _no_with_offset(text, sql, tokenizer)
    # a script's trailing comment (after the last ;) parses as a statement of comments only
    trees = [normalize_identifiers(t, dialect=dialect) for t in trees
             if t is not None and not isinstance(t, exp.Semicolon)]
    if dialect in ("duckdb", "postgres"):
        for t in trees:
            _escape_strings_as_text(t)
    for t in trees:
        _dotted_collations(t)
    if found is not None and found.unary_plus:
        duckdb_syntax.mark_unary_plus(trees, found.unary_plus)
    if exported:
        attach_export_states(trees, exported, sql)
    if watermarks:
        _attach_watermarks(trees, watermarks)
    if key_aggregates:
        attach_key_aggregates(trees, key_aggregates, sql, dialect)
    if partitions:
        _attach_partitions(trees, {at: [k if quoted else normalize_name(k, dialect) for k, quoted in keys]
                                   for at, keys in partitions.items()})
    return [Statement(t, sql) for t in trees]


def _escape_strings_as_text(tree: exp.Expression) -> None:
    """DuckDB's and Postgres's escape strings (``E'a\\tb'``) are text with C-style escapes; sqlglot reads
    them as byte strings, with the escapes already read as each dialect reads them (Postgres's \\u too,
    DuckDB's not): each becomes the string literal it spells."""
    for node in list(tree.find_all(exp.ByteString)):
        text = exp.Literal.string(node.this)
        text.meta.update(node.meta)
        node.replace(text)


def _dotted_collations(tree: exp.Expression) -> None:
    """DuckDB's combined collations (``x COLLATE NOCASE.NOACCENT``) parse as a column ``nocase.noaccent``:
    each becomes the name it is, so that no pass takes it for a column."""
    for node in list(tree.find_all(exp.Collate)):
        x = node.expression
        if isinstance(x, exp.Column):
            name = exp.Var(this=".".join(p.name for p in x.parts))
            name.meta.update(x.meta)
            x.replace(name)


def _no_with_offset(text: str, sql: str, tokenizer) -> None:
    """sqlglot reads BigQuery's ``UNNEST(xs) WITH OFFSET`` (positions from 0) as ``WITH ORDINALITY``
    (positions from 1): refused at the word, so that a position is never off by one."""
    toks = tokenizer.tokenize(text)
    for a, b in zip(toks, toks[1:]):
        if a.text.upper() == "WITH" and b.text.upper() == "OFFSET":
            raise CompileError("UNNEST … WITH OFFSET (positions from 0) is not supported: write WITH ORDINALITY "
                               "(positions from 1)", a.line, a.col - len(a.text) + 1, sql)


def _typed_literal_cast(text: str, sql: str, tokenizer) -> CompileError | None:
    """``DATE '2020-01-01'::VARCHAR`` is the DATE cast to VARCHAR in DuckDB, but sqlglot reads it as the
    string cast to VARCHAR, then to DATE (a DATE): refused at the type word (any type but INTERVAL, which
    sqlglot reads right), with the spelling that means the same to both."""
    from sqlglot.parser import Parser
    from sqlglot.tokens import TokenType as T
    try:
        toks = tokenizer.tokenize(text)
    except Exception:  # noqa: BLE001
        return None
    for before, typ, lit, cast in zip([None] + toks, toks, toks[1:], toks[2:]):
        if typ.token_type in Parser.TYPE_TOKENS and typ.token_type != T.INTERVAL and lit.token_type == T.STRING \
                and cast.token_type == T.DCOLON and (before is None or before.token_type not in (T.DCOLON, T.ALIAS)):
            line, col = offset_to_position(sql, typ.start)
            word = typ.text.upper()
            return CompileError(f"{word} '…'::type is read as {word} ('…'::type) here, not as DuckDB reads it: write "
                                f"CAST({word} '…' AS type)", line, col, sql)
    return None


def _attach_partitions(trees, partitions: dict) -> None:
    """A window function's ``PARTITION BY`` columns (blanked from the text) go on the identifier of
    the table they follow: ``meta["partition_by"]``."""
    for t in trees:
        for node in t.find_all(exp.Identifier):
            meta = node._meta
            if meta and meta.get("start") in partitions:
                node.meta["partition_by"] = partitions[meta["start"]]


def _attach_watermarks(trees, declared) -> None:
    """Give each CREATE TABLE the watermark declarations blanked out of its text
    (``ast.meta["watermarks"]``): a declaration belongs to the last statement starting before it."""
    starts = [(token_span(t) or (-1, -1))[0] for t in trees]
    for d in declared:
        owner = None
        for t, start in zip(trees, starts):
            if 0 <= start <= d.column_at:
                owner = t
        if owner is not None:
            owner.meta.setdefault("watermarks", []).append(d)


def normalize_name(name: str, dialect: str) -> str:
    """A name given outside SQL (the Python API, a CSV header, a JSON key) folded as the dialect
    folds an unquoted identifier."""
    return normalize_identifiers(exp.to_identifier(name, quoted=False), dialect=dialect).name


_STATEMENT_WORDS = {"SELECT", "WITH", "VALUES", "CREATE", "DROP", "INSERT", "REPLACE", "DELETE", "UPDATE",
                    "BEGIN", "COMMIT", "ROLLBACK", "END", "START", "ABORT", "REINDEX", "PRAGMA", "EXPLAIN",
                    "ALTER", "TRUNCATE", "SET", "SHOW", "DESCRIBE", "ANALYZE", "FROM", "TABLE", "(", "ATTACH",
                    "DETACH", "VACUUM", "SAVEPOINT", "RELEASE", "USE", "COPY", "CALL", "PIVOT", "UNPIVOT"}


def _unknown_statement(sql: str, dialect: str):
    """A statement that starts with a word no SQL statement starts with (a typo like SELEC)."""
    try:
        tokens = sqlglot.Dialect.get_or_raise(dialect).tokenize(sql)
    except Exception:
        return None
    start = True
    for tok in tokens:
        if start and tok.text.upper() not in _STATEMENT_WORDS and tok.text != ";":
            line, col = offset_to_position(sql, tok.start)
            return CompileError(f"syntax error: unknown statement {tok.text!r}", line, col, sql)
        start = tok.text == ";"
    return None


def _clean(desc: str, highlight: str | None = None) -> str:
    """sqlglot's messages name its own classes and tokens; say it in SQL terms."""
    desc = re.sub(r"<Token token_type: [^,]+, text: ([^,]*), line: .*?>", r"'\1'", desc)
    if re.match(r"Required keyword: '\w+' missing for", desc):
        return f"incomplete SQL: something is missing after '{highlight}'" if highlight else "incomplete SQL"
    return desc[:1].lower() + desc[1:]


def _token_error(message: str, sql: str) -> CompileError:
    """sqlglot's tokenizer reports only the text up to the failure: locate it in the SQL."""
    m = re.match(r"Error tokenizing '(.*)'", message, re.S)
    before = m.group(1) if m else ""
    offset = sql.find(before) + len(before) if before and sql.find(before) >= 0 else None
    what = ("unterminated string literal" if before.count("'") % 2 else
            "unterminated quoted identifier" if before.count('"') % 2 else "cannot read the SQL text here")
    if offset is None:
        return CompileError(f"syntax error: {what}")
    # point at the opening quote when there is one
    quote = max(before.rfind("'"), before.rfind('"'))
    start = sql.find(before) + (quote if quote >= 0 else len(before) - 1)
    line, col = offset_to_position(sql, start)
    return CompileError(f"syntax error: {what}", line, col, sql)


_STARTS = {"SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "WITH", "BEGIN", "COMMIT", "ROLLBACK",
           "VALUES", "REPLACE", "ALTER"}


def _missing_semicolon(sql: str, line: int, col: int) -> str | None:
    """'missing ;' when the error is at a word that starts a statement, with no ';' before it."""
    lines = sql.split("\n")
    if not 1 <= line <= len(lines):
        return None
    m = re.match(r"[A-Za-z]+", lines[line - 1][col - 1:])
    if m is None or m.group(0).upper() not in _STARTS:
        return None
    before = "\n".join(lines[:line - 1] + [lines[line - 1][:col - 1]]).rstrip()
    if not before or before.endswith(";") or before.endswith("("):
        return None
    return f"missing ';' before {m.group(0).upper()} (each statement ends with ';')"


def _start_col(sql: str, line: int, end_col: int, highlight: str | None) -> int:
    """sqlglot reports the column where the offending token ends; we point at its start."""
    if highlight:
        return max(end_col - len(highlight) + 1, 1)
    return end_col


def _pos_from_message(msg: str):
    m = re.search(r"Line:? (\d+), Col:? (\d+)", msg)
    return (int(m.group(1)), int(m.group(2))) if m else (None, None)


def normalize_forms(query: exp.Expression, dialect: str = "duckdb") -> None:
    """Rewrites before name resolution: SQLite's ``x IN t`` (a table name) means
    ``x IN (SELECT * FROM t)``; in a CTE with a column list, ``ORDER BY`` an alias of its body
    becomes ``ORDER BY`` the position (qualify renames the body's aliases to the column list); a
    column as time_bucket's origin or offset is a column (sqlglot reads it as a unit word); time
    window table functions (TUMBLE, HOP, SESSION) become the subqueries they stand for; a LIMIT without
    ORDER BY over a subquery written with one takes it (order_preservation.py); ``x = ALL ((SELECT …))``,
    which sqlglot reads as a call of a function ALL, is the quantified comparison it is with one pair of
    parentheses (as ANY's is read)."""
    expand_time_windows(query)
    carry_inner_order(query)
    for f in list(query.find_all(exp.Anonymous)):
        if f.name.upper() == "ALL" and len(f.expressions) == 1 and isinstance(f.expressions[0], exp.Subquery) \
                and isinstance(f.parent, (exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE)):
            f.replace(exp.All(this=f.expressions[0]))
    for node in list(query.find_all(exp.In)):
        field = node.args.get("field")
        if isinstance(field, exp.Column) and not field.table:
            node.set("field", None)
            node.set("query", exp.Subquery(this=exp.select("*").from_(exp.to_table(field.name))))
    for w in list(query.find_all(exp.Window)):
        _window_argument_order(w)
    for b in list(query.find_all(exp.Bracket)):
        _slice_to_a_name(b)
    for b in list(query.find_all(exp.DateBin)):  # time_bucket(w, ts, x): sqlglot reads a column x as a unit word
        if isinstance(b.args.get("unit"), exp.Var):
            b.set("unit", exp.column(b.args["unit"].name.lower()))
    for i, v in enumerate(query.find_all(exp.Values)):
        _name_every_values_column(v, dialect, i)
    for select in list(query.find_all(exp.Select)):
        _set_returning_as_unnest(select)
        _unnest_in_select_list(select)
    for u in list(query.find_all(exp.Unnest)):
        _name_unnest_column(u)
    for c in reversed(list(query.find_all(exp.Comprehension))):  # (the innermost first: an outer one copies it)
        _comprehension_as_lambdas(c)
    for cte in query.find_all(exp.CTE):
        alias = cte.args.get("alias")
        body = cte.this
        if alias is None or not alias.columns or not isinstance(body, exp.Select) or body.args.get("order") is None:
            continue
        names = [p.alias_or_name for p in body.expressions]
        for o in body.args["order"].expressions:
            c = o.this
            if isinstance(c, exp.Column) and not c.table and c.name in names:
                o.set("this", exp.Literal.number(names.index(c.name) + 1))


def _comprehension_as_lambdas(c: exp.Comprehension) -> None:
    """[f(x) FOR x IN xs IF p(x)] is list_transform(list_filter(xs, lambda x: p(x)), lambda x: f(x)) (and
    [f(x, i) FOR x, i IN xs] with the position); rewritten before qualify, which would read x as a column.
    With a position and IF, f must not read the position (the filtered list's would not be the one
    written): otherwise left alone (refused)."""
    array = c.parent
    if not isinstance(array, exp.Array) or len(array.expressions) != 1:
        return
    params = [c.expression] + ([c.args["position"]] if c.args.get("position") is not None else [])
    if not all(isinstance(p, (exp.Identifier, exp.Column)) for p in params):
        return
    names = {p.name for p in params}
    if len(params) == 2 and c.args.get("condition") is not None:
        if any(isinstance(n, exp.Column) and not n.table and n.name == params[1].name for n in c.this.walk()):
            return
        filtered = exp.ArrayFilter(this=c.args["iterator"].copy(), expression=exp.Lambda(
            this=c.args["condition"].copy().transform(lambda n: exp.to_identifier(n.name) if isinstance(
                n, exp.Column) and not n.table and n.name in names else n),
            expressions=[exp.to_identifier(p.name) for p in params]))
        c.set("iterator", filtered)
        c.set("condition", None)
        c.set("position", None)
        params, names = params[:1], {params[0].name}

    def unqualified(n):
        if isinstance(n, exp.Column) and not n.table and n.name in names:
            return exp.to_identifier(n.name)
        return n

    def lam(body):
        return exp.Lambda(this=body.copy().transform(unqualified), expressions=[exp.to_identifier(p.name) for p in params])
    source = c.args["iterator"].copy()
    if c.args.get("condition") is not None:
        source = exp.ArrayFilter(this=source, expression=lam(c.args["condition"]))
    out = exp.Transform(this=source, expression=lam(c.this))
    out.meta.update(array.meta)
    array.replace(out)


def _name_unnest_column(u: exp.Unnest) -> None:
    """FROM UNNEST(xs) [AS] u: DuckDB names the element column after the alias (``unnest`` without
    one), and WITH ORDINALITY's position column ``ordinality``; written out here so qualify knows the
    columns."""
    if not isinstance(u.parent, (exp.From, exp.Join)):
        return
    alias = u.args.get("alias")
    if alias is None:
        alias = exp.TableAlias(this=exp.to_identifier("unnest"), columns=[exp.to_identifier("unnest")])
        u.set("alias", alias)
    elif not alias.columns and alias.this is not None:
        alias.set("columns", [exp.to_identifier(alias.name)])
    offset = u.args.get("offset")
    if offset:  # WITH ORDINALITY [AS u(x, i)]: the position, a second column (``ordinality`` unnamed)
        if len(alias.columns) == 1:
            alias.append("columns", offset.copy() if isinstance(offset, exp.Identifier)
                         else exp.to_identifier("ordinality"))
        u.set("offset", None)
        u.meta["ordinality"] = True


UNNEST_ALIAS = "__deltasql_unnest"


def _set_returning_as_unnest(select: exp.Select) -> None:
    """regexp_split_to_table(s, p[, options]) and generate_subscripts(xs, 1) in a SELECT list are UNNEST of
    a list (regexp_split_to_array(…), generate_series(1, len(xs))), named as DuckDB names the column."""
    for i, item in enumerate(select.expressions):
        for f in list(item.find_all(exp.Anonymous)):
            name = f.name.lower()
            if name == "regexp_split_to_table" and len(f.expressions) in (2, 3):
                lst = exp.Anonymous(this="regexp_split_to_array", expressions=[a.copy() for a in f.expressions])
            elif name == "generate_subscripts" and len(f.expressions) == 2 and f.expressions[1] == exp.Literal.number(1):
                lst = exp.GenerateSeries(start=exp.Literal.number(1), end=exp.Length(this=f.expressions[0].copy()))
            else:
                continue
            lst.meta.update(f.meta)
            unnest = exp.Explode(this=lst)
            unnest.meta.update(f.meta)
            if f is item:
                select.expressions[i] = exp.Alias(this=unnest, alias=exp.to_identifier(f.sql(dialect="duckdb"),
                                                                                        quoted=True))
                select.expressions[i].parent = select
            else:
                f.replace(unnest)


def _unnest_in_select_list(select: exp.Select) -> None:
    """SELECT a, UNNEST(xs) [AS x] FROM t … is SELECT a, u.x FROM t, UNNEST(xs) AS u(x) …: each row once
    per element, a NULL or empty list giving none (as DuckDB).  Several UNNESTs are zipped, as DuckDB
    (and PostgreSQL) do: each row once per position up to the longest list, a shorter or NULL list giving
    NULL there; so SELECT UNNEST(xs), UNNEST(ys) FROM t is SELECT xs[u.i], ys[u.i] FROM t,
    UNNEST(generate_series(1, GREATEST(COALESCE(len(xs), 0), COALESCE(len(ys), 0)))) AS u(i).  Rewritten
    only in a SELECT without GROUP BY, aggregates or window functions (else the binder refuses it)."""
    mine = [e for p in select.expressions for e in p.find_all(exp.Explode) if e.find_ancestor(exp.Select) is select]
    if not mine or select.args.get("group") or select.args.get("having") or select.args.get("windows"):
        return
    from .aggregates import is_aggregate
    if any((is_aggregate(n) or isinstance(n, exp.Window)) and n.find_ancestor(exp.Select) is select
           for p in select.expressions for n in p.walk()):
        return
    for node in mine:
        if node.this.find(exp.Explode) or node.find_ancestor(exp.Lambda, exp.Case, exp.If, exp.Coalesce, exp.Nullif):
            return  # UNNEST(UNNEST(…)), an UNNEST in a lambda (DuckDB refuses it) or in a conditional: refused
    ref = exp.column("unnest", table=UNNEST_ALIAS)
    lists = []  # the distinct lists unnested (by structure)
    for node in mine:
        if node.this not in lists:
            lists.append(node.this)
    if len(lists) == 1:
        unnested = lists[0].copy()
        replacement = {id(node): ref for node in mine}
    else:
        lengths = [exp.func("coalesce", exp.func("len", x.copy()), exp.Literal.number(0)) for x in lists]
        unnested = exp.func("generate_series", exp.Literal.number(1), exp.func("greatest", *lengths))
        replacement = {id(node): exp.Bracket(this=node.this.copy(), expressions=[ref.copy()]) for node in mine}
    source = exp.Unnest(expressions=[unnested],
                        alias=exp.TableAlias(this=exp.to_identifier(UNNEST_ALIAS),
                                             columns=[exp.to_identifier("unnest")]))
    for node in mine:
        new = replacement[id(node)].copy()
        for i, p in enumerate(select.expressions):
            if p is node:  # an unnamed UNNEST(xs) keeps the name DuckDB gives it
                select.expressions[i] = exp.Alias(this=new, alias=exp.to_identifier(node.sql(dialect="duckdb"),
                                                                                      quoted=True))
                select.expressions[i].parent = select
                break
        else:
            node.replace(new)
    if select.args.get("from_") is None:
        select.set("from_", exp.From(this=source))
    else:
        select.append("joins", exp.Join(this=source))


def _name_every_values_column(v: exp.Values, dialect: str, i: int) -> None:
    """VALUES (1, 2, 3) v(a): DuckDB names the columns the alias leaves out col1, col2 (by position),
    and all of them col0, col1, … when it names none (Postgres and SQLite: column1, column2, …);
    qualify would expand ``*`` to the named ones only, dropping the others, or invent _col_0."""
    alias = v.args.get("alias")
    if not v.expressions or alias is None and not isinstance(v.parent, (exp.From, exp.Join)):
        return
    if alias is None:
        alias = exp.TableAlias(this=exp.to_identifier(f"__deltasql_values{i}"))
        v.set("alias", alias)
    first = v.expressions[0]
    width = len(first.expressions) if isinstance(first, exp.Tuple) else 1
    named = len(alias.columns)
    for i in range(named, width):
        name = f"column{i + 1}" if not named and dialect in ("postgres", "sqlite") else f"col{i}"
        alias.append("columns", exp.to_identifier(name))


def _slice_to_a_name(b: exp.Bracket) -> None:
    """``x[:n]`` and ``x[:n + 1]``: sqlglot reads ``:n`` as a named parameter and drops the slice;
    DuckDB reads a slice up to the expression (it has no ``:name`` parameters)."""
    if len(b.expressions) != 1:
        return
    e = b.expressions[0]
    leaf = e
    while not isinstance(leaf, exp.Placeholder) and isinstance(leaf, exp.Binary):
        leaf = leaf.this
    if not isinstance(leaf, exp.Placeholder) or not isinstance(leaf.this, str) or not leaf.this or \
            leaf.this.isdigit():
        return
    column = exp.column(leaf.this)
    if leaf is e:
        e = column
    else:
        leaf.replace(column)
    b.set("expressions", [exp.Slice(expression=e)])


_RANKING = (exp.RowNumber, exp.Rank, exp.PercentRank, exp.CumeDist, exp.Ntile, exp.Lag, exp.Lead)
_FRAMED_VALUES = (exp.FirstValue, exp.LastValue, exp.NthValue)


def _window_argument_order(w: exp.Window) -> None:
    """f(… ORDER BY k) OVER (PARTITION BY p), DuckDB's ORDER BY argument of a window function, is
    f(…) OVER (PARTITION BY p ORDER BY k) when the OVER has no ORDER BY and no frame: the function
    then sees the whole partition, in k's order (FIRST_VALUE / LAST_VALUE / NTH_VALUE with the whole
    partition as their frame).  With an ORDER BY in the OVER, DuckDB orders each row's frame by k
    instead: left as written, which the binder refuses.  Aggregates keep their ORDER BY (agg_call).
    (IGNORE NULLS wraps the function: f(… ORDER BY k IGNORE NULLS).)"""
    f = w.this.this if isinstance(w.this, exp.IgnoreNulls) else w.this
    if not isinstance(f, _RANKING + _FRAMED_VALUES):
        return
    found = [(k, v) for k, v in f.args.items() if isinstance(v, exp.Order)]
    found += [(k, v[0]) for k, v in f.args.items() if isinstance(v, list) and len(v) == 1 and isinstance(v[0], exp.Order)]
    if len(found) != 1 or any(w.args.get(k) is not None for k in ("order", "spec", "alias")):
        return
    key, order = found[0]
    inner = order.this
    if isinstance(f.args[key], list):
        f.set(key, [inner] if inner is not None else [])
    else:
        f.set(key, inner)
    w.set("order", exp.Order(expressions=order.expressions))
    if isinstance(f, _FRAMED_VALUES):
        w.set("spec", exp.WindowSpec(kind="ROWS", start="UNBOUNDED", start_side="PRECEDING",
                                     end="UNBOUNDED", end_side="FOLLOWING"))


def name_projections(select: exp.Expression, dialect: str) -> None:
    """Give every unnamed projection an explicit alias: its own SQL text (what DuckDB shows as the
    column name), so names survive qualify, which would otherwise invent _col_N."""
    for node in select.find_all(exp.Select):
        new = []
        changed = False
        for p in node.expressions:
            if isinstance(p, (exp.Alias, exp.Column, exp.Star, exp.PositionalColumn)) or p.alias or expands(p):
                new.append(p)
                continue
            text = p.sql(dialect=dialect)
            # an Alias node even for a subquery (alias_ would set the subquery's own alias, which
            # qualify's positional ORDER BY / DISTINCT ON cannot read)
            alias = exp.Alias(this=p, alias=exp.to_identifier(text, quoted=True))
            new.append(alias)
            changed = True
        if changed:
            node.set("expressions", new)


SERIES_PREFIX = "__deltasql_series"


def _table_functions(query: exp.Expression, schema: dict) -> dict:
    """FROM range(…) / generate_series(…): each becomes a table named __deltasql_seriesN (its one column
    named as DuckDB names it, ``range`` or ``generate_series``) that qualify can expand; returns
    {name: the GenerateSeries node} for the binder (binder.series), which makes it a constant
    relation."""
    found = {}
    for t in list(query.find_all(exp.Table)):
        f = t.this
        if not isinstance(f, exp.GenerateSeries):
            continue
        column = "range" if f.args.get("is_end_exclusive") else "generate_series"
        if f.find(exp.Column) is not None:
            _series_of_each_row(t, f, column)
            continue
        name = f"{SERIES_PREFIX}{len(found)}"
        found[name] = f.copy()
        alias = t.args.get("alias")
        new = exp.Table(this=exp.to_identifier(name))
        new.meta.update(t.meta)
        new.set("alias", alias.copy() if alias is not None else exp.TableAlias(this=exp.to_identifier(column)))
        for k in ("joins", "laterals", "pivots"):
            if t.args.get(k):
                new.set(k, t.args[k])
        t.replace(new)
        schema[name] = {column: "BIGINT"}
    return found


def _series_of_each_row(t: exp.Table, f: exp.GenerateSeries, column: str) -> None:
    """FROM a, generate_series(1, a.x): a series over an earlier FROM item's columns is one series per
    row of it, which is UNNEST of the series as a list (NULL bounds: no rows, in both)."""
    alias = t.args.get("alias")
    alias = alias.copy() if alias is not None else exp.TableAlias(this=exp.to_identifier(column))
    if not alias.columns:  # named after the alias, as DuckDB names a table function's one column
        alias.set("columns", [exp.to_identifier(alias.name)])
    u = exp.Unnest(expressions=[f.copy()], alias=alias)
    u.meta.update(t.meta)
    t.replace(u)


def qualify_query(query: exp.Expression, schema: dict, dialect: str, sql: str,
                  evaluate: Evaluate | None = None) -> exp.Expression:
    """Resolve every column to its table alias and expand stars, using sqlglot's qualify
    (``evaluate`` computes a query over constants, for COLUMNS(lambda …))."""
    _check_duplicate_aliases(query, sql)
    inline_correlated_ctes(query)
    schema = dict(schema)
    series = _table_functions(query, schema)
    rewrite_recurring(query, schema, _cte_columns)  # recurring.t in a USING KEY recursion
    ctes = {c.alias for c in query.find_all(exp.CTE)}
    for t in query.find_all(exp.Table):
        if isinstance(t.this, exp.Identifier) and t.name not in schema and t.name not in ctes:
            raise error_at(t, f"unknown table {t.name!r}", sql)
    for with_ in query.find_all(exp.With):
        if with_.args.get("recursive"):
            # a recursive CTE may be read before it is defined (mutual recursion): tell qualify its
            # columns up front
            for cte in with_.expressions:
                cols = _cte_columns(cte)
                if cols:
                    schema.setdefault(cte.alias, {c: "UNKNOWN" for c in cols})
    # the catalog's names are normalized already: the schema must not fold them again (a Postgres
    # table "Foo" is not foo)
    mapping = MappingSchema(schema, dialect=dialect, normalize=False)
    _alias_tables(query)
    expand_columns(query, mapping, dialect, sql, evaluate)
    resolve_positions(query, mapping, dialect, sql)
    _prefer_from_columns(query, mapping, dialect, sql)
    using = {id(j): [c.name for c in j.args["using"]] for j in query.find_all(exp.Join) if j.args.get("using")}
    # a NATURAL join's names are its sides' common columns, which only qualify works out: None
    using.update({id(j): None for j in query.find_all(exp.Join) if j.method == "NATURAL"})
    try:
        query = qualify(query, schema=mapping, dialect=dialect, quote_identifiers=False,
                        identify=False, validate_qualify_columns=True)
    except OptimizeError as e:
        raise _explain_optimize_error(e, query, schema, sql) from None
    if using:
        _expand_using_leftovers(query, using)
        _place_using_forms(query, sql)
        _asof_using(query, using)
    _canonical_quotes(query, dialect)
    if get_dialect(dialect).duplicate_names_ambiguous:
        _refuse_ambiguous_names(query, sql)
    bind_named_arguments(query, sql)
    constructs.check(query, sql)
    query.meta["series"] = series
    return query


def _refuse_ambiguous_names(query, sql: str) -> None:
    """A column read from a subquery or CTE that has two columns of that name (Postgres: "column
    reference is ambiguous"; the binder would take the first, as DuckDB and SQLite do)."""
    for scope in traverse_scope(query):
        for c in scope.columns:
            source = scope.sources.get(c.table)
            if isinstance(source, Scope) and not source.expression.is_star:
                names = source.expression.named_selects
                if names.count(c.name) > 1:
                    raise error_at(c, f"column reference {c.name!r} is ambiguous ({c.table} has two "
                                      f"columns of that name)", sql)


def _canonical_quotes(query, dialect: str) -> None:
    """Names are folded already, so quoting says nothing more about a name: quote an identifier
    exactly when the dialect needs it to read the name back (a Postgres ``"Foo"``, ``"x y"``).  Then
    equal names are equal identifiers, whether written quoted, unquoted, or made by qualify, and
    the binder can match expressions by their trees (``SELECT foo … GROUP BY "foo"``)."""
    d = sqlglot.Dialect.get_or_raise(dialect)
    for node in query.find_all(exp.Identifier):
        node.set("quoted", False)
        d.quote_identifier(node, identify=False)


def _alias_tables(query) -> None:
    """Give each table read without an alias its own name as alias, the identifier kept as written:
    qualify would make one from the bare name and fold it, so that a Postgres "Foo" read beside foo
    were both aliased foo."""
    for t in query.find_all(exp.Table):
        if isinstance(t.this, exp.Identifier) and not t.alias and t.args.get("db") is None:
            # a new identifier, without the table's position: qualify copies it into every column
            # it qualifies, whose errors must point at the column
            t.set("alias", exp.TableAlias(this=exp.Identifier(this=t.name, quoted=t.this.quoted)))


def _prefer_from_columns(query, schema: MappingSchema, dialect: str, sql: str) -> None:
    """A name in HAVING or QUALIFY that is also a select-list name, bound as DuckDB binds it:
    - in HAVING, the FROM clause's column inside an aggregate (its arguments or FILTER: SELECT a * 10 AS
      k … HAVING SUM(k) sums the column k), and outside one where that column is grouped (HAVING first
      binds to the GROUP BY expressions: SELECT a AS k … GROUP BY a, k HAVING k > 0 reads the column k);
      else the alias;
    - in QUALIFY, the FROM clause's column wherever it has one, inside window functions and outside
      them (SELECT -n AS k … QUALIFY k < 0 reads the column k); else the alias.
    qualify would expand the alias where it finds the name in two tables (a USING column) or where the
    column is grouped over a join, so such names get their table first, found by qualifying SELECT *
    over the same FROM (a USING column becomes its COALESCE form; a name in two tables is ambiguous)."""
    for select in list(query.find_all(exp.Select)):
        clauses = [(select.args[k], k) for k in ("having", "qualify") if select.args.get(k) is not None]
        if not clauses or select.args.get("from_") is None:
            continue
        # the select list's names: its aliases, and a column's own name (SELECT t.x is named x)
        aliases = {p.alias_or_name for p in select.expressions if isinstance(p, (exp.Alias, exp.Column))}
        literals = {p.alias: p.this for p in select.expressions
                    if isinstance(p, exp.Alias) and (isinstance(p.this, exp.Literal) or p.this.is_number)}
        names = [(c, kind) for clause, kind in clauses for c in clause.find_all(exp.Column)
                 if not c.table and c.name in aliases and c.find_ancestor(exp.Select, exp.SetOperation) is select]
        if not names:
            continue
        probe = exp.Select(expressions=[exp.Star()], from_=select.args["from_"].copy(),
                           joins=[j.copy() for j in select.args.get("joins") or []])
        with_ = query.args.get("with_")
        if with_ is not None:
            probe.set("with_", with_.copy())
        try:
            probe = qualify(probe, schema=schema, dialect=dialect, quote_identifiers=False, identify=False)
        except Exception:  # an outer reference or a construct qualify cannot expand: leave it to qualify
            continue
        columns: dict = {}  # name -> the qualified expressions SELECT * gives for it
        for p in probe.expressions:
            columns.setdefault(p.alias_or_name, []).append(p.this if isinstance(p, exp.Alias) else p)
        for c, kind in names:
            found = columns.get(c.name, [])
            if kind == "qualify":
                column = bool(found)
            else:
                in_aggregate = isinstance(c.find_ancestor(exp.AggFunc, exp.Filter, exp.Having),
                                          (exp.AggFunc, exp.Filter))
                column = in_aggregate or (len(found) == 1 and _grouped_column(select, found[0], columns))
            if not column:
                if c.name in literals:  # (qualify never expands a literal's alias: it would read as a position)
                    c.replace(exp.paren(literals[c.name].copy()))
                continue  # the alias (qualify expands it)
            if len(found) > 1:
                raise error_at(c, f"ambiguous column name {c.name!r}", sql)
            if len(found) == 1 and isinstance(found[0], exp.Column):
                c.set("table", exp.to_identifier(found[0].table))
            elif len(found) == 1 and using_columns(found[0]):
                form = found[0].copy()
                form.meta["using_column"] = True
                c.replace(form)


def _grouped_column(select, column, columns: dict) -> bool:
    """Whether ``select`` (not qualified yet) groups by ``column``, a qualified column or a USING
    column's COALESCE form (``columns``: name -> the qualified expressions of its FROM clause): a
    GROUP BY element (inside ROLLUP, CUBE, GROUPING SETS too, or a position in the select list) that
    is the column, written with its table or without (a name of one column), or, for a USING column,
    the one column it always equals (using_binding)."""
    group = select.args.get("group")
    if group is None:
        return False
    same = [column]
    if using_columns(column):
        same.append(using_binding(column, select))
    for n in group.walk():
        if not isinstance(n.parent, (exp.Group, exp.Rollup, exp.Cube, exp.GroupingSets, exp.Tuple)):
            continue
        if isinstance(n, exp.Literal) and n.is_int and 1 <= int(n.this) <= len(select.expressions):
            n = select.expressions[int(n.this) - 1]
            n = n.this if isinstance(n, exp.Alias) else n
        if isinstance(n, exp.Column) and not n.table:
            found = columns.get(n.name, [])
            n = found[0] if len(found) == 1 else n
        for s in same:
            if s is None:
                continue
            if n == s or (isinstance(n, exp.Column) and isinstance(s, exp.Column)
                          and (n.table, n.name) == (s.table, s.name)):
                return True
    return False


def using_binding(using, select):
    """The one column a USING column always equals, as DuckDB binds it (its value and its type): the
    leftmost table's for a chain of inner and left joins, the right table's for one RIGHT JOIN;
    None for FULL JOIN (then it is the COALESCE)."""
    cols = using_columns(using)
    sides = {}
    for j in select.args.get("joins") or []:
        sides[j.this.alias_or_name] = (j.args.get("side") or "").upper()
    later = [sides.get(c.table) for c in cols[1:]]
    if all(side in ("", "LEFT") for side in later):
        return cols[0]
    if len(cols) == 2 and later == ["RIGHT"]:
        return cols[1]
    return None


def using_columns(node) -> list | None:
    """The columns of COALESCE(a.x, b.x, …), the form qualify gives a USING column x; else None."""
    if not isinstance(node, exp.Coalesce):
        return None
    cols = [node.this] + list(node.expressions)
    if all(isinstance(c, exp.Column) and c.table and c.name == cols[0].name for c in cols):
        return cols
    return None


def _place_using_forms(query, sql: str) -> None:
    """qualify's COALESCE for a USING column x carries no position, so an error in it would point
    elsewhere: give it the position of the x it replaced, the first word x after the last token
    (in tree order, which is source order) that has a position."""
    last = 0
    for node in query.walk(bfs=False):
        meta = node.meta if node._meta else None
        if meta and "start" in meta:
            last = max(last, meta["end"] + 1)
        elif using_columns(node) and token_span(node) is None:
            node.meta["using_column"] = True  # qualify's form of a USING column, not a user's COALESCE
            name = re.escape(node.this.name)
            m = re.compile(rf'(?<![\w."]){name}(?![\w"])|"{name}"', re.I).search(sql, last)
            if m is None:
                continue
            line, col = offset_to_position(sql, m.start())
            node.meta.update(start=m.start(), end=m.end() - 1, line=line, col=col + m.end() - m.start() - 1)
            last = m.end()


def _expand_using_leftovers(query, using: dict) -> None:
    """qualify writes a USING column x as COALESCE(a.x, b.x) in the select list, WHERE and ORDER BY
    but leaves it bare in some clauses (QUALIFY; HAVING when x is not selected): write those the
    same way.  ``using`` maps id(join) to its USING names, taken before qualify turned them into ON
    equalities (a.x = b.x, one per name); None for a NATURAL join, whose equalities qualify wrote
    are all such."""
    for select in query.find_all(exp.Select):
        tables: dict = {}  # USING name -> the tables holding it, in join order
        for j in select.args.get("joins") or []:
            if id(j) not in using or j.args.get("on") is None:
                continue
            names = using[id(j)]
            for eq in j.args["on"].find_all(exp.EQ):
                l, r = eq.this, eq.expression
                if isinstance(l, exp.Column) and isinstance(r, exp.Column) and l.name == r.name and \
                        (names is None or l.name in names):
                    held = tables.setdefault(l.name, [])
                    for c in (l, r):
                        if c.table not in held:
                            held.append(c.table)
        if not tables:
            continue
        aliases = {p.alias for p in select.expressions if p.alias}
        for col in list(select.find_all(exp.Column)):
            if col.table or col.name not in tables:
                continue
            # a select-list name shadows the USING column, except inside an ORDER BY expression or
            # an aggregate or window function, where a bare name is an input column first
            in_order_expr = not isinstance(col.parent, exp.Ordered) and col.find_ancestor(exp.Ordered) is not None
            in_function = col.find_ancestor(exp.AggFunc, exp.Window, exp.Filter, exp.Select) is not select
            if col.name in aliases and not (in_order_expr or in_function):
                continue
            if col.find_ancestor(exp.Select, exp.SetOperation) is not select:  # (a nested UNION's ORDER BY)
                continue
            cols = [exp.column(col.name, table=t) for t in tables[col.name]]
            new = exp.Coalesce(this=cols[0], expressions=cols[1:]) if len(cols) > 1 else cols[0]
            new.meta.update(col.this.meta)  # the position of the x it replaces
            new.meta["using_column"] = True
            col.replace(new)


def _asof_using(query, using: dict) -> None:
    """DuckDB's ``ASOF JOIN … USING (k, …, t)``: the last name is the time, matched as ``l.t >= r.t``
    (the nearest right row at or before the left one); qualify wrote it as an equality.  The merged
    column stays COALESCE(l.t, r.t), which is the left time wherever DuckDB shows it (inner and LEFT)."""
    for j in query.find_all(exp.Join):
        names = using.get(id(j))
        if (j.args.get("method") or "").upper() != "ASOF" or not names or j.args.get("on") is None:
            continue
        right = j.this.alias_or_name
        for eq in list(j.args["on"].find_all(exp.EQ)):
            a, b = eq.this, eq.expression
            if isinstance(a, exp.Column) and isinstance(b, exp.Column) and a.name == b.name == names[-1]:
                left, right_col = (b, a) if a.table == right else (a, b)
                eq.replace(exp.GTE(this=left.copy(), expression=right_col.copy()))
                break


def _check_duplicate_aliases(query, sql: str) -> None:
    """Two FROM items of one SELECT with the same name (FROM t, t) are ambiguous: refuse them
    (qualify would silently rename the second)."""
    for select in query.find_all(exp.Select):
        seen = set()
        items = []
        if select.args.get("from_") is not None:
            items.append(select.args["from_"].this)
        items += [j.this for j in select.args.get("joins") or []]
        for item in items:
            name = item.alias_or_name
            if not name:
                continue
            if name in seen:
                raise error_at(item, f"duplicate table name or alias {name!r} in FROM (give each an alias)", sql)
            seen.add(name)


def _cte_columns(cte) -> list[str]:
    alias = cte.args.get("alias")
    if alias is not None and alias.columns:
        return [c.name for c in alias.columns]
    body = cte.this
    while isinstance(body, exp.SetOperation):
        body = body.this
    if isinstance(body, exp.Select) and not any(isinstance(p, exp.Star) for p in body.expressions):
        return [p.alias_or_name for p in body.expressions]
    return []


def _explain_optimize_error(e: OptimizeError, query, schema, sql) -> CompileError:
    msg = str(e)
    m = re.search(r"Column '([^']+)' could not be resolved", msg)
    if m:
        name = m.group(1).split(".")[-1].strip('"')
        node = next((c for c in query.find_all(exp.Column) if c.name == name), None)
        owners = sorted(t for t, cols in schema.items() if name in cols)
        visible = _visible_tables(node)
        holders = [t for t in visible if t in owners]
        if node is not None and len(holders) > 1:
            return error_at(node, f"ambiguous column name {name!r} (it is in {', '.join(holders)})", sql)
        line, col = position(node, sql) if node is not None else _pos_from_message(msg)
        return CompileError(unknown_column(name), line, col, sql)
    m = re.search(r"Unknown table:? '?([^'\s]+)'?", msg)
    if m:
        name = m.group(1).strip('"')
        node = next((t for t in query.find_all(exp.Column) if t.table == name), None)
        line, col = position(node, sql) if node is not None else _pos_from_message(msg)
        return CompileError(f"unknown table or alias {name!r}", line, col, sql)
    m = re.search(r"Unknown column: (\S+)", msg)
    if m:
        name = m.group(1).strip('"')
        node = next((c for c in query.find_all(exp.Column) if c.name == name), None)
        line, col = position(node, sql) if node is not None else _pos_from_message(msg)
        return CompileError(unknown_column(name), line, col, sql)
    line, col = _pos_from_message(msg)
    text = re.sub(r"\s*Line: \d+, Col: \d+.*", "", msg.splitlines()[0])
    return CompileError(text, line, col, sql)


def unknown_column(name: str) -> str:
    """The message for a name that is no column in scope; DuckDB's hidden ``rowid`` named as such."""
    if name.split(".")[-1].strip('"').lower() == "rowid":
        return ("rowid (DuckDB's insertion position of a row) is not supported: deltasql's tables are "
                "multisets of rows, which have no position; give the table a key column instead")
    return f"unknown column {name!r}"


def _visible_tables(node) -> list[str]:
    """Table names in the FROM clause of the SELECT that contains node (for ambiguity messages)."""
    if node is None:
        return []
    select = node.find_ancestor(exp.Select)
    if select is None:
        return []
    out = []
    for t in select.find_all(exp.Table):
        if t.find_ancestor(exp.Select) is select:
            out.append(t.name)
    return out
