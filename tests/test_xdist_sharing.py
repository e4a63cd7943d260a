"""pytest-xdist: every resource prepared once per run and torn down once, across workers.

A fake external API appends every create, use and delete (with the worker and the time) to a
log. For each ``--dist`` mode, the creates and deletes of ``-n 2`` must be those of ``-n 0``, and
every delete must come after the last test that used the resource.
"""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest

pytest.importorskip("xdist")

API = """
import json, os, time, uuid
import pytest
from pytest_warmup import WarmupPlan

LOG = os.environ["WARMUP_LOG"]


def log(event, what):
    entry = [event, what, os.environ.get("PYTEST_XDIST_WORKER", "main"), time.time()]
    with open(LOG, "a") as stream:
        stream.write(json.dumps(entry) + "\\n")


class Api(WarmupPlan):
    def prepare_node(self, node):
        if node.payload.get("fail"):
            raise RuntimeError("the API said no")
        # what it is, and which one: several producer instances make a "customers:vip:"
        name = f"{self.name}:{node.id}:{node.test_id or ''}#{uuid.uuid4().hex[:8]}"
        for dependency in node.deps.values():
            assert isinstance(dependency, str), dependency
        log("create", name)
        return name

    def cleanup_node(self, node):
        log("delete", node.value)


customers = Api("customers")
orders = Api("orders")
vip = customers.require(id="vip")
broken = customers.require(id="broken", payload={"fail": True})
order = orders.require(id="order", dependencies={"customer": vip}, is_per_test=True)
doomed = orders.require(id="doomed", dependencies={"customer": broken})


@pytest.fixture(scope="session")
def session_prep(warmup_mgr):
    return warmup_mgr.use(customers, orders).prepare()
"""

PACKAGE_CONFTEST = """
import pytest


@pytest.fixture(scope="package")
def package_prep(warmup_mgr):
    from conftest import customers, orders
    return warmup_mgr.use(customers, orders).prepare()
"""

MODULE_TESTS = """
import pytest
from pytest_warmup import warmup_param
from conftest import vip, order, doomed, log, customers, orders

pytestmark = pytest.mark.usefixtures("{producer}")

@pytest.fixture(scope="{scope}")
def local_prep(warmup_mgr):
    return warmup_mgr.use(customers, orders).prepare()


@pytest.mark.parametrize("i", range(4))
@warmup_param("customer", vip, producer_fixture="{producer}")
@warmup_param("own", order, producer_fixture="{producer}")
def test_uses(customer, own, i):
    log("use", customer)
    log("use", own)
    assert own.startswith("orders:order:")


@warmup_param("value", doomed, producer_fixture="{producer}")
def test_doomed(value):
    pass


class TestInClass:
    @pytest.mark.parametrize("i", range(3))
    @warmup_param("customer", vip, producer_fixture="{producer}")
    def test_shared(self, customer, i):
        log("use", customer)
"""


PRODUCERS = {
    "test_a": ("session_prep", "module"),
    "test_b": ("package_prep", "module"),
    "test_c": ("local_prep", "module"),
    "test_d": ("local_prep", "class"),
    "test_e": ("local_prep", "function"),
}


def _suite(pytester: pytest.Pytester) -> None:
    """Five modules, one for each producer scope (session, package, module, class, function;
    a function-scoped producer is one test's, prepared where that test runs)."""
    pytester.makeconftest(API)
    package = pytester.mkpydir("shop")
    (package / "conftest.py").write_text(PACKAGE_CONFTEST)
    for name, (producer, scope) in PRODUCERS.items():
        (package / f"{name}.py").write_text(MODULE_TESTS.format(producer=producer, scope=scope))


def _run(pytester: pytest.Pytester, log: Path, *args: str) -> list[list[object]]:
    log.unlink(missing_ok=True)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    # test_doomed fails in each module (a failed dependency); everything else passes
    result.assert_outcomes(passed=35, errors=5)
    return [json.loads(line) for line in log.read_text().splitlines()]


def _events(entries: list[list[object]], kind: str) -> collections.Counter[str]:
    """What was created (used, deleted), without the suffix that tells instances apart."""
    return collections.Counter(
        str(what).partition("#")[0] for event, what, _, _ in entries if event == kind
    )


def _check_deletes_after_last_use(entries: list[list[object]]) -> None:
    """Each instance (the whole value, suffix included) is deleted after its last use."""
    last_use: dict[str, float] = {}
    for event, what, _, when in entries:
        if event == "use":
            last_use[str(what)] = max(last_use.get(str(what), 0.0), float(str(when)))
    for event, what, worker, when in entries:
        if event == "delete" and str(what) in last_use:
            assert float(str(when)) >= last_use[str(what)], (what, worker)


