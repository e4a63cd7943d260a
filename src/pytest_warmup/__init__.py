"""pytest-warmup: prepare expensive test resources in batches and inject them into tests.

Declare requirements on plans, prepare them from one producer fixture with
``warmup_mgr.use(*plans).prepare()``, and inject values with ``@warmup_param``. Without pytest,
:func:`pytest_warmup.engine.prepare` prepares what a set of consumers needs.

The public API is exactly ``__all__`` here, plus the public modules :mod:`pytest_warmup.engine`
(the pytest-free front door), :mod:`pytest_warmup.catalog` (``warmup.yaml`` without pytest) and
:mod:`pytest_warmup.errors`. Modules whose names start with ``_`` are internal.
"""

from __future__ import annotations

from typing import Any

from ._binding import warmup_param
from ._declarations import WarmupPlan, WarmupRequirement
from ._nodes import WarmupNode
from ._runtime import WarmupRuntime
from .errors import (
    CatalogError,
    DependencyCycleError,
    NodeFailedError,
    NotPreparedError,
    WarmupError,
)


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
    "CatalogError",
    "DependencyCycleError",
    "NodeFailedError",
    "NotPreparedError",
    "WarmupError",
    "WarmupNode",
    "WarmupPlan",
    "WarmupRequirement",
    "WarmupRuntime",
    "__version__",
    "warmup_param",
]
