"""Producer scopes and scope ids, the addresses of producer instances in snapshot files.

A scope id reads ``<scope>:<anchor>::<producer fixture name>`` (``<scope>::<name>`` when the
anchor is empty): ``module:tests/test_orders.py::shop``, ``session:.::shop``.
"""

from __future__ import annotations

from typing import Final, Literal

__all__ = ["SCOPES", "Scope", "format_scope_id", "parse_scope_id"]

Scope = Literal["session", "package", "module", "class", "function"]

SCOPES: Final[tuple[Scope, ...]] = ("session", "package", "module", "class", "function")
"""Pytest's fixture scopes, broadest first: the scopes a producer may have."""


def format_scope_id(scope: str, anchor: str, name: str) -> str:
    """The scope id of producer ``name`` of ``scope`` anchored at ``anchor``."""
    if anchor:
        return f"{scope}:{anchor}::{name}"
    return f"{scope}::{name}"


def parse_scope_id(scope_id: str) -> tuple[str, str, str] | None:
    """``(scope, anchor, producer name)`` of ``scope_id``, or ``None`` when it does not have
    the shape of one."""
    scope, _, rest = scope_id.partition(":")
    anchor, separator, name = rest.rpartition("::")
    if scope not in SCOPES or not separator or not name:
        return None
    return scope, anchor, name
