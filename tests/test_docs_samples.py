"""Every code sample in README.md and the documentation site runs as written.

- ``python``: a sample that defines tests runs as a pytest suite (pytester) and must pass;
  any other runs as a module in a fresh interpreter and must exit 0.
- ``yaml`` and ``json``: parsed; a catalog is validated against the shipped JSON Schema, a
  snapshot bundle or fragment is read by pytest-warmup's own snapshot reader.
- ``toml``: parsed.
- ``bash`` and ``console``: every option a ``pytest`` command uses appears in ``pytest --help``
  (with pytest-warmup and pytest-xdist installed), every ``pytest-warmup`` subcommand exists,
  every extra a ``pip install "pytest-warmup[...]"`` names is in pyproject.toml, and a
  ``python SCRIPT.py`` names a script of the repository and options it defines.
- ``text`` blocks show output, and blocks without a language show diagrams: neither is a sample.

An HTML comment on the line before a block changes how it runs,
``<!-- sample: MARK; MARK -->`` with these marks:

- ``continued``: the block runs after the samples before it on the same page, as one program:
  their python code comes first (or is written to its ``file``), and the page's last catalog
  (a yaml sample with ``plans``) is written to ``warmup.yaml`` (a page that builds one example
  step by step);
- ``file PATH``: a python sample that is written to ``PATH`` for the continued sample that
  follows it, and runs there (a conftest.py, for instance);
- ``after FILE``: the python code of ``FILE`` (relative to the repository) runs first: the
  definitions a page takes for granted, such as the plans a concepts section names;
- ``with DIR``: the files under ``DIR`` (relative to the repository) are copied beside the
  sample before it runs: a stand-in for the code a sample imports from the reader's project
  (``tests/doc_samples/``);
- ``fragment: REASON``: the block is only compiled (python) or parsed, for a sample that cannot
  run on its own; the reason is required, and the fragments are counted and kept few.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import NamedTuple

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
SCHEMA = ROOT / "src" / "pytest_warmup" / "warmup.schema.json"

_FENCE = re.compile(r"^(?P<indent> *)```(?P<language>[a-z]*)\s*$")
_MARK = re.compile(r"^\s*<!-- sample: (?P<marks>.*?)\s*-->$")
#: the fragments allowed at most: a sample that cannot run is the exception
MAX_FRAGMENTS = 8


class Marks(NamedTuple):
    continued: bool = False
    fragment: str | None = None
    file: str | None = None
    with_files: str | None = None
    after: str | None = None


def _marks(comment: str) -> Marks:
    marks: dict[str, object] = {}
    for mark in filter(None, (part.strip() for part in comment.split(";"))):
        if mark == "continued":
            marks["continued"] = True
        elif mark.startswith("fragment"):
            marks["fragment"] = mark.removeprefix("fragment").lstrip(":").strip()
        elif mark.startswith("file "):
            marks["file"] = mark.removeprefix("file ").strip()
        elif mark.startswith("after "):
            marks["after"] = mark.removeprefix("after ").strip()
        elif mark.startswith("with "):
            marks["with_files"] = mark.removeprefix("with ").strip()
        else:
            raise ValueError(f"unknown sample mark {mark!r}")
    return Marks(**marks)  # type: ignore[arg-type]


class Sample(NamedTuple):
    page: str
    line: int
    language: str
    code: str
    marks: Marks
    #: for a continued python sample: the python samples before it in the chain
    before: tuple[Sample, ...] = ()
    #: for a continued sample: the page's last catalog before it
    catalog: str | None = None

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"

    @property
    def is_fragment(self) -> bool:
        return self.marks.fragment is not None


def _blocks(path: Path) -> Iterator[tuple[int, str, str, Marks]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        indent = opening["indent"]
        end = index + 1
        while lines[end] != f"{indent}```":
            end += 1
        code = "\n".join(line[len(indent) :] for line in lines[index + 1 : end]) + "\n"
        previous = next((line for line in reversed(lines[:index]) if line.strip()), "")
        mark = _MARK.match(previous)
        yield index + 1, opening["language"], code, _marks(mark["marks"]) if mark else Marks()
        index = end + 1


def collect_samples() -> list[Sample]:
    samples: list[Sample] = []
    for path in PAGES:
        page = path.relative_to(ROOT).as_posix()
        chain: list[Sample] = []
        catalog: str | None = None
        for line, language, code, marks in _blocks(path):
            if language in ("", "text"):
                continue
            sample = Sample(page, line, language, code, marks)
            if marks.continued:
                sample = sample._replace(before=tuple(chain), catalog=catalog)
            if language == "python" and not sample.is_fragment:
                chain = [*chain, sample] if marks.continued else [sample]
            if language == "yaml" and "\nplans:" in "\n" + code:
                catalog = code
            samples.append(sample)
    return samples


SAMPLES = collect_samples()


def _defines_tests(code: str) -> bool:
    return re.search(r"^(async )?def test_|^class Test", code, re.M) is not None


# -- the samples -------------------------------------------------------------------------------


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _lay_out(sample: Sample, directory: Path) -> str:
    """Put the sample's files in ``directory``; return the code to run as the sample itself."""
    for part in (*sample.before, sample):
        if part.marks.with_files:
            source = ROOT / part.marks.with_files
            for file in source.rglob("*"):
                if file.is_file() and "__pycache__" not in file.parts:
                    _write(directory / file.relative_to(source), file.read_text(encoding="utf-8"))
    if sample.catalog is not None:
        _write(directory / "warmup.yaml", sample.catalog)
    program = []
    for part in (*sample.before, sample):
        if part.marks.after:
            program.append((ROOT / part.marks.after).read_text(encoding="utf-8"))
        if part.marks.file:
            _write(directory / part.marks.file, part.code)
        else:
            program.append(part.code)
    return "\n".join(program)


