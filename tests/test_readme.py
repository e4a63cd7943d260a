"""The README's quick start stays true: CI runs its test command verbatim."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", quick_start)


def test_quick_start_gives_exactly_two_commands() -> None:
    commands = quick_start_commands()
    assert len(commands) == 2
    assert commands[0].endswith("pytest examples")


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert quick_start_commands()[1] in ci_lines


#: where the README's links point: it is also the PyPI page, where relative links break
REPOSITORY = "https://github.com/pytest-warmup/pytest-warmup"

_INLINE_LINK = re.compile(r"\]\(([^)\s]+)\)")
_REFERENCE = re.compile(r"^\[([^\]]+)\]: (\S+)$", re.MULTILINE)


def readme_links() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    return _INLINE_LINK.findall(readme) + [target for _, target in _REFERENCE.findall(readme)]


def test_readme_links_are_absolute_or_in_page_anchors() -> None:
    links = readme_links()
    assert len(links) > 10
    assert [link for link in links if not link.startswith(("https://", "#"))] == []


def test_readme_links_into_the_repository_name_files_that_exist() -> None:
    prefix = f"{REPOSITORY}/"
    inside = [link for link in readme_links() if link.startswith(prefix)]
    assert inside
    for link in inside:
        address, _, anchor = link.partition("#")
        kind, branch, path = address.removeprefix(prefix).split("/", 2)
        assert (kind, branch) in {("blob", "main"), ("tree", "main")}, link
        target = ROOT / path
        assert target.is_dir() if kind == "tree" else target.is_file(), link
        if anchor:  # GitHub's anchor of one of the file's headings
            assert anchor in _github_anchors(target.read_text(encoding="utf-8")), link


def _github_anchors(markdown: str) -> set[str]:
    return {
        re.sub(r"[^\w\- ]", "", line.lstrip("#").strip()).lower().replace(" ", "-")
        for line in markdown.splitlines()
        if line.startswith("#")
    }


def test_readme_in_page_anchors_name_a_heading() -> None:
    readme = (ROOT / "README.md").read_text()
    headings = {
        re.sub(r"[^\w\- ]", "", line.lstrip("#").strip()).lower().replace(" ", "-")
        for line in readme.splitlines()
        if line.startswith("#")
    }
    anchors = [link[1:] for link in readme_links() if link.startswith("#")]
    assert anchors
    assert set(anchors) <= headings
