"""The reference plugin's module name: ``-p pytest_warmup.pytest_plugin`` loads pytest-warmup.

Installed normally, the ``pytest11`` entry point already loads :mod:`pytest_warmup.plugin`;
this module then does nothing.
"""

from __future__ import annotations

import pytest

from . import plugin

__all__: list[str] = []


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    if not pluginmanager.is_registered(plugin):
        pluginmanager.register(plugin, "pytest_warmup.plugin")
