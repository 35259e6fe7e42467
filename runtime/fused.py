"""The fused step: one table's change run through the circuit by one generated function.

A step in which one table's Input alone has queued changes (every other source idle: the other
tables' Inputs, the Clock) is the circuit's generated step (Circuit.step) with most of its answers
known before it runs.  ``fused_step(circuit, source)`` generates that step once per circuit shape
and source:

- an operator that cannot see the change is left out: an idle operator whose every input is idle
  (its general line would compute ``{}``), an identity exchange of an idle input, an operator
  absorbed by a fusion (Operator.fusions);
- the operators the change reaches (the source's cone) run in the circuit's order, each as its
  line in Circuit._generate would, with ``{}`` for an idle input;
- the hot ones are written inline, with no call and no Z-set between them: the source Input, an
  Aggregate that folds a join's pairs straight from the source's rows (Aggregate._eval_raw with
  its _emit: the raw fold's own lines, codegen.join_fold's ``body``, and the reducer's result
  items, where their globals agree with the step's), a view's Output; a view's Output that alone
  reads such an Aggregate is written in the Aggregate's emit loop, in the same journal entry.  The
  inline fold notes each group it touches with the group's old output row (``changed``, which the
  journal entry holds and the emit loop walks), not in a set of touched keys, and binds no method:
  a one-row change allocates as few objects as it can.

The step function says two things about itself: ``run``, the general step it was made for, and
``light``, no nested scope (a recursive view's fixpoint) among the operators the change reaches, so
a change of a few rows stays a few rows (the engine then leaves the collector on for the step).

Laws it relies on:

- f(0) = 0 with no change of state for an ``idle_noop`` operator with the default readiness
  (Operator.ready), so its left-out line changed nothing; sources other than ``source`` are idle
  exactly when their ``ready`` test is false, which the step checks first (else: Circuit.step).
- An operator's ``.value`` is not read between steps; it only keeps the delta alive.  A general
  step (Circuit.step, Circuit.run_ops) marks ``values_held``, and the next fused step clears them
  all once, so no delta of a bulk step or a backfill outlives its step for long.
- The inline code is the operators' own ``eval`` with the same journal entries (an Aggregate's and
  its Output's in one, undone in the same order), so the journal undoes a failed fused step
  exactly.  An Output that alone reads an Aggregate (not a global one) holds the Aggregate's
  output rows, each once: the Aggregate emits -old +new per group and a group's row starts with
  its own key, so no two groups' rows are equal; hence an old row leaves the contents and a new
  one comes in with weight 1, without adding weights up.  A fused step that fails is undone and the step is run again
  by Circuit.step, which fails the same way and says where (or, not expected, succeeds): either
  way the outcome is Circuit.step's.  A BaseException that is not an Exception (Ctrl-C) is undone
  and raised as Circuit.step raises it.
"""

from __future__ import annotations

import re
import traceback

from .circuit import Circuit, Operator, StepError
from .operators.aggregate import Aggregate, _unarrange
from .operators.input import Input
from .operators.output import Output


def fused_step(circuit: Circuit, source: Input):
    """A function ``step(before_commit=None)`` equal to ``circuit.step`` for a step in which only
    ``source``, an Input of this root circuit, has queued changes (it runs ``circuit.step`` itself
    when that is not so).  ``circuit.step`` when nothing can be fused: a row limit counts every
    operator's output."""
    if circuit.row_limit is not None or circuit.scope is not None:
        return circuit.step
    if source.fused is None or source.fused.run is not circuit._run:
        source.fused = _generate(circuit, source, circuit.runner())
    return source.fused


