"""The exception tree of the monitor; every module raises from here.

    MonitorError
    ├── ConfigError            broken config file, key or environment override (exit 2)
    ├── DatabaseError          the store cannot be reached or migrated
    │   └── DatabaseAccessError locked, read-only, full, I/O error or unreachable (exit 3)
    ├── FetchError             an HTTP exchange failed (after retries)
    │   ├── UnsafeURLError     URL refused: bad scheme or a private/loopback/reserved target
    │   ├── RobotsDisallowed   robots.txt forbids the fetch
    │   ├── ResponseTooLarge   body (after decompression) passed http.max_response_bytes
    │   ├── FetchTimeout       no complete answer within http.timeout (after retries)
    │   ├── BlockedError       the peer blocks us: 401/403/451, captcha, login or challenge wall
    │   │   └── CircuitOpen    too many recent blocks from this host; not tried
    │   └── HTTPStatusError    any other unexpected status (4xx/5xx after retries)
    ├── ParseError             a response could not be understood (malformed HTML/JSON)
    │   └── ParseLimitExceeded markup too deep or too large to parse in bounded time
    ├── SourceError            a discovery source could not run (missing key, bad answer)
    ├── EvidenceError          an archived file is missing or does not match its hash
    │   └── EvidenceWriteError the evidence folder cannot be written (exit 3)
    ├── ScanBusyError          a brand is being scanned by another live process (exit 75)
    └── NotifyError            an e-mail or webhook could not be delivered

Library errors are translated at the I/O boundary with ``raise ... from exc``.
"""

from __future__ import annotations


class MonitorError(Exception):
    """Base of every error the monitor raises on purpose."""


class ConfigError(MonitorError):
    """Configuration is invalid; ``where`` names the file or environment variable."""

    def __init__(self, where: str, key: str | None, message: str) -> None:
        self.where = where
        self.key = key
        self.message = message
        location = f"{where}: {key}" if key else where
        super().__init__(f"{location}: {message}")


class DatabaseError(MonitorError):
    """The database cannot be opened, reached or migrated."""


class DatabaseAccessError(DatabaseError):
    """A database operation failed for a reason people can act on.

    ``reason`` is a code (locked, read_only, full, io, cannot_open, refused, auth, unreachable,
    other), ``where`` the database with any password masked, ``detail`` the driver's first line.
    """

    def __init__(self, reason: str, where: str, detail: str) -> None:
        self.reason = reason
        self.where = where
        self.detail = detail
        super().__init__(f"database {where}: {reason}: {detail}")


class FetchError(MonitorError):
    """An HTTP exchange failed; ``url`` is the URL that was asked for."""

    def __init__(self, url: str, message: str) -> None:
        self.url = url
        self.message = message
        super().__init__(f"{url}: {message}")


class UnsafeURLError(FetchError):
    """The URL is not http(s) or points at a private, loopback or reserved address."""


class RobotsDisallowed(FetchError):
    """robots.txt of the host forbids fetching this URL."""


class ResponseTooLarge(FetchError):
    """The response body passed the configured size cap."""


class FetchTimeout(FetchError):
    """No complete answer arrived within the configured timeout, after any retries."""


class BlockedError(FetchError):
    """The peer refuses us (401/403/451, captcha, login, consent or challenge page)."""


class CircuitOpen(BlockedError):
    """The host blocked us repeatedly; requests to it are paused for a while."""


class HTTPStatusError(FetchError):
    """The peer answered an unexpected status, after any retries."""

    def __init__(self, url: str, status: int, message: str | None = None) -> None:
        self.status = status
        super().__init__(url, message or f"HTTP {status}")


class ParseError(MonitorError):
    """A response body could not be parsed as the expected format."""


class ParseLimitExceeded(ParseError):
    """Markup passed a parse limit; `limit` names it (depth, elements, end_tags, attributes...)."""

    def __init__(self, limit: str, value: int, maximum: int) -> None:
        self.limit = limit
        self.value = value
        self.maximum = maximum
        super().__init__(f"{limit} {value} is above {maximum}")


class SourceError(MonitorError):
    """A discovery source could not run."""


class EvidenceError(MonitorError):
    """An archived evidence file is missing, unreadable or does not match its hash."""


class EvidenceWriteError(EvidenceError):
    """The evidence folder cannot be written; ``reason``: not_a_folder, permission, read_only, full, io."""

    def __init__(self, reason: str, where: str, detail: str) -> None:
        self.reason = reason
        self.where = where
        self.detail = detail
        super().__init__(f"evidence folder {where}: {reason}: {detail}")


class ScanBusyError(MonitorError):
    """Another live process is scanning these brands; ``holders`` maps each brand to its owner."""

    def __init__(self, holders: dict[str, str]) -> None:
        self.holders = holders
        super().__init__(f"already being scanned: {', '.join(sorted(holders))}")


class NotifyError(MonitorError):
    """An alert or digest could not be delivered."""
