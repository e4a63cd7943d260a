"""The snapshot options of a run: ``--warmup-snapshot-for`` targets, snapshot_id claims, and
the files the current options name (read on first use, with :mod:`._snapshots`).

Light on purpose: every run imports it, and most runs give no snapshot file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, final

from .errors import WarmupError

if TYPE_CHECKING:
    from ._snapshots import Section, SnapshotInputs

__all__ = [
    "SnapshotState",
    "check_target_spec",
    "given",
    "load_inputs",
    "parse_target",
    "parse_targets",
    "unused_targets_message",
]


def parse_target(spec: str) -> tuple[str, str]:
    """Split ``SNAPSHOT_ID=PATH`` at the first ``=``; both halves stripped."""
    if "=" not in spec:
        raise WarmupError(f"snapshot target must use the form '<snapshot_id>=<path>', got {spec!r}")
    snapshot_id, _, path = (part.strip() for part in spec.partition("="))
    if not snapshot_id:
        raise WarmupError(f"snapshot target is missing snapshot_id before '=', got {spec!r}")
    if not path:
        raise WarmupError(f"snapshot target is missing file path after '=', got {spec!r}")
    return snapshot_id, path


def given(value: str | None) -> bool:
    """Option values that count as given: empty strings do not."""
    return bool(value and value.strip())


def parse_targets(specs: Iterable[str] | None) -> dict[str, str]:
    """``--warmup-snapshot-for`` values -> snapshot_id -> path, rejecting duplicate ids."""
    targets: dict[str, str] = {}
    for spec in specs or ():
        if not given(spec):
            continue
        snapshot_id, path = parse_target(spec)
        if snapshot_id in targets:
            raise WarmupError(
                f"duplicate CLI snapshot target for snapshot_id {snapshot_id!r} "
                f"({targets[snapshot_id]!r} and {path!r}); pass one file per snapshot_id"
            )
        targets[snapshot_id] = path
    return targets


def check_target_spec(spec: str) -> str:
    """Startup check of one ``--warmup-snapshot-for`` value: its form and that the file exists."""
    if given(spec):
        snapshot_id, path = parse_target(spec)
        if not Path(path).is_file():
            raise WarmupError(
                f"targeted snapshot file for {snapshot_id!r} does not exist: {path!r}"
            )
    return spec


def load_inputs(bundle: str | None, specs: Iterable[str] | None) -> SnapshotInputs:
    """Read every snapshot file the options name; report the problems of all of them at once."""
    from ._snapshots import SnapshotInputs, raise_problems, read_bundle, read_fragment

    problems: list[str] = []
    targets: dict[str, str] = {}
    try:
        targets = parse_targets(specs)
    except WarmupError as exc:
        problems.append(str(exc))
    scopes: dict[str, Section] = {}
    bundle_path = bundle.strip() if bundle and given(bundle) else None
    if bundle_path is not None:
        try:
            scopes = read_bundle(bundle_path)
        except WarmupError as exc:
            problems.append(str(exc))
    fragments: dict[str, Section] = {}
    for snapshot_id, path in targets.items():
        try:
            fragments[snapshot_id] = read_fragment(snapshot_id, path)
        except WarmupError as exc:
            problems.append(str(exc))
    raise_problems(problems)
    return SnapshotInputs(bundle_path, scopes, fragments, targets)


@final
class SnapshotState:
    """The loaded inputs and the snapshot_id claims, for the current option values.

    Code may assign ``config.option.warmup_snapshot`` / ``warmup_snapshot_for`` while the run
    goes on: new values drop the cached files and the claims.
    """

    def __init__(self) -> None:
        self._key: tuple[str | None, tuple[str, ...]] | None = None
        self._inputs: SnapshotInputs | None = None
        #: snapshot_id -> (producer definition, its description for messages)
        self._claims: dict[str, tuple[object, str]] = {}

    def use_options(self, bundle: str | None, specs: Sequence[str] | str | None) -> None:
        if isinstance(specs, str):  # one value assigned by code instead of a list
            specs = [specs]
        key = (bundle if given(bundle) else None, tuple(s for s in specs or () if given(s)))
        if key != self._key:
            self._key = key
            self._inputs = None
            self._claims.clear()

    @property
    def active(self) -> bool:
        """Whether any snapshot file is given."""
        return self._key is not None and (self._key[0] is not None or bool(self._key[1]))

    def claim(self, snapshot_id: str, owner: object, description: str) -> None:
        """Reserve ``snapshot_id`` for one producer fixture definition (all its instances)."""
        claimed = self._claims.get(snapshot_id)
        if claimed is None:
            self._claims[snapshot_id] = (owner, description)
        elif claimed[0] is not owner:
            raise WarmupError(
                f"snapshot_id {snapshot_id!r} is already used by producer {claimed[1]}; give "
                "each producer fixture its own snapshot_id"
            )

    @property
    def claimed(self) -> frozenset[str]:
        return frozenset(self._claims)

    @property
    def targets(self) -> tuple[str, ...]:
        return self._key[1] if self._key is not None else ()

    def inputs(self, check: Callable[[SnapshotInputs], None]) -> SnapshotInputs:
        """The files for the current options, read once; ``check`` runs before caching them."""
        if self._inputs is None:
            assert self._key is not None, "use_options() comes first"
            inputs = load_inputs(*self._key)
            check(inputs)
            self._inputs = inputs
        return self._inputs


def unused_targets_message(specs: Sequence[str] | str | None, claimed: Iterable[str]) -> str | None:
    """The session-end message for ``--warmup-snapshot-for`` ids nobody claimed, if any."""
    ids = set()
    for spec in [specs] if isinstance(specs, str) else specs or ():
        if given(spec) and "=" in spec:
            ids.add(spec.partition("=")[0].strip())
    unused = sorted(ids - set(claimed) - {""})
    if not unused:
        return None
    return (
        f"unused --warmup-snapshot-for targets: {', '.join(map(repr, unused))}; no producer "
        "executed prepare(snapshot_id=...) with these ids in this run"
    )