@pytest.mark.parametrize(
    "sample", [s for s in SAMPLES if s.language == "python"], ids=lambda s: s.id
)
def test_python_sample_runs(sample: Sample, pytester: pytest.Pytester) -> None:
    compile(sample.code, sample.id, "exec")
    if sample.is_fragment:
        return
    if sample.marks.file and not sample.marks.continued:
        return  # runs with the continued sample after it
    code = _lay_out(sample, pytester.path)
    files = [part.code for part in (*sample.before, sample) if part.marks.file]
    if any(_defines_tests(text) for text in (code, *files)):
        if code.strip():
            _write(pytester.path / "test_sample.py", code)
        arguments = ("-p", "no:randomly", "-p", "no:cacheprovider", "-p", "no:hypothesispytest")
        # Samples with files of their own import modules (conftest, tests.support, ...) that
        # must not meet this suite's: those run in a fresh interpreter.
        isolated = any(p.marks.file or p.marks.with_files for p in (*sample.before, sample))
        run = pytester.runpytest_subprocess if isolated else pytester.runpytest
        result = run(*arguments)
        assert result.ret == 0, result.stdout.str()
        assert result.parseoutcomes().get("passed", 0) >= 1
    else:
        _write(pytester.path / "sample.py", code)
        ran = subprocess.run(
            [sys.executable, "sample.py"],
            cwd=pytester.path,
            capture_output=True,
            text=True,
            check=False,
        )
        assert ran.returncode == 0, ran.stderr


@pytest.mark.parametrize(
    "sample", [s for s in SAMPLES if s.language in ("yaml", "json", "toml")], ids=lambda s: s.id
)
def test_data_sample_is_valid(sample: Sample, tmp_path: Path) -> None:
    if sample.language == "toml":
        if sys.version_info >= (3, 11):
            import tomllib

            tomllib.loads(sample.code)
        else:
            pytest.skip("tomllib needs Python 3.11")
        return
    data = json.loads(sample.code) if sample.language == "json" else yaml.safe_load(sample.code)
    if sample.is_fragment or not isinstance(data, dict):
        return
    if data.keys() & {"plans", "requirements", "producers", "fixtures", "include"}:
        import jsonschema

        jsonschema.validate(data, json.loads(SCHEMA.read_text(encoding="utf-8")))
    elif data.keys() & {"scopes", "shared", "tests"}:
        from pytest_warmup._snapshots import read_bundle, read_fragment

        file = tmp_path / f"snapshot.{sample.language}"
        file.write_text(sample.code, encoding="utf-8")
        if "scopes" in data:
            read_bundle(str(file))
        else:
            read_fragment("sample", str(file))


@cache
def _pytest_help() -> str:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--help", "-p", "no:randomly"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@cache
def _extras() -> set[str]:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    section = text.split("[project.optional-dependencies]", 1)[1].split("\n[", 1)[0]
    return set(re.findall(r"^([a-z]+) = \[", section, re.M))


def _commands(code: str, language: str) -> Iterator[list[str]]:
    for raw in code.splitlines():
        if language == "console" and not raw.startswith("$ "):
            continue  # output
        line = raw.split(" #", 1)[0].strip().removeprefix("$ ")
        for command in re.split(r"\s*&&\s*", line):
            words = command.split()
            if words:
                yield words


