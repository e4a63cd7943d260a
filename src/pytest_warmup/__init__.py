"""pytest-warmup: prepare expensive test resources in batches and inject them into tests.

Declare requirements on plans, prepare them from one producer fixture with
``warmup_mgr.use(*plans).prepare()``, and inject values with ``@warmup_param``.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .binding import warmup_param
from .declarations import WarmupPlan, WarmupRequirement
from .errors import WarmupError
from .nodes import WarmupNode
from .runtime import WarmupRuntime

try:
    __version__ = version("pytest-warmup")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "WarmupError",
    "WarmupNode",
    "WarmupPlan",
    "WarmupRequirement",
    "WarmupRuntime",
    "__version__",
    "warmup_param",
]
