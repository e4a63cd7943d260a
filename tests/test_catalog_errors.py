"""Every problem in a catalog is reported at once, as ``file:line:col: path: what is wrong``."""

from __future__ import annotations

import pickle
import time
from pathlib import Path

import pytest

import catalog_support
from catalog_support import write
from pytest_warmup import WarmupError
from pytest_warmup._declarations import declaration_site
from pytest_warmup.catalog import load_catalog
from pytest_warmup.errors import CatalogError


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def problems(text: str) -> list[str]:
    write(Path("warmup.yaml"), text)
    with pytest.raises(CatalogError) as raised:
        load_catalog("warmup.yaml")
    return list(raised.value.problems)


ECHO = '  echo: {class: "catalog_support:EchoPlan"}'


# -- the file ----------------------------------------------------------------------------------


def test_a_missing_file_is_reported_by_its_path() -> None:
    with pytest.raises(CatalogError) as raised:
        load_catalog("nowhere.yaml")
    assert raised.value.problems == ("nowhere.yaml: catalog file not found",)


def test_a_directory_is_not_a_catalog_file() -> None:
    Path("catalogs").mkdir()
    with pytest.raises(CatalogError) as raised:
        load_catalog("catalogs")
    assert raised.value.problems == ("catalogs: catalog file not found",)


def test_an_empty_file_says_how_to_start() -> None:
    assert problems("") == ["warmup.yaml:1:1: catalog is empty; start it with 'version: 1'"]


def test_yaml_syntax_errors_point_at_the_problem() -> None:
    (problem,) = problems("version: 1\nplans: {echo: [\n")
    # The wording after the position is the YAML parser's.
    assert problem.startswith("warmup.yaml:3:1: invalid YAML: while parsing a flow ")


def test_a_catalog_is_one_yaml_document() -> None:
    assert problems("version: 1\n---\nversion: 1\n") == [
        "warmup.yaml:2:1: invalid YAML: expected a single document in the stream, "
        "but found another document"
    ]


def test_bytes_that_are_not_text_are_reported_without_a_position() -> None:
    Path("warmup.yaml").write_bytes(b"version: 1\nplans: \xff\xfe\xfd\n")
    with pytest.raises(CatalogError) as raised:
        load_catalog("warmup.yaml")
    (problem,) = raised.value.problems
    assert problem.startswith("warmup.yaml: invalid YAML: ReaderError: ")


def test_the_document_must_be_a_mapping() -> None:
    assert problems("- version: 1\n") == ["warmup.yaml:1:1: expected a mapping, got a list"]


def test_the_version_is_required() -> None:
    assert problems("plans: {}\n") == [
        "warmup.yaml:1:1: missing required key 'version'; start the catalog with 'version: 1'"
    ]


def test_another_version_is_rejected_and_the_rest_of_the_file_is_not_read() -> None:
    assert problems("version: 2\nplanz: 5\n") == [
        "warmup.yaml:1:10: version: unsupported catalog version 2; this pytest-warmup reads "
        "version 1"
    ]


def test_a_version_that_is_not_a_number_is_rejected() -> None:
    assert problems("version: '1'\n") == [
        "warmup.yaml:1:10: version: expected the integer 1, got a string; this pytest-warmup "
        "reads version 1"
    ]


def test_unknown_top_level_keys_get_a_suggestion_or_the_list_of_keys() -> None:
    assert problems("version: 1\nrequirement: {}\ncolour: red\n") == [
        "warmup.yaml:2:1: unknown key 'requirement' (did you mean 'requirements'?)",
        "warmup.yaml:3:1: unknown key 'colour'; expected one of: fixtures, include, plans, "
        "producers, requirements, version",
    ]


def test_sections_must_be_mappings() -> None:
    assert problems("version: 1\nplans: [echo]\nrequirements:\n") == [
        "warmup.yaml:2:8: plans: expected a mapping, got a list",
        "warmup.yaml:3:14: requirements: expected a mapping, got null",
    ]


