"""Bounds on what pytest-warmup reads from a file, and the messages that say one was passed.

A catalog or snapshot file is data, but YAML aliases let a few hundred bytes stand for billions
of values (an anchor listing another anchor nine times, nine levels deep), and a deep enough
nesting breaks every recursive walk over it (the YAML composer, the report writer,
``json.dumps``). The readers enforce these bounds while they read, so what they accept can be
checked, copied and written back safely.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "DEPTH_PROBLEM",
    "INTEGER_PROBLEM",
    "MAX_ALIAS_VALUES",
    "MAX_DEPTH",
    "MAX_INTEGER_DIGITS",
    "RECURSION_PROBLEM",
    "VALUES_PROBLEM",
    "integer_too_large",
]

#: mappings and lists inside one another, counted from the top of the file
MAX_DEPTH: Final = 100
#: values that YAML aliases repeat in one file: an alias of an anchor holding 10 values repeats
#: 11 (what is written out once is not bounded here: its size is the file's)
MAX_ALIAS_VALUES: Final = 100_000
#: decimal digits of an integer: what Python converts to and from text by default
MAX_INTEGER_DIGITS: Final = 4300

DEPTH_PROBLEM: Final = (
    f"mappings and lists nest more than {MAX_DEPTH} levels deep here; flatten the data"
)
VALUES_PROBLEM: Final = (
    f"YAML aliases repeat more than {MAX_ALIAS_VALUES:,} values in this file; write the data "
    "out, or use fewer aliases of large anchors"
)
RECURSION_PROBLEM: Final = "an alias refers to a value that contains it; data must not be recursive"
INTEGER_PROBLEM: Final = (
    f"integer with more than {MAX_INTEGER_DIGITS} digits; write it as a string (quote it)"
)

# Below this many bits an integer has fewer than MAX_INTEGER_DIGITS digits: no comparison needed.
_SAFE_BITS: Final = int(MAX_INTEGER_DIGITS * 3.32)


def integer_too_large(number: int) -> bool:
    """Whether ``number`` has more than :data:`MAX_INTEGER_DIGITS` decimal digits."""
    return number.bit_length() > _SAFE_BITS and abs(number) >= 10**MAX_INTEGER_DIGITS
