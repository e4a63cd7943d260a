"""How a WarmupError that pytest-warmup raised looks in a test report: its message, without
the plugin's traceback; a chained exception from user code (a plan that raised) keeps its own
traceback below.

One failure often reaches many tests (a failed node, a producer whose snapshot file is wrong).
Each of them is an error with the first line of the message; the rest of the explanation and
the original traceback are shown once, for the first test, and the others point there. The
report is made without pytest's traceback formatting, which it would throw away.
"""

from __future__ import annotations

import os
import traceback
from dataclasses import dataclass
from typing import Any

import pytest

from . import _pytest_compat as compat
from ._session import WarmupSession
from .errors import WarmupError

__all__ = ["WarmupErrorRepr", "report_plugin_errors"]


def report_plugin_errors(
    session: WarmupSession, item: pytest.Item, call: pytest.CallInfo[None]
) -> pytest.TestReport | None:
    """The report of a failure from a ``WarmupError`` that pytest-warmup raised, shown as its
    message; ``None`` (pytest makes the report) for every other outcome."""
    excinfo = call.excinfo
    if excinfo is None:
        return None
    if _is_group(excinfo.value):  # several finalizers failed in one teardown
        return _group_report(session, item, call, excinfo.value)
    if not isinstance(excinfo.value, WarmupError):
        return None
    error = excinfo.value
    if not session.raised_by_plugin(error):
        return None  # raised by code that uses pytest-warmup: its traceback is the help
    root = _root(error)
    shown_for = session.shown_in_full.setdefault(id(root), item.nodeid)
    full = shown_for == item.nodeid
    return compat.failure_report(item, call, WarmupErrorRepr.of(error, None if full else shown_for))


def _is_group(error: BaseException) -> bool:
    return any(cls.__name__ == "BaseExceptionGroup" for cls in type(error).__mro__)


def _leaves(error: BaseException) -> list[BaseException]:
    if _is_group(error):
        return [leaf for inner in error.exceptions for leaf in _leaves(inner)]  # type: ignore[attr-defined]
    return [error]


def _group_report(
    session: WarmupSession, item: pytest.Item, call: pytest.CallInfo[None], group: BaseException
) -> pytest.TestReport | None:
    """pytest gathers the errors of a teardown's finalizers in an exception group: when all of
    them are pytest-warmup's own (cleanups that failed), each is shown as its message."""
    leaves = _leaves(group)
    if not all(isinstance(leaf, WarmupError) and session.raised_by_plugin(leaf) for leaf in leaves):
        return None
    reprs = [WarmupErrorRepr.of(leaf) for leaf in leaves if isinstance(leaf, WarmupError)]
    text = "\n\n".join(found.text for found in reprs)
    return compat.failure_report(item, call, WarmupErrorRepr(text, reprs[0].reprcrash))


def _root(error: WarmupError) -> BaseException:
    """What makes two reports the same failure: the plan's exception behind a failed node, or
    the error itself."""
    cause = error.__cause__
    return cause if cause is not None and not isinstance(cause, WarmupError) else error


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
    def of(cls, error: WarmupError, shown_for: str | None = None) -> WarmupErrorRepr:
        """The whole explanation, or, when ``shown_for`` names the test whose report shows it
        in full, its first line and a pointer there."""
        message = str(error).splitlines() or [""]
        crash = _Crash(f"{type(error).__name__}: {message[0]}")
        lines = [f"E   {crash.message}"]
        if shown_for is not None:
            lines.append(f"E   (shown in full above, for {shown_for})")
            return cls("\n".join(lines), crash)
        lines.extend(f"E   {line}" for line in message[1:])
        if error.producer:
            lines.append(f"E   (raised while {error.producer} prepared)")
        cause = error.__cause__
        if cause is not None and not isinstance(cause, WarmupError):
            lines.append("")
            lines.append("The original exception:")
            lines.extend(_user_traceback(cause))
        return cls("\n".join(lines), crash)

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
