"""pytest fixtures generated from a catalog's ``producers`` and ``fixtures``.

:func:`catalog_plugin` builds a plugin module holding one fixture function per catalog producer
and fixture; the plugin layer registers it (``config.pluginmanager.register(plugin,
"warmup-catalog")``). Generated fixtures are ordinary plugin fixtures: a conftest or test module
fixture of the same name overrides them.

- producer ``prepare_data: {scope: module, plans: [a, b], snapshot_id: orders}`` becomes::

      @pytest.fixture(scope="module")
      def prepare_data(warmup_mgr):
          return warmup_mgr.use(a, b).prepare(snapshot_id="orders")

- fixture ``main_program: {requirement: program_main, producer: prepare_data}`` becomes a
  function-scoped fixture that requests ``prepare_data`` and returns the value prepared for
  ``program_main``, bound with ``warmup_param(..., producer_fixture="prepare_data")``, so the
  producer prepares it for every test that uses ``main_program``.
"""

from __future__ import annotations

import inspect
import sys
import types
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from ._binding import warmup_param
from ._files import CatalogPath
from .catalog import Catalog, FixtureSpec, ProducerSpec, load_catalogs
from .errors import WarmupError

__all__ = ["catalog_plugin", "load_run_catalog"]

# The argument a value fixture's binding fills; hidden from pytest by warmup_param.
_VALUE_ARGUMENT = "_warmup_catalog_value"


def catalog_plugin(catalog: Catalog) -> types.ModuleType:
    """A plugin module whose attributes are the fixtures ``catalog`` declares."""
    plugin = types.ModuleType(
        "pytest_warmup.catalog_fixtures.generated",
        f"Fixtures declared in {', '.join(catalog.files) or 'no catalog'}.",
    )
    for producer in catalog.producers.values():
        setattr(plugin, producer.name, _producer_fixture(producer))
    for fixture in catalog.fixtures.values():
        setattr(plugin, fixture.name, _value_fixture(fixture))
    return plugin


def _producer_fixture(spec: ProducerSpec) -> Any:
    plans = spec.plans
    snapshot_id = spec.snapshot_id

    def producer(warmup_mgr: Any) -> Any:
        return warmup_mgr.use(*plans).prepare(snapshot_id=snapshot_id)

    plan_names = ", ".join(repr(plan.name) for plan in plans)
    _name(producer, spec.name, f"Producer declared at {spec.site}: prepares plans {plan_names}.")
    return pytest.fixture(scope=spec.scope, name=spec.name)(producer)


def _value_fixture(spec: FixtureSpec) -> Any:
    def value(**arguments: Any) -> Any:
        return arguments[_VALUE_ARGUMENT]

    # Requesting the producer puts it in the fixture closure of every test using this fixture,
    # so the producer covers those tests and prepares the requirement for them.
    parameters = [
        inspect.Parameter(spec.producer, inspect.Parameter.POSITIONAL_OR_KEYWORD),
        inspect.Parameter(_VALUE_ARGUMENT, inspect.Parameter.POSITIONAL_OR_KEYWORD),
    ]
    vars(value)["__signature__"] = inspect.Signature(parameters)
    _name(
        value,
        spec.name,
        f"Prepared value of requirement {spec.requirement.id!r} from producer "
        f"{spec.producer!r}, declared at {spec.site}.",
    )
    bound = warmup_param(_VALUE_ARGUMENT, spec.requirement, producer_fixture=spec.producer)(value)
    return pytest.fixture(scope=spec.scope, name=spec.name)(bound)


def _name(function: Any, name: str, doc: str) -> None:
    function.__name__ = name
    function.__qualname__ = name
    function.__doc__ = doc


def load_run_catalog(paths: Sequence[CatalogPath], rootpath: Path) -> Catalog:
    """The catalogs of this run (see :attr:`Settings.catalogs`), compiled into one. A catalog
    with problems is a usage error listing all of them."""
    # Plan classes are named by import path from the project root, as in `pytest-warmup check`.
    root = str(rootpath)
    added = root not in sys.path
    if added:
        sys.path.insert(0, root)
    try:
        return load_catalogs(paths)
    except WarmupError as error:
        raise pytest.UsageError(f"invalid warmup catalog:\n{error}") from None
    finally:
        if added:
            sys.path.remove(root)
