"""Small pieces of message text that several modules share: suggestions and file paths."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

__all__ = ["close_matches", "did_you_mean", "relative_path", "suggest"]


def close_matches(name: str, candidates: Iterable[str], n: int = 1) -> list[str]:
    """Up to ``n`` of ``candidates`` that look like ``name``, closest first."""
    import difflib  # loaded by the runs that have a typo to point at

    return difflib.get_close_matches(name, list(candidates), n=n)


def suggest(names: Sequence[str]) -> str:
    """`` (did you mean 'a' or 'b'?)`` for ``names``, or ``""`` when there are none."""
    if not names:
        return ""
    return f" (did you mean {' or '.join(map(repr, names))}?)"


def did_you_mean(name: str, candidates: Iterable[str], n: int = 1) -> str:
    """:func:`suggest` for the ``n`` candidates closest to ``name``."""
    return suggest(close_matches(name, candidates, n))


def relative_path(path: str | os.PathLike[str], start: str | os.PathLike[str] | None = None) -> str:
    """``path`` relative to ``start`` (default: the working directory) when it lies inside it,
    else ``path`` as given: messages show short paths without climbing out with ``..``."""
    text = os.fspath(path)
    try:
        relative = os.path.relpath(text, start)
    except ValueError:  # another drive on Windows
        return text
    outside = relative == os.pardir or relative.startswith(os.pardir + os.sep)
    return text if outside else relative
