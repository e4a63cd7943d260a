"""pytest-warmup: prepare expensive test resources in batches and inject them into tests.

Declare requirements on plans, prepare them from one producer fixture with
``warmup_mgr.use(*plans).prepare()``, and inject values with ``@warmup_param``. Without pytest,
:func:`pytest_warmup.engine.prepare` prepares what a set of consumers needs.

The public API is exactly ``__all__`` here, plus the public modules :mod:`pytest_warmup.engine`
(the pytest-free front door), :mod:`pytest_warmup.catalog` (``warmup.yaml`` without pytest) and
:mod:`pytest_warmup.errors`. Modules whose names start with ``_`` are internal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
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

# Loaded on first use: pytest imports this package for its plugin in every run, and a run
# whose tests never use pytest-warmup should not pay for the engine (PEP 562).
_LAZY: Final = {
    "warmup_param": "._binding",
    "WarmupPlan": "._declarations",
    "WarmupRequirement": "._declarations",
    "WarmupNode": "._nodes",
    "WarmupRuntime": "._runtime",
    "CatalogError": ".errors",
    "DependencyCycleError": ".errors",
    "NodeFailedError": ".errors",
    "NotPreparedError": ".errors",
    "WarmupError": ".errors",
}


_PUBLIC_MODULES: Final = ("catalog", "engine", "errors")


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is not None:
        # Not kept in this module's namespace: pytester's in-process runs unload the modules
        # a run imported, and the next run must get the same copy the plugin sees.
        from importlib import import_module

        return getattr(import_module(module, __name__), name)
    if name in _PUBLIC_MODULES:  # ``import pytest_warmup; pytest_warmup.engine``
        from importlib import import_module

        return import_module(f".{name}", __name__)
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    # read from the installed distribution: looking it up scans sys.path
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("pytest-warmup")
    except PackageNotFoundError:  # running from a source tree that was never installed
        found = "0+unknown"
    globals()["__version__"] = found
    return found


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


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