def test_duplicate_keys_are_reported_wherever_they_are() -> None:
    text = f"""
    version: 1
    plans:
    {ECHO}
    {ECHO}
    requirements:
      a: {{plan: echo, payload: {{n: 1, deep: {{x: 1, x: 2}}}}}}
      a: {{plan: echo, plan: echo}}
    """
    assert problems(text) == [
        "warmup.yaml:4:3: plans: duplicate key 'echo' (first at line 3); keep one",
        "warmup.yaml:6:48: requirements.a.payload.deep: duplicate key 'x' (first at line 6); "
        "keep one",
        "warmup.yaml:7:3: requirements: duplicate key 'a' (first at line 6); keep one",
    ]


def test_keys_must_be_strings() -> None:
    text = f"""
    version: 1
    plans:
    {ECHO}
    requirements:
      123: {{plan: echo}}
      ok: {{plan: echo, payload: {{true: 1}}}}
    """
    assert problems(text) == [
        "warmup.yaml:5:3: requirements: key 123 must be a string; quote it",
        "warmup.yaml:6:30: requirements.ok.payload: key true must be a string; quote it",
    ]


def test_names_must_not_be_empty() -> None:
    text = f"""
    version: 1
    plans:
    {ECHO}
    requirements:
      "": {{plan: echo}}
    """
    assert problems(text) == ["warmup.yaml:5:3: requirements: requirement names must not be empty"]


def test_merge_keys_merge_mappings_only() -> None:
    text = """
    version: 1
    plans:
      echo: {<<: 5, class: "catalog_support:EchoPlan"}
      self: &self {<<: *self}
    """
    assert problems(text) == [
        "warmup.yaml:3:14: plans.echo: '<<' merges mappings, got an integer",
        "warmup.yaml:4:3: plans.self: needs exactly one of 'class', 'entry_point' or 'instance'; "
        "got none",
        "warmup.yaml:4:9: plans.self: '<<' merges a mapping into itself",
    ]


# -- plans -------------------------------------------------------------------------------------


def test_a_plan_names_exactly_one_source() -> None:
    text = """
    version: 1
    plans:
      none: {}
      both: {class: "catalog_support:EchoPlan", instance: "catalog_support:shared_plan"}
      typo: {clas: "catalog_support:EchoPlan"}
    """
    assert problems(text) == [
        "warmup.yaml:3:3: plans.none: needs exactly one of 'class', 'entry_point' or 'instance'; "
        "got none",
        "warmup.yaml:4:3: plans.both: needs exactly one of 'class', 'entry_point' or 'instance'; "
        "got 'class' and 'instance'",
        "warmup.yaml:5:3: plans.typo: needs exactly one of 'class', 'entry_point' or 'instance'; "
        "got none",
        "warmup.yaml:5:10: plans.typo: unknown key 'clas' (did you mean 'class'?)",
    ]


def test_import_paths_are_module_colon_attribute() -> None:
    text = """
    version: 1
    plans:
      dotted: {class: catalog_support.EchoPlan}
      number: {class: 5}
      empty: {instance: ""}
    """
    assert problems(text) == [
        "warmup.yaml:3:19: plans.dotted.class: expected an import path 'module:attribute', got "
        "'catalog_support.EchoPlan'",
        "warmup.yaml:4:19: plans.number.class: expected a non-empty string, got an integer",
        "warmup.yaml:5:21: plans.empty.instance: expected a non-empty string, got an empty string",
    ]


def test_import_failures_name_the_path_and_the_error() -> None:
    text = """
    version: 1
    plans:
      gone: {class: "no_such_module_anywhere:Plan"}
      typo: {class: "catalog_support:EchoPlna"}
    """
    assert problems(text) == [
        "warmup.yaml:3:17: plans.gone.class: cannot import 'no_such_module_anywhere:Plan': "
        "ModuleNotFoundError: No module named 'no_such_module_anywhere'",
        "warmup.yaml:4:17: plans.typo.class: cannot import 'catalog_support:EchoPlna': "
        "'catalog_support' has no attribute 'EchoPlna' (did you mean 'EchoPlan'?)",
    ]


