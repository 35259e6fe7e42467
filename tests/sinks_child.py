"""The process tests/test_sinks_crash.py kills: a pipeline over tests/test_sinks.py's SPEC fed a seeded
stream, with every view sunk into each target, printing each step number once it returned.

    python tests/sinks_child.py '{"seed": 1, "steps": 30, "max_ops": 40, "targets": [...], "state": PATH}'

The stream is ``stream(seed, steps, max_ops)``, the same in the test (which recomputes what every view
held after any step).  With ``state`` the pipeline is durable: a restarted child reopens it, attaches
the sinks again (which catches each target up) and goes on with the steps after its last one.
"""

from __future__ import annotations

import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from deltasql import Pipeline  # noqa: E402
from tests.harness import RandomChooser, gen_steps  # noqa: E402
from tests.test_sinks import SPEC, apply  # noqa: E402


def stream(seed: int, steps: int, max_ops: int) -> list:
    return gen_steps(RandomChooser(seed), SPEC, n_steps=steps, max_ops=max_ops)


def pipeline(state: str | None = None) -> Pipeline:
    p = Pipeline(path=state) if state else Pipeline()
    if p.views:  # a state file reopened
        return p
    p.execute(SPEC.ddl)
    for name, sql in SPEC.views.items():
        p.execute(f"CREATE VIEW {name} AS {sql}")
    return p


def main(argv: list[str]) -> int:
    args = json.loads(argv[0])
    p = pipeline(args.get("state"))
    for target in args["targets"]:
        p.sink(list(p.views), target)
    print("attached", flush=True)
    for ops in stream(args["seed"], args["steps"], args["max_ops"])[p.last_step:]:
        apply(p, ops)
        p.step()
        print(p.last_step, flush=True)
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
