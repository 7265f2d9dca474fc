"""The docs stay true to the code: the README is short, links resolve, the module map is complete.

Quick checks (no training, no TensorFlow): they read README.md, docs/*.md, .ci/run and the tree.
When a module moves, the map in docs/architecture.md has to move with it.
"""

import re
import shlex
from pathlib import Path

import pytest

import mnist_core

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
ARCHITECTURE = ROOT / "docs" / "architecture.md"
PACKAGES = ("mnist_core", "app_pages")
MAX_README_LINES = 250

# A Markdown link [text](target) or an HTML src="target" / href="target".
_LINK = re.compile(r"\]\(([^)\s]+)\)|(?:src|href)=\"([^\"]+)\"")
# A path into the code, as the docs name it in backquotes: `mnist_core/model/runs.py`, `app_pages/parts/`.
_CODE_PATH = re.compile(r"`((?:mnist_core|app_pages|tests|bench|docs)/[\w./-]*)`")
# A test named as `test_file.py::test_name`, or `::test_name` after one (the file of the last one).
_TEST_REF = re.compile(r"`(?:(?:tests/)?(test_\w+\.py))?::(\w+)`")


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _module_map() -> str:
    """The section of docs/architecture.md headed "Module map", up to the next heading of its level."""
    text = _text(ARCHITECTURE)
    found = re.search(r"^## Module map\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert found, "docs/architecture.md has no '## Module map' section"
    return found.group(1)


def _mapped_paths() -> set[str]:
    """Every mnist_core/ or app_pages/ path in the map's first column."""
    paths = set()
    for line in _module_map().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells and cells[0].startswith("`"):
            paths.update(p for p in re.findall(r"`([^`]+)`", cells[0]) if p.startswith(PACKAGES))
    return paths


def _module_files() -> set[str]:
    """Every module file of mnist_core/ and app_pages/, relative to the project (no __init__/__main__)."""
    return {p.relative_to(ROOT).as_posix() for package in PACKAGES for p in (ROOT / package).rglob("*.py")
            if p.name not in ("__init__.py", "__main__.py")}


def test_the_module_map_names_every_module():
    missing = _module_files() - _mapped_paths()
    assert not missing, f"docs/architecture.md's module map does not name: {sorted(missing)}"


def test_every_path_in_the_module_map_exists():
    gone = sorted(p for p in _mapped_paths() if not (ROOT / p).exists())
    assert not gone, f"docs/architecture.md's module map names paths that do not exist: {gone}"


def test_the_module_map_has_a_row_for_every_subpackage():
    packages = {p.parent.relative_to(ROOT).as_posix() + "/" for package in PACKAGES
                for p in (ROOT / package).rglob("__init__.py") if p.parent != ROOT / package}
    missing = packages - _mapped_paths()
    assert not missing, f"docs/architecture.md's module map has no row for the packages {sorted(missing)}"


def test_the_readme_is_short():
    lines = len(_text(README).splitlines())
    assert lines <= MAX_README_LINES, f"README.md has {lines} lines; keep it to {MAX_README_LINES}, move the rest to docs/"


@pytest.mark.parametrize("doc", [README, *DOCS], ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_point_to_files_that_exist(doc):
    broken = []
    for match in _LINK.finditer(_text(doc)):
        target = (match.group(1) or match.group(2)).split("#", 1)[0]
        if not target or re.match(r"^[a-z][a-z0-9+.-]*:", target):  # an anchor in the page, or a URL
            continue
        if not (doc.parent / target).exists():
            broken.append(target)
    assert not broken, f"{doc.name} links to files that do not exist: {broken}"


def _anchors(doc: Path) -> set[str]:
    """The anchors of a Markdown file's headings, as GitHub makes them (code blocks left out)."""
    text = re.sub(r"^```.*?^```", "", _text(doc), flags=re.S | re.M)
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
            for heading in re.findall(r"^#{1,6} (.+)$", text, re.M)}


@pytest.mark.parametrize("doc", [README, *DOCS], ids=lambda p: p.relative_to(ROOT).as_posix())
def test_links_to_a_heading_find_it(doc):
    broken = []
    for match in _LINK.finditer(_text(doc)):
        target = match.group(1) or match.group(2)
        if "#" not in target or re.match(r"^[a-z][a-z0-9+.-]*:", target):
            continue
        file, anchor = target.split("#", 1)
        page = (doc.parent / file) if file else doc
        if page.suffix == ".md" and page.exists() and anchor not in _anchors(page):
            broken.append(target)
    assert not broken, f"{doc.name} links to headings that do not exist: {broken}"


@pytest.mark.parametrize("doc", [README, *DOCS], ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_code_path_the_docs_name_exists(doc):
    gone = sorted({p for p in _CODE_PATH.findall(_text(doc)) if "<" not in p and not (ROOT / p).exists()})
    assert not gone, f"{doc.name} names paths that do not exist: {gone}"


@pytest.mark.parametrize("doc", [README, *DOCS], ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_test_the_docs_name_exists(doc):
    gone, last = [], None
    for file, name in _TEST_REF.findall(_text(doc)):
        last = file or last
        source = ROOT / "tests" / last if last else None
        if source is None or not source.exists() or not re.search(rf"^def {name}\(", _text(source), re.M):
            gone.append(f"{last}::{name}")
    assert not gone, f"{doc.name} names tests that do not exist: {gone}"


def _ci_test_command() -> str:
    """The line of .ci/run after its comment "# The README's test command:"."""
    lines = _text(ROOT / ".ci" / "run").splitlines()
    marker = next(i for i, line in enumerate(lines) if line.strip() == "# The README's test command:")
    return lines[marker + 1].strip()


def test_the_readmes_test_command_is_the_one_ci_runs():
    command = _ci_test_command()
    assert shlex.split(command)[:3] == ["python", "-m", "pytest"], command
    section = re.search(r"^## Run the tests\n(.*?)(?=^## |\Z)", _text(README), re.S | re.M)
    assert section, "README.md has no '## Run the tests' section"
    block = re.search(r"```bash\n(.*?)```", section.group(1), re.S)
    assert block, "README.md's '## Run the tests' has no bash block"
    assert command in [line.strip() for line in block.group(1).splitlines()], (
        f"README.md's test command is not the one .ci/run runs ({command!r})")


def test_the_public_names_are_importable_and_documented():
    spans = re.findall(r"(?<!`)`([^`\n]+)`(?!`)", _text(ARCHITECTURE))  # inline code, not fences
    assert mnist_core.__all__
    for name in mnist_core.__all__:
        assert getattr(mnist_core, name, None) is not None, f"mnist_core.{name} is in __all__ but not importable"
        assert any(re.search(rf"\b{re.escape(name)}\b", span) for span in spans), (
            f"mnist_core.{name} is public but docs/architecture.md does not mention it")


def test_the_exported_script_in_the_docs_is_todays_export():
    from mnist_core.config import TrainConfig  # here, so that a moved module fails this test alone
    from mnist_core.teaching import code_export

    doc = _text(ROOT / "docs" / "code-export.md")
    shown = doc.split("`python -m mnist_core export-code --validation none`:\n\n```python\n", 1)[1].split("```\n", 1)[0]
    assert shown == code_export.script(TrainConfig(validation="none"))