def test_an_error_raised_while_importing_a_plan_module_is_reported(tmp_path: Path) -> None:
    write(Path("exploding.py"), "raise RuntimeError('import-time failure')\n")
    text = """
    version: 1
    plans:
      boom: {class: "exploding:Plan"}
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(tmp_path))
        found = problems(text)
    assert found == [
        "warmup.yaml:3:17: plans.boom.class: cannot import 'exploding:Plan': RuntimeError: "
        "import-time failure"
    ]


def test_classes_and_instances_are_not_interchangeable() -> None:
    text = """
    version: 1
    plans:
      a: {class: "catalog_support:shared_plan"}
      b: {instance: "catalog_support:EchoPlan"}
      c: {class: "catalog_support:not_a_plan"}
      d: {instance: "catalog_support:NOT_A_REQUIREMENT"}
      e: {class: "catalog_support:WarmupError"}
    """
    assert problems(text) == [
        "warmup.yaml:3:14: plans.a.class: 'catalog_support:shared_plan' is a plan instance; "
        "use 'instance:'",
        "warmup.yaml:4:17: plans.b.instance: 'catalog_support:EchoPlan' is a plan class; "
        "use 'class:'",
        "warmup.yaml:5:14: plans.c.class: 'catalog_support:not_a_plan' is not a WarmupPlan "
        "subclass (got function)",
        "warmup.yaml:6:17: plans.d.instance: 'catalog_support:NOT_A_REQUIREMENT' is not a "
        "WarmupPlan instance (got int)",
        "warmup.yaml:7:14: plans.e.class: cannot import 'catalog_support:WarmupError': "
        "'catalog_support' has no attribute 'WarmupError'",
    ]


def test_plan_constructor_failures_show_the_call() -> None:
    text = """
    version: 1
    plans:
      broken: {class: "catalog_support:BrokenPlan"}
      sized: {class: "catalog_support:EchoPlan", options: {size: 3}}
    """
    assert problems(text) == [
        "warmup.yaml:3:3: plans.broken: BrokenPlan('broken') raised RuntimeError: no database",
        "warmup.yaml:4:3: plans.sized: EchoPlan('sized', size=3) raised TypeError: "
        "EchoPlan.__init__() got an unexpected keyword argument 'size'",
    ]


def test_options_are_a_mapping_and_only_for_classes() -> None:
    text = """
    version: 1
    plans:
      a: {class: "catalog_support:EchoPlan", options: [blue]}
      b: {instance: "catalog_support:shared_plan", options: {color: blue}}
    """
    assert problems(text) == [
        "warmup.yaml:3:51: plans.a.options: expected a mapping, got a list",
        "warmup.yaml:4:48: plans.b.options: an 'instance' plan is already built and takes no "
        "options; remove 'options' or use 'class'",
    ]


# -- requirements ------------------------------------------------------------------------------


def test_requirement_fields_are_checked_one_by_one() -> None:
    text = f"""
    version: 1
    plans:
    {ECHO}
    requirements:
      no_plan: {{payload: {{a: 1}}}}
      typo: {{plan: echo, payloads: {{a: 1}}}}
      shapes: {{plan: [echo], payload: [1], per_test: maybe, dependencies: [a]}}
      not_a_mapping: echo
    """
    assert problems(text) == [
        "warmup.yaml:5:3: requirements.no_plan: missing required key 'plan'",
        "warmup.yaml:6:22: requirements.typo: unknown key 'payloads' (did you mean 'payload'?)",
        "warmup.yaml:7:18: requirements.shapes.plan: expected a non-empty string, got a list",
        "warmup.yaml:7:35: requirements.shapes.payload: expected a mapping, got a list",
        "warmup.yaml:7:50: requirements.shapes.per_test: expected true, false or null, got a "
        "string",
        "warmup.yaml:7:71: requirements.shapes.dependencies: expected a mapping, got a list",
        "warmup.yaml:8:18: requirements.not_a_mapping: expected a mapping, got a string",
    ]


def test_unknown_plans_and_ids_get_a_suggestion_or_where_to_declare_them() -> None:
    text = f"""
    version: 1
    plans:
    {ECHO}
    requirements:
      program_main: {{plan: ecko}}
      order: {{plan: echo, dependencies: {{program: program_mian, other: zebra}}}}
      fixed: {{plan: zebra}}
    """
    assert problems(text) == [
        "warmup.yaml:5:24: requirements.program_main.plan: unknown plan 'ecko' (did you mean "
        "'echo'?)",
        "warmup.yaml:6:47: requirements.order.dependencies.program: unknown requirement "
        "'program_mian' (did you mean 'program_main'?)",
        "warmup.yaml:6:68: requirements.order.dependencies.other: unknown requirement 'zebra'; "
        "declare it under 'requirements'",
        "warmup.yaml:7:17: requirements.fixed.plan: unknown plan 'zebra'; declare it under 'plans'",
    ]


def test_dependencies_are_ids_imports_or_lists_of_them() -> None:
    text = f"""
    version: 1
    plans:
    {ECHO}
    requirements:
      a: {{plan: echo}}
      b:
        plan: echo
        dependencies:
          number: 5
          nested: [a, [a]]
          extra: {{import: "catalog_support:python_requirement", id: a}}
          path: {{import: catalog_support}}
          missing: {{import: "catalog_support:nothing_here"}}
          wrong: {{import: "catalog_support:NOT_A_REQUIREMENT"}}
    """
    assert problems(text) == [
        "warmup.yaml:9:15: requirements.b.dependencies.number: expected a requirement id or "
        "{import: 'module:attribute'}, or a list of them, got an integer",
        "warmup.yaml:10:19: requirements.b.dependencies.nested[1]: expected a requirement id or "
        "{import: 'module:attribute'}, got a list",
        "warmup.yaml:11:14: requirements.b.dependencies.extra: expected a requirement id or "
        "{import: 'module:attribute'}, or a list of them, got a mapping",
        "warmup.yaml:12:22: requirements.b.dependencies.path.import: expected an import path "
        "'module:attribute', got 'catalog_support'",
        "warmup.yaml:13:25: requirements.b.dependencies.missing.import: cannot import "
        "'catalog_support:nothing_here': 'catalog_support' has no attribute 'nothing_here'",
        "warmup.yaml:14:23: requirements.b.dependencies.wrong.import: "
        "'catalog_support:NOT_A_REQUIREMENT' is not a WarmupRequirement (got int)",
    ]


def test_dependency_cycles_are_reported_once_each_where_they_close() -> None:
    text = f"""
    version: 1
    plans:
    {ECHO}
    requirements:
      a: {{plan: echo, dependencies: {{next: b}}}}
      b: {{plan: echo, dependencies: {{next: c}}}}
      c: {{plan: echo, dependencies: {{back: [a]}}}}
      me: {{plan: echo, dependencies: {{self: me}}}}
      after: {{plan: echo, dependencies: {{first: a}}}}
    """
    assert problems(text) == [
        "warmup.yaml:7:41: requirements.c.dependencies.back[0]: dependency cycle: 'a' -> 'b' -> "
        "'c' -> 'a'; remove one of these dependencies",
        "warmup.yaml:8:41: requirements.me.dependencies.self: dependency cycle: 'me' -> 'me'; "
        "remove one of these dependencies",
    ]


def test_a_long_chain_declared_backwards_compiles_without_recursion_limits() -> None:
    lines = [f"  r{i}: {{plan: echo, dependencies: {{next: r{i + 1}}}}}" for i in range(3000)]
    text = "\n".join(
        ["version: 1", "plans:", ECHO, "requirements:", *lines, "  r3000: {plan: echo}"]
    )
    write(Path("warmup.yaml"), text + "\n")
    catalog = load_catalog("warmup.yaml")
    assert catalog.requirement("r0").dependencies["next"] is catalog.requirement("r1")


def test_payloads_hold_plain_data_only() -> None:
    text = f"""
    version: 1
    plans:
    {ECHO}
    requirements:
      a:
        plan: echo
        payload:
          when: 2024-01-01
          blob: !!binary aGk=
          code: !!python/object:os.system {{}}
          loop: &loop [*loop]
          set: !!set {{a}}
    """
    assert problems(text) == [
        "warmup.yaml:8:13: requirements.a.payload.when: timestamp 2024-01-01 is not plain data; "
        "quote it to keep it a string",
        "warmup.yaml:9:13: requirements.a.payload.blob: unsupported YAML tag '!!binary'; use "
        "plain data: mappings, lists, strings, numbers, booleans and null",
        "warmup.yaml:10:13: requirements.a.payload.code: unsupported YAML tag "
        "'!!python/object:os.system'; use plain data: mappings, lists, strings, numbers, "
        "booleans and null",
        "warmup.yaml:11:13: requirements.a.payload.loop[0]: an alias refers to a value that "
        "contains it; data must not be recursive",
        "warmup.yaml:12:12: requirements.a.payload.set: unsupported YAML tag '!!set'; use plain "
        "data: mappings, lists, strings, numbers, booleans and null",
    ]


# -- producers and fixtures --------------------------------------------------------------------


def test_producer_fields_are_checked() -> None:
    text = f"""
    version: 1
    plans:
    {ECHO}
    producers:
      prepare-data: {{scope: module, plans: [echo]}}
      no_scope: {{plans: [echo]}}
      bad_scope: {{scope: modul, plans: []}}
      typo: {{scope: module, plans: [ecko], snapshot_id: ""}}
    """
    assert problems(text) == [
        "warmup.yaml:5:3: producers.prepare-data: producer name 'prepare-data' must be a Python "
        "identifier (letters, digits and underscores, not starting with a digit) so tests can "
        "request it",
        "warmup.yaml:6:3: producers.no_scope: missing required key 'scope'",
        "warmup.yaml:7:22: producers.bad_scope.scope: expected one of session, package, module, "
        "class, function, got 'modul' (did you mean 'module'?)",
        "warmup.yaml:7:36: producers.bad_scope.plans: expected at least one plan name, got an "
        "empty list",
        "warmup.yaml:8:33: producers.typo.plans[0]: unknown plan 'ecko' (did you mean 'echo'?)",
        "warmup.yaml:8:53: producers.typo.snapshot_id: expected a non-empty string, got an "
        "empty string",
    ]


def test_fixture_fields_and_references_are_checked() -> None:
    text = f"""
    version: 1
    plans:
    {ECHO}
      other: {{class: "catalog_support:EchoPlan"}}
    requirements:
      a: {{plan: echo}}
      b: {{plan: other}}
    producers:
      prep: {{scope: module, plans: [echo]}}
    fixtures:
      prep: {{requirement: a, producer: prep}}
      wide: {{requirement: a, producer: prep, scope: session}}
      lost: {{requirement: c, producer: perp}}
      elsewhere: {{requirement: b, producer: prep}}
      empty: {{}}
    """
    assert problems(text) == [
        "warmup.yaml:11:3: fixtures.prep: name 'prep' is already used by the producer declared "
        "at warmup.yaml:9:3; fixtures and producers share pytest's fixture names, rename one",
        "warmup.yaml:12:49: fixtures.wide.scope: scope 'session' is broader than the 'module' "
        "scope of producer 'prep'; use 'module' or narrower",
        "warmup.yaml:13:23: fixtures.lost.requirement: unknown requirement 'c'; declare it "
        "under 'requirements'",
        "warmup.yaml:13:36: fixtures.lost.producer: unknown producer 'perp' (did you mean 'prep'?)",
        "warmup.yaml:14:41: fixtures.elsewhere.producer: producer 'prep' does not prepare plan "
        "'other' of requirement 'b'; add 'other' to producers.prep.plans",
        "warmup.yaml:15:3: fixtures.empty: missing required key 'producer'",
        "warmup.yaml:15:3: fixtures.empty: missing required key 'requirement'",
    ]


# -- hostile or odd input: one clean error each, never a crash (issue 14) --------------------


def one_requirement(fields: str) -> str:
    """A catalog with plan ``echo`` and requirement ``a`` on line 4, ``fields`` at column 31."""
    return f"version: 1\nplans:\n{ECHO}\nrequirements: {{a: {{plan: echo, {fields}}}}}\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "version: !!int abc\n",
            "warmup.yaml:1:10: version: cannot read 'abc' as an integer (!!int); correct it, or "
            "quote it without a tag to keep it text",
        ),
        (
            "version: !!int ''\n",
            "warmup.yaml:1:10: version: cannot read '' as an integer (!!int); correct it, or "
            "quote it without a tag to keep it text",
        ),
        (
            "version: !!int {}\n",
            "warmup.yaml:1:10: version: expected a single value, got a mapping tagged '!!int'",
        ),
        (
            "version: !!float []\n",
            "warmup.yaml:1:10: version: expected a single value, got a list tagged '!!float'",
        ),
        (
            one_requirement("per_test: !!bool maybe"),
            "warmup.yaml:4:42: requirements.a.per_test: cannot read 'maybe' as a boolean "
            "(!!bool); correct it, or quote it without a tag to keep it text",
        ),
        (
            one_requirement("payload: {x: 0x_}"),
            "warmup.yaml:4:45: requirements.a.payload.x: cannot read '0x_' as an integer (!!int); "
            "correct it, or quote it without a tag to keep it text",
        ),
    ],
)
def test_a_tag_its_value_does_not_fit_is_a_problem(text: str, expected: str) -> None:
    assert problems(text) == [expected]


def test_integers_too_long_for_python_to_read_are_a_problem() -> None:
    assert problems(one_requirement(f"payload: {{n: {'9' * 4400}}}")) == [
        "warmup.yaml:4:45: requirements.a.payload.n: integer with more than 4300 digits; write it "
        "as a string (quote it)"
    ]
    assert problems("version: " + "1" * 5000 + "\n") == [
        "warmup.yaml:1:10: version: integer with more than 4300 digits; write it as a string "
        "(quote it)"
    ]


@pytest.mark.parametrize("levels", [101, 500, 990])
def test_payloads_nested_deeper_than_100_levels_are_a_problem(levels: int) -> None:
    head = f"version: 1\nplans:\n{ECHO}\nrequirements:\n  a: {{plan: echo, payload: {{d: "
    (problem,) = problems(head + "[" * levels + "]" * levels + "}}\n")
    # The payload mapping is level 4 of the document: its 97th list is level 101.
    assert problem.startswith(f"warmup.yaml:5:{len('  a: {plan: echo, payload: {d: ') + 97}: ")
    assert problem.endswith(
        "]: mappings and lists nest more than 100 levels deep here; flatten the data"
    )


def test_aliases_nesting_deeper_than_100_levels_are_a_problem() -> None:
    lines = ["version: 1", "plans:", ECHO, "x-0: &c0 [end]"]
    lines += [f"x-{level}: &c{level} [*c{level - 1}]" for level in range(1, 1500)]
    lines.append("requirements: {a: {plan: echo, payload: {deep: *c1499}}}")
    (problem,) = problems("\n".join(lines) + "\n")
    assert problem.endswith(
        "mappings and lists nest more than 100 levels deep here; flatten the data"
    )


def test_an_alias_bomb_is_a_problem_before_it_is_expanded() -> None:
    # 584 bytes that made --warmup-report write 188 MB: 9 ** 9 values once expanded.
    lines = ["version: 1", "plans:", ECHO, "x-0: &l0 [a, b, c, d, e, f, g, h, i]"]
    lines += [f"x-{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]" for n in range(1, 9)]
    lines.append("requirements: {a: {plan: echo, payload: {big: *l8}}}")
    assert problems("\n".join(lines) + "\n") == [
        "warmup.yaml:8:6: requirements.a.payload.big[0][0][0][1]: YAML aliases repeat more than "
        "100,000 values in this file; write the data out, or use fewer aliases of large anchors"
    ]


def test_values_repeated_by_aliases_count_towards_one_bound_per_file() -> None:
    # 1,000 values each time: the first use is read, the next 100 repeat 100,000 values.
    lines = ["version: 1", "plans:", ECHO, "x-big: &big [" + ", ".join(["1"] * 999) + "]"]
    lines += ["requirements:"]
    lines += [f"  r{n}: {{plan: echo, payload: {{a: *big}}}}" for n in range(101)]
    write(Path("warmup.yaml"), "\n".join(lines) + "\n")
    assert len(load_catalog("warmup.yaml").requirements) == 101
    lines.append("  r101: {plan: echo, payload: {a: *big}}")
    assert problems("\n".join(lines) + "\n") == [
        "warmup.yaml:4:8: requirements.r101.payload.a: YAML aliases repeat more than 100,000 "
        "values in this file; write the data out, or use fewer aliases of large anchors"
    ]


def test_a_merge_bomb_reads_each_merged_mapping_once() -> None:
    lines = ["version: 1", "plans:", ECHO, "x-0: &m0 {plan: echo}"]
    lines += [f"x-{n}: &m{n} {{<<: [*m{n - 1}, *m{n - 1}]}}" for n in range(1, 60)]
    lines.append("requirements: {a: {<<: *m59}}")
    write(Path("warmup.yaml"), "\n".join(lines) + "\n")
    started = time.monotonic()
    assert list(load_catalog("warmup.yaml").requirements) == ["a"]
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("character", ["\n", "\r", "\x0b", "\x85", "\u2028"])
def test_a_problem_stays_on_one_line_whatever_its_key_holds(character: str) -> None:
    escaped = character.encode("unicode_escape").decode()
    text = f'version: 1\nplans:\n{ECHO}\nrequirements: {{"a{escaped}b": {{plan: ekho}}}}\n'
    assert problems(text) == [
        f"warmup.yaml:4:{29 + len(escaped)}: requirements.a{escaped}b.plan: unknown plan 'ekho' "
        "(did you mean 'echo'?)"
    ]


def test_a_tab_in_the_indentation_gets_a_hint() -> None:
    assert problems("version: 1\nplans:\n\techo: {class: x}\n") == [
        "warmup.yaml:3:1: invalid YAML: while scanning for the next token, found character "
        "that cannot start any token; YAML indents with spaces only: replace the tab on this "
        "line with spaces"
    ]


def test_a_line_out_of_alignment_gets_a_hint() -> None:
    text = f"version: 1\nplans:\n{ECHO}\n   other: {{class: x}}\n"
    assert problems(text) == [
        "warmup.yaml:4:4: invalid YAML: while parsing a block mapping, did not find expected "
        "key; check the indentation of this line and the ones above it: the keys of one "
        "mapping and the items of one list start in the same column, nested ones further right"
    ]


def test_a_plan_module_that_exits_at_import_is_a_problem(tmp_path: Path) -> None:
    write(tmp_path / "exiting_plans.py", "import sys\nsys.exit(0)\n")
    write(
        tmp_path / "failing_plans.py",
        "class Plan:\n    def __init__(self, name):\n        raise SystemExit(3)\n",
    )
    text = """
    version: 1
    plans:
      gone: {class: "exiting_plans:Plan"}
      stops: {class: "catalog_support:ExitingPlan"}
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(tmp_path))
        assert problems(text) == [
            "warmup.yaml:3:17: plans.gone.class: cannot import 'exiting_plans:Plan': importing "
            "'exiting_plans' called sys.exit(0); code a catalog names must not exit the process "
            "(move it under 'if __name__ == \"__main__\":')",
            "warmup.yaml:4:3: plans.stops: ExitingPlan('stops') called sys.exit(3); code a "
            "catalog names must not exit the process (move it under 'if __name__ == "
            '"__main__":\')',
        ]


