"""The shape of the code: no import cycles among the project's modules (function-level imports
included), and module names that are unique across the project."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("gan", "studio")


def project_modules() -> dict[str, Path]:
    modules = {"app": ROOT / "app.py"}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules `name` imports anywhere in its file (a package import counts as its __init__)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            targets = [base] + [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        found |= {t for t in targets if t in modules and t != name}
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, result, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return result


def test_no_import_cycles_among_the_projects_modules():
    modules = project_modules()
    graph = {name: {m for m in imports_of(name, path, modules) if not name.startswith(m + ".")}
             for name, path in modules.items()}  # a module importing its own package's __init__ is fine
    assert len(graph) > 40
    assert cycles(graph) == []


def test_the_cycle_check_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_module_names_are_unique_across_the_project():
    files = [p for folder in (*PACKAGES, "bench", "scripts") for p in (ROOT / folder).rglob("*.py")]
    names = Counter(p.stem for p in files + [ROOT / "app.py"] if p.name != "__init__.py")
    assert [n for n, count in names.items() if count > 1] == []


def top_level_imports(path: Path) -> set[str]:
    """Every package a file imports, anywhere in it (function-level imports included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_the_library_never_imports_the_app_or_gradio():
    """docs/architecture.md: gan/ is the library, studio/ and app.py the page over it."""
    offenders = {str(p.relative_to(ROOT)): sorted(top_level_imports(p) & {"gradio", "studio", "app"})
                 for p in (ROOT / "gan").rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}


def string_constants(path: Path) -> set[str]:
    """The string literals of a file's code, docstrings left out."""
    tree = ast.parse(path.read_text())
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and id(n) not in docstrings}


def test_data_sets_are_named_in_one_place():
    """gan/data/idx.py DATASETS is the one list: no other module spells a data set's name or label
    (adding a data set must not mean finding the five places that list them)."""
    from gan.data.idx import DATASETS

    names = {n for info in DATASETS.values() for n in (info.name, info.label, info.title)}
    files = [ROOT / "app.py", *[p for package in PACKAGES for p in (ROOT / package).rglob("*.py")]]
    spelled = {str(p.relative_to(ROOT)): sorted(string_constants(p) & names) for p in files}
    assert {k: v for k, v in spelled.items() if v and k != "gan/data/idx.py"} == {}
