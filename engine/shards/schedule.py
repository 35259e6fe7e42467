"""A worker's run function: the circuit's operators by exchange depth, each depth's exchanges in one
round of all workers.

An operator's depth is the number of exchanges on its longest path from the circuit's sources.
Evaluating all operators of depth 0, then every exchange of depth 1 together, then the rest of depth
1, and so on, is a topological order (an operator's inputs are at its depth or below, an exchange's
input one below), so it computes what the circuit's own order computes; but the exchanges of a depth
(the two sides of a join, every view's first exchange) share one round trip instead of one each.
A step costs (depth + 2) rounds rather than (exchanges + 2).  A depth whose exchanges the coordinator
found to move no row in this step (``local(xids)``: worker.py) takes no round at all: each exchange's
value is then its own input (``Exchange.local``).  The code follows Circuit._generate's
conventions (file "<circuit>", one operator per line in ``__ops__``) so that a failing operator is
still found from the traceback (Circuit.failed_operator).
"""

from __future__ import annotations

from ...runtime.operators.exchange import Exchange


def depths(circuit) -> list:
    index = {id(op): n for n, op in enumerate(circuit.ops)}
    out = []
    for op in circuit.ops:
        d = max((out[index[id(i)]] for i in op.inputs), default=0)
        out.append(d + 1 if isinstance(op, Exchange) else d)
    return out


def schedule(circuit, exchange_all, local=None):
    """The run function of ``circuit`` for a worker; ``exchange_all([(op, parts), ...])`` is the
    worker's round of several exchanges (it sets and returns their values); ``local(xids)`` (if given)
    whether the exchanges numbered ``xids`` all move nothing in this step."""
    ops = circuit.ops
    index = {id(op): n for n, op in enumerate(ops)}
    depth = depths(circuit)
    lines, line_ops = ["def run():"], []
    env = {"__circuit__": circuit, "X": exchange_all, "L": local}
    for d in sorted(set(depth)):
        here = [n for n in range(len(ops)) if depth[n] == d]
        moves = [n for n in here if isinstance(ops[n], Exchange)]
        pad = ""
        if moves and local is not None:
            lines.append(f"    if L({tuple(ops[n].xid for n in moves)!r}):")
            line_ops.append(ops[moves[0]])
            for n in moves:
                lines.append(f"        v{n} = o{n}.value = o{n}.local(v{index[id(ops[n].inputs[0])]})")
                line_ops.append(ops[n])
            lines.append("    else:")
            line_ops.append(ops[moves[0]])
            pad = "    "
        for n in moves:
            lines.append(f"    {pad}p{n} = s{n}(v{index[id(ops[n].inputs[0])]})")
            line_ops.append(ops[n])
            env[f"s{n}"] = ops[n].split
            env[f"o{n}"] = ops[n]
        if moves:
            lines.append(f"    {pad}{', '.join(f'v{n}' for n in moves)}, = X([{', '.join(f'(o{n}, p{n})' for n in moves)}])")
            line_ops.append(ops[moves[0]])
        for n in here:
            op = ops[n]
            if isinstance(op, Exchange):
                continue
            args = [f"v{index[id(i)]}" for i in op.inputs]
            call = f"e{n}({', '.join(args)})"
            if op.idle_noop and args:
                call = f"{call} if {' or '.join(args)} else {{}}"
            lines.append(f"    v{n} = o{n}.value = {call}")
            line_ops.append(op)
            env[f"o{n}"] = op
            env[f"e{n}"] = op.eval
    if not ops:
        lines.append("    pass")
    env["__ops__"] = line_ops
    exec(compile("\n".join(lines), "<circuit>", "exec"), env)
    return env["run"]
