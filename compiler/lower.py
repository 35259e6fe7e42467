"""Lowering: the logical plan -> runtime operators.  This is where incrementalization happens.

By the chain rule, (Q1 ∘ Q2)^Δ = Q1^Δ ∘ Q2^Δ, so each plan node becomes its own incremental form:
filters and projections are linear (their own increments) and are fused into one generated batch
function; UNION ALL is Plus; a join becomes two arrangements and the bilinear join kernel (with
the residual condition and output projection inlined); DISTINCT, aggregation, set differences and
top-k become their incremental operators, which keep the integrated state they need.  Outer joins
are an inner join plus the NULL-padded anti-join of the preserved side.

A Fixpoint group becomes a nested Scope: the subplans that do not read the group are lowered in the
enclosing circuit and imported (δ0); inside, a RecRef is a feedback edge (z⁻¹), joins and DISTINCT
use their nested, time-aware forms, and each member's result is exported (∫).

Operators whose integrated output is known (table inputs, view outputs, arrangements) are shared:
a later view that needs the same arrangement of the same subplan reads the existing one.

Before every stateful operator that works key by key sits an Exchange by that key (join and
semi-join sides by the join key, aggregates by the group key, distinct and set operations by the
whole row, top-k and windows by partition; no key: a gather to one worker), inside fixpoints too.
One worker runs it as the identity; sharded workers move rows to the key's owner there
(runtime/operators/exchange.py, engine/shards).  The circuit is the same for every backend.

Given the plan's waterlines (compiler/waterlines.py) and the tables' Watermark operators, stateful
operators get expiries (runtime/expiry.py): what they may drop once the watermarks have passed it.
A join whose arrangements expire keeps them to itself.
"""

from __future__ import annotations

import functools

from ..runtime.nested import Import, NestedDistinct, NestedJoin, Scope, Select
from ..runtime.nested.shared_trace import Sharing
from ..runtime.operators import (Aggregate, Arrange, Distinct, FlatMap, Join, Lifted, Negate, Plus, Semijoin, SetOp,
                                 TopK)
from ..runtime.operators.aggregate import JoinFold
from ..runtime.operators.asof import AsofJoin
from ..runtime.operators.constant import Constant
from ..runtime.operators.exchange import Combine, Exchange
from ..runtime.operators.session import Session, SessionAggregate
from ..runtime.operators.temporal import TemporalFilter
from ..runtime.operators.window import Window
from ..runtime.expiry import AnyExpiry, Expiry
from ..runtime import windows as W
from ..sqllib.fill import fill_partition

from . import aggregates as AG
from . import codegen as G
from . import nested_judge as NJ
from . import plan as P
from . import temporal as TM
from . import waterlines as WL
from .keyed_lowering import lower_keyed
from .routing import cut_function, route_function, table_key
from .errors import CompileError
from .expr import Call, Col, Expr, Lit, columns_used, remap, render, substitute