def _generate(circuit: Circuit, source: Input, run):
    """The fused step of ``source`` for the circuit whose general step is ``run``; it stands for
    the circuit while ``circuit._run`` is ``run`` (else it makes its successor and runs that)."""
    ops = circuit.ops
    index = {id(op): n for n, op in enumerate(ops)}
    fusions = Circuit._fusions(ops, index)
    absorbed = {id(a) for chain, _, _ in fusions.values() for a in chain}
    env: dict = {"RUN": run, "remake": lambda before_commit: fused_step(circuit, source)(before_commit),
                 "circuit": circuit, "journal": circuit.journal, "general": circuit.step, "StepError": StepError,
                 "Operator": Operator, "clear_frames": traceback.clear_frames, "_undo_raw_fold": _undo_raw_fold}
    readers: dict = {}
    for op in ops:
        for i in op.inputs:
            readers[id(i)] = readers.get(id(i), 0) + 1
    idle: set[int] = set()  # operators whose output is {} in this step
    cone: set[int] = set()  # operators the change reaches
    merged: dict[int, int] = {}  # an Output written in the inline Aggregate it reads -> that Aggregate
    guards = [f"not o{index[id(source)]}.pending"]  # when true, Circuit.step runs instead
    body: list[str] = []
    for n, op in enumerate(ops):
        env[f"o{n}"] = op
        if id(op) in absorbed:
            idle.add(n)
            continue
        inputs, evaluate = op.inputs, op.eval
        if id(op) in fusions:
            _, inputs, evaluate = fusions[id(op)]
        env[f"e{n}"] = evaluate
        ins = [index[id(i)] for i in inputs]
        args = ["{}" if i in idle else f"z{i}" for i in ins]
        if op is source:
            cone.add(n)
            env[f"restore{n}"] = op._restore
            body += [f"z{n} = o{n}.pending", f"o{n}.pending = {{}}", f"J.append((restore{n}, z{n}))"]
            continue
        if n in merged:  # (its contents and delta were written by the Aggregate's lines)
            cone.add(n)
            body.append(f"z{n} = z{merged[n]}")
            continue
        reached = any(i in cone for i in ins)
        if reached:
            cone.add(n)
        if op.identity():
            if ins[0] in idle:
                idle.add(n)
            else:
                body.append(f"z{n} = z{ins[0]}")
            continue
        if not reached:
            test = op.ready(f"o{n}", args)
            if not inputs and test is not None:  # another source: idle, or the general step runs
                guards.append(test)
                idle.add(n)
                continue
            if inputs and all(i in idle for i in ins) and type(op).ready is Operator.ready and op.idle_noop:
                idle.add(n)  # f(0) = 0
                continue
        # the one reader of an Aggregate, if it is a view's Output that keeps its contents
        out = next((m for m in range(n + 1, len(ops)) if ops[m].inputs == [op]), None) \
            if readers.get(id(op)) == 1 else None
        if out is not None and not (isinstance(ops[out], Output) and ops[out].keep):
            out = None
        inline = _inline(op, n, inputs, args, evaluate, env, out, ops[out] if out is not None else None) \
            if reached else None
        if inline is not None:
            body += inline
            if out is not None and f"o{out}.contents" in "\n".join(inline):
                merged[out] = n
            continue
        call = f"e{n}({', '.join(args)})"
        test = op.ready(f"o{n}", args)
        body.append(f"z{n} = o{n}.value = " + (f"{call} if {test} else {{}}" if test else call))
    lines = ["def step(before_commit=None):",
             "    if circuit._run is not RUN:",  # the circuit changed since: a step made for it
             "        return remake(before_commit)",
             f"    if {' or '.join(guards)}:",
             "        return general(before_commit)",
             "    if circuit.values_held:",
             "        for op in circuit.ops:",
             "            op.value = {}",
             "        circuit.values_held = False",
             "    J = journal.entries",
             "    try:"]
    lines += ["        " + line for line in body]
    lines += ["    except Exception:",  # undone, and run again by the general step (which says where)
              "        circuit.reset_transient()",
              "        journal.rollback()",
              "        return general(before_commit)",
              "    except BaseException as e:",
              "        clear_frames(e.__traceback__)",
              "        circuit.reset_transient()",
              "        journal.rollback()",
              "        raise StepError(Operator(), e) from e",
              "    if before_commit is not None:",
              "        try:",
              "            before_commit()",
              "        except BaseException:",
              "            journal.rollback()",
              "            circuit.reset_transient()",
              "            raise",
              "    J.clear()"]
    source_text = "\n".join(lines)
    exec(compile(source_text, f"<fused step of {source.describe()}>", "exec"), env)
    step = env["step"]
    step.run = run
    # no nested scope (a recursive view's fixpoint) in the cone: a change of a few rows stays a few rows
    step.light = not any(getattr(ops[n], "body", None) is not None for n in cone)
    step.source_text = source_text  # (for reading: tests and tools print it)
    return step


