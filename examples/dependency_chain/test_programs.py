"""Tests that read shared programs (and, through them, the shared facility)."""

from __future__ import annotations

from typing import Any

from pytest_warmup import warmup_param

from .requirements import swimming, yoga


@warmup_param("program", yoga)
def test_program_points_at_its_facility(booking_data: object, program: dict[str, Any]) -> None:
    assert program["title"] == "Morning yoga"
    assert program["facility"]["name"] == "Downtown gym"


@warmup_param("first", yoga)
@warmup_param("second", swimming)
def test_programs_share_one_facility(
    booking_data: object, first: dict[str, Any], second: dict[str, Any]
) -> None:
    # One facility requirement object, so one facility record behind both programs.
    assert first["facility"] is second["facility"]
