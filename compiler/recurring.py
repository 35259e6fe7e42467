"""``recurring.t``: inside the step of ``WITH RECURSIVE t USING KEY (…)``, DuckDB's name for the
union table built so far (``t`` there is only the last iteration's rows).

sqlglot reads ``recurring.t`` as a table ``t`` of schema ``recurring``.  Before qualification, each such
reference inside the body of a USING KEY CTE named ``t`` becomes a table of a name no user can write
(``__deltasql_recurring_t``, aliased ``t`` unless it has an alias), with ``t``'s columns in the schema,
so that qualify resolves its columns and the binder finds it among the CTEs
(compiler/keyed_recursion.py binds it).  Anywhere else ``recurring.x`` stays a schema-qualified name,
which is refused.
"""

from __future__ import annotations

from sqlglot import exp

PREFIX = "__deltasql_recurring_"


def recurring_name(cte: str) -> str:
    return PREFIX + cte


def rewrite_recurring(query: exp.Expression, schema: dict, columns) -> None:
    """Rename the ``recurring.<cte>`` tables of every USING KEY CTE in ``query``, adding them to
    ``schema``; ``columns(cte)`` gives a CTE's column names (or [] when unknown)."""
    for cte in list(query.find_all(exp.CTE)):
        if not cte.args.get("key_expressions"):
            continue
        name = cte.alias
        for t in list(cte.this.find_all(exp.Table)):
            db = t.args.get("db")
            if (db is not None and t.args.get("catalog") is None and db.name.lower() == "recurring"
                    and t.name == name and isinstance(t.this, exp.Identifier)):
                ident = exp.to_identifier(recurring_name(name))
                ident.meta.update(t.this.meta)
                t.set("db", None)
                t.set("this", ident)
                if t.args.get("alias") is None:
                    t.set("alias", exp.TableAlias(this=exp.to_identifier(name)))
            # (a tree rewritten before, as a sharded pipeline's workers receive it, has the new name)
            if t.name == recurring_name(name) and t.args.get("db") is None and columns(cte):
                schema.setdefault(recurring_name(name), {c: "UNKNOWN" for c in columns(cte)})
