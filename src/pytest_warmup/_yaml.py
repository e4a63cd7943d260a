"""YAML for snapshot and debug files: safe loading (C loader when PyYAML has libyaml) and
dumping; the catalog reader builds on the same loader class. Imported on first use, so runs
that never touch a YAML file do not load PyYAML."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import yaml

__all__ = ["SafeLoader", "YAMLError", "dump", "load"]


def _libyaml_matches() -> bool:
    """Whether PyYAML's C extension works with the yaml modules imported now.

    The extension makes nodes and raises errors with the classes of the yaml modules it saw
    when it was first loaded, and an extension module loads once per process. When yaml is
    imported again (pytester's in-process runs take it out of sys.modules), its classes are new
    and the extension's output would not be recognised: use the pure Python one then.
    """
    try:
        from yaml import _yaml
    except ImportError:  # pragma: no cover - PyYAML built without libyaml
        return False
    return getattr(_yaml, "MappingNode", None) is yaml.MappingNode


if TYPE_CHECKING:  # the C classes behave as these
    SafeLoader = yaml.SafeLoader
    _SafeDumper = yaml.SafeDumper
elif _libyaml_matches():
    SafeLoader = yaml.CSafeLoader
    _SafeDumper = yaml.CSafeDumper
else:
    SafeLoader = yaml.SafeLoader
    _SafeDumper = yaml.SafeDumper

YAMLError = yaml.YAMLError


class _Loader(SafeLoader):
    """PyYAML's safe loader, minus two traps for snapshot files.

    Timestamps stay strings (a date is not a JSON value, so it would fail validation after a
    round trip), and a key given twice in one mapping is an error instead of "last one wins".
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[tuple[str, str]] = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
                continue
            key = (key_node.tag, key_node.value)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {key_node.value!r}",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep)

    def construct_timestamp_as_text(self, node: yaml.ScalarNode) -> str:
        return self.construct_yaml_str(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_timestamp_as_text)


def load(text: str) -> Any:
    """Parse ``text`` with the safe loader above; raises :data:`YAMLError`."""
    return yaml.load(text, Loader=_Loader)  # _Loader derives from the safe loader


def dump(data: Any) -> str:
    """Sorted keys, indent 2, block style, unicode kept, long strings never folded."""
    text: str = yaml.dump(
        data,
        Dumper=_SafeDumper,
        sort_keys=True,
        indent=2,
        default_flow_style=False,
        allow_unicode=True,
        width=1 << 30,  # never fold long test ids over two lines
    )
    return text
