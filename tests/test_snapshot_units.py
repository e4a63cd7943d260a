"""The snapshot engine without pytest: section checks against a fake run, state, scope checks."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from pytest_warmup import WarmupError, WarmupPlan
from pytest_warmup._graph import Graph, normalise
from pytest_warmup._overrides import deserialize_overrides, overrides_for, select_overrides
from pytest_warmup._selection import TestState
from pytest_warmup._snapshot_options import SnapshotState, unused_targets_message
from pytest_warmup._snapshots import CollectedTest, Entry, Section, unknown_scopes
from pytest_warmup.engine import Overrides, prepare

PLAN = WarmupPlan("plan")
DB = PLAN.require(id="db")
USER = PLAN.require(id="user", dependencies={"db": DB}, is_per_test=True)


@dataclass
class FakeView:
    """A run where ``tests`` use the producer and reach the given ids."""

    tests: dict[str, frozenset[str]] = field(default_factory=dict)
    states: dict[str, TestState] = field(default_factory=dict)
    complete: bool = True
    producer: str = "prep"

    def ids_of_test(self, test_id: str) -> frozenset[str] | None:
        return self.tests.get(test_id)

    def shared_ids(self) -> frozenset[str]:
        return frozenset().union(*self.tests.values())

    def test_ids(self) -> frozenset[str]:
        return frozenset(self.tests)

    def test_state(self, test_id: str) -> TestState:
        return self.states.get(test_id, "missing")


def graph_for() -> Graph:
    return normalise([USER])


def section(**parts: object) -> Section:
    return Section("the section", **parts)  # type: ignore[arg-type]


BOTH = FakeView(tests={"t::a": frozenset({"db", "user"}), "t::b": frozenset({"db", "user"})})


def test_entries_for_this_prepare_are_selected_in_graph_order() -> None:
    entries = section(
        shared={"db": Entry(True, 1)},
        tests={"t::b": {"user": Entry(True, "b")}, "t::a": {"db": Entry(True, "a")}},
    )
    chosen = select_overrides(entries, graph_for(), {"t::a", "t::b"}, BOTH, strict=False)
    assert chosen.errors == chosen.warnings == []
    assert [(node.label, raw) for node, raw in chosen.shared] == [("db", 1)]
    assert [(node.label, test, raw) for node, test, raw in chosen.tests] == [
        ("db", "t::a", "a"),
        ("user", "t::b", "b"),
    ]
    overrides = overrides_for(
        entries, graph_for(), {"t::a", "t::b"}, BOTH, strict=False, warn=pytest.fail
    )
    assert overrides.shared == {DB: 1}
    assert overrides.local == {"t::a": {DB: "a"}, "t::b": {USER: "b"}}
    assert overrides.raw == {
        "shared": {"db": 1},
        "tests": {"t::a": {"db": "a"}, "t::b": {"user": "b"}},
    }


def test_entries_of_tests_outside_this_prepare_are_skipped() -> None:
    entries = section(tests={"t::b": {"user": Entry(True, "b")}})
    chosen = select_overrides(entries, graph_for(), {"t::a"}, BOTH, strict=True)
    assert chosen.errors == chosen.warnings == []
    assert chosen.tests == []


def test_overrides_are_preset_and_traced() -> None:
    entries = section(
        shared={"db": Entry(True, "raw db")}, tests={"t::a": {"user": Entry(True, 2)}}
    )
    view = FakeView(tests={"t::a": frozenset({"db", "user"})})

    def choose(graph: Graph) -> Overrides:
        return overrides_for(entries, graph, {"t::a"}, view, strict=False, warn=pytest.fail)

    prepared = prepare({"t::a": [USER]}, overrides=choose)
    record = prepared.record
    assert record.overrides == {"shared": {"db": "raw db"}, "tests": {"t::a": {"user": 2}}}
    assert record.runtime is not None
    assert record.runtime.trace == ["override_shared:db", "override_test:t::a:user"]
    assert [node.value for node in prepared.instances] == ["raw db", 2]
    assert all(node.overridden for node in prepared.instances)


def test_known_names_are_listed_up_to_ten() -> None:
    view = FakeView(tests={f"t::{n:02}": frozenset() for n in range(12)})
    chosen = select_overrides(
        section(tests={"t::x": {"db": Entry(True, 1)}}), graph_for(), set(), view, strict=False
    )
    (message,) = chosen.errors
    assert message.endswith("'t::07', 't::08', 't::09', ... (12 in total)")


def test_strict_turns_every_warning_into_an_error() -> None:
    loose = select_overrides(
        section(shared={"dbb": Entry(False)}), graph_for(), set(), FakeView(), strict=False
    )
    strict = select_overrides(
        section(shared={"dbb": Entry(False)}), graph_for(), set(), FakeView(), strict=True
    )
    assert loose.errors == strict.warnings == []
    assert loose.warnings == strict.errors
    assert loose.warnings[0].startswith("unknown shared override id 'dbb' in the section")


def test_rejected_values_carry_the_first_foreign_cause() -> None:
    class Picky(WarmupPlan):
        def deserialize_snapshot_value(self, requirement: object, raw: object) -> object:
            raise LookupError(raw)

    value = Picky("picky").require(id="v")
    chosen = select_overrides(
        section(shared={"v": Entry(True, 5)}), normalise([value]), set(), FakeView(), strict=False
    )
    with pytest.raises(WarmupError) as caught:
        deserialize_overrides(chosen, "the section")
    assert str(caught.value) == (
        "plan 'picky' rejected the snapshot value of shared override 'v' in the section: "
        "LookupError: 5"
    )
    assert isinstance(caught.value.__cause__, LookupError)


def test_new_option_values_drop_claims() -> None:
    state = SnapshotState()
    owner, intruder = object(), object()
    state.use_options(None, ["main=a.json"])
    state.claim("main", owner, "'prep'")
    state.claim("main", owner, "'prep'")  # the same definition again: fine
    with pytest.raises(WarmupError, match="already used by producer 'prep'"):
        state.claim("main", intruder, "'other'")
    state.use_options(None, "main=b.json")  # code may assign one string
    assert state.targets == ("main=b.json",)
    assert state.claimed == frozenset()
    state.claim("main", intruder, "'other'")


def test_state_is_inactive_without_files() -> None:
    state = SnapshotState()
    state.use_options("", ["", "  "])
    assert not state.active


def test_unused_targets_message_ignores_malformed_values() -> None:
    assert unused_targets_message(["b=x", "a=y", "junk", ""], {"b"}) == (
        "unused --warmup-snapshot-for targets: 'a'; no producer executed "
        "prepare(snapshot_id=...) with these ids in this run"
    )
    assert unused_targets_message("a=y", {"a"}) is None


@pytest.mark.parametrize(
    ("scope_id", "suggestion"),
    [
        ("session:srcs::prep", "session:src::prep"),
        ("package:src/pkgg::prep", "package:src/pkg::prep"),
        ("class:src/pkg/test_a.py::TestKK::prep", "class:src/pkg/test_a.py::TestK::prep"),
        (
            "function:src/pkg/test_a.py::TestK::test_x[2]::prep",
            "function:src/pkg/test_a.py::TestK::test_x[1]::prep",
        ),
    ],
)
def test_unknown_scope_anchor_suggests_anchors_of_the_same_kind(
    scope_id: str, suggestion: str
) -> None:
    collected = [CollectedTest("src/pkg/test_a.py::TestK::test_x[1]", frozenset({"prep"}))]
    ((message, certain),) = unknown_scopes(
        {scope_id: section()}, collected, lambda path: False, "b.json"
    )
    assert message.endswith(f"(did you mean {suggestion!r}?)")
    assert not certain  # an empty section: a warning


def test_the_scope_ids_of_the_runs_producers_are_not_reported() -> None:
    collected = [
        CollectedTest(
            "src/test_a.py::test_x",
            frozenset({"prep", "shop"}),
            frozenset({"session:src::prep", "module:src/test_a.py::shop"}),
        )
    ]
    scopes = {"session:src::prep": section(), "module:src/test_a.py::shop": section()}
    assert unknown_scopes(scopes, collected, lambda path: False, "b.json") == []


def test_a_scope_id_no_producer_has_is_certain_when_it_carries_a_value() -> None:
    collected = [
        CollectedTest(
            "src/test_a.py::test_x", frozenset({"shop"}), frozenset({"module:src/test_a.py::shop"})
        )
    ]
    scopes = {
        "session:.::shop": section(shared={"ada": Entry(True, 1)}),
        "module:src::shop": section(shared={"ada": Entry(False)}),
    }
    found = unknown_scopes(scopes, collected, lambda path: False, "b.json")
    assert found == [
        (
            "unknown snapshot scope 'session:.::shop' in 'b.json': no producer instance of this "
            "run has that scope id (fixture 'shop' is not set up for '.' at session scope) (did "
            "you mean 'module:src/test_a.py::shop'?)",
            True,
        ),
        (
            "unknown snapshot scope 'module:src::shop' in 'b.json': no producer instance of this "
            "run has that scope id (fixture 'shop' is not set up for 'src' at module scope) (did "
            "you mean 'module:src/test_a.py::shop'?)",
            False,
        ),
    ]
