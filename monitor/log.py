"""structlog set-up, called once by the CLI or the daemon; logs go to stderr.

A module's logger is made when it is first used, and `configure(lazy=True)` leaves structlog (and
rich, which it renders with) to the first line logged: a command that logs nothing (the container
healthcheck) starts without them."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import structlog

LogFormat = Literal["auto", "console", "json"]

_SECRET_KEY = re.compile(r"(password|passwd|api_?key|secret|token|authorization|cookie)", re.IGNORECASE)
# key=value and "Authorization: Bearer x" inside free text (exception messages, URLs).
_SECRET_IN_TEXT = re.compile(
    r"((?:password|passwd|api_?key|key|secret|token)=)[^&\s\"']+|(Bearer\s+)\S+", re.IGNORECASE
)
MASK = "********"


def mask_text(text: str) -> str:
    """Hide secret-looking values inside free text."""
    return _SECRET_IN_TEXT.sub(lambda m: (m.group(1) or m.group(2)) + MASK, text)


def _scrub(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in list(event.items()):
        if _SECRET_KEY.search(key) and value is not None:
            event[key] = MASK
        elif isinstance(value, str):
            event[key] = mask_text(value)
    return event


def configure(fmt: LogFormat = "auto", level: str = "INFO", *, lazy: bool = False) -> None:
    """Route structlog and standard logging through one renderer on stderr.

    `lazy`: structlog is imported and set up with the first line logged, not now (a command that
    usually logs nothing, such as the healthcheck, starts without it)."""
    global _format
    _format = "json" if fmt == "json" or (fmt == "auto" and not sys.stderr.isatty()) else "console"
    root = logging.getLogger()
    root.handlers[:] = [_StderrHandler()]
    root.setLevel(level.upper())
    # Libraries are chatty at INFO; their warnings still come through.
    for name in ("httpx", "httpcore", "alembic", "apscheduler", "aiosmtpd", "mail.log"):
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    _ready.clear()
    if not lazy or "structlog" in sys.modules:
        _set_up()


# The renderer chosen by the last configure(), and whether structlog has been set up with it.
_format: Literal["json", "console"] | None = None
_ready: list[bool] = []


def _set_up() -> structlog.stdlib.ProcessorFormatter | None:
    """Configure structlog for the last configure() call (once); the formatter of stdlib records."""
    import structlog

    if _format is None:
        return None
    use_json = _format == "json"
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _scrub,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if use_json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    if not _ready:
        structlog.configure(
            processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
            logger_factory=structlog.stdlib.LoggerFactory(),
            wrapper_class=structlog.stdlib.BoundLogger,
            cache_logger_on_first_use=False,
        )
        _ready.append(True)
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info if use_json else _identity,
            renderer,
        ],
    )


class _StderrHandler(logging.StreamHandler[Any]):
    """Writes to sys.stderr as it is at each record: a live terminal display redirects it so that
    log lines print above the display instead of through it. Its structlog formatter is made
    with the first record."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        return None

    def format(self, record: logging.LogRecord) -> str:
        if self.formatter is None:
            self.setFormatter(_set_up())
        return super().format(record)


@contextmanager
def terminal_logs(*, quiet: bool) -> Iterator[None]:
    """While a live display runs: with `quiet`, only warnings and errors are logged; then as before."""
    root = logging.getLogger()
    before = root.level
    if quiet:
        root.setLevel(max(before, logging.WARNING))
    try:
        yield
    finally:
        root.setLevel(before)


def _identity(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    return event


def get_logger(name: str) -> Any:
    """A structlog logger; bind context once per scan (scan_id, brand, source)."""
    return _Logger(name)


class _Logger:
    """A module's structlog logger, made when first used (structlog is imported then)."""

    __slots__ = ("_logger", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._logger: Any = None

    def __getattr__(self, attribute: str) -> Any:
        logger = self._logger
        if logger is None:
            import structlog

            if not _ready:
                _set_up()
            logger = self._logger = structlog.get_logger(self._name)
        return getattr(logger, attribute)