def _inline(op: Operator, n: int, inputs: list, args: list, evaluate, env: dict, out=None,
            output: Output | None = None) -> list[str] | None:
    """Operator ``op`` (``o{n}``, its inputs' deltas ``args``) written inline, or None to call it.
    ``output`` (``o{out}``): the view Output that alone reads ``op``, which an inline Aggregate
    writes too (then its lines name ``o{out}.contents``)."""
    if isinstance(op, Output) and op.keep:
        a = args[0]
        env[f"undo{n}"] = op._undo
        return [f"z{n} = {a}",
                f"if {a} or o{n}.delta:",
                f"    J.append((undo{n}, ({a}, o{n}.delta)))",
                f"    contents = o{n}.contents",
                "    get = contents.get",
                f"    for row, w in {a}.items():",
                "        c = get(row, 0) + w",
                "        if c:",
                "            contents[row] = c",
                "        else:",
                "            del contents[row]",
                f"    o{n}.delta = {a}"]
    func = getattr(evaluate, "__func__", None)
    if not isinstance(op, Aggregate) or func not in (Aggregate.eval_join_left, Aggregate.eval_join_right) \
            or op.global_ or op.expiry is not None or op.combined:
        return None
    side = 0 if func is Aggregate.eval_join_left else 1
    jf = op.join_fold
    assert jf is not None
    left, right = jf.join.inputs
    raw, result = jf.raw[side], op.reducer.result
    env[f"left{n}"], env[f"right{n}"], env[f"new{n}"], env[f"keyed{n}"] = left, right, op.reducer.new, jf.keyed_of[side]
    tests = [a for a in args if a != "{}"]
    env["EMPTY"] = _EMPTY
    delta, other = ["EMPTY" if a == "{}" else a for a in (args[side], args[1 - side])]
    da, db = (delta, other) if side == 0 else (other, delta)
    head = [f"if {' or '.join(tests)}:" if tests else "if False:",
            f"    ia, ib = left{n}.arrangement.index, right{n}.arrangement.index",
            f"    groups, outputs = o{n}.groups, o{n}.outputs"]
    lines, items = getattr(raw, "lines", None), getattr(result, "items", None)
    if lines is not None and items is not None and _share_globals(env, raw, result):
        # the raw fold's body and the result's items written here (their globals are env's)
        # (the parameters it reads bound; its lines are indented as in a function: as in this if);
        # a touched group's old output row is noted in ``changed`` as the fold first touches it,
        # instead of the group in a set of touched keys
        body, alone = lines(("if k not in changed:", "    changed[k] = outputs.get(k)"), other == "EMPTY")
        body = body[:alone] if other == "EMPTY" else body
        text = "\n".join(body)
        bound = [(p, v) for p, v in (("da", da), ("db", db), ("sign", "1"), ("new", f"new{n}"), ("keyed_of", f"keyed{n}"))
                 if re.search(rf"\b{p}\b", text)]
        head += ["    changed = {}"] + \
            ([f"    {', '.join(p for p, _ in bound)} = {', '.join(v for _, v in bound)}"] if bound else []) + body
        row = f"(k, {items})" if op.scalar_key else f"k + ({items})"
        group = ["            st = g[1]"] if "st[" in items else []  # (the items read ``g`` and ``st``)
        loop = ["    for k in changed:", "        old = changed[k]", "        g = groups[k]"]  # (no view of items made)
    else:
        env[f"raw{n}"], env[f"result{n}"] = raw, result
        head += [f"    touched = raw{n}(groups, {da}, {db}, ia, ib, 1, new{n}, keyed{n})", "    changed = {}"]
        row, group = f"{'(k,)' if op.scalar_key else 'k'} + result{n}(g)", []
        loop = ["    for k in touched:", "        g = groups[k]", "        changed[k] = old = outputs.get(k)"]
    # (Aggregate._eval_raw and _emit in one loop: each touched group's old output row is noted in
    # ``changed``, which the journal entry holds, before its output changes; a result that fails
    # leaves the groups folded and the outputs noted so far, which the entry undoes)
    z = f"z{n}"
    entry = f"o{n}, {side}, {delta}, {other}, changed"
    emit = []
    gone, born, idle = [f"{z}[old] = -1"], [f"{z}[new] = 1"], [f"{z} = {{}}"]
    if out is not None:
        # the view's Output written here too (Output.eval: its undo in the same journal entry, run
        # first; its contents and delta changed row by row together, so the undo takes back
        # exactly what was added): its contents are this Aggregate's output rows, each once (a
        # group's row starts with its own key), so an old row leaves and a new row comes with weight 1
        env[f"undo{out}"] = output._undo
        entry += f", undo{out}, {z}, o{out}.delta"
        emit.append(f"    contents = o{out}.contents")
        gone.append("del contents[old]")
        born.append("contents[new] = 1")
        idle = [f"{z} = {{}}", f"if o{out}.delta:", f"    J.append((undo{out}, ({z}, o{out}.delta)))",
                f"    o{out}.delta = {z}"]
    return head + [
        f"    {z} = {{}}",
        f"    J.append((_undo_raw_fold, ({entry})))"] + emit + loop + [
        "        if g[0]:"] + group + [
        f"            new = {row}",
        "            outputs[k] = new",
        "            if new != old:",
        "                if old is not None:"] + ["                    " + x for x in gone] + \
        ["                " + x for x in born] + [
        "        else:",
        "            del groups[k]",
        "            if old is not None:",
        "                del outputs[k]"] + ["                " + x for x in gone] + \
        ([f"    o{out}.delta = {z}"] if out is not None else []) + ["else:"] + ["    " + x for x in idle]


