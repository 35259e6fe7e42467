"""The generated loop of a distinct in a scope iterated by one counter (runtime/nested/distinct.py,
runtime/nested/shared_trace.py): each change to a row's input history judged at once, and, fused,
the recursive join's pairs judged as the join makes them.

``judge(changes, delta, trace, now, ins, outs, todo, out, undone, index) -> None``:

* for each (row, weight) of ``changes`` (each row once; weight 0: a row due now that did not change):
  the weight is added to the row's input history at ``now``, and the row judged: its output at now
  must be [Σ_{t ≤ now} input > 0]; the difference from Σ_{t ≤ now} output is added to ``out`` and to
  its output history at now; the row's later times (in either history) are scheduled in ``todo``
  (NestedDistinct.eval's law, in a total order of times: ``t ≤ now`` is ``<=``).
* with a join (``fused``): each row of ``delta`` (the recursive side's change, the distinct's
  output of the previous iteration) is probed against ``trace`` (the static side: key -> row ->
  weight, all at time 0 ≤ now) and every pair judged as a change of its own (listed in ``undone``
  for the journal).  Judging a row's changes one at a time ends in the same histories and the same
  total output as judging their sum: each judgement sets the row's output history at now to the
  value its input history has then, so the last one leaves what the sum would; ``out`` accumulates
  and may hold zeros (the caller drops them).  The pairs are not listed: the journal makes them
  again to undo them (NestedDistinct._unjudge); if making one raises (user code), the number of
  pairs judged before it is appended to ``undone``.
* with ``index_key`` the output history is also filed by that key (the join's key of the recursive
  side): ``index`` key -> row -> the very history dict of ``outs`` (filed when the row's history is
  made, removed when it empties); a row whose (non null-safe) key part is NULL is not filed.
"""

from __future__ import annotations

from .codegen import Codegen, _key_parts, _key_tuple, pair_code, row_col


def _schedule(ind: str, t: str) -> list[str]:
    return [f"{ind}s = todo.get({t})", f"{ind}if s is None:", f"{ind}    todo[{t}] = {{r}}", f"{ind}else:",
            f"{ind}    s.add(r)"]


def _index_key(cg: Codegen, key, ind: str) -> tuple[list[str], str | None, str]:
    """(statements computing the key's parts over row r, the condition that no non null-safe part
    is NULL or None, the key)."""
    exprs, null_safe, scalar = key
    assigns, tests, parts = [], [], []
    for x, safe in zip(exprs, null_safe or (False,) * len(exprs)):
        code = cg.value(x, row_col("r"))
        if x.nullable and not safe:
            t = cg.tmp()
            assigns.append(f"{ind}{t} = {code}")
            tests.append(f"{t} is not None")
            parts.append(t)
        else:
            parts.append(code)
    return assigns, " and ".join(tests) or None, _key_tuple(parts, scalar)


def _index_add(cg: Codegen, index_key, ind: str) -> list[str]:
    """File the new output history ``h`` of row r in the index."""
    assigns, cond, k = _index_key(cg, index_key, ind)
    add = [f"k = {k}", "b = xget(k)", "if b is None:", "    index[k] = {r: h}", "else:", "    b[r] = h"]
    inner = ind + "    " if cond else ind
    return assigns + ([f"{ind}if {cond}:"] if cond else []) + [f"{inner}{x}" for x in add]


