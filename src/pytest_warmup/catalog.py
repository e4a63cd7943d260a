"""warmup.yaml catalogs: plans, requirements, producers and fixtures declared in YAML.

A catalog is read with PyYAML's safe loader (the libyaml one when available), checked
completely and compiled into the same :class:`WarmupPlan` / :class:`WarmupRequirement` objects
that Python declarations create. Every problem of every loaded file is collected and raised as
one :class:`~pytest_warmup.errors.CatalogError`, one ``file:line:col: path.to.key: what is
wrong`` line each.

Plans are found by import path (``class: "module:attribute"``, ``instance: ...``) or by name in
the ``pytest_warmup.plans`` entry-point group. No pytest here: :func:`load_catalog` works in a
REPL and in ``pytest-warmup check``; ``catalog_fixtures`` turns a :class:`Catalog` into pytest
fixtures.
"""

from __future__ import annotations

import gc
import importlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Final, final

from ._catalog_reader import (
    CATALOG_VERSION,
    CatalogFiles,
    Declarations,
    PlanDecl,
    Problems,
    Reference,
    RequirementDecl,
    Text,
    exception_text,
)
from ._declarations import (
    WarmupPlan,
    WarmupRequirement,
    declaration_site,
    requirement_label,
    set_declaration_site,
)
from ._files import CatalogPath, resolve_catalog_path
from ._scopes import SCOPES, Scope
from ._text import did_you_mean
from .errors import CatalogError, WarmupError

__all__ = [
    "CATALOG_VERSION",
    "PLAN_ENTRY_POINT_GROUP",
    "SCOPES",
    "Catalog",
    "CatalogPath",
    "FixtureSpec",
    "ProducerSpec",
    "Scope",
    "load_catalog",
    "load_catalogs",
    "resolve_catalog_path",
]

PLAN_ENTRY_POINT_GROUP: Final = "pytest_warmup.plans"
"""Entry-point group in which installed distributions publish plans by name."""


@final
@dataclass(frozen=True)
class ProducerSpec:
    """A producer fixture declared in a catalog.

    Its fixture function runs ``warmup_mgr.use(*plans).prepare(snapshot_id=snapshot_id)`` with
    pytest scope ``scope``. ``site`` is where it was declared, as ``file:line``.
    """

    name: str
    scope: Scope
    plans: tuple[WarmupPlan, ...]
    snapshot_id: str | None
    site: str


@final
@dataclass(frozen=True)
class FixtureSpec:
    """A fixture declared in a catalog: the prepared value of ``requirement``.

    ``producer`` names the :class:`ProducerSpec` that prepares it; ``scope`` is the fixture's
    own pytest scope (``function`` unless the catalog says otherwise, never broader than the
    producer's). ``site`` is where it was declared, as ``file:line``.
    """

    name: str
    requirement: WarmupRequirement
    producer: str
    scope: Scope
    site: str


@final
@dataclass(frozen=True)
class Catalog:
    """Everything one or more catalog files declare, compiled.

    ``plans`` maps catalog plan names to plan objects; ``requirements`` maps ids to requirement
    objects, dependencies linked, in declaration order; ``producers`` and ``fixtures`` describe
    the fixtures to generate; ``files`` lists the files read, includes before their includer.
    ``Catalog()`` is the empty catalog.
    """

    plans: Mapping[str, WarmupPlan] = field(default_factory=dict)
    requirements: Mapping[str, WarmupRequirement] = field(default_factory=dict)
    producers: Mapping[str, ProducerSpec] = field(default_factory=dict)
    fixtures: Mapping[str, FixtureSpec] = field(default_factory=dict)
    files: tuple[str, ...] = ()

    def requirement(self, requirement_id: str) -> WarmupRequirement:
        """The requirement declared as ``requirement_id``; a :class:`WarmupError` if none is."""
        found = self.requirements.get(requirement_id)
        if found is not None:
            return found
        hint = did_you_mean(requirement_id, self.requirements)
        if hint:
            raise WarmupError(f"unknown catalog requirement {requirement_id!r}{hint}")
        if self.files:
            raise WarmupError(
                f"unknown catalog requirement {requirement_id!r}; declare it under "
                f"'requirements' in one of: {', '.join(self.files)}"
            )
        raise WarmupError(
            f"unknown catalog requirement {requirement_id!r}; no warmup catalog is loaded "
            "(pytest-warmup reads warmup.yaml in the rootdir, the warmup_catalogs ini option "
            "and --warmup-catalog PATH)"
        )


