"""Reading snapshot bundles and fragments: shapes and every validation message (contract 10.1-2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_warmup._snapshot_options import load_inputs
from pytest_warmup._snapshots import Entry, read_bundle, read_fragment
from pytest_warmup.errors import WarmupError
from snapshot_suite import MODULE_SCOPE_ID, install

SID = "module:t.py::p"
VERSION_HINT = "this pytest-warmup reads snapshot format version 1"


def bundle_problem(tmp_path: Path, text: str, name: str = "snap.json") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(WarmupError) as caught:
        read_bundle(str(path))
    return str(caught.value).replace(str(path), name)


def fragment_problem(tmp_path: Path, text: str, name: str = "frag.json") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(WarmupError) as caught:
        read_fragment("main", str(path))
    return str(caught.value).replace(str(path), name)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", "snapshot file content must be a JSON object, found a list"),
        ('{"version": 2}', f"snapshot file field 'version' must be 1 (found 2; {VERSION_HINT})"),
        ("{}", f"snapshot file field 'version' must be 1 (found no 'version'; {VERSION_HINT})"),
        (
            '{"version": true}',
            f"snapshot file field 'version' must be 1 (found True; {VERSION_HINT})",
        ),
        (
            '{"version": 1, "scope": {}}',
            "snapshot file contains unexpected top-level fields: ['scope'] (expected only "
            "'scopes', 'version'; did you mean 'scope' -> 'scopes'?)",
        ),
        (
            '{"version": 1, "scopes": []}',
            "snapshot file field 'scopes' must be a mapping, found a list",
        ),
        (
            f'{{"version": 1, "scopes": {{"{SID}": 3}}}}',
            f"snapshot scope '{SID}' must be a mapping, found a number",
        ),
        (
            f'{{"version": 1, "scopes": {{"{SID}": {{"shraed": {{}}}}}}}}',
            f"snapshot scope '{SID}' contains unexpected fields: ['shraed'] (expected only "
            "'shared', 'tests'; did you mean 'shraed' -> 'shared'?)",
        ),
        (
            f'{{"version": 1, "scopes": {{"{SID}": {{"shared": []}}}}}}',
            f"snapshot scope '{SID}' field 'shared' must be a mapping, found a list",
        ),
        (
            f'{{"version": 1, "scopes": {{"{SID}": {{"tests": "x"}}}}}}',
            f"snapshot scope '{SID}' field 'tests' must be a mapping, found a string",
        ),
        (
            f'{{"version": 1, "scopes": {{"{SID}": {{"tests": {{"t.py::a": []}}}}}}}}',
            f"snapshot scope '{SID}' per-test entry 't.py::a' must be a mapping, found a list",
        ),
        (
            f'{{"version": 1, "scopes": {{"{SID}": {{"shared": {{"db": 1}}}}}}}}',
            f"snapshot scope '{SID}' shared entry 'db' must be a mapping, found a number",
        ),
        (
            f'{{"version": 1, "scopes": {{"{SID}": {{"tests": {{"t.py::a": {{"db": null}}}}}}}}}}',
            f"snapshot scope '{SID}' per-test entry 't.py::a' override 'db' must be a mapping, "
            "found null",
        ),
        (
            f'{{"version": 1, "scopes": {{"{SID}": {{"shared": {{"db": {{"valeu": 1}}}}}}}}}}',
            f"snapshot scope '{SID}' shared entry 'db' contains unexpected fields: ['valeu'] "
            "(expected only 'value'; did you mean 'valeu' -> 'value'?)",
        ),
        (
            f'{{"version": 1, "scopes": {{"{SID}": {{"tests": {{"t.py::a": {{"db": '
            '{"value": 1, "note": 2}}}}}}',
            f"snapshot scope '{SID}' per-test entry 't.py::a' override 'db' contains unexpected "
            "fields: ['note'] (expected only 'value')",
        ),
    ],
)
def test_bundle_problem_is_reported_with_the_contract_message(
    tmp_path: Path, text: str, message: str
) -> None:
    assert bundle_problem(tmp_path, text) == message


def test_invalid_json_names_the_file_and_the_position(tmp_path: Path) -> None:
    assert bundle_problem(tmp_path, '{"version": 1\n "scopes": {}}') == (
        "snapshot file 'snap.json' is not valid JSON: snap.json:2:2: Expecting ',' delimiter"
    )


def test_invalid_yaml_names_the_file_and_the_position(tmp_path: Path) -> None:
    message = bundle_problem(tmp_path, "version: 1\nscopes: [\n", name="snap.yaml")
    assert message.startswith("snapshot file 'snap.yaml' is not valid YAML: snap.yaml:3:1: ")


def test_yaml_content_must_be_a_mapping(tmp_path: Path) -> None:
    assert bundle_problem(tmp_path, "- 1\n", name="snap.yml") == (
        "snapshot file content must be a YAML mapping, found a list"
    )


def test_an_empty_yaml_file_is_not_a_mapping(tmp_path: Path) -> None:
    assert bundle_problem(tmp_path, "", name="snap.yaml") == (
        "snapshot file content must be a YAML mapping, found null"
    )


def test_a_key_given_twice_is_rejected_in_json(tmp_path: Path) -> None:
    assert bundle_problem(tmp_path, '{"version": 1, "version": 1}') == (
        "snapshot file 'snap.json' is not valid JSON: duplicate key 'version'"
    )


def test_a_key_given_twice_is_rejected_in_yaml(tmp_path: Path) -> None:
    message = bundle_problem(
        tmp_path,
        f"version: 1\nscopes:\n  {SID}:\n    shared:\n      db: {{}}\n      db: {{}}\n",
        name="snap.yaml",
    )
    assert message.startswith("snapshot file 'snap.yaml' is not valid YAML: ")
    assert "found duplicate key 'db'" in message


def test_yaml_merge_keys_may_repeat_merged_keys(tmp_path: Path) -> None:
    path = tmp_path / "snap.yaml"
    path.write_text(
        "version: 1\n"
        "base: &base {value: 1}\n"
        f"scopes:\n  {SID}:\n    shared:\n      db: {{<<: *base, value: 2}}\n",
        encoding="utf-8",
    )
    with pytest.raises(WarmupError, match=r"unexpected top-level fields: \['base'\]"):
        read_bundle(str(path))


def test_a_yaml_key_that_is_not_text_must_be_quoted(tmp_path: Path) -> None:
    text = f"version: 1\nscopes:\n  {SID}:\n    shared:\n      404: {{}}\n"
    assert bundle_problem(tmp_path, text, name="snap.yaml") == (
        f"snapshot scope '{SID}' field 'shared' has key 404 that is not a string; quote it"
    )


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    text = (
        f'{{"version": 3, "extra": 1, "scopes": {{"{SID}": {{"shared": {{"a": 1, "b": {{}}}},'
        ' "tests": {"t.py::x": {"c": []}}}}}'
    )
    assert bundle_problem(tmp_path, text).splitlines() == [
        f"snapshot file field 'version' must be 1 (found 3; {VERSION_HINT})",
        "snapshot file contains unexpected top-level fields: ['extra'] (expected only 'scopes', "
        "'version')",
        f"snapshot scope '{SID}' shared entry 'a' must be a mapping, found a number",
        f"snapshot scope '{SID}' per-test entry 't.py::x' override 'c' must be a mapping, "
        "found a list",
    ]


def test_valid_bundle_reads_entries_with_and_without_values(tmp_path: Path) -> None:
    path = tmp_path / "snap.json"
    path.write_text(
        f'{{"version": 1, "scopes": {{"{SID}": {{"shared": {{"a": {{}}, "b": {{"value": null}}}},'
        ' "tests": {"t.py::x": {"c": {"value": [1]}}}}}}',
        encoding="utf-8",
    )
    section = read_bundle(str(path))[SID]
    assert section.shared == {"a": Entry(False), "b": Entry(True, None)}
    assert section.tests == {"t.py::x": {"c": Entry(True, [1])}}
    assert section.where == f"snapshot scope '{SID}' of {str(path)!r}"


def test_bundle_without_scopes_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "snap.json"
    path.write_text('{"version": 1}', encoding="utf-8")
    assert read_bundle(str(path)) == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("3", "targeted snapshot file for 'main' content must be a JSON object, found a number"),
        ("{", "targeted snapshot file for 'main' 'frag.json' is not valid JSON: *"),
        (
            '{"shared": {}}',
            "targeted snapshot file for 'main' must set 'version' to 1 (found no 'version'; "
            f"{VERSION_HINT})",
        ),
        (
            '{"version": 1, "scopes": {}}',
            "targeted snapshot file for 'main' contains unexpected top-level fields: ['scopes'] "
            "(expected only 'shared', 'tests', 'version')",
        ),
        (
            '{"version": 1, "shared": 1}',
            "targeted snapshot file for 'main' field 'shared' must be a mapping, found a number",
        ),
        (
            '{"version": 1, "tests": []}',
            "targeted snapshot file for 'main' field 'tests' must be a mapping, found a list",
        ),
        (
            '{"version": 1, "tests": {"t.py::x": 1}}',
            "targeted snapshot file for 'main' per-test entry 't.py::x' must be a mapping, "
            "found a number",
        ),
        (
            '{"version": 1, "shared": {"db": []}}',
            "targeted snapshot file for 'main' shared entry 'db' must be a mapping, found a list",
        ),
        (
            '{"version": 1, "shared": {"db": {"x": 1}}}',
            "targeted snapshot file for 'main' shared entry 'db' contains unexpected fields: "
            "['x'] (expected only 'value')",
        ),
        (
            '{"version": 1, "tests": {"t.py::x": {"db": 1}}}',
            "targeted snapshot file for 'main' per-test entry 't.py::x' override 'db' must be a "
            "mapping, found a number",
        ),
        (
            '{"version": 1, "tests": {"t.py::x": {"db": {"v": 1}}}}',
            "targeted snapshot file for 'main' per-test entry 't.py::x' override 'db' contains "
            "unexpected fields: ['v'] (expected only 'value')",
        ),
    ],
)
def test_fragment_problem_is_reported_with_the_contract_message(
    tmp_path: Path, text: str, message: str
) -> None:
    found = fragment_problem(tmp_path, text)
    assert found == message or (message.endswith("*") and found.startswith(message[:-1]))


def test_fragment_is_one_section(tmp_path: Path) -> None:
    path = tmp_path / "frag.yaml"
    path.write_text("version: 1\nshared:\n  db: {value: 5}\n", encoding="utf-8")
    section = read_fragment("main", str(path))
    assert section.shared == {"db": Entry(True, 5)}
    assert section.tests == {}
    assert section.where == f"targeted snapshot file for 'main' ({str(path)!r})"


def test_missing_files_are_named_as_given(tmp_path: Path) -> None:
    with pytest.raises(WarmupError) as caught:
        load_inputs("none.json", ["main=also-none.yaml"])
    assert str(caught.value).splitlines() == [
        "snapshot file does not exist: 'none.json'",
        "targeted snapshot file for 'main' does not exist: 'also-none.yaml'",
    ]


def test_a_broken_bundle_fails_every_producer_with_its_message(pytester: pytest.Pytester) -> None:
    install(pytester)
    (pytester.path / "snapshot.json").write_text(
        f'{{"version": 1, "scopes": {{"{MODULE_SCOPE_ID}": {{"shared": []}}}}}}', encoding="utf-8"
    )
    pytester.makepyfile(test_second="def test_second(prepare_data): pass")
    result = pytester.runpytest("--warmup-snapshot", "snapshot.json")
    result.assert_outcomes(errors=3)
    result.stdout.fnmatch_lines(
        [
            f"E   WarmupError: snapshot scope '{MODULE_SCOPE_ID}' field 'shared' must be a "
            "mapping, found a list"
        ]
    )


# -- hostile or odd input: one clean error each, never a crash (issue 14) --------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "version: !!bool 1\n",
            "snapshot file 'snap.yaml' is not valid YAML: snap.yaml:1:10: cannot read '1' as a "
            "boolean (!!bool); correct it, or quote it without a tag to keep it text",
        ),
        (
            "version: !!int ''\n",
            "snapshot file 'snap.yaml' is not valid YAML: snap.yaml:1:10: cannot read '' as an "
            "integer (!!int); correct it, or quote it without a tag to keep it text",
        ),
        (
            "version: 0x" + "f" * 4000 + "\n",
            "snapshot file 'snap.yaml' is not valid YAML: snap.yaml:1:10: integer with more than "
            "4300 digits; write it as a string (quote it)",
        ),
        (
            "version: 1\nscopes: {s: {shared: {a: {value: &r [*r]}}}}\n",
            "snapshot file 'snap.yaml' cannot be read: snap.yaml:2:34: an alias refers to a value "
            "that contains it; data must not be recursive",
        ),
    ],
)
def test_odd_yaml_values_are_reported_with_their_position(
    tmp_path: Path, text: str, message: str
) -> None:
    # Before: KeyError, IndexError, a ValueError while building the message, a RecursionError.
    assert bundle_problem(tmp_path, text, name="snap.yaml") == message


@pytest.mark.parametrize(
    ("mapping", "second", "first"),
    [
        ("{1: a, 0x1: b}", "0x1", "1"),
        ("{true: a, yes: b}", "yes", "true"),
        ("{null: a, ~: b}", "~", "null"),
    ],
)
def test_yaml_keys_equal_once_resolved_are_a_repeated_key(
    tmp_path: Path, mapping: str, second: str, first: str
) -> None:
    text = f"version: 1\nscopes:\n  {SID}:\n    shared:\n      db: {{value: {mapping}}}\n"
    column = len("      db: {value: ") + mapping.index(second) + 1
    assert bundle_problem(tmp_path, text, name="snap.yaml") == (
        f"snapshot file 'snap.yaml' is not valid YAML: snap.yaml:5:{column}: while constructing "
        f"a mapping, found duplicate key {second!r} (the same key as {first!r} on line 5); "
        "keep one"
    )


def test_json_nested_deeper_than_100_levels_is_reported_where_it_passes_the_bound(
    tmp_path: Path,
) -> None:
    for levels in (150, 1000):  # 1,000 was a RecursionError
        text = '{"version": 1, "shared": {"a": {"value": ' + "[" * levels + "]" * levels + "}}}"
        assert fragment_problem(tmp_path, text) == (
            "targeted snapshot file for 'main' 'frag.json' cannot be read: frag.json:1:139: "
            "mappings and lists nest more than 100 levels deep here; flatten the data"
        )


def test_json_integers_too_long_for_python_are_reported_where_they_are(tmp_path: Path) -> None:
    text = '{"version": 1,\n "shared": {"a": {"value": [1.5e3, ' + "9" * 5000 + "]}}}"
    assert fragment_problem(tmp_path, text) == (
        "targeted snapshot file for 'main' 'frag.json' cannot be read: frag.json:2:36: integer "
        "with more than 4300 digits; write it as a string (quote it)"
    )


def test_an_alias_bomb_is_reported_before_it_is_expanded(tmp_path: Path) -> None:
    # 657 bytes that took 110 s and 6.2 GB: each level lists the one below 9 times.
    lines = ["x-0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"x-{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]" for n in range(1, 10)]
    lines.append("version: 1\nshared: {a: {value: *l9}}")
    assert fragment_problem(tmp_path, "\n".join(lines) + "\n", name="frag.yaml") == (
        "targeted snapshot file for 'main' 'frag.yaml' cannot be read: frag.yaml:6:6: YAML "
        "aliases repeat more than 100,000 values in this file; write the data out, or use "
        "fewer aliases of large anchors"
    )


def test_a_tab_in_the_indentation_gets_a_hint(tmp_path: Path) -> None:
    assert bundle_problem(tmp_path, "version: 1\nscopes:\n\ts: {}\n", name="snap.yaml") == (
        "snapshot file 'snap.yaml' is not valid YAML: snap.yaml:3:1: while scanning for the next "
        "token, found character that cannot start any token; YAML indents with spaces only: "
        "replace the tab on this line with spaces"
    )


def test_a_line_out_of_alignment_gets_a_hint(tmp_path: Path) -> None:
    text = "version: 1\nscopes:\n  a: {}\n   b: {}\n"
    assert bundle_problem(tmp_path, text, name="snap.yaml") == (
        "snapshot file 'snap.yaml' is not valid YAML: snap.yaml:4:4: while parsing a block "
        "mapping, did not find expected key; check the indentation of this line and the ones "
        "above it: the keys of one mapping and the items of one list start in the same column, "
        "nested ones further right"
    )


def test_a_file_read_as_json_because_of_its_name_says_so(tmp_path: Path) -> None:
    assert bundle_problem(tmp_path, "version: 1\nscopes: {}\n", name="snap.txt") == (
        "snapshot file 'snap.txt' is not valid JSON: snap.txt:1:1: Expecting value; the file is "
        "read as JSON because its name does not end in .yaml or .yml (the extension decides the "
        "format)"
    )
