"""Binding on a fixture: a fixture receives the prepared value and builds on it.

Tests then use the fixture and never mention pytest-warmup. Run it with
``pytest examples/fixture_binding_usage.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from pytest_warmup import WarmupNode, WarmupPlan, warmup_param


class AccountPlan(WarmupPlan):
    def prepare_node(self, node: WarmupNode) -> dict[str, str]:
        role = node.payload["role"]
        return {"account_id": f"acct-{role}", "role": role}


accounts = AccountPlan("accounts")
admin_account = accounts.require(payload={"role": "admin"}, id="admin_account")
viewer_account = accounts.require(payload={"role": "viewer"}, id="viewer_account")


@dataclass
class FakeClient:
    """Stands in for an API client that acts on behalf of one account."""

    account: dict[str, str]
    closed: bool = False
    sent: list[str] = field(default_factory=list)

    def send(self, message: str) -> str:
        self.sent.append(message)
        return f"{self.account['role']}: {message}"


@pytest.fixture(scope="module")
def prepared_accounts(warmup_mgr: Any) -> Any:
    return warmup_mgr.use(accounts).prepare()


# @warmup_param goes below @pytest.fixture, so pytest registers the wrapped function. The
# fixture requests the producer itself; every test that uses the fixture is then covered by the
# producer, and its requirement is prepared in the producer's batch.
@pytest.fixture
@warmup_param("account", admin_account)
def admin_client(prepared_accounts: object, account: dict[str, str]) -> FakeClient:
    return FakeClient(account)


# Generator fixtures work too: the value is injected before the fixture's setup code runs.
@pytest.fixture
@warmup_param("account", viewer_account)
def viewer_client(prepared_accounts: object, account: dict[str, str]) -> Iterator[FakeClient]:
    client = FakeClient(account)
    yield client
    client.closed = True


# These tests only see ordinary fixtures.
def test_admin_client_acts_as_admin(admin_client: FakeClient) -> None:
    assert admin_client.send("hello") == "admin: hello"


def test_viewer_client_acts_as_viewer(viewer_client: FakeClient) -> None:
    assert viewer_client.account["role"] == "viewer"
    assert viewer_client.send("hi") == "viewer: hi"


# A test can mix a bound fixture with its own binding; both read the same producer, so the
# fixture's client and the test's argument hold the very same prepared account.
@warmup_param("account", admin_account)
def test_fixture_and_test_share_one_prepared_value(
    admin_client: FakeClient, account: dict[str, str]
) -> None:
    assert admin_client.account is account