def _share_globals(env: dict, *functions) -> bool:
    """Put the globals that generated ``functions`` read into ``env`` (False, changing nothing, if
    one of them names something else there: then they are called, not inlined)."""
    wanted = {}
    for f in functions:
        g = f.__globals__
        for name in f.__code__.co_names:
            if name in g:
                if wanted.get(name, g[name]) is not g[name] or env.get(name, g[name]) is not g[name]:
                    return False
                wanted[name] = g[name]
    env.update(wanted)
    return True


_EMPTY: dict = {}  # an idle side's delta, read by the inline fold and its undo (never changed)


def _undo_raw_fold(saved) -> None:
    """Undo an inlined Aggregate._eval_raw: the Output written with it if any (Output._undo), the
    aggregate's eval, then its side's Arrange (the order of their journal entries in Circuit.step,
    newest first).  ``olds``: each touched group's old output row (None: the group had none)."""
    aggregate, side, delta, other, olds = saved[:5]
    if len(saved) > 5:
        undo, output_delta, previous = saved[5:]
        undo((output_delta, previous))
    jf = aggregate.join_fold
    arranges = jf.join.inputs
    ia, ib = arranges[0].arrangement.index, arranges[1].arrangement.index
    changed = {k: (old, None) for k, old in olds.items()}  # (Aggregate._undo's form: (old, new) by key)
    aggregate._undo(((jf, (side, delta, other, ia, ib, jf.keyed_of[side])), changed))
    mine = arranges[side]
    if delta and mine.arrangement.journal is not None:
        _unarrange((mine.arrangement, delta, mine.key_fn))
