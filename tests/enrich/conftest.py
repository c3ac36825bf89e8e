"""Fixtures of the enrichment tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.enrich.site import Site
from tests.support.loopback import serve


@pytest.fixture
def site() -> Iterator[tuple[Site, str]]:
    """A recording loopback site and its base URL."""
    web = Site()
    with serve(web.app(), host="127.0.0.1") as base:
        yield web, base
