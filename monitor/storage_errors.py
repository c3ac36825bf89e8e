"""Storage failures (database, evidence folder): classified at the I/O boundary, shown as one line."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.errors import DatabaseAccessError, EvidenceWriteError
from monitor.i18n import Language, tr
from monitor.log import mask_text

if TYPE_CHECKING:
    from sqlalchemy.engine import URL
    from sqlalchemy.exc import DBAPIError

# SQLAlchemy is imported where a URL or an error of its own is read: the healthcheck, which reads
# with the drivers themselves, goes without it.

# The exit status of a command stopped by a storage failure (documented in the README).
STORAGE_EXIT = 3

# (reason, words in the driver's message or SQLite error name); the first match wins.
_DATABASE_REASONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("locked", ("sqlite_busy", "sqlite_locked", "database is locked", "database table is locked")),
    ("read_only", ("sqlite_readonly", "readonly database", "read-only", "read only")),
    ("full", ("sqlite_full", "database or disk is full", "no space left", "disk full", "could not extend")),
    ("io", ("sqlite_ioerr", "disk i/o error", "input/output error")),
    ("cannot_open", ("sqlite_cantopen", "unable to open database file")),
    ("refused", ("connection refused",)),
    ("auth", ("password authentication failed", "authentication failed", "no password supplied")),
    ("unreachable", ("could not translate host name", "timeout expired", "timed out", "connection failed")),
)
# SQLSTATE classes of PostgreSQL: 53100 disk full, 25006 read-only transaction.
_SQLSTATES = {"53100": "full", "25006": "read_only"}


def database_where(url: str | URL | None) -> str:
    """The database as people know it: a SQLite file path, else the URL with its password masked."""
    if url is None:
        return "?"
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except ArgumentError:
        return mask_text(str(url))
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ":memory:"
        return database.removeprefix("file:").split("?", 1)[0]
    return parsed.render_as_string(hide_password=True)


def database_reason(exc: BaseException) -> str | None:
    """The reason code of a driver error, or None when it is not a storage failure people can act on."""
    from sqlalchemy.exc import OperationalError

    orig = getattr(exc, "orig", None) or exc
    return _driver_reason(orig, operational=isinstance(exc, OperationalError))


def _driver_reason(orig: BaseException, *, operational: bool) -> str | None:
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if isinstance(sqlstate, str) and sqlstate in _SQLSTATES:
        return _SQLSTATES[sqlstate]
    if not operational:
        return None  # other errors' messages carry row values: never classify them by their words
    name = str(getattr(orig, "sqlite_errorname", "") or "").lower()
    message = f"{name} {orig}".lower()
    for reason, words in _DATABASE_REASONS:
        if any(word in message for word in words):
            return reason
    return None


def database_failure(exc: DBAPIError, url: str | URL | None) -> DatabaseAccessError:
    """The DatabaseAccessError for a driver error (OperationalError and the like)."""
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    detail = lines[0] if lines else type(orig).__name__
    where = database_where(url)
    password = getattr(url, "password", None) if not isinstance(url, str) else None
    if password:
        detail = detail.replace(str(password), "***")
    return DatabaseAccessError(database_reason(exc) or "other", where, mask_text(detail[:300]))


def driver_failure(orig: BaseException, where: str, *, operational: bool) -> DatabaseAccessError:
    """The DatabaseAccessError for an error of a driver used without SQLAlchemy (sqlite3, psycopg);
    `operational`: a connection or I/O failure, whose words may be read."""
    lines = str(orig).strip().splitlines()
    detail = lines[0] if lines else type(orig).__name__
    reason = _driver_reason(orig, operational=operational) or "other"
    return DatabaseAccessError(reason, where, mask_text(detail[:300]))


def evidence_failure(exc: OSError, path: Path) -> EvidenceWriteError:
    """The EvidenceWriteError for an OSError met while writing under the evidence folder."""
    code = exc.errno
    if isinstance(exc, FileExistsError | NotADirectoryError) or code in (errno.ENOTDIR, errno.EEXIST):
        reason = "not_a_folder"
    elif code == errno.ENOSPC or code == getattr(errno, "EDQUOT", -1):
        reason = "full"
    elif code == errno.EROFS:
        reason = "read_only"
    elif isinstance(exc, PermissionError) or code in (errno.EACCES, errno.EPERM):
        reason = "permission"
    else:
        reason = "io"
    detail = exc.strerror or str(exc) or type(exc).__name__
    return EvidenceWriteError(reason, str(path), detail[:300])


_DATABASE_TEXTS: dict[str, tuple[str, str]] = {
    "locked": (
        "cơ sở dữ liệu {where} bị một tiến trình khác khoá quá 30 giây (lần quét hoặc daemon khác đang ghi?)",
        "database {where} stayed locked by another process for over 30 s (another scan or the daemon?)",
    ),
    "read_only": (
        "không ghi được vào cơ sở dữ liệu {where}: cơ sở dữ liệu chỉ cho đọc "
        "(kiểm tra quyền ghi của tệp, thư mục chứa nó và ổ đĩa)",
        "cannot write to database {where}: it is read-only "
        "(check write access to the file, its folder and the disk)",
    ),
    "full": (
        "cơ sở dữ liệu {where}: đĩa đầy, hãy giải phóng dung lượng rồi chạy lại",
        "database {where}: the disk is full; free some space and run again",
    ),
    "io": (
        "lỗi đọc/ghi đĩa ở cơ sở dữ liệu {where} (đĩa hỏng, ổ mạng mất kết nối hoặc đĩa đầy)",
        "disk I/O error on database {where} (failing disk, lost network drive or full disk)",
    ),
    "missing": (
        "không có tệp cơ sở dữ liệu {where} — sai đường dẫn, hoặc chưa quét lần nào? "
        "Kiểm tra database.url hoặc MONITOR_DATABASE__URL; "
        "`monitor scan` hay `monitor db upgrade` sẽ tạo tệp",
        "no database file {where} — a mistyped path, or no scan yet? "
        "Check database.url or MONITOR_DATABASE__URL; `monitor scan` or `monitor db upgrade` creates it",
    ),
    "cannot_open": (
        "không mở được tệp cơ sở dữ liệu {where} (thư mục không tồn tại hoặc không có quyền)",
        "cannot open the database file {where} (missing folder or no permission)",
    ),
    "refused": (
        "không kết nối được cơ sở dữ liệu {where}: máy chủ từ chối kết nối "
        "(PostgreSQL chưa chạy, hoặc sai máy, sai cổng?)",
        "cannot connect to database {where}: connection refused "
        "(is PostgreSQL running, on that host and port?)",
    ),
    "auth": (
        "cơ sở dữ liệu {where} từ chối đăng nhập (sai tên người dùng hoặc mật khẩu)",
        "database {where} refused the login (wrong user name or password)",
    ),
    "unreachable": (
        "không kết nối được cơ sở dữ liệu {where}: {detail}",
        "cannot connect to database {where}: {detail}",
    ),
    "other": ("lỗi cơ sở dữ liệu {where}: {detail}", "database error on {where}: {detail}"),
}
_EVIDENCE_TEXTS: dict[str, tuple[str, str]] = {
    "not_a_folder": (
        "không ghi được bằng chứng vào {where}: đường dẫn không phải là thư mục "
        "(một tệp trùng tên đang chiếm chỗ; kiểm tra evidence.dir)",
        "cannot write evidence to {where}: the path is not a folder "
        "(a file of that name is in the way; check evidence.dir)",
    ),
    "permission": (
        "không ghi được bằng chứng vào {where}: không có quyền ghi thư mục",
        "cannot write evidence to {where}: no write permission on the folder",
    ),
    "read_only": (
        "không ghi được bằng chứng vào {where}: ổ đĩa chỉ cho đọc",
        "cannot write evidence to {where}: the file system is read-only",
    ),
    "full": (
        "không ghi được bằng chứng vào {where}: đĩa đầy, hãy giải phóng dung lượng rồi chạy lại",
        "cannot write evidence to {where}: the disk is full; free some space and run again",
    ),
    "io": (
        "không ghi được bằng chứng vào {where}: lỗi đĩa ({detail})",
        "cannot write evidence to {where}: disk error ({detail})",
    ),
}


def describe(exc: DatabaseAccessError | EvidenceWriteError, lang: Language | None = None) -> str:
    """One line naming the place and the likely cause, in Vietnamese (default) or English."""
    if isinstance(exc, DatabaseAccessError):
        vi, en = _DATABASE_TEXTS.get(exc.reason) or _DATABASE_TEXTS["other"]
    else:
        vi, en = _EVIDENCE_TEXTS.get(exc.reason) or _EVIDENCE_TEXTS["io"]
    line = tr(vi, en, lang).format(where=exc.where, detail=exc.detail)
    return " ".join(mask_text(line).split())
