"""How the processes of one run share work: locks, records, and who is still running.

pytest-xdist runs a suite in several worker processes. To prepare a shared resource once per
run, they need very little from each other, and :class:`Coordination` is all of it: a lock per
key, a small record per key, a journal per worker, and knowing when every other worker is done.
:class:`RunDirectory` implements it on one machine with a directory that the controller creates
for the run and removes at its end. A backend for several machines would implement the same
methods over a shared service (a lock service and a key-value store, both with expiry, and a
way to tell that a worker is gone).

Pure: neither pytest nor xdist is imported here.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

from ._files import process_exists, write_atomically

__all__ = ["Coordination", "RunDirectory"]


class Coordination(Protocol):
    """What the workers of one run share."""

    def lock(self, key: str) -> contextlib.AbstractContextManager[None]:
        """Hold ``key`` exclusively: the others wait (released when a holder dies)."""
        ...

    def get(self, key: str) -> bytes | None:
        """The record stored under ``key``, or ``None``."""
        ...

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key``, replacing what was there, all at once."""
        ...

    def log(self, worker: str, entry: dict[str, Any]) -> None:
        """Append ``entry`` to ``worker``'s journal (what it created and cleaned up)."""
        ...

    def journal(self, worker: str) -> list[dict[str, Any]]:
        """Every entry of ``worker``'s journal, oldest first."""
        ...

    def join(self, worker: str) -> None:
        """``worker`` (this process) takes part in the run."""
        ...

    def done(self, worker: str) -> None:
        """``worker`` runs no more tests."""
        ...

    def gone(self, worker: str) -> None:
        """``worker`` went down (the controller says so)."""
        ...

    def wait_for_others(
        self, worker: str, expected: int, *, tick: Callable[[list[str]], object] | None = None
    ) -> None:
        """Return once every worker but ``worker`` is done or gone, and at least ``expected``
        joined (or are gone). ``tick`` hears, about once a second, whom it still waits for."""
        ...


class RunDirectory:
    """:class:`Coordination` in a directory of one machine: ``fcntl`` (or ``msvcrt``) locks on
    files, records written atomically, one journal file per worker, marker files."""

    def __init__(self, path: Path | str, *, poll: float = 0.02) -> None:
        self.path = Path(path)
        self.poll = poll

    def _file(self, kind: str, key: str) -> Path:
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return self.path / f"{kind}-{digest}"

    @contextlib.contextmanager
    def lock(self, key: str) -> Iterator[None]:
        with open(self._file("lock", key), "a+b") as handle:
            _lock(handle.fileno())
            try:
                yield
            finally:
                _unlock(handle.fileno())

    def get(self, key: str) -> bytes | None:
        try:
            return self._file("record", key).read_bytes()
        except FileNotFoundError:
            return None

    def put(self, key: str, data: bytes) -> None:
        write_atomically(self._file("record", key), data)

    def log(self, worker: str, entry: dict[str, Any]) -> None:
        line = json.dumps(entry, ensure_ascii=True) + "\n"
        with open(self.path / f"journal-{worker}.jsonl", "a", encoding="ascii") as journal:
            journal.write(line)
            journal.flush()
            os.fsync(journal.fileno())

    def journal(self, worker: str) -> list[dict[str, Any]]:
        try:
            text = (self.path / f"journal-{worker}.jsonl").read_text("ascii")
        except FileNotFoundError:
            return []
        entries = []
        for line in text.splitlines():
            with contextlib.suppress(ValueError):  # a line cut short by a crash
                entries.append(json.loads(line))
        return entries

    def join(self, worker: str) -> None:
        write_atomically(self.path / f"joined-{worker}", str(os.getpid()).encode())

    def done(self, worker: str) -> None:
        write_atomically(self.path / f"done-{worker}", b"")

    def gone(self, worker: str) -> None:
        write_atomically(self.path / f"gone-{worker}", b"")

    def _still_running(self, worker: str) -> list[str]:
        running = []
        for joined in sorted(self.path.glob("joined-*")):
            other = joined.name.removeprefix("joined-")
            if other == worker or (self.path / f"done-{other}").exists():
                continue
            if (self.path / f"gone-{other}").exists() or not _alive(joined):
                continue
            running.append(other)
        return running

    def _joined_or_gone(self) -> int:
        names = {p.name.split("-", 1)[1] for p in self.path.glob("joined-*")}
        names |= {p.name.split("-", 1)[1] for p in self.path.glob("gone-*")}
        return len(names)

    def wait_for_others(
        self, worker: str, expected: int, *, tick: Callable[[list[str]], object] | None = None
    ) -> None:
        started = last_tick = time.monotonic()
        while True:
            running = self._still_running(worker)
            if not running and self._joined_or_gone() >= expected:
                return
            # A worker that never joined within a minute of this one being done is taken to
            # have failed to start (the controller says so too, with gone()).
            if not running and time.monotonic() - started > 60:
                return
            now = time.monotonic()
            if tick is not None and now - last_tick >= 1:
                last_tick = now
                tick(running)
            time.sleep(self.poll)


def _alive(joined: Path) -> bool:
    """Whether the process that wrote ``joined`` still runs."""
    try:
        pid = int(joined.read_text() or 0)
    except (OSError, ValueError):
        return True  # being written
    return pid <= 0 or process_exists(pid)


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        while True:
            try:
                msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
                return
            except OSError:  # LK_LOCK gives up after 10 s: keep waiting
                continue

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
