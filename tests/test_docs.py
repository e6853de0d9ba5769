"""The README and docs/: every relative link and image points at a file that exists, every
#anchor at a heading, the README stays a front door, and the Space header stays valid."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-")
            for h in re.findall(r"^#+ (.+)$", markdown, flags=re.MULTILINE)}


def test_links_are_checked_in_every_document():
    assert len(DOCUMENTS) >= 5 and all(LINK.search(d.read_text()) for d in DOCUMENTS)


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_every_relative_link_and_image_exists(document):
    broken = []
    for target in LINK.findall(document.read_text()):
        if re.match(r"[a-z]+://|mailto:", target):
            continue
        path, _, anchor = target.partition("#")
        file = (document.parent / path).resolve() if path else document
        if not file.exists():
            broken.append(target)
        elif anchor and file.suffix == ".md" and anchor not in anchors(file.read_text()):
            broken.append(target)
    assert not broken, f"{document.name}: broken links {broken}"


def test_readme_is_a_front_door_with_a_valid_space_header():
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) < 250
    header = re.match(r"---\n(.*?)\n---\n", text, flags=re.DOTALL)
    assert header and "sdk: gradio" in header.group(1) and "app_file: app.py" in header.group(1)
    first_screen = "\n".join(text.splitlines()[:40])
    assert "pip install -r requirements-dev.txt" in first_screen and "python -m pytest -q" in first_screen


def test_readme_shows_the_export_command_and_the_explore_tab():
    text = (ROOT / "README.md").read_text()
    assert "python -m gan.export" in text and "(docs/explore.png)" in text
    assert (ROOT / "docs" / "explore.png").stat().st_size > 10_000


def test_ci_runs_the_readme_test_command():
    readme, ci = (ROOT / "README.md").read_text(), (ROOT / ".ci" / "run").read_text()
    command = re.search(r"^(python -m pytest[^\n#]*?)\s*(#|$)", readme, flags=re.MULTILINE).group(1)
    assert command in ci
