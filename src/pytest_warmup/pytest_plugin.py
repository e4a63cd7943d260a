"""Alias of :mod:`pytest_warmup.plugin` under the reference plugin's module name."""

from .plugin import *  # noqa: F403
from .plugin import __all__ as __all__