def load_catalog(path: CatalogPath) -> Catalog:
    """Read, check and compile one catalog file and everything it includes.

    ``path`` is a file path or ``"pkg:<package>/<path>"``, a file inside an importable
    package. Raises :class:`~pytest_warmup.errors.CatalogError` listing every problem found.
    """
    return load_catalogs([path])


def load_catalogs(paths: Iterable[CatalogPath]) -> Catalog:
    """Read several catalogs into one namespace, as pytest-warmup does for a test run.

    A file reached twice (listed twice, or included from two places) is read once. Names are
    shared by all files: declaring one plan, id, producer or fixture in two files is a
    problem. No paths give the empty catalog.
    """
    catalog, _, error = read_catalogs(paths)
    if error is not None:
        raise error
    return catalog


def read_catalogs(
    paths: Iterable[CatalogPath],
) -> tuple[Catalog, tuple[str, ...], CatalogError | None]:
    """:func:`load_catalogs` for ``pytest-warmup check``: the catalog, the modules that reading
    it imported (plan classes and instances, Python requirements, entry points, packages of
    ``pkg:`` paths; their top-level code ran), and the error instead of raising it."""
    with _garbage_collection_paused():
        files = CatalogFiles()
        for path in paths:
            files.read_root(path)
        compiler = _Compiler(files.declarations, files.problems)
        catalog = compiler.compile(tuple(files.files))
        problems = files.problems
        modules = tuple(dict.fromkeys([*files.packages, *compiler.modules]))
        # The declarations and the YAML nodes they keep are garbage now. Freed while the
        # collector is paused, it never walks them: its first pass after a large catalog
        # otherwise took longer than compiling (10,000 requirements: 0.08 s).
        del files, compiler
    try:
        problems.raise_if_any()
    except CatalogError as error:
        return catalog, modules, error
    return catalog, modules, None


@contextmanager
def _garbage_collection_paused() -> Iterator[None]:
    # Composing a large catalog allocates hundreds of thousands of small tracked objects (nodes
    # and their marks); the collector's passes over them tripled load time (10,000 requirements:
    # 1.2 s -> 0.35 s to compose). Whatever cycles loading leaves are collected afterwards.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# -- plans from import paths and entry points ----------------------------------------------------


class _LookupFailed(Exception):
    """An import path or entry point that gives no object; the message says why."""


def _exited(exc: SystemExit, what: str) -> str:
    return (
        f"{what} called sys.exit({exc.code!r}); code a catalog names must not exit the "
        "process (move it under 'if __name__ == \"__main__\":')"
    )


def _import_object(path: str) -> object:
    module_name, _, attributes = path.partition(":")
    try:
        target: object = importlib.import_module(module_name)
    except Exception as exc:  # whatever the imported module raises
        raise _LookupFailed(f"cannot import {path!r}: {exception_text(exc)}") from None
    except SystemExit as exc:  # pytest and `check` would end silently, with its exit code
        raise _LookupFailed(
            f"cannot import {path!r}: {_exited(exc, f'importing {module_name!r}')}"
        ) from None
    for attribute in attributes.split("."):
        try:
            target = getattr(target, attribute)
        except AttributeError:
            public = [name for name in dir(target) if not name.startswith("_")]
            raise _LookupFailed(
                f"cannot import {path!r}: {module_name!r} has no attribute {attributes!r}"
                f"{did_you_mean(attribute, public)}"
            ) from None
    return target


def _distribution_name(entry_point: EntryPoint) -> str:
    distribution = getattr(entry_point, "dist", None)
    name = getattr(distribution, "name", None)
    return str(name) if name else "an unknown distribution"