class Lowering:
    """Lowers plans into ``circuit``.  ``sources`` maps a Scan's name to the operator that produces
    that table's (or view's) changes; ``shared`` is the cross-view arrangement registry."""

    def __init__(self, circuit, codegen: G.Codegen, sources, shared: dict | None = None, label: str = "",
                 waterlines: WL.Waterlines | None = None, watermarks=None, clock=None, primary_key=None):
        self.clock = clock  # () -> the Clock operator temporal filters read
        self.primary_key = primary_key  # table name -> its PRIMARY KEY's column indexes (or None)
        self.lines = waterlines  # bounds of every plan node's columns, or None (nothing expires)
        self.watermarks = watermarks  # table name -> its Watermark operator
        self.root = circuit
        self.cg = codegen
        self.sources = sources
        self.shared = shared if shared is not None else {}
        self.label = label
        self.memo: dict = {}  # (id(circuit), plan) -> operator
        self.created: list = []  # root-level operators created by this lowering, in order
        self.circuit = circuit  # the circuit currently being built (root or a scope body)
        self.nested = False
        self.local = False  # inside a USING KEY recursion's step: no exchanges, no shared arrangements
        self.groups: dict = {}  # group key -> [Select ops]
        self.available: frozenset = frozenset()  # recursive groups whose feedback the current circuit sees
        self.exchanges: dict = {}  # (id(op), key) -> the Exchange of op's rows by that key
        self.scanned: dict = {}  # id(op) -> op, the operators that Scans read (tables', views' changes)
        self.chains: dict = {}  # id(op) -> (op, its input, its steps): a filter/project over a Scan's rows
        self.kept_sides: dict = {}  # a Join plan node -> its (left, right) arrangements (KEPT bounds read them)

    # -- plumbing -------------------------------------------------------------------------------
    def add(self, op, name: str = ""):
        if self.label:
            op.label = f"{name or type(op).__name__.lower()} in {self.label}"
        self.circuit.add(op)
        if self.circuit is self.root:
            self.created.append(op)
        return op

    def lower(self, plan):
        key = (id(self.circuit), plan)
        op = self.memo.get(key)
        if op is None:
            op = self._lower(plan)
            self.memo[key] = op
        return op

    def _lower(self, node):
        method = getattr(self, "_" + type(node).__name__)
        return method(node)

    def exchange(self, op, keys=None, null_safe=None, name: str = ""):
        """``op``'s rows moved to the worker owning ``keys`` (expressions over its rows; None: all
        to one worker).  A key that is NULL where ``null_safe`` is False never matches: such a row
        stays where it is."""
        if self.local:
            return op
        drop = tuple(not s for s in null_safe) if null_safe is not None else None
        memo = (id(op), keys, drop)
        ex = self.exchanges.get(memo)
        if ex is None or ex.circuit is not self.circuit:
            route = route_function(self.cg, keys, drop) if keys else None
            name = name or _exchange_name(keys)
            ex = self.exchanges[memo] = self.add(Exchange(op, route, name), "exchange")
            if keys:
                ex.cut_reads, ex.cut_rows = self._cut(op, keys)
        return ex

    def _cut(self, op, keys, as_tuple: bool = False) -> tuple:
        """(the operator whose rows an exchange of ``op``'s rows by ``keys`` can be done on before
        they reach it, a function cutting those rows by the exchange's owners), or (None, None): when
        ``op`` reads a Scan's rows, directly or through filters and projections, and the key is
        columns of those rows (routing.table_key): a sharded coordinator cuts a table's batch with it,
        and the exchange moves none of its rows (engine/shards/staging.py).  ``as_tuple``: the
        exchange is a Combine whose groups are keyed by tuples (routing.cut_function)."""
        source, steps = (op, ()) if id(op) in self.scanned else self.chains.get(id(op), (None, None, None))[1:]
        if source is None:
            return None, None
        columns = table_key(keys, steps)
        if columns is None:
            return None, None
        return source, cut_function(self.cg, columns, as_tuple)

    def exchange_rows(self, op, fields):
        """``op``'s rows moved to the worker owning each whole row (for distinct, set operations)."""
        return self.exchange(op, tuple(P.col(fields, i) for i in range(len(fields))), None, "by row")

    # -- leaves ---------------------------------------------------------------------------------
    def _Scan(self, node):
        op = self.sources(node.table)
        if op is None:
            raise CompileError(f"unknown table {node.table!r}")
        self.scanned[id(op)] = op
        return op

    def _Values(self, node):
        delta = {}
        for row in node.rows:
            delta[row] = delta.get(row, 0) + 1
        return self.add(Constant(delta), "values")

    def _RecRef(self, node):
        raise AssertionError("RecRef outside of its fixpoint")

    # -- linear chains --------------------------------------------------------------------------
    def _chain(self, node):
        """Collect a maximal chain of Filter/Project above one child: (child, steps bottom-up)."""
        steps = []
        while isinstance(node, (P.Filter, P.Project)) and not _temporal(node):
            if isinstance(node, P.Filter):
                steps.append(("filter", node.predicate))
            else:
                steps.append(("project", node.exprs))
            node = node.input
        steps.reverse()
        return node, steps

    def _Filter(self, node):
        if _temporal(node):
            return self._temporal_filter(node)
        return self._linear(node)

    def _temporal_filter(self, node):
        """A filter reading the clock: its other conjuncts first, then one TemporalFilter per enter
        and leave pair of its temporal conjuncts (compiler/temporal.py)."""
        if self.nested or self.local:
            raise CompileError("NOW() inside a recursive CTE is not supported")
        plain, timed = TM.split(node.predicate)
        if None in timed:
            raise CompileError(TM.MISPLACED)
        op = self.lower(P.Filter(node.input, _and_all(plain)) if plain else node.input)
        names = [f.name for f in node.fields]
        enters = [b for b in timed if b.enters]
        leaves = [b for b in timed if not b.enters]
        while enters or leaves:
            pair = (enters.pop(0) if enters else None, leaves.pop(0) if leaves else None)
            parts, texts = [], []
            for b in pair:
                if b is None:
                    parts.append(None)
                    continue
                value = G.row_function(self.cg, (b.value,), "temporal_value")
                threshold = G.row_function(self.cg, (b.threshold,), "temporal_threshold")
                parts.append((lambda r, f=value: f(r)[0], lambda now, f=threshold: f((now,))[0], b.strict))
                op_text = ("<" if b.enters else ">") + ("" if b.strict else "=")
                texts.append(f"{WL.pretty(b.value, names)} {op_text} {WL.pretty(b.threshold, ['NOW()'])}")
            op = self.add(TemporalFilter(op, self.clock(), parts[0], parts[1], " AND ".join(texts)),
                          "temporal filter")
        return op

    def _Project(self, node):
        return self._linear(node)

    def _Unnest(self, node):
        """A flat-map: each row once per element of its list (plan.Unnest)."""
        src = self.lower(node.input)
        name = self.cg.fresh_name("unnest")
        if node.ordinality is None:
            keep, each = ("[r + (None,)]" if node.outer else "[]"), "[r + (x,) for x in v]"
        else:  # WITH ORDINALITY: the position from 1 beside each element
            keep, each = ("[r + (None, None)]" if node.outer else "[]"), "[r + (x, i) for i, x in enumerate(v, 1)]"
        code = (f"def {name}(r):\n    v = {self.cg.value(node.expr, G.row_col('r'))}\n"
                f"    return {each} if v else {keep}")
        what = f"unnest {render(node.expr, [f.name for f in node.input.fields])}"
        return self.add(FlatMap(src, self.cg.compile(code, name), what), "unnest")

    def _linear(self, node):
        child, steps = self._chain(node)
        output = None
        if isinstance(child, P.Join) and child.kind == "inner":
            residual, output, rest = _fold_into_join(steps)
            op = self._inner_join(child, residual, output)
            if not rest:
                return op
        else:
            op = self.lower(child)
            rest = steps
        rest = _without_identity_projections(rest, len(child.fields) if not isinstance(child, P.Join) or
                                             output is None else len(output))
        if not rest:
            return op
        lifted = self.add(Lifted(op, G.batch_function(self.cg, rest, "linear")), "filter/project")
        if id(op) in self.scanned:
            self.chains[id(lifted)] = (lifted, op, rest)
        return lifted

    # -- joins ----------------------------------------------------------------------------------
    def arrange(self, plan, keys, null_safe, private: bool = False):
        """The shared arrangement of ``plan`` by ``keys`` (root level only); ``private``: one of its
        own (its reader drops rows from it)."""
        shared_key = ("arrange", plan, tuple(keys), tuple(null_safe))
        private = private or self.local
        op = self.shared.get(shared_key) if not private else None
        if op is not None and op.circuit is self.root:
            return op
        src = self.exchange(self.lower(plan), tuple(keys), tuple(null_safe))
        # one key column that is not null-safe: keyed by the value itself, not a 1-tuple (cheaper to
        # make and to hash); both sides of a join have as many key columns and the same null_safe,
        # and a private side (whose expiries read key parts) keeps tuples, as the other side does
        scalar = len(keys) == 1 and not null_safe[0] and not private
        unique = not private and self._unique(plan, keys)
        rows = not private and not unique and self._rows_once(plan)
        key_fn = G.key_function(self.cg, keys, null_safe, "arrange_key", scalar=scalar)
        fused = G.arrange_function(self.cg, keys, null_safe, scalar=scalar, unique=unique, rows=rows)
        op = self.add(Arrange(src, key_fn, fused=fused, unique=unique, rows=rows), "")
        op.keys = (tuple(keys), tuple(null_safe), scalar)  # (for an aggregate folding its join: _join_fold)
        if not private:
            self.shared[shared_key] = op
        return op

    def _unique(self, plan, keys) -> bool:
        """Whether ``plan`` holds at most one row per value of ``keys``: a base table's rows (through
        filters) keyed by columns that include its whole PRIMARY KEY."""
        pk = self._table_key(plan)
        return bool(pk) and set(pk) <= {k.index for k in keys if isinstance(k, Col)}

    def _rows_once(self, plan) -> bool:
        """Whether ``plan`` holds every row at most once, with weight 1: a base table's rows (through
        filters) when it has a PRIMARY KEY (its arrangement's buckets take the ``rows`` form)."""
        return bool(self._table_key(plan))

    def _table_key(self, plan):
        """The PRIMARY KEY columns of the base table whose rows ``plan`` is (through filters), or None."""
        while isinstance(plan, P.Filter):
            plan = plan.input
        if not isinstance(plan, P.Scan) or plan.is_view or self.primary_key is None:
            return None
        return self.primary_key(plan.table)

    def _Join(self, node):
        if node.kind == "inner":
            return self._inner_join(node, None, None)
        if node.kind == "right":
            flipped = _flip(node)
            return self.lower(flipped)
        inner = self._inner_join(node, None, None)
        nl, nr = len(node.left.fields), len(node.right.fields)
        parts = [inner]
        parts.append(self._padded_unmatched(node, inner, "left", nl, nr))
        if node.kind == "full":
            parts.append(self._padded_unmatched(node, inner, "right", nl, nr))
        return self.add(Plus(*parts), f"{node.kind} join")

    def _padded_unmatched(self, node, inner_op, side, nl, nr):
        """Rows of one side with no partner, NULL-padded on the other side."""
        if side == "left":
            plan, other, keys, okeys = node.left, node.right, node.left_keys, node.right_keys
        else:
            plan, other, keys, okeys = node.right, node.left, node.right_keys, node.left_keys
        if node.residual is None:
            anti = self.semijoin(plan, other, keys, okeys, node.null_safe, "anti")
        else:
            # with a residual condition, "has a partner" is: appears among the matched pairs
            width = nl if side == "left" else nr
            offset = 0 if side == "left" else nl
            fields = P.Join(node.left, node.right, "inner", (), (), ()).fields
            exprs = tuple(P.col(fields, offset + i) for i in range(width))
            matched = self.add(Lifted(inner_op, G.batch_function(self.cg, [("project", exprs)], "matched")),
                               "matched rows")
            own = tuple(P.col(plan.fields, i) for i in range(width))
            matched = self.exchange(matched, own, None, "by row")
            matched = self.add(Distinct(matched) if not self.nested else NestedDistinct(matched), "matched")
            anti = self._semijoin_ops(self.lower(plan), matched, own, own, (True,) * width, "anti")
        pad = tuple(Lit(None, f.type) for f in (other.fields))
        own_cols = tuple(P.col(plan.fields, i) for i in range(len(plan.fields)))
        exprs = own_cols + pad if side == "left" else pad + own_cols
        return self.add(Lifted(anti, G.batch_function(self.cg, [("project", exprs)], "pad")), "pad")

    def _inner_join(self, node, residual, output):
        res = node.residual
        if residual is not None:
            res = residual if res is None else _and(res, residual)
        nl = len(node.left.fields)
        if self.nested:
            left, right = self.lower(node.left), self.lower(node.right)
            # in a scope of the root circuit an imported side changes only at iteration 0 (NestedJoin.static)
            root_scope = self.circuit.scope.circuit.scope is None
            static = (root_scope and isinstance(left, Import), root_scope and isinstance(right, Import))
            left = self.exchange(left, tuple(node.left_keys), tuple(node.null_safe))
            right = self.exchange(right, tuple(node.right_keys), tuple(node.null_safe))
            scalar = len(node.left_keys) == 1 and not node.null_safe[0]  # a key of one value, not a 1-tuple
            lk = G.key_function(self.cg, node.left_keys, node.null_safe, "join_key", scalar)
            rk = G.key_function(self.cg, node.right_keys, node.null_safe, "join_key", scalar)
            combine = G.combine_function(self.cg, nl, res, output)
            probes = tuple(G.nested_probe(self.cg, side, keys, node.null_safe, nl, res, output,
                                          (static[side], static[1 - side]), scalar)
                           for side, keys in enumerate((node.left_keys, node.right_keys)))
            join = self.add(NestedJoin(left, right, lk, rk, combine, probes=probes, static=static), "join")
            if root_scope and static[0] != static[1]:  # what _share_traces needs if the other side is a feedback
                join.share_args = ((node.left_keys, node.right_keys), node.null_safe, nl, res, output, scalar,
                                   (lk, rk), 1 if static[0] else 0)
            return join
        expiries = self.join_expiries(node)
        private = expiries is not None
        # a side that only picks columns of stored rows is arranged unprojected (see _stored_rows)
        left, lkeys, lpick = _stored_rows(node.left, node.left_keys, private)
        right, rkeys, rpick = _stored_rows(node.right, node.right_keys, private)
        a = self.arrange(left, lkeys, node.null_safe, private=private)
        b = self.arrange(right, rkeys, node.null_safe, private=private)
        if output is None and (lpick is not None or rpick is not None):
            fields = node.fields
            output = tuple(P.col(fields, i) for i in range(len(fields)))
        kernel = G.join_kernel(self.cg, nl, res, output, picks=(lpick, rpick), forms=(a.form, b.form))
        op = Join(a, b, kernel=kernel)
        op.expiries = expiries
        if res is None and expiries is None:  # what an aggregate after it may fold directly (_join_fold)
            op.shape = (nl, output, (lpick, rpick), (a.form, b.form))
        self.kept_sides[node] = ((a, lpick), (b, rpick))
        return self.add(op, "join")

    def _AsofJoin(self, node):
        if self.nested:
            raise CompileError("an ASOF JOIN inside a recursive CTE must not read the recursion")
        nr = len(node.right.fields)
        left = self.exchange(self.lower(node.left), tuple(node.left_keys) or None, tuple(node.null_safe))
        right = self.exchange(self.lower(node.right), tuple(node.right_keys) or None, tuple(node.null_safe))
        lk = G.key_function(self.cg, node.left_keys, node.null_safe, "asof_key")
        rk = G.key_function(self.cg, node.right_keys, node.null_safe, "asof_key")
        lt = G.row_function(self.cg, (node.left_time,), "asof_time")
        rt = G.row_function(self.cg, (node.right_time,), "asof_time")
        op = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}[node.op]
        pad = (None,) * nr
        join = AsofJoin(left, right, lk, rk, lambda r: lt(r)[0], lambda r: rt(r)[0], _rank, op,
                        node.kind == "left", lambda a, b: a + b, lambda a: a + pad)
        if self.lines is not None and op in (">=", ">"):
            lb = WL.expr_bound(node.left_time, self.lines.of(node.left))
            rb = WL.expr_bound(node.right_time, self.lines.of(node.right))
            if _moves(lb) and _moves(rb):
                bounds = (self.bound_function(lb), self.bound_function(rb))
                if None not in bounds:
                    join.bounds = bounds
        return self.add(join, "asof join")

    # -- semi-joins -----------------------------------------------------------------------------
    def _Semijoin(self, node):
        return self.semijoin(node.left, node.right, node.left_keys, node.right_keys, node.null_safe, node.mode)

    def semijoin(self, left, right, lkeys, rkeys, null_safe, mode):
        op = self._semijoin_ops(self.lower(left), self.lower(right), lkeys, rkeys, null_safe, mode)
        if isinstance(op, Semijoin) and self.lines is not None:
            lb, rb = self.lines.of(left), self.lines.of(right)
            drops_left = [e for e in (
                self.expiry(b, _key_part(j), f"left keys with part {j} < {WL.bound_text(b)}", True)
                for j, b in enumerate(WL.expr_bound(k, rb) for k in rkeys) if _moves(b)) if e is not None]
            drops_counts = [e for e in (
                self.expiry(b, _key_part_of_key(j), f"right keys with part {j} < {WL.bound_text(b)}")
                for j, b in enumerate(WL.expr_bound(k, lb) for k in lkeys) if _moves(b)) if e is not None]
            if drops_left or drops_counts:
                op.expiries = (drops_left, drops_counts)
        return op

    def _semijoin_ops(self, left_op, right_op, lkeys, rkeys, null_safe, mode):
        lk = G.key_function(self.cg, lkeys, null_safe, "semi_key")
        rk = G.key_function(self.cg, rkeys, null_safe, "semi_key")
        lkeys, rkeys, null_safe = tuple(lkeys), tuple(rkeys), tuple(null_safe)
        if not self.nested:
            left_op = self.exchange(left_op, lkeys, null_safe)
            right_op = self.exchange(right_op, rkeys, null_safe)
            return self.add(Semijoin(left_op, right_op, lk, rk, mode), f"{mode}-join")
        # nested: a ⋉ b = π_a(a ⋈ distinct(keys of b)); a ▷ b = a - a ⋉ b
        keys = self.add(Lifted(right_op, _key_batch(rk)), "semi keys")
        # the key rows move by their whole row, which hashes as the key does: the join's right side
        # is then where the left side's keys go
        keys = self.exchange(keys, tuple(Col(i, k.type, k.nullable) for i, k in enumerate(rkeys)), None, "by row")
        keys = self.add(NestedDistinct(keys), "semi keys")
        moved = self.exchange(left_op, lkeys, null_safe)
        matched = self.add(NestedJoin(moved, keys, lk, _identity, _left_only), "semi-join")
        if mode == "semi":
            return matched
        unmatched = self.add(Plus(left_op, self.add(Negate(matched), "")), "anti-join")
        if mode == "anti":
            return unmatched
        yes = self.add(Lifted(matched, _append_batch(True)), "mark")
        no = self.add(Lifted(unmatched, _append_batch(False)), "mark")
        return self.add(Plus(yes, no), "mark-join")

    # -- non-linear operators -------------------------------------------------------------------
    def _Distinct(self, node):
        src = self.exchange_rows(self.lower(node.input), node.input.fields)
        if self.nested:
            return self.add(NestedDistinct(src), "distinct")
        op = Distinct(src)
        if self.lines is not None:
            bounds = self.lines.of(node.input)
            c = next((i for i, b in enumerate(bounds) if _moves(b)), None)
            if c is not None:
                name = node.fields[c].name
                op.expiry = self.expiry(bounds[c], lambda row, c=c: row[c],
                                        f"rows with {name} < {WL.bound_text(bounds[c])}")
        return self.add(op, "distinct")

    def _UnionAll(self, node):
        return self.add(Plus(*[self.lower(p) for p in node.parts]), "union all")

    def _SetOp(self, node):
        if self.nested:
            if node.kind not in ("except", "intersect"):
                raise CompileError(f"{node.kind.upper().replace('_', ' ')} inside a recursive CTE is not supported")
            width = len(node.left.fields)
            own = tuple(P.col(node.left.fields, i) for i in range(width))
            left = self.add(NestedDistinct(self.exchange_rows(self.lower(node.left), node.left.fields)), "distinct")
            mode = "anti" if node.kind == "except" else "semi"
            return self._semijoin_ops(left, self.lower(node.right), own, own, (True,) * width, mode)
        left = self.exchange_rows(self.lower(node.left), node.left.fields)
        right = self.exchange_rows(self.lower(node.right), node.right.fields)
        return self.add(SetOp(left, right, node.kind), node.kind)

    def _Session(self, node):
        if self.nested:
            raise CompileError("SESSION windows inside a recursive CTE must not read the recursion")
        src = self.exchange(self.lower(node.input), tuple(node.partition) or None)
        part, time, end = self._session_functions(node)
        op = Session(src, part, time, end)
        op.expiry = self._session_expiry(node)
        return self.add(op, "session")

    def _session_functions(self, node):
        part = G.row_function(self.cg, node.partition, "partition") if node.partition else _unit_key
        time = G.row_function(self.cg, (node.time,), "session_time")
        end = G.row_function(self.cg, (node.end,), "session_end")
        return part, lambda r, f=time: f(r)[0], lambda t, f=end: f((t,))[0]

    def _session_expiry(self, node):
        """Sessions ending below the bound of the time column are closed (a later row at t only
        reaches sessions ending at or after t)."""
        if self.lines is None:
            return None
        b = WL.expr_bound(node.time, self.lines.of(node.input))
        if not _moves(b):
            return None
        return self.expiry(b, lambda entry: entry[2], f"sessions ending before {WL.bound_text(b)}")

    def _session_aggregate(self, node):
        """GROUP BY a session's partition columns and bounds, directly over a Session: one fused
        operator (runtime/operators/session.py), or None when the aggregate is not of that shape."""
        session, columns = node.input, None
        if isinstance(session, P.Project) and all(isinstance(e, Col) for e in session.exprs):
            columns = [e.index for e in session.exprs]
            session = session.input
        if not isinstance(session, P.Session) or self.nested:
            return None
        width = len(session.input.fields)
        col = (lambda i: columns[i]) if columns is not None else (lambda i: i)
        plan = []
        for k in node.keys:
            if not isinstance(k, Col):
                return None
            i = col(k.index)
            if i == width:
                plan.append(("start",))
            elif i == width + 1:
                plan.append(("end",))
            elif Col(i, k.type) in [Col(p.index, p.type) for p in session.partition if isinstance(p, Col)]:
                plan.append(("part", [p.index if isinstance(p, Col) else None for p in session.partition].index(i)))
            else:
                return None
        parts = {p[1] for p in plan if p[0] == "part"}
        if len(parts) != len(session.partition) or not any(p[0] in ("start", "end") for p in plan):
            return None
        aggs = []
        for a in node.aggs:  # arguments over the session's input rows
            exprs = [e for e in (a.arg, a.filter) + tuple(o[0] for o in a.order) if e is not None]
            used = set()
            for e in exprs:
                used |= columns_used(e)
            if any(col(i) >= width for i in used):
                return None
            aggs.append(_remap_agg(a, col) if columns is not None else a)
        src = self.exchange(self.lower(session.input), tuple(session.partition) or None)
        part, time, end = self._session_functions(session)
        functions = [self.aggregate_function(a) for a in aggs]
        reducer = G.compiled_reducer(self.cg, session.partition, tuple(aggs), functions, self.argument_code)
        op = SessionAggregate(src, part, time, end, reducer, plan)
        op.expiry = self._session_expiry(session)
        return self.add(op, "session aggregate")

    def _Aggregate(self, node):
        if self.nested:
            raise CompileError("aggregation inside a recursive CTE must not read the recursion")
        fused = self._session_aggregate(node)
        if fused is not None:
            return fused
        src = joined = self.lower(node.input)
        functions = [self.aggregate_function(a) for a in node.aggs]
        expiry = self.partition_expiry(node.keys, node.input, node.names, "groups")
        # one key column (and no expiry, which reads key tuples): groups keyed by the value itself
        scalar = len(node.keys) == 1 and expiry is None
        reducer = G.compiled_reducer(self.cg, node.keys, node.aggs, functions, self.argument_code, scalar)
        combinable = all(getattr(f, "combinable", False) for f in functions)
        if not self.local and combinable:  # partials cross, not rows
            src = self.add(Combine(src, reducer, bool(node.keys), _exchange_name(node.keys)), "exchange")
            if node.keys:  # (the groups are keyed by the value itself where scalar, else by tuples)
                src.cut_reads, src.cut_rows = self._cut(joined, tuple(node.keys), not scalar)
        else:
            src = self.exchange(src, tuple(node.keys) or None)
        # the generated reducer computes the group key itself: no key function to call
        op = Aggregate(src, None, reducer, global_=not node.keys)
        op.expiry, op.scalar_key = expiry, scalar
        if combinable:
            op.join_fold = self._join_fold(joined, reducer)
        return self.add(op, "aggregate")

    def _join_fold(self, joined, reducer) -> JoinFold | None:
        """The join under an aggregate folded straight into its groups (codegen.join_fold), for an
        inner join without a residual condition or expiries whose output columns are column reads,
        under aggregate functions that add up; the Aggregate uses it where the join's output has no
        other reader and the exchanges between them are the identity (Aggregate.fusion)."""
        shape = getattr(joined, "shape", None)
        if not isinstance(joined, Join) or shape is None or reducer.fold_parts is None:
            return None
        n_left, output, picks, forms = shape
        made = G.join_fold(self.cg, n_left, output, picks, forms, reducer.fold_parts,
                           tuple(side.keys for side in joined.inputs))
        return JoinFold(joined, *made) if made is not None else None

    # -- expiries -------------------------------------------------------------------------------
    def bound_function(self, bound):
        """() -> the current value of a bound (None while a watermark it reads has none), or None
        when it reads what another view's join keeps (not at hand here)."""
        alternatives = []
        for e in bound:
            found = WL.leaves((e,))
            sources = []
            for x in found:
                if x.fn == WL.KEPT:
                    arranged = self.kept_sides.get(x.extra[0])
                    if arranged is None:
                        return None
                    side, pick = arranged[x.extra[1]]
                    c = x.extra[2] if pick is None else pick[x.extra[2]]
                    sources.append((_least_kept, (side.arrangement, c)))
                else:
                    sources.append((_watermark_value, (self.watermarks(x.extra[0]), x.extra[1])))
            f = G.row_function(self.cg, (WL.with_leaves_as_columns(e, found),), "bound")
            alternatives.append((f, sources))

        def current():
            out = []
            for f, sources in alternatives:
                values = []
                for get, args in sources:
                    v = get(*args)
                    if v is None:
                        return None  # a watermark with no value yet: no bound
                    values.append(v)
                if _NOTHING_KEPT in values:
                    continue  # no row kept: nothing comes that way
                try:
                    v = f(tuple(values))[0]
                except Exception:  # an overflow near the end of a type's range: no bound
                    return None
                if v is None:
                    return None
                out.append(v)
            return min(out) if out else None
        return current

    def expiry(self, bound, value, text: str, keyed: bool = False) -> Expiry | None:
        """An Expiry dropping the entries whose ``value`` is below ``bound``, or None if the bound
        cannot be read here."""
        current = self.bound_function(bound)
        if current is None:
            return None

        def safe(entry, value=value):
            try:
                return value(entry)
            except Exception:
                return None
        return Expiry(current, safe, text, keyed)

    def partition_expiry(self, keys, input_plan, names, what: str):
        """An expiry over key tuples of ``keys`` (group keys, partitions), or None: a key is due once
        one of its bounded columns is below its bound."""
        if self.lines is None or self.nested or not keys:
            return None
        found = []
        for i, b in WL.key_expiries(keys, self.lines.of(input_plan)):
            name = names[i] if i < len(names) else f"key {i}"
            found.append(self.expiry(b, lambda k, i=i: k[i], f"{what} with {name} < {WL.bound_text(b)}"))
        found = [e for e in found if e is not None]
        if len(found) > 1:
            return AnyExpiry(found)
        return found[0] if found else None

    def join_expiries(self, node):
        """(left Expiries, right Expiries) of an inner join's arrangements, or None."""
        if self.lines is None or self.nested:
            return None
        sides = []
        for side, (key_rules, row_rules) in zip(("left", "right"), WL.join_expiries(node, self.lines)):
            plan = node.left if side == "left" else node.right
            names = [f.name for f in plan.fields]
            found = [self.expiry(b, _key_part(j), f"keys with part {j} < {WL.bound_text(b)}", True)
                     for j, b in key_rules]
            for e, b in row_rules:
                f = G.row_function(self.cg, (e,), "expire_value")
                found.append(self.expiry(b, lambda entry, f=f: f(entry[1])[0],
                                         f"rows with {WL.pretty(e, names)} < {WL.bound_text(b)}"))
            sides.append([e for e in found if e is not None])
        return tuple(sides) if any(sides) else None

    def aggregate_function(self, a: P.AggCall):
        """The runtime aggregate maintaining ``a``: its entry's state (compiler/aggregates.py)."""
        return AG.runtime_function(a, self.cg.dialect.decimal_overflow)

    def extractor(self, a: P.AggCall):
        """A function row -> the aggregate's argument value (or SKIP when FILTER rejects the row)."""
        name = self.cg.fresh_name("agg_arg")
        return self.cg.compile(f"def {name}(r):\n    return {self.argument_code(a)}", name)

    def argument_code(self, a: P.AggCall) -> str:
        """The Python expression of an aggregate's argument over row ``r``."""
        cg = self.cg
        col = G.row_col("r")
        if a.fn == "export_state":  # what the aggregate whose state it is would be fed (FILTER included)
            return self.argument_code(a.type.agg)
        if a.fn == "count_star":
            value = "1"
        elif isinstance(a.arg, Call) and a.arg.fn == "pair":  # two arguments: a tuple of both
            value = f"({cg.value(a.arg.args[0], col)}, {cg.value(a.arg.args[1], col)})"
        elif a.fn == "string_agg":
            text = cg.value(a.arg, col)
            if a.order:
                value = f"({_order_key_code(cg, col, a.order)}, {text})"
            else:
                t = cg.tmp()
                value = f"(({t} := {text}), {t})"
        elif a.fn in ("first", "last", "mode", "list"):  # FIRST(x ORDER BY k), LIST(…): (k's order key, x)
            value = f"({_order_key_code(cg, col, a.order)}, {cg.value(a.arg, col)})"
        else:
            value = cg.value(a.arg, col)
        if a.filter is not None:
            keep = cg.truth(a.filter, col)
            if cg.dialect.filter_after_arguments and not G.cannot_fail(value):
                value = f"({value}, _SKIP)[not {keep}]"  # the argument computed (and failing) for every row
            else:
                value = f"({value} if {keep} else _SKIP)"
        return value

    def _TopK(self, node):
        if self.nested:
            raise CompileError("ORDER BY … LIMIT inside a recursive CTE must not read the recursion")
        # (computed bounds: the rows and the bounds on one worker, whatever the partition)
        src = self.exchange(self.lower(node.input), (tuple(node.partition) or None) if node.bounds is None else None)
        bounds = self.exchange(self.lower(node.bounds), None) if node.bounds is not None else None
        part = G.row_function(self.cg, node.partition, "partition") if node.partition else _unit_key
        order = G.sort_key_function(self.cg, node.order)
        peer = G.row_function(self.cg, tuple(k.expr for k in node.order), "peers") if node.ties else None
        op = TopK(src, part, order, node.limit, node.offset, peer_fn=peer, ties=node.ties, percent=node.percent,
                  bounds=bounds)
        op.expiry = self.partition_expiry(node.partition, node.input, _names(node.partition, node.input), "partitions")
        return self.add(op, "top-k")

    def _Window(self, node):
        if self.nested:
            raise CompileError("a window function inside a recursive CTE must not read the recursion")
        src = self.exchange(self.lower(node.input), tuple(node.partition) or None)
        part = G.row_function(self.cg, node.partition, "partition") if node.partition else _unit_key
        order = G.sort_key_function(self.cg, node.order)
        peer = G.row_function(self.cg, tuple(k.expr for k in node.order), "peers") if node.order else _unit_key
        functions = [self.window_function(c) for c in node.calls]
        op = Window(src, part, order, peer, functions)
        op.expiry = self.partition_expiry(node.partition, node.input, _names(node.partition, node.input), "partitions")
        return self.add(op, "window")

    def window_function(self, c: P.WinCall):
        exclude = None
        if c.frame and c.frame[0] == "exclude":  # ("exclude", what, frame): the frame's EXCLUDE clause
            _, exclude, frame = c.frame
            frame = self.window_frame(frame)
        else:
            frame = self.window_frame(c.frame) if c.frame else W.DEFAULT_FRAME
        simple = {"row_number": W.RowNumber, "rank": W.Rank, "dense_rank": W.DenseRank,
                  "percent_rank": W.PercentRank, "cume_dist": W.CumeDist}
        if c.fn in simple:
            return simple[c.fn]()
        if c.fn == "ntile":
            return W.Ntile(c.extra)
        if c.fn in ("framed_rank", "framed_percent_rank"):  # the frame's rows ordered by the argument's keys
            key = G.sort_key_function(self.cg, c.extra, "rank_key")
            return W.FramedRank(lambda r, f=key: f(r)[:-1], frame, c.fn == "framed_percent_rank")
        if c.fn in ("lag", "lag_ignore_nulls"):
            x, default = (G.row_function(self.cg, (a,), "window_arg") for a in c.args)
            return W.Shift(lambda r, f=x: f(r)[0], c.extra, lambda r, f=default: f(r)[0],
                           c.fn == "lag_ignore_nulls")
        if c.fn in ("frame_value", "frame_value_ignore_nulls"):
            x = G.row_function(self.cg, c.args, "window_arg")
            which, nth = c.extra
            if isinstance(nth, Expr):  # NTH_VALUE(x, k) with k read from the row
                k = G.row_function(self.cg, (nth,), "window_arg")
                nth = lambda r, f=k: f(r)[0]  # noqa: E731
            return W.FrameValue(lambda r, f=x: f(r)[0], which, frame, nth, exclude,
                                c.fn == "frame_value_ignore_nulls")
        if c.fn == "fill":  # FILL(x ORDER BY k): extra is (k's SortKey, x's kind, k's kind, x's bits)
            x, key = (G.row_function(self.cg, (a,), "window_arg") for a in c.args)
            sort_key, value_kind, key_kind, bits = c.extra
            fill = functools.partial(fill_partition, value_kind=value_kind, key_kind=key_kind, bits=bits)
            return W.Fill(lambda r, f=x: f(r)[0], lambda r, f=key: f(r)[0],
                          G.sort_key_function(self.cg, (sort_key,)), fill)
        if c.fn == "agg":
            return W.FrameAggregate(self.aggregate_function(c.extra), self.extractor(c.extra), frame, exclude)
        raise AssertionError(c.fn)

    def window_frame(self, frame):
        """A RANGE frame's offset limits and ORDER BY key, and ROWS offsets read from the row, become
        functions of the row."""

        def scalar(e):
            f = G.row_function(self.cg, (e,), "range_limit")
            return lambda r: f(r)[0]

        if len(frame) == 3:
            mode, start, end = frame
            return (mode, *((b[0], scalar(b[1])) if isinstance(b[1], Expr) else b for b in (start, end)))
        mode, start, end, key, desc = frame
        start, end = ((b[0], scalar(b[1])) if b[0] == "value" else b for b in (start, end))
        return (mode, start, end, scalar(key), desc)

    # -- recursion ------------------------------------------------------------------------------
    def _Fixpoint(self, node):
        gkey = (node.names, node.bodies, node.distinct)
        found = self.groups.get((id(self.circuit), gkey))
        if found is None:
            found = self._build_scope(node)
            self.groups[(id(self.circuit), gkey)] = found
        return found[node.index]

    def _KeyedFixpoint(self, node):
        return lower_keyed(self, node)

    def _build_scope(self, node):
        gid = node.group
        available = self.available  # the groups whose feedback the enclosing circuit sees
        invariant = P.invariant_subplans(node.bodies, available)  # computable outside
        imports = [self.lower(p) for p in invariant]
        scope = self.add(Scope(*imports, max_iterations=node.max_iterations or 10_000,
                               name=f"WITH RECURSIVE {', '.join(node.names)}"), "recursion")
        outer_circuit, outer_nested = self.circuit, self.nested
        self.circuit, self.nested, self.available = scope.body, True, available | {gid}
        try:
            for p, imp in zip(invariant, scope.imports):
                self.memo[(id(scope.body), p)] = imp
            feedbacks = []
            for name, fields in zip(node.names, _member_fields(node)):
                fb = scope.feedback(name)
                feedbacks.append(fb)
                self.memo[(id(scope.body), P.RecRef(name, fields, gid))] = fb
            for k, (body, distinct) in enumerate(zip(node.bodies, node.distinct)):
                op = self.lower(body)
                if distinct:
                    op = self.exchange_rows(op, body.fields)
                    op = self.add(NestedDistinct(op), f"UNION of {node.names[k]}")
                feedbacks[k].connect(op)
                scope.export(op)
            if scope.clock == "iteration":
                for fb, op in zip(feedbacks, scope.exports):
                    if isinstance(op, NestedDistinct):
                        _share_traces(self.cg, scope.body.ops, fb, op)
        finally:
            self.circuit, self.nested, self.available = outer_circuit, outer_nested, available
        return [self.add(Select(scope, k, name), name) for k, name in enumerate(node.names)]


