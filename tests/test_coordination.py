"""RunDirectory: what the pytest-xdist workers of one run share, on one machine."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pytest_warmup._coordination import RunDirectory
from pytest_warmup._files import process_exists


def test_records_are_stored_whole_and_read_back(tmp_path: Path) -> None:
    directory = RunDirectory(tmp_path)
    assert directory.get("scope:module:a.py::shop") is None
    directory.put("scope:module:a.py::shop", b"one")
    directory.put("scope:module:a.py::shop", b"two")
    assert directory.get("scope:module:a.py::shop") == b"two"
    assert directory.get("scope:module:b.py::shop") is None
    assert not [path for path in tmp_path.iterdir() if path.name.endswith(".tmp")]


def test_a_lock_is_held_by_one_holder_at_a_time(tmp_path: Path) -> None:
    directory = RunDirectory(tmp_path)
    inside: list[str] = []

    def hold(name: str) -> None:
        with directory.lock("key"):
            inside.append(f"{name} in")
            time.sleep(0.05)
            inside.append(f"{name} out")

    threads = [threading.Thread(target=hold, args=(name,)) for name in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [entry.split()[1] for entry in inside] == ["in", "out", "in", "out"]


def test_a_journal_keeps_its_entries_and_skips_a_line_cut_short(tmp_path: Path) -> None:
    directory = RunDirectory(tmp_path)
    directory.log("gw0", {"id": 1, "scope": "s", "created": ["customers 'vip'"]})
    directory.log("gw0", {"cleaned": 1})
    with open(tmp_path / "journal-gw0.jsonl", "a", encoding="ascii") as journal:
        journal.write('{"id": 2, "sco')  # the worker died in the middle of a write
    assert directory.journal("gw0") == [
        {"id": 1, "scope": "s", "created": ["customers 'vip'"]},
        {"cleaned": 1},
    ]
    assert directory.journal("gw1") == []


def test_waiting_ends_when_every_other_worker_is_done_or_gone(tmp_path: Path) -> None:
    directory = RunDirectory(tmp_path, poll=0.005)
    for worker in ("gw0", "gw1", "gw2"):
        directory.join(worker)  # all this process: alive
    ended = threading.Event()

    def wait() -> None:
        directory.wait_for_others("gw0", 3)
        ended.set()

    waiter = threading.Thread(target=wait)
    waiter.start()
    directory.done("gw1")
    assert not ended.wait(0.1)  # gw2 still runs
    directory.gone("gw2")
    assert ended.wait(5)
    waiter.join()


def test_waiting_waits_for_workers_that_have_not_joined_yet(tmp_path: Path) -> None:
    directory = RunDirectory(tmp_path, poll=0.005)
    directory.join("gw0")
    ended = threading.Event()

    def wait() -> None:
        directory.wait_for_others("gw0", 2)
        ended.set()

    waiter = threading.Thread(target=wait)
    waiter.start()
    assert not ended.wait(0.1)
    directory.join("gw1")
    directory.done("gw1")
    assert ended.wait(5)
    waiter.join()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="zombies are read from /proc")
def test_a_process_that_ended_does_not_run_even_before_it_is_reaped() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        deadline = time.monotonic() + 10
        while process_exists(child.pid) and time.monotonic() < deadline:
            time.sleep(0.01)  # not reaped: a zombie once it has exited
        assert not process_exists(child.pid)
    finally:
        child.wait()
    assert process_exists(os.getpid())


def test_a_worker_whose_process_ended_counts_as_gone(tmp_path: Path) -> None:
    directory = RunDirectory(tmp_path, poll=0.005)
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    (tmp_path / "joined-gw1").write_text(str(child.pid))
    directory.join("gw0")
    started = time.monotonic()
    directory.wait_for_others("gw0", 2)
    assert time.monotonic() - started < 5