class _PlanEntryPoints:
    """The ``pytest_warmup.plans`` group: scanned on first use, each entry loaded on demand."""

    def __init__(self) -> None:
        self._by_name: dict[str, list[EntryPoint]] | None = None
        self.modules: list[str] = []
        """Modules of the entry points loaded, in order."""

    def load(self, name: str) -> tuple[object, str]:
        """The object entry point ``name`` provides, and where it comes from (for messages)."""
        if self._by_name is None:
            self._by_name = {}
            for entry_point in entry_points(group=PLAN_ENTRY_POINT_GROUP):
                self._by_name.setdefault(entry_point.name, []).append(entry_point)
        providers = sorted(self._by_name.get(name, []), key=_distribution_name)
        if not providers:
            hint = did_you_mean(name, self._by_name)
            if not hint and self._by_name:
                hint = f"; installed plans: {', '.join(sorted(self._by_name))}"
            elif not hint:
                hint = "; no installed distribution provides any"
            raise _LookupFailed(
                f"no entry point {name!r} in group {PLAN_ENTRY_POINT_GROUP!r}{hint}"
            )
        described = [f"{_distribution_name(ep)} ({ep.value})" for ep in providers]
        if len(providers) > 1:
            raise _LookupFailed(
                f"entry point {name!r} in group {PLAN_ENTRY_POINT_GROUP!r} is provided by "
                f"{len(providers)} distributions: {' and '.join(described)}; uninstall one, or "
                "name the plan with 'class: module:attribute'"
            )
        origin = f"entry point {name!r} of {described[0]}"
        self.modules.append(providers[0].module)
        try:
            return providers[0].load(), origin
        except Exception as exc:  # whatever the imported module raises
            raise _LookupFailed(f"{origin} failed to load: {exception_text(exc)}") from None
        except SystemExit as exc:
            raise _LookupFailed(f"{origin} failed to load: {_exited(exc, 'loading it')}") from None


# -- compiling -----------------------------------------------------------------------------------


