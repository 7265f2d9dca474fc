"""The shape of the code stays as docs/architecture.md draws it: layers, no cycles, no private
names across modules, few kinds of run, small functions and classes, thin pages."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE = sorted((ROOT / "mnist_core").rglob("*.py"))
PAGES = sorted((ROOT / "app_pages").rglob("*.py"))
CODE = CORE + PAGES + [ROOT / "streamlit_app.py"]


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def _where(path: Path, node) -> str:
    return f"{path.relative_to(ROOT)}:{node.lineno}"


def test_the_import_contracts_hold():
    """Layers, no Streamlit or pages in mnist_core, TensorFlow only in training, Dask only in the
    engine, and no import cycle at any depth (pyproject.toml, [tool.importlinter]). In a process of
    its own: import-linter's command configures logging, which would silence this process's loggers."""
    script = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True, no_logo=True))"
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


def test_at_most_four_modules_sit_directly_in_mnist_core():
    direct = sorted(p.name for p in (ROOT / "mnist_core").glob("*.py"))
    assert len(direct) <= 4, direct


def _imported_modules(tree: ast.Module) -> set[str]:
    """Local names bound to a module of mnist_core or app_pages by an import."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.asname or a.name.split(".")[0] for a in node.names if a.name.startswith("mnist_core")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(("mnist_core", "app_pages")):
            names |= {a.asname or a.name for a in node.names if a.name[:1].islower()}
    return names


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def test_no_private_name_is_used_across_modules():
    found = []
    for path in CODE:
        tree = _tree(path)
        modules = _imported_modules(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(("mnist_core", "app_pages")):
                found += [f"{_where(path, node)} imports {a.name}" for a in node.names if _private(a.name)]
            elif isinstance(node, ast.Attribute) and _private(node.attr) and isinstance(node.value, ast.Name) \
                    and node.value.id in modules:
                found.append(f"{_where(path, node)} uses {node.value.id}.{node.attr}")
    assert not found, found


def test_at_most_four_kinds_of_run():
    """The Run protocol and its three kinds: TrainingRun, SavedRun, ImportedRun."""
    runs = sorted({node.name for path in CORE for node in ast.walk(_tree(path))
                   if isinstance(node, ast.ClassDef) and node.name.endswith("Run")})
    assert runs == ["ImportedRun", "Run", "SavedRun", "TrainingRun"]


def test_functions_and_classes_stay_small():
    """No function over 60 lines and no class over 200 in mnist_core and the pages."""
    long = []
    for path in CODE:
        for node in ast.walk(_tree(path)):
            size = getattr(node, "end_lineno", 0) - getattr(node, "lineno", 0) + 1
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and size > 60:
                long.append(f"{_where(path, node)} {node.name}: {size} lines")
            elif isinstance(node, ast.ClassDef) and size > 200:
                long.append(f"{_where(path, node)} class {node.name}: {size} lines")
    assert not long, long


def test_page_files_are_thin():
    big = {str(p.relative_to(ROOT)): n for p in PAGES if (n := len(p.read_text().splitlines())) > 250}
    assert not big, big


def test_every_page_ends_in_one_entry():
    """Each page module (not the shared parts) defines main() and calls it last."""
    missing = []
    for path in (ROOT / "app_pages").glob("*.py"):
        if path.name == "__init__.py":
            continue
        body = _tree(path).body
        defines = any(isinstance(n, ast.FunctionDef) and n.name == "main" for n in body)
        last = body[-1]
        calls = isinstance(last, ast.Expr) and isinstance(last.value, ast.Call) \
            and getattr(last.value.func, "id", "") == "main"
        if not (defines and calls):
            missing.append(path.name)
    assert not missing, missing


@pytest.mark.parametrize("path", CORE, ids=lambda p: str(p.relative_to(ROOT)))
def test_an_import_inside_a_function_says_why(path):
    """Imports belong at the top; one inside a function stays only where it keeps TensorFlow or
    Dask out of a process, and its line says so in a comment."""
    lines = path.read_text().splitlines()
    silent = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for sub in ast.walk(node):
                if isinstance(sub, (ast.Import, ast.ImportFrom)):
                    block = lines[sub.lineno - 2:sub.end_lineno]  # the line before may hold the comment
                    if not any(re.search(r"#", line) for line in block):
                        silent.append(_where(path, sub))
    assert not silent, silent


def test_mnist_core_never_imports_streamlit():
    found = [str(p.relative_to(ROOT)) for p in CORE
             if re.search(r"^\s*(import streamlit|from streamlit)", p.read_text(), re.M)]
    assert not found