def _share_traces(cg, ops, feedback, distinct) -> None:
    """The first join of ``ops`` whose recursive side reads ``feedback`` (through exchanges) and
    whose other side is static may keep that side's trace as ``distinct``'s output history
    (runtime/nested/shared_trace.py): give it the generated probes and judge for that form.  The
    join must run before the distinct in an iteration (the history then holds only what the
    feedback brought the join: none of the current iteration's output)."""
    for op in ops:
        if op is distinct:
            return
        args = getattr(op, "share_args", None)
        if args is None or op.share is not None:
            continue
        keys, null_safe, nl, res, output, scalar, key_fns, side = args
        exchanges = []
        src = op.inputs[side]
        while isinstance(src, Exchange):
            exchanges.append(src)
            src = src.inputs[0]
        if src is not feedback:
            continue
        src = distinct.inputs[0]
        while isinstance(src, Exchange):
            exchanges.append(src)
            src = src.inputs[0]
        probes = tuple(G.nested_probe(cg, s, keys[s], null_safe, nl, res, output, (s != side, s == side), scalar,
                                      file_own=s != side, shifted=s != side) for s in (0, 1))
        judge = NJ.distinct_judge(cg, (keys[side], null_safe, scalar),
                                  (side, keys[side], null_safe, nl, res, output, scalar))
        op.share = Sharing(side, distinct, exchanges, key_fns[side], probes, judge)
        return


