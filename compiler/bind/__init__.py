"""Binding, by concept: the rules ExprBinder (compiler/bind_expr.py) and QueryBinder
(compiler/binder.py) are composed of, one module per family of SQL constructs."""
