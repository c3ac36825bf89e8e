"""The conductor names no concrete part: sources, look-alikes, tips, page readers and channels come
from registries, and a new one is a module plus a registry line."""

from __future__ import annotations

import ast
import importlib.util
import inspect
from pathlib import Path

import pytest

from monitor.discover.readers import READERS
from monitor.discover.registry import DISCOVERERS
from monitor.enrich.pages import EXTRACTORS
from monitor.notify.channels import CHANNELS
from monitor.sources import SOURCES

REPO = Path(__file__).resolve().parents[2]
# scan.py and the modules it was split into.
CONDUCTOR = ("monitor/scan.py", "monitor/scan_flow.py", "monitor/scan_record.py")
REGISTRIES = (
    "monitor/discover/registry.py",
    "monitor/discover/readers.py",
    "monitor/sources/__init__.py",
    "monitor/notify/channels/__init__.py",
    "monitor/enrich/pages.py",
)


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def imported(path: str) -> set[str]:
    """Every module a file imports (`from a.b import c` counts a.b, and a.b.c when c is a module)."""
    tree = ast.parse((REPO / path).read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(
                f"{node.module}.{alias.name}"
                for alias in node.names
                if _is_module(f"{node.module}.{alias.name}")
            )
    return found


def _module_of(part: object) -> str:
    target = getattr(part, "func", part)  # functools.partial
    target = getattr(target, "__self__", target)  # a bound classmethod
    module = inspect.getmodule(target)
    assert module is not None, part
    return module.__name__


def concrete_modules() -> set[str]:
    """The modules defining what the registries list, and every module the registries import that
    is not a protocol, a registry or a shared type."""
    parts = [*SOURCES.values(), *DISCOVERERS.values(), *READERS.values(), *CHANNELS.values()]
    parts += list(EXTRACTORS.values())
    defined = {_module_of(part) for part in parts}
    listed = {
        name
        for registry in REGISTRIES
        for name in imported(registry)
        if name.startswith(
            ("monitor.sources.", "monitor.notify.channels.", "monitor.enrich.", "monitor.domains.")
        )
    }
    shared = {"monitor.sources.base", "monitor.notify.channels.base", "monitor.enrich.enricher"}
    shared |= {"monitor.enrich.page", "monitor.enrich.walls", "monitor.enrich.pages"}
    registries = {"monitor.discover.registry", "monitor.discover.readers", "monitor.discover.base"}
    return (defined | listed) - shared - registries - {"monitor.sources", "monitor.notify.channels"}


def test_the_registries_list_concrete_parts() -> None:
    concrete = concrete_modules()
    for module in (
        "monitor.sources.duckduckgo",
        "monitor.sources.brave",
        "monitor.domains.bridge",
        "monitor.discover.tips",
        "monitor.discover.known",
        "monitor.enrich.telegram",
        "monitor.enrich.tiktok",
        "monitor.notify.channels.email",
        "monitor.notify.channels.webhook",
    ):
        assert module in concrete


@pytest.mark.parametrize("path", CONDUCTOR)
def test_the_conductor_imports_no_concrete_part(path: str) -> None:
    concrete = concrete_modules()
    named = imported(path)
    assert not named & concrete, sorted(named & concrete)
    # Nor any engine, channel, look-alike or per-platform reader module by another route.
    for name in named:
        assert not name.startswith("monitor.domains."), name
        assert not name.startswith("monitor.notify.channels."), name
        assert name not in ("monitor.notify.email", "monitor.notify.webhook"), name
        if name.startswith("monitor.sources."):
            assert name.startswith("monitor.sources.base"), name
