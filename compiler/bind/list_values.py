"""List values in expressions: [a, b] / ARRAY[…], list_sort, lambdas (list_transform, list_filter),
array_slice, and UNNEST where it is not allowed; compiler/lists.py binds them.

Laws: a list is a value (NULL in, NULL out for the functions over it); UNNEST is a FROM item or one
SELECT-list item (compiler/frontend.py), anywhere else a CompileError.
"""

from __future__ import annotations

from .. import lists


class ListRules:
    """ExprBinder methods for the constructs above (mixed into ExprBinder)."""

    def _Array(self, node):
        return lists.array(self, node)

    def _ArraySort(self, node):
        return lists.sort(self, node)

    def _Transform(self, node):  # list_transform(xs, lambda x: …)
        return lists.lambda_call(self.qb, self, node, "list_transform", node.this, node.expression)

    def _ArrayFilter(self, node):  # list_filter(xs, lambda x: …)
        return lists.lambda_call(self.qb, self, node, "list_filter", node.this, node.expression)

    def _ArraySlice(self, node):  # array_slice(xs, a, b[, step])
        if node.args.get("is_length"):
            raise self.error(node, "ARRAY_SLICE with a length is not supported")
        return lists.slice_function(self, node, node.this, *self.required(node, "ARRAY_SLICE", "start", "end"),
                                    node.args.get("step"))

    def _Explode(self, node):  # what frontend._unnest_in_select_list left in place
        raise self.error(node, "UNNEST is supported in FROM, and in a SELECT list without GROUP BY, aggregates or "
                               "window functions, not in a lambda, a conditional (CASE, COALESCE, …) or another UNNEST")