@pytest.mark.parametrize(
    "sample", [s for s in SAMPLES if s.language in ("bash", "console")], ids=lambda s: s.id
)
def test_shell_sample_uses_existing_options(sample: Sample) -> None:
    checked = 0
    for words in _commands(sample.code, sample.language):
        program = Path(words[0]).name
        if program == "pytest" or words[1:3] == ["-m", "pytest"]:
            options = {w.split("=", 1)[0] for w in words if w.startswith("-")} - {"-m"}
            missing = sorted(
                o for o in options if not re.search(rf"(^|[\s,]){o}\b", _pytest_help(), re.M)
            )
            assert not missing, f"{sample.id}: not in pytest --help: {missing}"
            checked += 1
        elif words[:2] == ["pip", "install"] and "pytest-warmup" in " ".join(words):
            # an extra it names exists: pytest-warmup[xdist]
            for extra in re.findall(r"pytest-warmup\[([a-z,]+)\]", " ".join(words)):
                assert set(extra.split(",")) <= _extras(), f"{sample.id}: unknown extra {extra}"
            checked += 1
        elif program.startswith("python") and len(words) > 1 and words[1].endswith(".py"):
            script = (ROOT / words[1]).read_text(encoding="utf-8")
            unknown = [w for w in words[2:] if w.startswith("--") and f'"{w}"' not in script]
            assert not unknown, f"{sample.id}: {words[1]} has no option {unknown}"
            checked += 1
        elif program == "pytest-warmup":
            assert len(words) == 1 or words[1] in ("check", "schema", "--version", "--help")
            checked += 1
    assert checked or sample.is_fragment, f"{sample.id}: no pytest command to check"


# -- the marks ---------------------------------------------------------------------------------


def test_every_fragment_says_why_and_they_stay_few() -> None:
    fragments = [s for s in SAMPLES if s.is_fragment]
    assert all(s.marks.fragment for s in fragments), [s.id for s in fragments]
    assert len(fragments) <= MAX_FRAGMENTS, [f"{s.id}: {s.marks.fragment}" for s in fragments]


def test_a_continued_sample_follows_something() -> None:
    orphans = [s.id for s in SAMPLES if s.marks.continued and not (s.before or s.catalog)]
    assert not orphans


def test_a_file_sample_is_continued_by_a_later_one() -> None:
    continued = {part.id for s in SAMPLES for part in s.before}
    alone = [
        s.id for s in SAMPLES if s.marks.file and s.id not in continued and not s.marks.continued
    ]
    assert not alone


def test_the_samples_are_found() -> None:
    by_language: dict[str, int] = {}
    for sample in SAMPLES:
        by_language[sample.language] = by_language.get(sample.language, 0) + 1
    assert by_language.get("python", 0) >= 20, by_language


def test_the_engine_page_runs_without_pytest_and_prints_what_it_says(tmp_path: Path) -> None:
    last = [s for s in SAMPLES if s.page == "docs/engine.md" and s.language == "python"][-1]
    assert len(last.before) == 4  # the page is one program
    code = _lay_out(last, tmp_path) + (
        "\nimport sys\n"
        "assert not [m for m in sys.modules if m.split('.')[0] in ('pytest', '_pytest')]\n"
        "print('page ran')\n"
    )
    _write(tmp_path / "page.py", code)
    result = subprocess.run(
        [sys.executable, "page.py"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:3] == ["prepared", "['alice', 'cart']", "['node-1:shared', 'node-2:invoice-run']"]
    assert lines[3].startswith("accounts 1 ")
    assert lines[4].startswith("carts 1 ")
    assert lines[-2:] == ["2", "page ran"]


def test_the_snapshot_walkthrough_exports_the_template_it_shows(pytester: pytest.Pytester) -> None:
    page = [s for s in SAMPLES if s.page == "docs/snapshots.md"]
    suite = next(s for s in page if s.marks.file == "tests/test_orders.py")
    shown = next(s for s in page if s.language == "yaml" and s.line > suite.line)
    _lay_out(suite, pytester.path)
    result = pytester.runpytest_subprocess(
        "-p", "no:randomly", "-p", "no:hypothesispytest", "--warmup-export-template", "out.yaml"
    )
    assert result.ret == 0, result.stdout.str()
    exported = yaml.safe_load((pytester.path / "out.yaml").read_text(encoding="utf-8"))
    assert exported == yaml.safe_load(shown.code)
