"""CURRENT_SETTING('name') of a setting deltasql has (compiler/settings.py): the value in force when
the statement is compiled, written into the tree as a constant.

Laws: a view keeps the settings in force when it was created (settings.py), so the value it reads is
that one -- the constant; DuckDB shows ``regex_match_operator_semantics`` as its text ('partial',
'full') and the two switches as BOOLEANs, which these constants are.  ``default_order`` and
``default_null_order`` are left alone (DuckDB shows its own spellings of them, 'ASCENDING' before a
SET and what was set after): the binder refuses CURRENT_SETTING of them as of any other name.
"""

from __future__ import annotations

from sqlglot import exp

_SHOWN = {"regex_match_operator_semantics": lambda s: exp.Literal.string(s.regex_match_operator_semantics),
          "ieee_floating_point_ops": lambda s: exp.Boolean(this=s.ieee_floating_point_ops),
          "order_by_non_integer_literal": lambda s: exp.Boolean(this=s.order_by_non_integer_literal)}


def fold_current_settings(ast: exp.Expression, settings) -> None:
    """Replace each CURRENT_SETTING('name') of a setting in _SHOWN by its value under ``settings``."""
    for call in list(ast.find_all(exp.Anonymous)):
        if call.name.lower() != "current_setting" or len(call.expressions) != 1:
            continue
        arg = call.expressions[0]
        if isinstance(arg, exp.Literal) and arg.is_string and arg.this.lower() in _SHOWN:
            call.replace(_SHOWN[arg.this.lower()](settings))
