"""How a WarmupError that pytest-warmup raised looks in a test report: its message, without
the plugin's traceback; a chained exception from user code (a plan that raised) keeps its own
traceback below."""

from __future__ import annotations

import os
import traceback
from dataclasses import dataclass
from typing import Any

import pytest

from ._session import WarmupSession
from .errors import WarmupError

__all__ = ["WarmupErrorRepr", "report_plugin_errors"]


def report_plugin_errors(
    session: WarmupSession, item: pytest.Item, call: pytest.CallInfo[None]
) -> pytest.TestReport | None:
    """The report of a failure from a ``WarmupError`` that pytest-warmup raised, shown as its
    message; ``None`` (pytest makes the report) for every other outcome."""
    excinfo = call.excinfo
    if excinfo is None or not isinstance(excinfo.value, WarmupError):
        return None
    if not session.raised_by_plugin(excinfo.value):
        return None  # raised by code that uses pytest-warmup: its traceback is the help
    report = pytest.TestReport.from_item_and_call(item, call)
    if report.failed:
        report.longrepr = WarmupErrorRepr.of(excinfo.value)  # type: ignore[assignment]
    return report


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
        if error.producer:
            lines.append(f"E   (raised while {error.producer} prepared)")
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