class _Compiler:
    """Declarations -> plan and requirement objects and fixture specs; references checked."""

    def __init__(self, declarations: Declarations, problems: Problems) -> None:
        self._declarations = declarations
        self._problems = problems
        self._entry_points = _PlanEntryPoints()
        self._imported: dict[str, object] = {}
        self._modules: list[str] = []
        self._per_test: dict[WarmupRequirement, WarmupRequirement | None] = {}
        """Requirement -> the requirement declared per-test that makes it per-test (itself, or one
        it depends on), ``None`` when it is shared."""

    @property
    def modules(self) -> list[str]:
        """The modules imported so far, in order: import paths, then entry points."""
        return [*self._modules, *self._entry_points.modules]

    def compile(self, files: tuple[str, ...]) -> Catalog:
        plans = {name: self._plan(decl) for name, decl in self._declarations.plans.items()}
        requirements = self._requirements(plans)
        self._check_shared(requirements)
        producers = self._producers(plans)
        fixtures = self._fixtures(requirements, producers)
        return Catalog(
            plans={name: plan for name, plan in plans.items() if plan is not None},
            requirements=requirements,
            producers=producers,
            fixtures=fixtures,
            files=files,
        )

    def _unknown(self, name: Text, path: str, section: str, known: Iterable[str]) -> None:
        kind = section[:-1]
        hint = did_you_mean(name.value, known) or f"; declare it under '{section}'"
        self._problems.add(name.mark, path, f"unknown {kind} {name.value!r}{hint}")

    def _import(self, path: str) -> object:
        if path not in self._imported:
            self._modules.append(path.partition(":")[0])
            self._imported[path] = _import_object(path)
        return self._imported[path]

    # -- plans ----------------------------------------------------------------------------------

    def _plan(self, decl: PlanDecl) -> WarmupPlan | None:
        if not decl.complete or decl.target is None:
            return None
        path = f"plans.{decl.name}.{decl.source}"
        mark = decl.target.mark
        try:
            if decl.source == "entry_point":
                target, origin = self._entry_points.load(decl.target.value)
            else:
                target, origin = self._import(decl.target.value), repr(decl.target.value)
        except _LookupFailed as failed:
            self._problems.add(mark, path, str(failed))
            return None
        if isinstance(target, WarmupPlan):
            if decl.source == "class":
                self._problems.add(mark, path, f"{origin} is a plan instance; use 'instance:'")
            elif decl.options is not None and decl.options_mark is not None:
                self._problems.add(
                    decl.options_mark,
                    f"plans.{decl.name}.options",
                    f"{origin} is a plan instance, which takes no options; remove 'options'",
                )
            else:
                return target
            return None
        if isinstance(target, type) and issubclass(target, WarmupPlan):
            if decl.source == "instance":
                self._problems.add(mark, path, f"{origin} is a plan class; use 'class:'")
                return None
            return self._instantiate(decl, target)
        wanted = {"class": "a WarmupPlan subclass", "instance": "a WarmupPlan instance"}
        self._problems.add(
            mark,
            path,
            f"{origin} is not {wanted.get(decl.source or '', 'a WarmupPlan subclass or instance')}"
            f" (got {_type_name(target)})",
        )
        return None

    def _instantiate(self, decl: PlanDecl, plan_class: type[WarmupPlan]) -> WarmupPlan | None:
        options = decl.options or {}
        try:
            return plan_class(decl.name, **options)
        except Exception as exc:  # whatever the plan's constructor raises
            problem = f"{_call(plan_class, decl.name, options)} raised {exception_text(exc)}"
        except SystemExit as exc:
            problem = _exited(exc, _call(plan_class, decl.name, options))
        self._problems.add(decl.mark, f"plans.{decl.name}", problem)
        return None

    # -- requirements ---------------------------------------------------------------------------

    def _requirements(self, plans: Mapping[str, WarmupPlan | None]) -> dict[str, WarmupRequirement]:
        declared = self._declarations.requirements
        external = self._check_references(plans)
        created: dict[str, WarmupRequirement] = {}
        for requirement_id in self._creation_order():
            decl = declared[requirement_id]
            plan = plans.get(decl.plan.value) if decl.plan is not None else None
            if plan is None or not decl.complete:
                continue  # reported already
            requirement = self._create(decl, plan, created, external)
            if requirement is not None:
                created[requirement_id] = requirement
        # Declaration order rather than creation order, so the catalog reads like its files.
        return {rid: created[rid] for rid in declared if rid in created}

    def _create(
        self,
        decl: RequirementDecl,
        plan: WarmupPlan,
        created: Mapping[str, WarmupRequirement],
        external: Mapping[str, WarmupRequirement],
    ) -> WarmupRequirement | None:
        dependencies: dict[str, WarmupRequirement | tuple[WarmupRequirement, ...]] = {}
        for slot, value in decl.dependencies:
            # A dependency not created is unknown, broken or cyclic: reported already.
            if isinstance(value, Reference):
                found = (external if value.is_import else created).get(value.text)
                if found is None:
                    return None
                dependencies[slot] = found
            else:
                linked = []
                for ref in value:
                    found = (external if ref.is_import else created).get(ref.text)
                    if found is None:
                        return None
                    linked.append(found)
                dependencies[slot] = tuple(linked)
        # The base factory: a subclass's require() may take its own keyword arguments.
        requirement = WarmupPlan.require(
            plan,
            payload=decl.payload,
            dependencies=dependencies,
            id=decl.name,
            is_per_test=decl.per_test,
        )
        set_declaration_site(requirement, decl.site)
        return requirement

    def _check_references(
        self, plans: Mapping[str, WarmupPlan | None]
    ) -> dict[str, WarmupRequirement]:
        """Report unknown plans and ids; import the Python requirements referenced."""
        declared = self._declarations.requirements
        external: dict[str, WarmupRequirement] = {}
        for decl in declared.values():
            if decl.plan is not None and decl.plan.value not in plans:
                self._unknown(decl.plan, f"requirements.{decl.name}.plan", "plans", plans)
            for ref in decl.references:
                if not ref.is_import:
                    if ref.text not in declared:
                        self._unknown(
                            Text(ref.text, ref.file, ref.node), ref.path, "requirements", declared
                        )
                    continue
                try:
                    target = self._import(ref.text)
                except _LookupFailed as failed:
                    self._problems.add(ref.mark, f"{ref.path}.import", str(failed))
                    continue
                if isinstance(target, WarmupRequirement):
                    external[ref.text] = target
                else:
                    self._problems.add(
                        ref.mark,
                        f"{ref.path}.import",
                        f"{ref.text!r} is not a WarmupRequirement (got {_type_name(target)})",
                    )
        return external

    def _creation_order(self) -> list[str]:
        """Catalog ids, each after its catalog dependencies; each cycle is reported once."""
        declared = self._declarations.requirements
        done: set[str] = set()
        order: list[str] = []
        for start, decl in declared.items():
            if start in done:
                continue
            for ref in decl.references:
                if not ref.is_import and ref.text not in done and ref.text in declared:
                    break
            else:  # the usual case: no catalog dependency still to place
                done.add(start)
                order.append(start)
                continue
            # An explicit stack: catalogs may chain thousands of requirements.
            path = [start]
            on_path = {start}
            stack = [iter(decl.references)]
            while stack:
                for ref in stack[-1]:
                    target = ref.text
                    if ref.is_import or target not in declared or target in done:
                        continue
                    if target in on_path:
                        self._cycle([*path[path.index(target) :], target], ref)
                        continue
                    path.append(target)
                    on_path.add(target)
                    stack.append(iter(declared[target].references))
                    break
                else:
                    stack.pop()
                    finished = path.pop()
                    on_path.discard(finished)
                    done.add(finished)
                    order.append(finished)
        return order

    def _cycle(self, cycle: list[str], closing: Reference) -> None:
        marks = [self._declarations.requirements[rid].mark for rid in cycle]
        if len({mark.file for mark in marks}) > 1:
            # The last step repeats the first: its site is known by then.
            steps = [f"{rid!r} ({mark.site})" for rid, mark in zip(cycle, marks, strict=True)]
            steps[-1] = repr(cycle[-1])
        else:
            steps = [repr(rid) for rid in cycle]
        self._problems.add(
            closing.mark,
            closing.path,
            f"dependency cycle: {' -> '.join(steps)}; remove one of these dependencies",
        )

    # -- producers and fixtures -----------------------------------------------------------------

    def _producers(self, plans: Mapping[str, WarmupPlan | None]) -> dict[str, ProducerSpec]:
        result: dict[str, ProducerSpec] = {}
        for decl in self._declarations.producers.values():
            objects: list[WarmupPlan] = []
            for index, name in enumerate(decl.plans):
                plan = plans.get(name.value)
                if name.value not in plans:
                    self._unknown(name, f"producers.{decl.name}.plans[{index}]", "plans", plans)
                elif plan is not None:
                    objects.append(plan)
            if decl.complete and decl.scope is not None and len(objects) == len(decl.plans):
                result[decl.name] = ProducerSpec(
                    decl.name, decl.scope, tuple(objects), decl.snapshot_id, decl.site
                )
        return result

    def _fixtures(
        self,
        requirements: Mapping[str, WarmupRequirement],
        producers: Mapping[str, ProducerSpec],
    ) -> dict[str, FixtureSpec]:
        declared = self._declarations
        result: dict[str, FixtureSpec] = {}
        for decl in declared.fixtures.values():
            path = f"fixtures.{decl.name}"
            clash = declared.producers.get(decl.name)
            if clash is not None:
                self._problems.add(
                    decl.mark,
                    path,
                    f"name {decl.name!r} is already used by the producer declared at "
                    f"{clash.mark}; fixtures and producers share pytest's fixture names, "
                    "rename one",
                )
                continue
            if decl.requirement is not None and decl.requirement.value not in declared.requirements:
                self._unknown(
                    decl.requirement, f"{path}.requirement", "requirements", declared.requirements
                )
            producer_decl = None
            if decl.producer is not None:
                producer_decl = declared.producers.get(decl.producer.value)
                if producer_decl is None:
                    self._unknown(
                        decl.producer, f"{path}.producer", "producers", declared.producers
                    )
            scope: Scope = "function" if decl.scope is None else decl.scope.value
            if (
                decl.scope is not None
                and producer_decl is not None
                and producer_decl.scope is not None
                and SCOPES.index(scope) < SCOPES.index(producer_decl.scope)
            ):
                self._problems.add(
                    decl.scope.mark,
                    f"{path}.scope",
                    f"scope {scope!r} is broader than the {producer_decl.scope!r} scope of "
                    f"producer {producer_decl.name!r}; use {producer_decl.scope!r} or narrower",
                )
                continue
            if not decl.complete or decl.requirement is None or decl.producer is None:
                continue
            requirement = requirements.get(decl.requirement.value)
            producer = producers.get(decl.producer.value)
            if requirement is None or producer is None:
                continue  # reported already
            if not any(plan is requirement.owner_plan for plan in producer.plans):
                plan_decl = declared.requirements[decl.requirement.value].plan
                plan_name = (
                    plan_decl.value if plan_decl is not None else requirement.owner_plan.name
                )
                self._problems.add(
                    decl.producer.mark,
                    f"{path}.producer",
                    f"producer {producer.name!r} does not prepare plan {plan_name!r} of "
                    f"requirement {decl.requirement.value!r}; add {plan_name!r} to "
                    f"producers.{producer.name}.plans",
                )
                continue
            if decl.scope is not None and scope != "function":
                source = self._per_test_source(requirement)
                if source is not None:
                    shareable = source is requirement and not any(
                        self._per_test_source(dependency)
                        for dependency in requirement.iter_dependency_requirements()
                    )
                    self._problems.add(
                        decl.scope.mark,
                        f"{path}.scope",
                        _per_test_fixture(requirement, source, scope, shareable),
                    )
                    continue
            result[decl.name] = FixtureSpec(decl.name, requirement, producer.name, scope, decl.site)
        return result

    # -- per-test requirements ------------------------------------------------------------------

    def _per_test_source(self, requirement: WarmupRequirement) -> WarmupRequirement | None:
        """The requirement declared per-test that makes ``requirement`` per-test, or ``None``.

        The engine's rule (``_graph``): declared ``True`` is per-test, ``False`` shared, unset
        per-test exactly when a dependency is. Python requirements a catalog imports count too:
        they are objects by now. Iterative: chains of thousands of requirements are fine.
        """
        known = self._per_test
        stack = [requirement]
        while stack:
            current = stack[-1]
            if current in known:
                stack.pop()
                continue
            if current.is_per_test is not None:
                known[current] = current if current.is_per_test else None
                stack.pop()
                continue
            dependencies = current.iter_dependency_requirements()
            pending = [dependency for dependency in dependencies if dependency not in known]
            if pending:
                stack.extend(pending)
                continue
            known[current] = next((known[d] for d in dependencies if known[d] is not None), None)
            stack.pop()
        return known[requirement]

    def _check_shared(self, requirements: Mapping[str, WarmupRequirement]) -> None:
        """``per_test: false`` with a per-test dependency: the engine would refuse it when a
        producer prepares it, so say it now."""
        declared = self._declarations.requirements
        for requirement_id, requirement in requirements.items():
            if requirement.is_per_test is not False:
                continue
            for dependency in requirement.iter_dependency_requirements():
                source = self._per_test_source(dependency)
                if source is None:
                    continue
                self._problems.add(
                    declared[requirement_id].mark,
                    f"requirements.{requirement_id}.per_test",
                    f"{requirement_id!r} cannot be shared: its dependency "
                    f"{requirement_label(dependency)!r} is per-test{_because(dependency, source)}; "
                    "remove 'per_test: false' to make it per-test too, or make the dependency "
                    "shared",
                )
                break


def _because(requirement: WarmupRequirement, source: WarmupRequirement) -> str:
    """`` (through 'x', declared at f.py:3)`` when ``source`` makes ``requirement`` per-test."""
    if source is requirement:
        return ""
    site = declaration_site(source)
    where = f", declared at {site}" if site else ""
    return f" through its dependency {requirement_label(source)!r}{where}"


def _per_test_fixture(
    requirement: WarmupRequirement, source: WarmupRequirement, scope: str, shareable: bool
) -> str:
    name = requirement_label(requirement)
    fix = "remove 'scope' to keep the default 'function'"
    if shareable:
        fix += f", or make {name!r} shared with 'per_test: false'"
    return (
        f"requirement {name!r} is per-test{_because(requirement, source)}: every test gets its "
        f"own value, and a {scope!r}-scoped fixture would hand one value to many tests; {fix}"
    )


def _call(plan_class: type[WarmupPlan], name: str, options: Mapping[str, object]) -> str:
    arguments = [repr(name), *(f"{key}={value!r}" for key, value in options.items())]
    return f"{plan_class.__name__}({', '.join(arguments)})"


def _type_name(value: object) -> str:
    if isinstance(value, type):
        return f"class {value.__name__}"
    return type(value).__name__
