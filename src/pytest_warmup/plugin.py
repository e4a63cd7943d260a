"""pytest hooks, options and the ``warmup_mgr`` fixture: thin glue over :mod:`.session`."""

from __future__ import annotations

import argparse
import os
import traceback
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import pytest

from .binding import bindings_of
from .errors import NodeFailedError, WarmupError
from .resolution import producer_for_item
from .session import SESSION_KEY, WarmupManager, WarmupSession

__all__ = ["warmup_mgr"]

DEFAULT_MAX_WORKERS = 4


def worker_count(value: str) -> int:
    """argparse type for ``--warmup-workers``: a whole number of at least 1."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of at least 1 (1 = strictly sequential), got {value!r}"
        )
    return number


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pytest-warmup", "batch preparation of expensive test resources")
    group.addoption(
        "--warmup-workers",
        dest="warmup_workers",
        type=worker_count,
        default=None,
        metavar="N",
        help="prepare up to N independent plan batches at the same time "
        f"(default: ini warmup_max_workers, else {DEFAULT_MAX_WORKERS}; 1 = sequential)",
    )
    group.addoption(
        "--warmup-keep",
        dest="warmup_keep",
        action="store_true",
        default=None,
        help="keep prepared resources: skip the plans' cleanup (for debugging)",
    )
    parser.addini(
        "warmup_max_workers",
        help=f"default for --warmup-workers (default {DEFAULT_MAX_WORKERS})",
        default=str(DEFAULT_MAX_WORKERS),
    )
    parser.addini("warmup_keep", help="default for --warmup-keep", type="bool", default=False)


def pytest_configure(config: pytest.Config) -> None:
    workers = config.option.warmup_workers
    if workers is None:
        raw = config.getini("warmup_max_workers")
        try:
            workers = worker_count(str(raw))
        except argparse.ArgumentTypeError as exc:
            raise pytest.UsageError(f"ini option warmup_max_workers: {exc}") from None
    keep = config.option.warmup_keep
    if keep is None:
        keep = bool(config.getini("warmup_keep"))
    config.stash[SESSION_KEY] = WarmupSession(config, max_workers=workers, keep=keep)


def pytest_collection_finish(session: pytest.Session) -> None:
    session.config.stash[SESSION_KEY].set_items(session.items)


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> Generator[None, Any, Any]:
    state = request.config.stash[SESSION_KEY]
    state.enter_setup(fixturedef, request)
    try:
        return (yield)
    finally:
        state.leave_setup()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    yield
    # A test whose own binding needs a node that failed errors in setup, like a fixture would.
    bindings = bindings_of(getattr(item, "obj", None))
    if not bindings:
        return
    prepared = producer_for_item(item, bindings)
    if prepared is None:
        return
    state = item.config.stash[SESSION_KEY]
    for binding in bindings:
        try:
            prepared.value(state.requirement_of(binding), item.nodeid)
        except NodeFailedError:
            raise
        except WarmupError:
            continue  # lookup problems are the call phase's to report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    excinfo = call.excinfo
    if excinfo is not None and isinstance(excinfo.value, WarmupError) and report.failed:
        report.longrepr = WarmupErrorRepr.of(excinfo.value)  # type: ignore[assignment]
    return report


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    session.config.stash[SESSION_KEY].finish_all()


@pytest.fixture(scope="session")
def warmup_mgr(request: pytest.FixtureRequest) -> WarmupManager:
    """Call ``warmup_mgr.use(*plans).prepare()`` in a producer fixture and return the result."""
    return WarmupManager(request.config.stash[SESSION_KEY])


@dataclass(frozen=True)
class _Crash:
    message: str
    path: str = ""
    lineno: int = 0


@dataclass(frozen=True)
class WarmupErrorRepr:
    """A WarmupError shown as its message, without the plugin's traceback.

    A chained exception from user code (a plan that raised) keeps its traceback below.
    """

    text: str
    reprcrash: _Crash

    @classmethod
    def of(cls, error: WarmupError) -> WarmupErrorRepr:
        message = str(error).splitlines() or [""]
        lines = [f"E   {type(error).__name__}: {message[0]}"]
        lines.extend(f"E   {line}" for line in message[1:])
        cause = error.__cause__
        if cause is not None and not isinstance(cause, WarmupError):
            lines.append("")
            lines.append("The original exception:")
            lines.extend(_user_traceback(cause))
        return cls("\n".join(lines), _Crash(f"{type(error).__name__}: {message[0]}"))

    def toterminal(self, tw: Any) -> None:
        for line in self.text.splitlines():
            tw.line(line, red=line.startswith("E "))

    def __str__(self) -> str:
        return self.text


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def _user_traceback(error: BaseException) -> list[str]:
    """``error``'s traceback without pytest-warmup's own frames (they only relay the call)."""
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if not os.path.abspath(frame.filename).startswith(_PACKAGE_DIR)
    ]
    text = ["Traceback (most recent call last):", *traceback.format_list(frames)]
    text.extend(traceback.format_exception_only(type(error), error))
    return [line for chunk in text for line in chunk.rstrip("\n").splitlines()]