# -- per-test requirements in broader fixtures (issue 13, item 5) ----------------------------


PER_TEST = f"""
version: 1
plans:
{ECHO}
requirements:
  customer: {{plan: echo}}
  vip_order: {{plan: echo, per_test: true}}
  order_line: {{plan: echo, dependencies: {{order: vip_order}}}}
  python_each:
    plan: echo
    dependencies: {{each: {{import: "catalog_support:per_test_requirement"}}}}
producers:
  shop: {{scope: module, plans: [echo]}}
fixtures:
"""


def test_a_per_test_requirement_in_a_fixture_broader_than_function_is_a_problem() -> None:
    site = declaration_site(catalog_support.per_test_requirement)
    text = PER_TEST + (
        "  an_order: {requirement: vip_order, producer: shop, scope: module}\n"
        "  a_line: {requirement: order_line, producer: shop, scope: class}\n"
        "  from_python: {requirement: python_each, producer: shop, scope: module}\n"
        "  one_order: {requirement: vip_order, producer: shop}\n"
        "  a_customer: {requirement: customer, producer: shop, scope: module}\n"
    )
    assert problems(text) == [
        "warmup.yaml:14:61: fixtures.an_order.scope: requirement 'vip_order' is per-test: every "
        "test gets its own value, and a 'module'-scoped fixture would hand one value to many "
        "tests; remove 'scope' to keep the default 'function', or make 'vip_order' shared with "
        "'per_test: false'",
        "warmup.yaml:15:60: fixtures.a_line.scope: requirement 'order_line' is per-test through "
        "its dependency 'vip_order', declared at warmup.yaml:6: every test gets its own value, "
        "and a 'class'-scoped fixture would hand one value to many tests; remove 'scope' to keep "
        "the default 'function'",
        "warmup.yaml:16:66: fixtures.from_python.scope: requirement 'python_each' is per-test "
        f"through its dependency 'per_test_requirement', declared at {site}: "
        "every test gets its own value, and a 'module'-scoped fixture would hand one value to "
        "many tests; remove 'scope' to keep the default 'function'",
    ]