def _order_key_code(cg, col, order) -> str:
    """The Python expression of an ordered aggregate's sort key over row ``r``: per ORDER BY term
    (expr, descending, nulls_first), where its NULLs go, then its value (DESC reversed; a float's
    NaN above every number, as DuckDB sorts it)."""
    parts = []
    for e, desc, nulls_first in order:
        t = cg.tmp()
        null = "is not None" if nulls_first else "is None"
        val = f"({t} != {t}, {t} if {t} == {t} else 0.0)" if e.type.kind == "float" else t
        if desc:
            val = f"_Desc({val})"
        parts.append(f"(({t} := {cg.value(e, col)}) {null}, {val} if {t} is not None else 0)")
    return f"({', '.join(parts)},)"


def _remap_agg(a: P.AggCall, col) -> P.AggCall:
    """An aggregate call over a projection's columns, rewritten over the projection's input."""
    def m(e):
        return remap(e, lambda c: Col(col(c.index), c.type, c.nullable, c.name)) if e is not None else None
    return P.AggCall(a.fn, m(a.arg), a.distinct, m(a.filter), a.type, a.nullable,
                     tuple((m(o), d, nf) for o, d, nf in a.order), a.param)


def _temporal(node) -> bool:
    return isinstance(node, P.Filter) and TM.has_now(node.predicate)


