"""A worker's run function: the circuit's operators by exchange depth, each depth's exchanges in one
round of all workers.

An operator's depth is the number of exchanges on its longest path from the circuit's sources.
Evaluating all operators of depth 0, then every exchange of depth 1 together, then the rest of depth
1, and so on, is a topological order (an operator's inputs are at its depth or below, an exchange's
input one below), so it computes what the circuit's own order computes; but the exchanges of a depth
(the two sides of a join, every view's first exchange) share one round trip instead of one each.
A step costs (depth + 2) rounds rather than (exchanges + 2).  A depth whose exchanges the coordinator
found to move no row in this step (``local(xids)``: worker.py) takes no round at all: each exchange's
value is then its own input (``Exchange.local``).  A partial aggregate's exchange (Combine) whose
Aggregate folds a join's pairs (``join_fold``) makes its partial groups from the join's inputs, the
join and possibly one side's Arrange absorbed (Combine.split_fusions, checked as an operator's own
fusions are: runtime/circuit.holding_fusion, each absorbed operator read only by the one above it),
instead of making the join's output rows and folding them again.  The code follows Circuit._generate's
conventions (file "<circuit>", one operator per line in ``__ops__``) so that a failing operator is
still found from the traceback (Circuit.failed_operator).
"""

from __future__ import annotations

from ...runtime.circuit import holding_fusion, reader_counts
from ...runtime.operators import Aggregate
from ...runtime.operators.exchange import Combine, Exchange


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
    fused = _split_fusions(ops, index)
    absorbed = {id(a) for chain, _, _ in fused.values() for a in chain}

    def args(n: int) -> str:
        """The values an exchange's split reads: its input's, or those of the fusion it takes."""
        ins = fused[id(ops[n])][1] if id(ops[n]) in fused else ops[n].inputs
        return ", ".join(f"v{index[id(i)]}" for i in ins)

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
                if id(ops[n]) in fused:
                    lines.append(f"        v{n} = o{n}.value = o{n}.own(s{n}({args(n)}))")
                else:
                    lines.append(f"        v{n} = o{n}.value = o{n}.local({args(n)})")
                line_ops.append(ops[n])
            lines.append("    else:")
            line_ops.append(ops[moves[0]])
            pad = "    "
        for n in moves:
            lines.append(f"    {pad}p{n} = s{n}({args(n)})")
            line_ops.append(ops[n])
            env[f"s{n}"] = fused[id(ops[n])][2] if id(ops[n]) in fused else ops[n].split
            env[f"o{n}"] = ops[n]
        if moves:
            lines.append(f"    {pad}{', '.join(f'v{n}' for n in moves)}, = X([{', '.join(f'(o{n}, p{n})' for n in moves)}])")
            line_ops.append(ops[moves[0]])
        for n in here:
            op = ops[n]
            if isinstance(op, Exchange):
                continue
            ins = [f"v{index[id(i)]}" for i in op.inputs]
            call = f"e{n}({', '.join(ins)})"
            if id(op) in absorbed:
                call = "{}"  # computed by the exchange that absorbed it
            elif op.idle_noop and ins:
                call = f"{call} if {' or '.join(ins)} else {{}}"
            lines.append(f"    v{n} = o{n}.value = {call}")
            line_ops.append(op)
            env[f"o{n}"] = op
            env[f"e{n}"] = op.eval
    if not ops:
        lines.append("    pass")
    env["__ops__"] = line_ops
    exec(compile("\n".join(lines), "<circuit>", "exec"), env)
    run = env["run"]
    run.fused = frozenset(ops[index[c]].xid for c in fused)  # (the exchanges that fold a join: for tests)
    return run


def _split_fusions(ops: list, index: dict) -> dict:
    """{id(Combine): (absorbed, inputs, split)}: for each Combine read by an Aggregate that folds a
    join's pairs (its ``join_fold``), the first of Combine.split_fusions whose absorbed operators
    are in this circuit, each read only by the one before it in the chain (the first by the
    Combine): runtime/circuit.holding_fusion, as for an operator's own fusions."""
    readers = reader_counts(ops)
    out = {}
    for op in ops:
        if not (isinstance(op, Aggregate) and op.combined and isinstance(op.inputs[0], Combine)):
            continue
        combine = op.inputs[0]
        f = holding_fusion(combine, combine.split_fusions(op.join_fold), index, readers)
        if f is not None:
            out[id(combine)] = f
    return out
