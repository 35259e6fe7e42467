"""The layers of the package and the direction of their imports (GUIDE.md, "Shape of the code"):
text -> plan -> circuit, each layer using only the ones below it.

    cli, oracle           the public API (deltasql) and connectors only
    engine, connectors    the Pipeline session; inputs, outputs, sources, sinks
    compiler              SQL text -> circuit; no module of it imports another in a cycle
    runtime | sqllib      runtime imports nothing outside runtime/ (zero dependencies); sqllib,
                          the SQL value library generated code calls, nothing above it

Imports are read from the source (every import statement, including those inside functions), so
a cycle hidden in a function-level import counts too.
"""

import ast
import os

from deltasql.compiler.recursion import _sccs

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOT_INSTALLED = {"tests", "bench", "build", "dist", "venv"}


def modules() -> dict:
    """Installed dotted module name -> its file, for every module of the package."""
    out = {}
    for here, dirs, files in os.walk(ROOT):
        rel = os.path.relpath(here, ROOT)
        top = rel.split(os.sep)[0]
        if rel != "." and (top in NOT_INSTALLED or top.startswith(".") or "__pycache__" in rel):
            dirs[:] = []
            continue
        if rel != "." and "__init__.py" not in files:
            dirs[:] = []
            continue
        for f in files:
            if f.endswith(".py"):
                dotted = os.path.normpath(os.path.join(rel, f))[:-3].replace(os.sep, ".")
                dotted = dotted.removesuffix("__init__").rstrip(".")
                out["deltasql" + ("." + dotted if dotted else "")] = os.path.join(here, f)
    return out


def import_graph() -> dict:
    """module -> the package modules it imports (relative or absolute ``deltasql.`` imports)."""
    mods = modules()
    graph = {}
    for name, path in mods.items():
        package = name if path.endswith("__init__.py") else name.rpartition(".")[0]
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), path)
        targets = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    parts = package.split(".")
                    base = ".".join(parts[:len(parts) - node.level + 1] + ([node.module] if node.module else []))
                elif node.module and node.module.split(".")[0] == "deltasql":
                    base = node.module
                else:
                    continue
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.add(sub if sub in mods else base)
            elif isinstance(node, ast.Import):
                targets.update(a.name for a in node.names if a.name.split(".")[0] == "deltasql")
        graph[name] = {t for t in targets if t in mods and t != name}
    return graph


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "deltasql"


def cycles(graph: dict) -> list:
    """The strongly connected components of more than one module (the compiler's own Tarjan, which
    orders recursive CTEs)."""
    names = sorted(graph)
    return [sorted(c) for c in _sccs(names, {v: [w for w in graph[v] if w in graph] for v in names}) if len(c) > 1]


def violations(allowed) -> list:
    """(importer, imported) pairs where allowed(importer_layer, imported) is false."""
    return sorted((m, t) for m, ts in import_graph().items() for t in ts if not allowed(layer(m), t))


def test_the_graph_is_read():
    graph = import_graph()
    assert "deltasql.compiler.binder" in graph and "deltasql.runtime.operators.join" in graph
    assert "deltasql.compiler.plan" in graph["deltasql.compiler.binder"]
    assert "deltasql.runtime.zset" in graph["deltasql.runtime.operators.join"] | set().union(
        *(graph[t] for t in graph["deltasql.runtime.operators.join"]))


def test_no_cycles_in_the_compiler():
    graph = import_graph()
    compiler = {m: {t for t in ts if layer(t) == "compiler"} for m, ts in graph.items() if layer(m) == "compiler"}
    assert cycles(compiler) == []


def test_runtime_imports_nothing_outside_runtime():
    assert violations(lambda lay, t: lay != "runtime" or layer(t) == "runtime") == []


def test_sqllib_imports_nothing_above_it():
    assert violations(lambda lay, t: lay != "sqllib" or layer(t) == "sqllib") == []


def test_compiler_imports_no_layer_above_it():
    below = {"compiler", "runtime", "sqllib"}
    assert violations(lambda lay, t: lay != "compiler" or layer(t) in below) == []


def test_cli_uses_the_public_api_and_connectors_only():
    def allowed(lay, t):
        if lay not in ("cli", "oracle", "__main__"):
            return True
        return t == "deltasql" or layer(t) in ("connectors", "oracle", "cli")
    assert violations(allowed) == []
