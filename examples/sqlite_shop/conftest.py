"""The database file and the producer of this folder.

``shop_database`` opens the SQLite file (in pytest's temporary directory; under pytest-xdist
one file for every worker, so that values one worker prepared exist for all) and closes it at
the end of the session. ``shop_data`` prepares everything the selected tests bind: one
``executemany`` per plan, whatever the number of tests. The run's last lines count the round
trips to the database and the rows left behind: none, cleanup deleted every row it made.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from .plans import customers, orders, products
from .shop import Database, database

#: table -> rows still in it when the session ended
left_behind: dict[str, int] = {}


@pytest.fixture(scope="session")
def shop_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    folder = tmp_path_factory.getbasetemp()
    if "PYTEST_XDIST_WORKER" in os.environ:  # the workers' folders share a parent
        folder = folder.parent
    database.open(folder / "shop.sqlite3")
    yield database
    # Whatever wrote rows depends on this fixture, so it is torn down by now and has deleted
    # them (unless --warmup-keep kept them, or another xdist worker still uses its own).
    left_behind.update(database.rows_left())
    database.close()


@pytest.fixture(scope="session")
def shop_data(warmup_mgr: Any, shop_database: Database) -> Any:
    return warmup_mgr.use(customers, products, orders).prepare()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    # compare.py reads this line; it is worth a look on its own too.
    if database.round_trips:
        latency = database.latency_seconds * 1000
        terminalreporter.write_line(
            f"sqlite_shop: {database.round_trips} round trips to the database "
            f"(SHOP_LATENCY_MS={latency:g}), {sum(left_behind.values())} rows left behind"
        )
