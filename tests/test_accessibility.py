"""Accessibility a browser test cannot reach on every path: every picture the pages draw has
alternative text (the browser test, test_browser_accessibility.py, sees only the pictures of the
states it opens; a drawing's picture on Draw, say, needs a pointer)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def image_calls(tree: ast.AST):
    """Calls of `<anything>.image(...)`: st.image, a column's .image, st.sidebar.image."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "image":
            yield node


def test_every_picture_on_a_page_has_alternative_text():
    files = sorted((ROOT / "app_pages").rglob("*.py")) + [ROOT / "streamlit_app.py"]
    calls, missing = 0, []
    for path in files:
        for call in image_calls(ast.parse(path.read_text(), str(path))):
            calls += 1
            if not any(k.arg == "alt" for k in call.keywords):
                missing.append(f"{path.relative_to(ROOT)}:{call.lineno}")
    assert calls >= 10, f"found only {calls} image calls: has the way pages draw pictures changed?"
    assert not missing, f"pictures without alt= (say what the picture shows): {missing}"
