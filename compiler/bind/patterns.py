"""Pattern matching: LIKE / ILIKE (with ESCAPE, ANY / ALL), regular expressions (RE2's syntax,
translated by sqllib/re2.py), SIMILAR TO and GLOB.

Laws: NULL in, NULL out; x NOT LIKE ANY (…) negates each match, not the whole; a constant pattern is
translated (and refused if invalid or unsupported) at compile time, any other pattern per value at
run time, where a pattern that cannot be used is a DataError; regular expressions are DuckDB's only.
"""

from __future__ import annotations

from sqlglot import exp

from ...sqllib import re2
from ..expr import Call, Lit
from ..positions import token_span
from ..types import BIGINT, BOOLEAN, TEXT, list_of, struct_of
from .builders import and_, not_, or_
from .messages import _describe


def _quantified(node) -> bool:
    """x LIKE ANY (…) / x LIKE ALL (…): a NOT belongs to each match, not to the whole."""
    return isinstance(node, (exp.Like, exp.ILike)) and isinstance(node.expression, (exp.Any, exp.All))


def _regex_quantifier(node):
    """("any" | "all", the list's node) of x ~ ANY(list) / x ~ ALL(list), else None (sqlglot reads ANY
    as a node and ALL as a function call)."""
    e = node.expression
    if isinstance(e, exp.Any):
        inner = e.this.this if isinstance(e.this, exp.Paren) else e.this
        return "any", inner
    if isinstance(e, exp.Anonymous) and e.name.upper() == "ALL" and len(e.expressions) == 1:
        return "all", e.expressions[0]
    return None