def test_a_shared_requirement_with_a_per_test_dependency_is_a_problem() -> None:
    text = PER_TEST.replace(
        "order_line: {plan: echo, dependencies:",
        "order_line: {plan: echo, per_test: false, dependencies:",
    )
    text += "  {}\n"
    assert problems(text) == [
        "warmup.yaml:7:3: requirements.order_line.per_test: 'order_line' cannot be shared: its "
        "dependency 'vip_order' is per-test; remove 'per_test: false' to make it per-test too, "
        "or make the dependency shared"
    ]


# -- reporting ---------------------------------------------------------------------------------


def test_problems_of_a_broken_declaration_do_not_hide_or_cascade() -> None:
    text = f"""
    version: 1
    plans:
    {ECHO}
      broken: {{class: "catalog_support:BrokenPlan"}}
    requirements:
      a: {{plan: echo, payload: 5, dependencies: {{b: b}}}}
      b: {{plan: ekho, dependencies: {{a: a}}}}
      c: {{plan: broken}}
    fixtures:
      uses_a: {{requirement: a, producer: nobody}}
    """
    assert problems(text) == [
        "warmup.yaml:4:3: plans.broken: BrokenPlan('broken') raised RuntimeError: no database",
        "warmup.yaml:6:28: requirements.a.payload: expected a mapping, got an integer",
        "warmup.yaml:7:13: requirements.b.plan: unknown plan 'ekho' (did you mean 'echo'?)",
        "warmup.yaml:7:37: requirements.b.dependencies.a: dependency cycle: 'a' -> 'b' -> 'a'; "
        "remove one of these dependencies",
        "warmup.yaml:10:38: fixtures.uses_a.producer: unknown producer 'nobody'; declare it "
        "under 'producers'",
    ]


def test_catalog_error_is_a_warmup_error_whose_message_is_its_problem_lines() -> None:
    found = problems("version: 1\nplans: 5\nfixtures: 6\n")
    error = CatalogError(found)
    assert isinstance(error, WarmupError)
    assert str(error) == (
        "warmup.yaml:2:8: plans: expected a mapping, got an integer\n"
        "warmup.yaml:3:11: fixtures: expected a mapping, got an integer"
    )


def test_catalog_error_survives_pickling_with_its_problems() -> None:
    error = CatalogError(["a.yaml:1:1: one", "a.yaml:2:1: two"])
    copy = pickle.loads(pickle.dumps(error))
    assert copy.problems == error.problems
    assert str(copy) == str(error)