def _and_all(parts):
    out = None
    for p in parts:
        out = p if out is None else _and(out, p)
    return out


def _moves(bound) -> bool:
    """A bound that moves with watermarks (not only constants)."""
    return bound is not None and bool(WL.leaves(bound))


_NOTHING_KEPT = object()


def _watermark_value(op, k):
    return op.values[k]


def _least_kept(arrangement, c):
    """The least non-NULL column c among an arrangement's rows (_NOTHING_KEPT if there is none)."""
    values = [row[c] for row in arrangement.rows() if row[c] is not None]
    try:
        return min(values) if values else _NOTHING_KEPT
    except TypeError:  # values that do not compare: no bound
        return None


def _key_part(j: int):
    """An expiry's value of a join-arrangement entry (key, row): part j of the key."""
    return lambda entry: entry[0][j]


def _key_part_of_key(j: int):
    return lambda key: key[j]


def _names(exprs, plan) -> list:
    names = [f.name for f in plan.fields]
    return [WL.pretty(e, names) for e in exprs]


def _member_fields(node):
    return [_find_fields(node, k) for k in range(len(node.names))]


def _find_fields(node, k):
    """The fields of member k as its RecRefs carry them (all RecRefs of a member agree)."""
    name = node.names[k]
    for body in node.bodies:
        for p in P.walk(body):
            if isinstance(p, P.RecRef) and p.name == name and p.group == node.group:
                return p.fields
    return tuple(P.Field(f.name, f.type, True) for f in node.bodies[k].fields)  # a member nothing reads


