"""Finding the way: the sidebar holds every page once, in sections a newcomer reads in order; page
names say what a page does and agree with its title; Home has one first step for someone who has
never trained a network, one for someone who has, and a line for every page."""

import re
from pathlib import Path

import pytest

from tests.test_app_pages import button, open_page

ROOT = Path(__file__).resolve().parent.parent
# Every page's URL path. Shared links, the docs and the tests use them: they never change.
PATHS = {"home.py": "", "line.py": "line", "lessons.py": "lessons", "data.py": "data", "train.py": "train",
         "evaluate.py": "evaluate", "compare.py": "compare", "inside.py": "inside", "story.py": "story",
         "draw.py": "draw", "handwriting.py": "handwriting", "classroom.py": "class"}


def sections() -> dict:
    from app_pages.parts.navigation import SECTIONS

    return SECTIONS


def test_every_page_file_keeps_its_url_path():
    files = {p.name for p in (ROOT / "app_pages").glob("*.py") if p.name != "__init__.py"}
    assert files == set(PATHS), "a new page needs its URL path here, and its line on Home and in the docs"


def test_every_page_is_in_one_section_once():
    entries = [entry for pages in sections().values() for entry in pages]
    files = [Path(e.file).name for e in entries]
    assert sorted(files) == sorted(PATHS), files  # each page once, none missing
    assert {Path(e.file).name: e.url_path for e in entries} == PATHS
    assert all(sections().values()), "an empty section"
    titles = [e.title for e in entries]
    assert len(set(titles)) == len(titles), titles
    assert 3 <= len(sections()) <= 6, list(sections())


def test_a_newcomer_meets_the_way_in_first():
    first, *_ = sections().items()
    name, pages = first
    assert name == "Start here"
    assert [Path(p.file).name for p in pages] == ["home.py", "line.py", "lessons.py"]
    last_name, last_pages = list(sections().items())[-1]
    assert [Path(p.file).name for p in last_pages] == ["classroom.py"]  # only used in a room


def home_page_links(at) -> dict[str, str]:
    """Home's links to pages (not to runs): URL path -> label."""
    return {link.proto.page: link.label for link in at.get("page_link") if not link.proto.query_string}


def test_home_has_a_line_for_every_page(app):
    links = home_page_links(app)
    missing = set(PATHS.values()) - {""} - set(links)
    assert not missing, f"Home does not mention: {sorted(missing)}"
    names = {e.url_path: e.title for pages in sections().values() for e in pages}
    assert {path: names[path] for path in links} == links  # named as in the sidebar


def test_home_has_one_first_step_for_a_newcomer_and_one_for_the_others(app):
    primary = [b for b in app.button if b.proto.type == "primary"]
    assert len(primary) == 1, [b.label for b in primary]
    assert not [m.value for m in app.markdown if re.search(r"\bStart on\b|^1\. ", m.value)]  # no second start
    assert button(app, "Train the classic network").proto.type == "secondary"  # for someone who has trained
    primary[0].click()
    app.run()
    assert not app.exception
    assert app.title[0].value == "A line between two groups"  # no training, no waiting: a first look
    assert "jobs" not in app.session_state or not list(app.session_state["jobs"])


def test_each_page_title_agrees_with_its_sidebar_name(app):
    """The title's first word is a word of the sidebar's name ("Inside" in "Inside the network");
    Home's title is the app's name."""
    for entry in [e for pages in sections().values() for e in pages if e.url_path]:
        open_page(app, entry.file)
        title = app.title[0].value
        head = re.split(r"[:\s]", title)[0].lower()
        assert head in entry.title.lower().split(), (title, entry.title)


@pytest.mark.browser
def test_the_sidebar_shows_every_page_once_under_its_section(tmp_path):
    from tests.browser import CHROMIUM, CHROMIUM_ARGS, AppServer, require_browser, track_runs, wait_idle

    sync_playwright = require_browser()
    server = AppServer(env={"MNIST_LAB_RUNS": str(tmp_path / "runs")})
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            track_runs(page)
            page.goto(f"{server.url}/")
            wait_idle(page)
            nav = page.get_by_test_id("stSidebarNav")
            rows = nav.evaluate("""nav => [...nav.querySelectorAll(
                "[data-testid='stNavSectionHeader'], [data-testid='stSidebarNavLink']")].map(e =>
                [e.dataset.testid === 'stNavSectionHeader', e.innerText.split('\\n').pop().trim(),
                 e.href ? new URL(e.href).pathname.slice(1) : null, e.checkVisibility()])""")
            seen, section = {}, None
            for is_header, text, path, visible in rows:
                assert visible, f"{text} is hidden (behind 'View more'?)"
                if is_header:
                    section = text
                    seen[section] = []
                else:
                    assert section, f"{text} is in no section"
                    seen[section].append((text, path))
            assert seen == {name: [(e.title, e.url_path) for e in pages] for name, pages in sections().items()}
            assert nav.get_by_role("button", name=re.compile("View")).count() == 0
            browser.close()
    finally:
        server.stop()
