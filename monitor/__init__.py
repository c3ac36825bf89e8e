"""Impersonation monitor for public organisations: finds fake accounts and sites using an office's name."""

from __future__ import annotations

__all__ = ["__version__"]  # provided by __getattr__ below


def __getattr__(name: str) -> str:
    """`__version__`, read from the installed metadata on first use: importlib.metadata is slow to
    import, and `monitor --help` should not wait for it."""
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("impersonation-monitor")
    except PackageNotFoundError:  # running from a source tree that was not installed
        found = "0.0.0"
    globals()["__version__"] = found
    return found