def _stored_rows(plan, keys, private: bool):
    """(plan to arrange, its keys, column picks or None) for one side of an inner join.

    A side that is a projection of plain columns over rows kept anyway (a table's or a view's,
    through filters only) is arranged as those rows, and the join kernel reads column i of the side
    as ``row[pick[i]]``: the arrangement shares the stored row objects instead of holding a new
    projected tuple per row, and the linear operator that made them goes.  Law: for a pick p,
    ⋈ over (π_p A) equals ⋈ over A with every reference to column i read as column p[i], since π_p
    of a bag is a bag of the same rows' columns (weights are summed either way by the join's
    output).  Not for a private arrangement (its expiries read the side's own columns)."""
    if private or not isinstance(plan, P.Project) or not all(isinstance(e, Col) for e in plan.exprs):
        return plan, keys, None
    below = plan.input
    while isinstance(below, P.Filter) and not _temporal(below):
        below = below.input
    if not isinstance(below, P.Scan):
        return plan, keys, None
    return plan.input, tuple(substitute(k, plan.exprs) for k in keys), tuple(e.index for e in plan.exprs)


def _fold_into_join(steps):
    """Leading filters of a chain over an inner join become its residual, and a following
    projection its output row; the remaining steps stay in a linear operator above."""
    residual = None
    i = 0
    while i < len(steps) and steps[i][0] == "filter":
        residual = steps[i][1] if residual is None else _and(residual, steps[i][1])
        i += 1
    output = None
    if i < len(steps) and steps[i][0] == "project":
        output = steps[i][1]
        i += 1
    return residual, output, steps[i:]


