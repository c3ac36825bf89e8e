"""The garbage collector while scans run: what the process held before them is set aside.

A full collection walks every object the process holds (its settings, character tables, ORM
state, a scan's thousands of candidates) and stops the event loop meanwhile: about 0.1 s in
which no request leaves. While a scan runs, the objects that existed when it began are moved to
the collector's permanent generation (`gc.freeze`); they are put back when the last running scan
ends (`gc.unfreeze`), so garbage among them is still collected between scans.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_running = 0


@contextmanager
def older_objects_aside() -> Iterator[None]:
    """For the duration of a scan (scans running together share it)."""
    global _running
    with _lock:
        if _running == 0:
            gc.freeze()
        _running += 1
    try:
        yield
    finally:
        with _lock:
            _running -= 1
            if _running == 0:
                gc.unfreeze()


def running() -> int:
    """How many scans have the older objects set aside now."""
    return _running
