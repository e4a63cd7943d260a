"""pytest-warmup: prepare expensive test resources in batches and inject them into tests.

Declare requirements on plans, prepare them from one producer fixture with
``warmup_mgr.use(*plans).prepare()``, and inject values with ``@warmup_param``.
"""

from __future__ import annotations

from typing import Any

from .binding import warmup_param
from .declarations import WarmupPlan, WarmupRequirement
from .errors import WarmupError
from .nodes import WarmupNode
from .runtime import WarmupRuntime


def __getattr__(name: str) -> Any:
    # ``__version__`` is read from the installed distribution on first use: looking it up
    # scans sys.path, which every pytest run would otherwise pay for at startup.
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("pytest-warmup")
    except PackageNotFoundError:  # running from a source tree that was never installed
        found = "0+unknown"
    globals()["__version__"] = found
    return found


__all__ = [
    "WarmupError",
    "WarmupNode",
    "WarmupPlan",
    "WarmupRequirement",
    "WarmupRuntime",
    "__version__",
    "warmup_param",
]
