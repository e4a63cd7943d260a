"""Files pytest-warmup writes: odd values survive, and a writer killed with ``kill -9`` leaves
nothing that matters to the next run (issue 14, items 5 and 13)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from pytest_warmup._files import load_document, render, temporary_path, write_document
from pytest_warmup._reports import to_plain

SURROGATE = "caf\udce9"  # a lone surrogate: what JSON's "\udce9" escape reads as


@pytest.mark.parametrize("name", ["out.json", "out.yaml"])
def test_text_that_is_not_valid_unicode_is_written_as_an_escape(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    write_document(path, {"version": 1, "value": SURROGATE, "plain": "café"})
    text = path.read_text(encoding="utf-8")
    assert "\\u" in text.lower()
    assert ("café" in text) == name.endswith(".yaml")  # JSON escapes all of it, then
    read = json.loads(text) if name.endswith(".json") else yaml.load(text, Loader=yaml.SafeLoader)
    assert read == {"version": 1, "value": SURROGATE, "plain": "café"}


def test_plain_text_stays_unescaped(tmp_path: Path) -> None:
    assert render({"a": "café"}, "out.json") == '{\n  "a": "café"\n}\n'
    assert render({"a": "café"}, "out.yaml") == "a: café\n"


def test_integers_too_long_to_write_in_decimal_are_written_in_hex() -> None:
    huge = 16**4000
    plain = to_plain({"n": huge, huge: [huge, 7]})
    assert plain == {"n": hex(huge), hex(huge): [hex(huge), 7]}
    render(plain, "out.json")
    render(plain, "out.yaml")


def test_a_written_surrogate_reads_back_as_a_snapshot(tmp_path: Path) -> None:
    path = tmp_path / "saved.json"
    write_document(path, {"version": 1, "shared": {"a": {"value": SURROGATE}}})
    assert load_document(str(path), "snapshot file")["shared"]["a"]["value"] == SURROGATE


# -- temporary files of writers that died --------------------------------------------------------

WRITER = """
import sys, time
from pathlib import Path
from pytest_warmup._files import temporary_path

# What write_document does first; then hang, as if killed before writing and renaming.
temporary = temporary_path(Path(sys.argv[1]))
temporary.open("x").close()
print(temporary, flush=True)
time.sleep(60)
"""


def test_temporary_files_of_a_writer_killed_with_sigkill_are_removed(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    with subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(WRITER), str(target)],
        stdout=subprocess.PIPE,
        text=True,
    ) as writer:
        assert writer.stdout is not None
        leftover = Path(writer.stdout.readline().strip())
        os.kill(writer.pid, signal.SIGKILL)
    assert leftover.exists()
    assert leftover.stat().st_size == 0  # the zero-byte file issue 14 found
    write_document(target, {"version": 1})
    assert not leftover.exists()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["report.json"]


def test_temporary_files_of_live_writers_and_other_files_are_kept(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    live = tmp_path / f".report.json.{os.getppid()}.0123abcd.tmp"  # our parent is alive
    own = temporary_path(target)  # this process: maybe another thread's write
    unrelated = [
        tmp_path / ".report.json.x.0123abcd.tmp",
        tmp_path / ".report.json.1.2.0123abcd.tmp",
        tmp_path / ".other.json.999999999.0123abcd.tmp",
        tmp_path / "report.json.999999999.0123abcd.tmp",
    ]
    for path in [live, own, *unrelated]:
        path.touch()
    write_document(target, {"version": 1})
    assert all(path.exists() for path in [live, own, *unrelated])


def test_a_dead_writers_temporary_file_of_another_target_is_not_touched(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(dead.stdout)
    mine = tmp_path / f".report.json.{pid}.0123abcd.tmp"
    other = tmp_path / f".template.json.{pid}.0123abcd.tmp"
    mine.touch()
    other.touch()
    write_document(tmp_path / "report.json", {"version": 1})
    assert not mine.exists()
    assert other.exists()


# -- the end of a run ----------------------------------------------------------------------------

SURROGATE_SUITE = """
import pytest
from pytest_warmup import WarmupPlan, warmup_param


class Plan(WarmupPlan):
    def prepare_node(self, node):
        return dict(node.payload)


PLAN = Plan("plan")
NAME = PLAN.require(id="name", payload={"name": "caf\\udce9"})
OTHER = PLAN.require(id="other", payload={"n": 1})


@pytest.fixture(scope="module")
def prep(warmup_mgr):
    return warmup_mgr.use(PLAN).prepare()


@warmup_param("name", NAME)
@warmup_param("other", OTHER)
def test_values(prep, name, other):
    assert name == {"name": "caf\\udce9"}
    assert other == "caf\\udce9"
"""


def test_a_lone_surrogate_in_a_payload_or_snapshot_value_loses_no_output_file(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_values=SURROGATE_SUITE)
    (pytester.path / "snap.json").write_text(
        '{"version": 1, "scopes": {"module:test_values.py::prep": '
        '{"shared": {"other": {"value": "caf\\udce9"}}}}}',
        encoding="utf-8",
    )
    result = pytester.runpytest(
        "--warmup-snapshot",
        "snap.json",
        "--warmup-report",
        "report.json",
        "--warmup-export-template",
        "template.yaml",
    )
    result.assert_outcomes(passed=1)
    assert result.ret == 0
    report = json.loads((pytester.path / "report.json").read_text(encoding="utf-8"))
    section = report["scopes"]["module:test_values.py::prep"]
    assert section["overrides"]["shared"] == {"other": SURROGATE}
    payloads = {node["public_id"]: node["payload"] for node in section["normalized_nodes"]}
    assert payloads["name"] == {"name": SURROGATE}
    template = yaml.safe_load((pytester.path / "template.yaml").read_text(encoding="utf-8"))
    assert template["scopes"]["module:test_values.py::prep"]["shared"] == {"name": {}, "other": {}}