class PatternRules:
    """ExprBinder methods for the constructs above (mixed into ExprBinder)."""

    def _Like(self, node):
        return self.like(node, case_insensitive=self.dialect.like_case_insensitive)

    def _ILike(self, node):
        return self.like(node, case_insensitive=True)

    def _Escape(self, node):
        inner = node.this
        esc = node.expression
        if not isinstance(inner, (exp.Like, exp.ILike)):
            raise self.error(node, f"ESCAPE is not supported with {_describe(inner, self.dialect.name)}")
        empty_ok = self.dialect.name == "duckdb"  # (DuckDB: '' is no escape character; SQLite refuses it)
        if empty_ok and isinstance(esc, exp.Null) and not _quantified(inner):  # DuckDB: ESCAPE NULL is NULL
            for side in (inner.this, inner.expression):
                self.to_text(self.bind(side), inner)
            return Lit(None, BOOLEAN)
        if not (isinstance(esc, exp.Literal) and esc.is_string and (len(esc.this) == 1 or empty_ok and not esc.this)):
            raise self.error(esc, "ESCAPE must be a one-character string literal" + (" (or '': none)" if empty_ok else ""))
        ci = isinstance(inner, exp.ILike) or (isinstance(inner, exp.Like) and self.dialect.like_case_insensitive)
        out = self.like(inner, ci, esc.this or None)  # (ESCAPE '': no escape character, as DuckDB reads it)
        if inner.args.get("negate") and not _quantified(inner):  # x NOT LIKE p ESCAPE e: Escape(Like(negate))
            out = not_(out)
        return out

    def like(self, node, case_insensitive, escape=None):
        if node.args.get("escape") is not None:
            escape = node.args["escape"].name
        if _quantified(node):
            return self.like_quantified(node, case_insensitive, escape)
        a, p = self.bind(node.this), self.bind(node.expression)
        a, p = self.to_text(a, node), self.to_text(p, node)
        return Call("like", (a, p), BOOLEAN, a.nullable or p.nullable, (case_insensitive, escape))

    def like_quantified(self, node, case_insensitive, escape):
        """x [NOT] LIKE ANY|ALL (p1, p2, …) (Postgres): x [NOT] LIKE pi for some|every pi, in three-valued
        logic (an OR, or an AND, of the single matches; NOT applies to each match, as Postgres's !~~)."""
        q = node.expression
        items = q.this
        if isinstance(items, exp.Paren) and isinstance(items.this, exp.Array):
            items = items.this
        if isinstance(items, (exp.Tuple, exp.Array)):
            patterns = list(items.expressions)
        elif isinstance(items, (exp.Subquery, exp.Select)):
            raise self.error(q, f"LIKE {type(q).__name__.upper()} over a subquery is not supported: list the patterns")
        else:
            patterns = [items]
        a = self.to_text(self.bind(node.this), node)
        out = None
        for pn in patterns:
            p = self.to_text(self.bind(pn), pn)
            m = Call("like", (a, p), BOOLEAN, a.nullable or p.nullable, (case_insensitive, escape))
            if node.args.get("negate"):
                m = not_(m)
            out = m if out is None else (or_(out, m) if isinstance(q, exp.Any) else and_(out, m))
        return out

    def regex_dialect(self, node, what):
        if self.dialect.name == "sqlite" and isinstance(node, exp.RegexpLike):
            raise self.error(node, "REGEXP has no built-in definition in SQLite")
        if self.dialect.name != "duckdb":
            raise self.error(node, f"{what} is only supported in the duckdb dialect (its regular expressions "
                                   f"are RE2's)")

    def regex_options(self, node, opt_node, what, replace=False):
        """DuckDB's options string: ((fold, dot_nl, literal), global)."""
        if opt_node is None:
            return (False, False, False), False
        o = self.bind(opt_node)
        if not (isinstance(o, Lit) and o.type.kind in ("text", "null")):
            raise self.error(opt_node, f"{what}: the options must be a constant string")
        if o.value is None:
            raise self.error(opt_node, f"{what}: the options must not be NULL")
        fold = dot_nl = literal = every = False
        for ch in o.value:  # a later option overrides an earlier one (as in DuckDB)
            if ch in " \t\n\r":  # (DuckDB skips white space between the letters)
                continue
            if ch in "ci":
                fold = ch == "i"
            elif ch in "mnps":
                dot_nl = ch == "s"
            elif ch == "l":
                literal = True
            elif ch == "g" and replace:
                every = True
            elif ch == "g":
                raise self.error(opt_node, f"{what}: option 'g' (global replace) is only valid for REGEXP_REPLACE")
            else:
                raise self.error(opt_node, f"{what}: unrecognized regular expression option {ch!r}")
        return (fold, dot_nl, literal), every

    def regex_pattern(self, node, pat_node, opts, what):
        """The pattern argument, and its translation when it is a constant (else it is translated per
        value at run time, where a pattern that cannot be used is a DataError)."""
        p = self.text_arg(node, self.bind(pat_node), what)
        if not isinstance(p, Lit) or p.value is None:
            return p, None
        try:
            return p, re2.translate(p.value, *opts)
        except re2.PatternError as e:
            kind = "invalid" if e.invalid else "unsupported"
            raise self.error(pat_node, f"{what}: {kind} regular expression {p.value!r}: {e}") from None

    def regex_call(self, fn, node, t, what, opt_node=None, opts=None, extra_args=()):
        self.regex_dialect(node, what)
        if opts is None:
            opts, _ = self.regex_options(node, opt_node, what)
        s = self.text_arg(node, self.bind(node.this), what)
        p, rx = self.regex_pattern(node, node.expression, opts, what)
        args = (s, p) + tuple(extra_args)
        return Call(fn, args, t, any(a.nullable for a in args), (opts, rx))

    def _RegexpLike(self, node):
        if _regex_quantifier(node) is not None:
            return self.regex_quantified(node, False)
        what = "REGEXP_MATCHES" if self.dialect.name == "duckdb" else "REGEXP"
        return self.regex_call(self._match_function(node), node, BOOLEAN, what, node.args.get("flag"))

    def regex_quantified(self, node, fold: bool):
        """x ~ ANY(['p1', 'p2', …]) / x ~ ALL(…) (also ~*, !~, !~*): x matched against each pattern of a
        constant list, an OR (ANY) or an AND (ALL) of the matches in three-valued logic, each match
        negated for !~ (DuckDB's: 'abc' !~ ALL(['z', 'b']) is FALSE); an empty or NULL list gives FALSE
        for ANY and TRUE for ALL."""
        what = "~ ANY / ALL"
        self.regex_dialect(node, what)
        kind, list_node = _regex_quantifier(node)
        lst = self.bind(list_node)
        if not (isinstance(lst, Lit) and lst.type.kind in ("list", "null") and
                (lst.type.kind == "null" or lst.type.elem.kind in ("text", "null"))):
            raise self.error(list_node, f"{what} needs a constant list of patterns (a list that is not a "
                                        f"constant is not supported)")
        a, b = token_span(node.this), token_span(node.expression)
        negated = isinstance(node.parent, exp.Not) and a is not None and b is not None and \
            "!" in self.qb.sql[a[1] + 1:b[0]]
        fn = self._match_function(node)
        s = self.text_arg(node, self.bind(node.this), what)
        opts = (fold, False, False)
        out = None
        for p in lst.value or ():
            if p is None:
                m = Lit(None, BOOLEAN)
            else:
                try:
                    rx = re2.translate(p, *opts)
                except re2.PatternError as e:
                    kind_ = "invalid" if e.invalid else "unsupported"
                    raise self.error(list_node, f"{what}: {kind_} regular expression {p!r}: {e}") from None
                m = Call(fn, (s, Lit(p, TEXT)), BOOLEAN, s.nullable, (opts, rx))
            if negated:
                m = not_(m)
            out = m if out is None else (or_(out, m) if kind == "any" else and_(out, m))
        if out is None:
            out = Lit(kind == "all", BOOLEAN)
        return not_(out) if negated else out  # (the NOT of !~ that sqlglot put around it undoes this one)

    def _RegexpILike(self, node):
        if _regex_quantifier(node) is not None:
            return self.regex_quantified(node, True)
        self.regex_dialect(node, "~*")
        if node.args.get("flag") is not None:
            raise self.error(node, "~* takes no options")
        return self.regex_call(self._match_function(node), node, BOOLEAN, "~*", opts=(True, False, False))

    def _match_function(self, node) -> str:
        """regexp_matches, or regexp_full_match for the operator ~ (~*) under SET
        regex_match_operator_semantics = 'full' (settings.py): the node of ``a ~ b`` and of
        ``regexp_matches(a, b)`` is one class, told apart by the text between the operands."""
        if not node.meta.get("regex_full_match"):
            return "regexp_matches"
        a, b = token_span(node.this), token_span(node.expression)
        if a is None or b is None or a[1] >= b[0]:
            raise self.error(node, "a regular expression match whose operator cannot be located in the text is "
                                   "not supported under regex_match_operator_semantics = 'full'")
        return "regexp_full_match" if "~" in self.qb.sql[a[1] + 1:b[0]] else "regexp_matches"

    def _RegexpFullMatch(self, node):
        return self.regex_call("regexp_full_match", node, BOOLEAN, "REGEXP_FULL_MATCH", node.args.get("options"))

    def _SimilarTo(self, node):
        # DuckDB's SIMILAR TO is a whole-string match of an RE2 pattern (not SQL's % and _ patterns)
        return self.regex_call("regexp_full_match", node, BOOLEAN, "SIMILAR TO")

    def _RegexpExtract(self, node, every=False):
        what = "REGEXP_EXTRACT"
        for key in ("position", "occurrence"):
            if node.args.get(key) is not None:
                raise self.error(node.args[key], f"{what}: a {key} argument is not supported")
        group_node, opt_node = node.args.get("group"), node.args.get("parameters")
        if isinstance(group_node, exp.Literal) and group_node.is_string and opt_node is None:
            group_node, opt_node = None, group_node  # regexp_extract(s, p, 'options')
        group = 0
        if group_node is not None:
            g = self.bind(group_node)
            if g.type.kind == "list":
                return self.extract_groups(node, group_node, g, opt_node, every)
            if every:  # REGEXP_EXTRACT_ALL: any group (an INTEGER, as DuckDB; negative: [], past the pattern's: an error on a match)
                g = self.int_arg(group_node, g, "REGEXP_EXTRACT_ALL's group", max_bits=32)
                return self.regex_call("regexp_extract", node, TEXT, what, opt_node, extra_args=(g,))
            if not (isinstance(g, Lit) and g.type.kind == "int"):
                raise self.error(group_node, f"{what}: the group must be an integer constant")
            if not 0 <= g.value <= 9:
                raise self.error(group_node, f"{what}: the group must be between 0 and 9")
            group = g.value
        return self.regex_call("regexp_extract", node, TEXT, what, opt_node, extra_args=(Lit(group, BIGINT),))

    def extract_groups(self, node, group_node, g, opt_node, every):
        """REGEXP_EXTRACT(s, pattern, ['name', …][, options]): a STRUCT of VARCHARs, the i-th name's field
        group i of the first match (NULL for a NULL s); REGEXP_EXTRACT_ALL: a list of them, one per match.
        As DuckDB requires: a constant pattern, and constant names, not NULL nor empty, distinct without
        case, no more than the pattern has groups."""
        what = "REGEXP_EXTRACT_ALL" if every else "REGEXP_EXTRACT"
        self.regex_dialect(node, what)
        if not isinstance(g, Lit) or g.value is None:
            raise self.error(group_node, f"{what}: the group names must be a constant, non-NULL list")
        names = list(g.value)
        if not names:
            raise self.error(group_node, f"{what}: the group name list must be non-empty")
        if g.type.elem.kind not in ("text", "null") or any(n is None for n in names):
            raise self.error(group_node, f"{what}: a NULL or non-VARCHAR group name")
        if any(n == "" for n in names):
            raise self.error(group_node, f"{what}: an empty group name")
        if len({n.lower() for n in names}) != len(names):
            raise self.error(group_node, f"{what}: duplicate group name")
        opts, _ = self.regex_options(node, opt_node, what)
        s = self.text_arg(node, self.bind(node.this), what)
        p, rx = self.regex_pattern(node, node.expression, opts, what)
        if rx is None:
            raise self.error(node.expression, f"{what} with group names needs a constant pattern")
        if len(names) > rx.groups:
            raise self.error(group_node, f"{what}: not enough capturing groups ({rx.groups}) for "
                                         f"{len(names)} names")
        t = struct_of((n, TEXT) for n in names)
        if every:
            return Call("regexp_extract_all_groups", (s, p, g), list_of(t), s.nullable, (opts, rx))
        return Call("regexp_extract_groups", (s, p, g), t, s.nullable, (opts, rx))

    def _RegexpExtractAll(self, node):  # bound as REGEXP_EXTRACT (arguments, options, group), a list of them
        one = self._RegexpExtract(node, every=True)
        if one.fn == "regexp_extract_all_groups":
            return one
        return Call("regexp_extract_all", one.args, list_of(TEXT), one.nullable, one.extra)

    def _RegexpSplit(self, node):  # string_split_regex(s, p[, options]) / str_split_regex
        return self.regex_split(node, node.this, node.expression, node.args.get("limit"))

    def regex_split(self, node, s_node, p_node, opt_node):
        """string_split_regex / regexp_split_to_array(s, pattern[, options]): the pieces of s between
        matches (sqllib/patterns.regexp_split); NULL for a NULL s, [s] for a NULL pattern."""
        what = "STRING_SPLIT_REGEX"
        self.regex_dialect(node, what)
        opts, _ = self.regex_options(node, opt_node, what)
        s = self.text_arg(node, self.bind(s_node), what)
        p, rx = self.regex_pattern(node, p_node, opts, what)
        if isinstance(p, Lit) and p.value == "":
            rx = None  # (the empty pattern goes in as its text: regexp_split('', '') is [], not [''])
        return Call("regexp_split", (s, p), list_of(TEXT), s.nullable, (opts, rx))

    def _RegexpReplace(self, node):
        what = "REGEXP_REPLACE"
        self.regex_dialect(node, what)
        for key in ("position", "occurrence"):
            if node.args.get(key) is not None:
                raise self.error(node.args[key], f"{what}: a {key} argument is not supported")
        opts, every = self.regex_options(node, node.args.get("modifiers"), what, replace=True)
        s = self.text_arg(node, self.bind(node.this), what)
        p, rx = self.regex_pattern(node, node.expression, opts, what)
        rep_node, = self.required(node, what, "replacement")
        r = self.text_arg(node, self.bind(rep_node), what)
        rewrite = None
        if isinstance(r, Lit) and r.value is not None:
            try:
                rewrite = re2.rewrite(r.value)
            except re2.PatternError as e:
                raise self.error(rep_node, f"{what}: {e}") from None
            if rx is not None and rewrite.max_group > rx.groups:
                raise self.error(rep_node, f"{what}: the replacement asks for group \\{rewrite.max_group} but "
                                           f"the pattern has {rx.groups}")
        args = (s, p, r)
        return Call("regexp_replace", args, TEXT, any(a.nullable for a in args), (opts, rx, rewrite, every))

    def _Glob(self, node):
        if self.dialect.name not in ("duckdb", "sqlite"):
            raise self.error(node, "GLOB is only supported in the duckdb and sqlite dialects")
        s = self.text_arg(node, self.bind(node.this), "GLOB")
        p = self.text_arg(node, self.bind(node.expression), "GLOB")
        return Call("glob", (s, p), BOOLEAN, s.nullable or p.nullable, self.dialect.name == "sqlite")
