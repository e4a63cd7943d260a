"""What ``warmup.example.yaml`` needs around it, for pytester suites.

``install(pytester)`` writes:

- an installed distribution ``acme-testkit``: package ``acme_testkit`` with ``plans.py``
  (``FacilityPlan``, ``ProgramPlan``), a packaged catalog ``acme_testkit/warmup.yaml`` (plan
  ``facility`` by entry point, requirement ``facility_de``) and a ``.dist-info`` publishing
  ``facility`` in the ``pytest_warmup.plans`` group;
- a local package ``support`` (``OrderPlan``, ``CustomerPlan``, the plan object ``audit_plan``,
  the Python requirement ``python_audit``) and ``catalogs/customers.yaml``;
- the example itself as ``example.yaml``, and a ``conftest.py`` that loads it, registers its
  fixtures and exposes it as ``CATALOG``.

Every plan prepares a node as ``{"plan", "id", "payload", "test", "deps"}`` (dependencies by
id) and records ``"<plan>:<id>[@<test>]"`` in ``prepared.log``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog_support import write, write_distribution

EXAMPLE = Path(__file__).parents[1] / "warmup.example.yaml"

ACME_PLANS = """
import pathlib

from pytest_warmup import WarmupPlan

LOG = pathlib.Path("prepared.log")


def _ids(value):
    if isinstance(value, tuple):
        return [member["id"] for member in value]
    return value["id"]


class RecordingPlan(WarmupPlan):
    def prepare_node(self, node):
        label = f"{self.name}:{node.id}" + (f"@{node.test_id}" if node.test_id else "")
        with LOG.open("a") as log:
            log.write(label + "\\n")
        return {
            "plan": self.name,
            "id": node.id,
            "payload": dict(node.payload),
            "test": node.test_id,
            "deps": {slot: _ids(value) for slot, value in node.deps.items()},
        }


class FacilityPlan(RecordingPlan):
    pass


class ProgramPlan(RecordingPlan):
    pass
"""

ACME_CATALOG = """
version: 1
plans:
  facility: {entry_point: facility}
requirements:
  facility_de: {plan: facility, payload: {country: DE}}
"""

SUPPORT_PLANS = """
from acme_testkit.plans import RecordingPlan


class OrderPlan(RecordingPlan):
    def __init__(self, name, *, currency):
        super().__init__(name)
        self.currency = currency

    def prepare_node(self, node):
        return {**super().prepare_node(node), "currency": self.currency}


class CustomerPlan(RecordingPlan):
    pass


class AuditPlan(RecordingPlan):
    pass


audit_plan = AuditPlan("audit")
"""

SUPPORT_DECLARATIONS = """
from support.plans import audit_plan

python_audit = audit_plan.require(id="python_audit", payload={"source": "python"})
"""

CUSTOMERS = """
version: 1
plans:
  customer: {class: "support.plans:CustomerPlan"}
requirements:
  customer_vip: {plan: customer, payload: {tier: VIP}}
"""

CONFTEST = """
from pytest_warmup.catalog import load_catalog
from pytest_warmup._catalog_fixtures import catalog_plugin

CATALOG = load_catalog("example.yaml")


def pytest_configure(config):
    config.pluginmanager.register(catalog_plugin(CATALOG), "example-catalog")
"""


def install(pytester: pytest.Pytester) -> None:
    """Write the example catalog and everything it refers to into ``pytester.path``."""
    root = pytester.path
    write_distribution(
        root,
        "acme-testkit",
        entry_points={"facility": "acme_testkit.plans:FacilityPlan"},
        files={
            "acme_testkit/__init__.py": "",
            "acme_testkit/plans.py": ACME_PLANS,
            "acme_testkit/warmup.yaml": ACME_CATALOG,
        },
    )
    write(root / "support/__init__.py", "")
    write(root / "support/plans.py", SUPPORT_PLANS)
    write(root / "support/declarations.py", SUPPORT_DECLARATIONS)
    write(root / "catalogs/customers.yaml", CUSTOMERS)
    write(root / "example.yaml", EXAMPLE.read_text(encoding="utf-8"))
    write(root / "conftest.py", CONFTEST)
    pytester.syspathinsert()


def prepared(pytester: pytest.Pytester) -> list[str]:
    """What the plans prepared, in order: ``"<plan>:<id>[@<test>]"`` lines."""
    log = pytester.path / "prepared.log"
    return log.read_text().splitlines() if log.exists() else []
