"""Fixtures of the report tests."""

from __future__ import annotations

from tests.reports.helpers import run_cli

__all__ = ["run_cli"]