def _judge(cg: Codegen, ind: str, maybe_zero: bool, index_key, accumulate: bool) -> list[str]:
    """The judgement of row ``r`` changed by weight ``w`` (statements at indentation ``ind``)."""
    i2, i3, i4, i5 = (ind + "    " * n for n in range(1, 5))
    lines = [f"{ind}hin = iget(r)", f"{ind}if hin is None:"]
    if maybe_zero:
        lines += [f"{i2}x = acc = 0", f"{i2}if w:", f"{i3}ins[r] = {{now: w}}", f"{i3}x = w"]
    else:  # (inside the join's loop: a row new to both histories, the usual insertion, judged at once)
        lines += [f"{i2}ins[r] = {{now: w}}", f"{i2}if w > 0 and r not in outs:",
                  f"{i3}out[r] = out.get(r, 0) + 1" if accumulate else f"{i3}out[r] = 1",
                  f"{i3}outs[r] = h = {{now: 1}}"]
        if index_key is not None:
            lines += _index_add(cg, index_key, i3)
        lines += [f"{i3}continue", f"{i2}x = w", f"{i2}acc = 0"]
    # the input history's sum up to now (its later times scheduled); an emptied history has none
    total = ["for t, v in hin.items():", "    if t <= now:", "        x += v", "    else:"] + \
        [x[len(ind):] for x in _schedule(ind + "        ", "t")]
    upd = ["n = hin.get(now, 0) + w", "x = acc = 0", "if n:", "    hin[now] = n"] + [f"    {x}" for x in total] + \
        ["else:", "    del hin[now]", "    if hin:"] + [f"        {x}" for x in total] + ["    else:", "        del ins[r]"]
    if not maybe_zero:  # (in the join's loop: a row whose one derivation went, output at now only, retracted at once)
        upd += ["        hout = oget(r)", "        if hout is not None and len(hout) == 1 and now in hout:",
                "            out[r] = out.get(r, 0) - hout[now]", "            del outs[r]"]
        if index_key is not None:
            upd += [x[len(ind) + 4:] for x in _index_drop(cg, index_key, ind + "    " * 4)]
        upd += ["            continue"]
    lines += [f"{ind}else:"]
    if maybe_zero:
        lines += [f"{i2}if w:"] + [f"{i3}{x}" for x in upd] + [f"{i2}else:", f"{i3}x = acc = 0"] + \
            [f"{i3}{x}" for x in total]
    else:
        lines += [f"{i2}{x}" for x in upd]
    lines += [f"{ind}hout = oget(r)", f"{ind}if hout is not None:", f"{i2}for t, v in hout.items():",
              f"{i3}if t <= now:", f"{i4}acc += v", f"{i3}else:"] + _schedule(i4, "t")
    lines += [f"{ind}d = (1 if x > 0 else 0) - acc", f"{ind}if d:",
              f"{i2}out[r] = out.get(r, 0) + d" if accumulate else f"{i2}out[r] = d",
              f"{i2}if hout is None:", f"{i3}outs[r] = h = {{now: d}}"]
    if index_key is not None:
        lines += _index_add(cg, index_key, i3)
    lines += [f"{i2}else:", f"{i3}n = hout.get(now, 0) + d", f"{i3}if n:", f"{i4}hout[now] = n", f"{i3}else:",
              f"{i4}del hout[now]", f"{i4}if not hout:", f"{i5}del outs[r]"]
    if index_key is not None:
        lines += _index_drop(cg, index_key, i5)
    return lines


def _index_drop(cg: Codegen, index_key, ind: str) -> list[str]:
    """Take row r, whose output history emptied, out of the index."""
    assigns, cond, k = _index_key(cg, index_key, ind)
    drop = [f"k = {k}", "b = index[k]", "del b[r]", "if not b:", "    del index[k]"]
    inner = ind + "    " if cond else ind
    return assigns + ([f"{ind}if {cond}:"] if cond else []) + [f"{inner}{x}" for x in drop]


def distinct_judge(cg: Codegen, index_key=None, fused=None):
    """The judge function (module docstring).  ``index_key``: (key expressions over the distinct's
    row, null_safe, scalar) of the index to keep, or None.  ``fused``: (side of the recursive input,
    its key expressions, null_safe, n_left, residual, output, scalar) of the join whose pairs to judge
    (the other side static), or None (``delta`` is then ignored)."""
    name = cg.fresh_name("distinct_judge")
    lines = [f"def {name}(changes, delta, trace, now, ins, outs, todo, out, undone, index):",
             "    iget = ins.get", "    oget = outs.get"]
    if index_key is not None:
        lines.append("    xget = index.get")
    lines += ["    for r, w in changes:"] + _judge(cg, "        ", True, index_key, False)
    if fused is not None:
        side, key_exprs, null_safe, n_left, residual, output, scalar = fused
        mine, theirs = ("ra", "rb") if side == 0 else ("rb", "ra")
        skips, parts = _key_parts(cg, key_exprs, null_safe, mine)
        lines += ["    if not delta:", "        return", "    get = trace.get", "    done = 0", "    try:",
                  f"        for {mine}, w0 in delta.items():"]
        lines += [f"    {x}" for x in skips] + [f"            bucket = get({_key_tuple(parts, scalar)})",
                                               "            if bucket is None:", "                continue",
                                               f"            for {theirs}, w2 in bucket.items():"]
        test, make = pair_code(cg, n_left, residual, output)
        if test is not None:
            lines += [f"                if not {test}:", "                    continue"]
        lines += [f"                r = {make}", "                w = w0 * w2", "                done += 1"]
        lines += _judge(cg, "                ", False, index_key, True)
        lines += ["    except BaseException:", "        undone.append(done)", "        raise"]
    return cg.compile("\n".join(lines), name)