def _same_in_every_dist_mode(
    pytester: pytest.Pytester, log: Path, alone: list[list[object]], *args: str
) -> None:
    """Under -n 2, in every --dist mode, the run creates, uses and deletes what ``alone`` (the
    -n 0 run) did, on both workers, each delete after the last use of what it deletes."""
    for mode in ["load", "loadscope", "loadfile", "loadgroup", "worksteal"]:
        shared = _run(pytester, log, "-n", "2", "--dist", mode, *args)
        for kind in ("create", "use", "delete"):
            assert _events(shared, kind) == _events(alone, kind), (mode, kind)
        _check_deletes_after_last_use(shared)
        assert {worker for _, _, worker, _ in shared} == {"gw0", "gw1"}, mode


@pytest.fixture
def log(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = pytester.path / "api.log"
    monkeypatch.setenv("WARMUP_LOG", str(path))
    return path


def test_two_workers_create_and_delete_what_one_process_does_in_every_dist_mode(
    pytester: pytest.Pytester, log: Path
) -> None:
    _suite(pytester)
    alone = _run(pytester, log, "-n", "0")
    creates, deletes = _events(alone, "create"), _events(alone, "delete")
    assert creates == deletes
    # one VIP customer per producer instance pytest makes (the class-scoped producer has one
    # per class and one for each test outside a class; the function-scoped one, one per test
    # that binds it); one order per test that binds it
    assert creates["customers:vip:"] == 15
    assert sum(n for what, n in creates.items() if what.startswith("orders:order:")) == 20
    _same_in_every_dist_mode(pytester, log, alone)


CRASHING_TESTS = """
import os
import pytest
from pytest_warmup import warmup_param
from conftest import vip, order, log

pytestmark = pytest.mark.usefixtures("session_prep")


@pytest.mark.parametrize("i", range(6))
@warmup_param("customer", vip)
@warmup_param("own", order)
def test_uses(customer, own, i):
    log("use", customer)


@warmup_param("customer", vip)
def test_crashes(customer):
    os._exit(3)
"""


def test_a_worker_that_crashes_leaves_nothing_leaked_without_a_report(
    pytester: pytest.Pytester, log: Path
) -> None:
    pytester.makeconftest(API)
    pytester.makepyfile(test_crash=CRASHING_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    leaked = _events(entries, "create") - _events(entries, "delete")
    assert leaked  # the crashed worker could not clean up
    output = result.stdout.str()
    assert "went down before cleaning up what it had created" in output
    for what in leaked:
        plan, name, test = what.split(":", 2)
        assert f"{plan} {name!r}" + (f" for {test}" if test else "") in output


LOCAL_PLANS = """
import os, threading
import pytest
from pytest_warmup import WarmupPlan, warmup_param
from conftest import log


class Clients(WarmupPlan):
    per_worker = {per_worker}

    def prepare_node(self, node):
        log("create", f"client:{{os.environ['PYTEST_XDIST_WORKER']}}")
        return threading.Lock()  # cannot be pickled

    def cleanup_node(self, node):
        log("delete", "client")


clients = Clients("clients")
client = clients.require(id="client")


@pytest.fixture(scope="session")
def client_prep(warmup_mgr):
    return warmup_mgr.use(clients).prepare()


@pytest.mark.parametrize("i", range(4))
@warmup_param("value", client, producer_fixture="client_prep")
def test_client(client_prep, value, i):
    assert value.acquire(blocking=False)
    value.release()
"""


def test_a_per_worker_plan_is_prepared_by_each_worker(pytester: pytest.Pytester, log: Path) -> None:
    pytester.makeconftest(API)
    pytester.makepyfile(test_clients=LOCAL_PLANS.format(per_worker=True))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")
    result.assert_outcomes(passed=4)
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert _events(entries, "create") == {"client:gw0": 1, "client:gw1": 1}
    assert _events(entries, "delete") == {"client": 2}


def test_a_value_that_cannot_cross_names_the_plan_and_the_ways_out(
    pytester: pytest.Pytester, log: Path
) -> None:
    pytester.makeconftest(API)
    pytester.makepyfile(test_clients=LOCAL_PLANS.format(per_worker=False))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")
    result.assert_outcomes(errors=4)
    result.stdout.fnmatch_lines(
        [
            "E   WarmupError: the value of requirement 'client' (plan 'clients', declared at "
            "test_clients.py:*) cannot be handed to the other pytest-xdist workers: TypeError: "
            "*; make the value picklable, define serialize_snapshot_value and "
            "deserialize_snapshot_value on plan 'clients' (Clients), or set per_worker = True "
            "on it to prepare it on each worker"
        ]
    )
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    # prepared once, cleaned up at once; the other worker got the error, not a second try
    assert sum(_events(entries, "create").values()) == 1
    assert _events(entries, "delete") == {"client": 1}


def test_without_xdist_and_with_one_worker_nothing_changes(
    pytester: pytest.Pytester, log: Path
) -> None:
    pytester.makeconftest(API)
    pytester.makepyfile(test_crash=CRASHING_TESTS.replace("os._exit(3)", "pass"))
    counts = []
    for args in (["-p", "no:xdist"], ["-n", "1"], ["-n", "0"]):
        log.unlink(missing_ok=True)
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)
        result.assert_outcomes(passed=7)
        entries = [json.loads(line) for line in log.read_text().splitlines()]
        assert _events(entries, "create") == _events(entries, "delete")
        counts.append(_events(entries, "create"))
    assert counts[0] == counts[1] == counts[2]


def test_snapshot_values_replace_the_same_creates_with_and_without_workers(
    pytester: pytest.Pytester, log: Path
) -> None:
    _suite(pytester)
    bundle = {
        "version": 1,
        "scopes": {
            "session:.::session_prep": {
                "shared": {"vip": {"value": "customers:vip:from-file"}},
                "tests": {
                    "shop/test_a.py::test_uses[0]": {"order": {"value": "orders:order:from-file"}}
                },
            },
            "module:shop/test_c.py::local_prep": {
                "tests": {
                    "shop/test_c.py::test_uses[2]": {"order": {"value": "orders:order:from-file"}}
                },
            },
        },
    }
    (pytester.path / "bundle.json").write_text(json.dumps(bundle))
    alone = _run(pytester, log, "-n", "0", "--warmup-snapshot", "bundle.json")
    creates, deletes = _events(alone, "create"), _events(alone, "delete")
    assert creates == deletes
    # the session's customer and two tests' orders come from the file: nobody creates them
    assert creates["customers:vip:"] == 14
    assert "orders:order:shop/test_a.py::test_uses[0]" not in creates
    assert "orders:order:shop/test_c.py::test_uses[2]" not in creates
    assert _events(alone, "use")["customers:vip:from-file"] == 7  # test_a's tests
    _same_in_every_dist_mode(pytester, log, alone, "--warmup-snapshot", "bundle.json")


FAILING_TESTS = """
import pytest
from pytest_warmup import warmup_param
from conftest import vip, order, log

pytestmark = pytest.mark.usefixtures("session_prep")


@pytest.mark.parametrize("i", range(8))
@warmup_param("customer", vip)
@warmup_param("own", order)
def test_uses(customer, own, i):
    log("use", own)
    assert i != 3
"""


@pytest.mark.parametrize(
    "args",
    [["-n", "auto"], ["-n", "2", "-x"], ["-n", "2", "--lf"]],
    ids=["auto", "exitfirst", "last-failed"],
)
def test_every_create_has_its_delete_with_auto_x_and_lf(
    pytester: pytest.Pytester, log: Path, args: list[str]
) -> None:
    pytester.makeconftest(API)
    pytester.makepyfile(test_fails=FAILING_TESTS)
    if "--lf" in args:  # a first run records the failure
        pytester.runpytest_subprocess("-n", "2")
        log.unlink()
    result = pytester.runpytest_subprocess(*args)
    # pytest-xdist ends a run that -x stopped as interrupted
    stopped = pytest.ExitCode.INTERRUPTED if "-x" in args else pytest.ExitCode.TESTS_FAILED
    assert result.ret == stopped
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    creates = _events(entries, "create")
    assert creates == _events(entries, "delete")
    assert creates["customers:vip:"] == 1
    if "--lf" in args:  # only the failed test ran, and only its order was made
        result.assert_outcomes(failed=1)
        assert creates == {"customers:vip:": 1, "orders:order:test_fails.py::test_uses[3]": 1}


def test_the_merged_report_lists_each_instance_once(pytester: pytest.Pytester, log: Path) -> None:
    pytester.makeconftest(API)
    pytester.makepyfile(test_crash=CRASHING_TESTS.replace("os._exit(3)", "pass"))
    instances = []
    for args in (["-n", "0"], ["-n", "2"]):
        result = pytester.runpytest_subprocess("--warmup-report", "report.json", *args)
        result.assert_outcomes(passed=7)
        report = json.loads((pytester.path / "report.json").read_text())
        (section,) = report["scopes"].values()
        instances.append(
            sorted(
                (entry["plan"], entry["public_id"], entry["test_id"] or "")
                for entry in section["runtime_instances"]
            )
        )
        assert len(section["selected_test_ids"]) == 7
    assert instances[0] == instances[1]
    assert instances[0].count(("customers", "vip", "")) == 1


def test_a_failed_per_test_value_is_a_setup_error_with_and_without_workers(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_failing="""
        import pytest
        from pytest_warmup import WarmupPlan, warmup_param

        class Broken(WarmupPlan):
            def prepare_node(self, node):
                raise RuntimeError("no seats left")

        broken = Broken("broken")
        own = broken.require(id="own", is_per_test=True)

        @pytest.fixture(scope="module")
        def producer(warmup_mgr):
            return warmup_mgr.use(broken).prepare()

        @warmup_param("value", own)
        def test_one(producer, value):
            pass

        @warmup_param("value", own)
        def test_two(producer, value):
            pass
        """
    )
    for workers in ("0", "2"):
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", workers)
        result.assert_outcomes(errors=2)
