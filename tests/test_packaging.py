"""What a release would ship: ``python -m build`` and ``twine check`` pass, the sdist carries
everything the project's checks need, and the wheel installed in a fresh virtual environment
(pytest and PyYAML from the package index, nothing from this one) runs the examples.

The sdist and the wheel are built once for the module (about 10 s), the environment made once
(about 10 s).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from test_readme import REPOSITORY

pytest.importorskip("build", reason="building the package needs 'build' (pip install -e '.[dev]')")
pytest.importorskip("twine", reason="checking the package needs 'twine' (pip install -e '.[dev]')")

ROOT = Path(__file__).resolve().parent.parent


def _run(*command: str | Path, cwd: Path | None = None) -> str:
    result = subprocess.run(
        [str(part) for part in command], cwd=cwd, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder ``python -m build`` wrote the sdist and the wheel (built from it) into."""
    folder = tmp_path_factory.mktemp("dist")
    _run(sys.executable, "-m", "build", "--outdir", folder, ROOT)
    return folder


def _one(folder: Path, pattern: str) -> Path:
    [found] = folder.glob(pattern)
    return found


def test_build_makes_an_sdist_and_a_wheel_that_twine_check_passes(dist: Path) -> None:
    files = [_one(dist, "*.tar.gz"), _one(dist, "*.whl")]
    output = _run(sys.executable, "-m", "twine", "check", "--strict", *files)
    assert output.count("PASSED") == 2, output


def test_the_sdist_holds_what_the_checks_and_the_readme_need(dist: Path) -> None:
    with tarfile.open(_one(dist, "*.tar.gz")) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    for path in [
        "README.md",
        "CHANGELOG.md",
        "LICENSE",
        "warmup.example.yaml",
        "pyproject.toml",
        "src/pytest_warmup/py.typed",
        "src/pytest_warmup/warmup.schema.json",
        "docs/lifecycle.md",
        "docs/warmup-graph.png",
        "examples/pytest.ini",
        "examples/dependency_chain/conftest.py",
        "examples/sqlite_shop/compare.py",
        "tests/conftest.py",
        "benchmarks/bench_overhead.py",
    ]:
        assert path in names, path
    assert not [name for name in names if "__pycache__" in name or ".venv" in name]


def test_the_wheel_carries_the_metadata_pypi_shows(dist: Path) -> None:
    with zipfile.ZipFile(_one(dist, "*.whl")) as wheel:
        [metadata_name] = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = Parser().parsestr(wheel.read(metadata_name).decode())
        assert any(n.startswith("pytest_warmup/py.typed") for n in wheel.namelist())
    urls = dict(url.split(", ", 1) for url in metadata.get_all("Project-URL", []))
    assert urls == {
        "Documentation": "https://pytest-warmup.readthedocs.io/",
        "Changelog": f"{REPOSITORY}/blob/main/CHANGELOG.md",
        "Source": REPOSITORY,
        "Issues": f"{REPOSITORY}/issues",
    }
    classifiers = metadata.get_all("Classifier", [])
    assert "Framework :: Pytest" in classifiers
    versions = {c.rsplit(" ", 1)[1] for c in classifiers if c.startswith("Programming Language")}
    assert {"3.10", "3.11", "3.12", "3.13"} <= versions
    assert metadata["Requires-Python"] == ">=3.10"
    assert "xdist" in metadata.get_all("Provides-Extra", [])
    assert metadata["Description-Content-Type"] == "text/markdown"


def test_the_wheel_in_a_fresh_environment_runs_the_examples(dist: Path, tmp_path: Path) -> None:
    environment = tmp_path / "venv"
    # Without pip of its own (this one installs into it: seconds faster) and without this
    # environment's packages: pytest and PyYAML come from the index as for any user.
    _run(sys.executable, "-m", "venv", "--without-pip", environment)
    scripts = environment / ("Scripts" if sys.platform == "win32" else "bin")
    python = scripts / "python"
    wheel = _one(dist, "*.whl")
    _run(sys.executable, "-m", "pip", "--python", python, "install", "-q", wheel)
    found = _run(python, "-c", "import pytest_warmup; print(pytest_warmup.__file__)")
    assert Path(found.strip()).is_relative_to(environment)
    # The examples as a copy, away from this checkout's sources.
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    result = subprocess.run(
        [python, "-m", "pytest", "-p", "no:cacheprovider", "examples"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout.splitlines()[-1]
    version = _run(scripts / "pytest-warmup", "--version")
    assert version.strip() == f"pytest-warmup {wheel.name.split('-')[1]}"
