"""``--warmup-plan``: the producers show what they would prepare; nothing else runs.

Like ``--setup-plan``, no test is called and no fixture function runs, but for the producers
(fixtures that request ``warmup_mgr``): each runs up to ``prepare()``, which selects, builds the
graph, applies the snapshot files and orders the batches without calling any plan
(:meth:`~pytest_warmup.engine.Run.preview`), then stops the producer with
:class:`PreviewStop`. The ``warmup plan`` section lists what the run record holds.
"""

from __future__ import annotations

import types
from collections.abc import Generator
from typing import Any, final

import pytest

from ._pytest_compat import skip_fixture

__all__ = ["PreviewStop", "preview_plugin"]


@final
class PreviewStop(Exception):
    """Raised by ``prepare()`` under ``--warmup-plan`` once its preview is recorded: the rest
    of the producer does not run."""


def _is_producer(fixturedef: pytest.FixtureDef[Any]) -> bool:
    return fixturedef.argname == "warmup_mgr" or "warmup_mgr" in fixturedef.argnames


def preview_plugin() -> types.ModuleType:
    """The fixture hooks of a ``--warmup-plan`` run (registered only then)."""

    @pytest.hookimpl(tryfirst=True, specname="pytest_fixture_setup")
    def skip_others(
        fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
    ) -> object | None:
        """Every fixture but ``warmup_mgr`` and the producers is set up as ``None``."""
        return None if _is_producer(fixturedef) else skip_fixture(fixturedef, request)

    @pytest.hookimpl(wrapper=True, specname="pytest_fixture_setup")
    def stop_producers(
        fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
    ) -> Generator[None, Any, Any]:
        """A producer stopped by its previewing ``prepare()`` is set up as ``None``."""
        try:
            return (yield)
        except PreviewStop:
            return skip_fixture(fixturedef, request)

    plugin = types.ModuleType("pytest_warmup.preview", "pytest-warmup's --warmup-plan hooks.")
    vars(plugin).update(
        pytest_fixture_setup=skip_others, pytest_fixture_setup_preview_stop=stop_producers
    )
    return plugin
