"""The command line's own MONITOR_* variables, read without loading the settings machinery."""

from __future__ import annotations

import os

ENV_PREFIX = "MONITOR_"
# Variables of the command line itself, not settings overrides.
RESERVED_ENV = frozenset({"CONFIG", "HOME", "LOG_FORMAT", "LOG_LEVEL", "LANG"})


def cli_env(name: str) -> str | None:
    """A command-line level variable (MONITOR_LOG_FORMAT, MONITOR_LOG_LEVEL, MONITOR_LANG)."""
    if name not in RESERVED_ENV:
        raise KeyError(name)
    return os.environ.get(ENV_PREFIX + name) or None