def _without_identity_projections(steps, width: int):
    """Drop projections that return their input row unchanged (renamings only)."""
    out = []
    for kind, payload in steps:
        if kind == "project":
            if len(payload) == width and all(isinstance(e, Col) and e.index == i for i, e in enumerate(payload)):
                continue
            width = len(payload)
        out.append((kind, payload))
    return out


def _and(a, b):
    from .expr import Call
    return Call("and", (a, b), a.type, a.nullable or b.nullable)


def _flip(node: P.Join) -> P.Project:
    """a RIGHT JOIN b = π(b LEFT JOIN a), with the columns put back in order."""
    nl, nr = len(node.left.fields), len(node.right.fields)
    residual = None
    if node.residual is not None:
        from .expr import remap
        residual = remap(node.residual, lambda c: Col(c.index + nr if c.index < nl else c.index - nl, c.type,
                                                      c.nullable, c.name))
    j = P.Join(node.right, node.left, "left", node.right_keys, node.left_keys, node.null_safe, residual)
    fields = j.fields
    exprs = tuple(P.col(fields, nr + i) for i in range(nl)) + tuple(P.col(fields, i) for i in range(nr))
    return P.Project(j, exprs, tuple(f.name for f in node.fields))


def _unit_key(row):
    return ()


def _identity(row):
    return row


def _left_only(left, right):
    return left


def _key_batch(key_fn):
    def batch(delta):
        out = {}
        for row, w in delta.items():
            k = key_fn(row)
            if k is not None:
                out[k] = out.get(k, 0) + w
        return {k: w for k, w in out.items() if w}
    return batch


def _append_batch(flag: bool):
    extra = (flag,)

    def batch(delta):
        return {row + extra: w for row, w in delta.items()}
    return batch


__all__ = ["Lowering"]


def _rank(row):
    """A total order on rows of one type (NULLs last): breaks ASOF ties on time deterministically."""
    return tuple((v is None, v if v is not None else 0) for v in row)


def _exchange_name(keys) -> str:
    """How explain names an exchange by ``keys`` ("" for a gather)."""
    if not keys:
        return ""
    return "by " + ", ".join(f"{k.name}#{k.index}" if isinstance(k, Col) and k.name else render(k) for k in keys)
