"""Dependency slots: each slot holds one member or a tuple of them.

Requirements, graph nodes and runtime instances all keep their dependencies this way
(``{"owner": x, "items": (y, z)}``); these two functions are the only place that tells the two
shapes apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TypeVar

__all__ = ["map_slots", "slot_members"]

T = TypeVar("T")
U = TypeVar("U")


def slot_members(slots: Mapping[str, T | tuple[T, ...]]) -> Iterator[T]:
    """Every member, in slot order, tuple slots expanded in place."""
    for value in slots.values():
        if isinstance(value, tuple):
            yield from value
        else:
            yield value


def map_slots(
    slots: Mapping[str, T | tuple[T, ...]], convert: Callable[[T], U]
) -> dict[str, U | tuple[U, ...]]:
    """The same slots with ``convert`` applied to every member; tuple slots stay tuples."""
    return {
        slot: tuple(map(convert, value)) if isinstance(value, tuple) else convert(value)
        for slot, value in slots.items()
    }
