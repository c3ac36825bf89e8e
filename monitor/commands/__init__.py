"""CLI sub-commands, one module each, registered here by name and imported only when one is run."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import click

from monitor.i18n import tr


@dataclass(frozen=True, slots=True)
class CommandEntry:
    """Where a sub-command lives, and the help line `monitor --help` lists without importing it."""

    module: str  # under monitor.commands
    attribute: str
    vi: str  # the first sentence of the command's own help, in both languages (a test keeps them equal)
    en: str

    def summary(self) -> str:
        return tr(self.vi, self.en)

    def load(self) -> click.Command:
        command = getattr(importlib.import_module(f"{__name__}.{self.module}"), self.attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{__name__}.{self.module}.{self.attribute} is not a click command")
        return command


# The sub-commands by name. Their modules pull in the database, HTTP and matching libraries, so
# `monitor --help` lists these lines and only the command that runs is imported.
COMMANDS: dict[str, CommandEntry] = {
    "config": CommandEntry("config", "config_group", "Cấu hình.", "Configuration."),
    "db": CommandEntry("db", "db_group", "Cơ sở dữ liệu.", "Database."),
    "demo": CommandEntry(
        "demo",
        "demo_command",
        "Chạy thử toàn bộ quy trình trên một trang web mẫu cục bộ (không cần mạng, không cần khoá API):"
        " hai lượt quét, thư cảnh báo và bản tin được ghi thành tệp.",
        "Show the whole flow on a local sample web (no network, no API key needed):"
        " two scans, with the alert e-mails and the digest written as files.",
    ),
    "digest": CommandEntry(
        "digest",
        "digest_command",
        "Gửi bản tin của mỗi cơ quan: mọi điều mới kể từ bản tin trước (hoặc từ lượt quét đầu tiên).",
        "Send each brand's digest: everything new since the previous digest (or the first scan).",
    ),
    "evidence": CommandEntry("evidence", "evidence_group", "Bằng chứng đã lưu.", "Archived evidence."),
    "findings": CommandEntry(
        "findings", "findings_group", "Xem và phân loại các phát hiện.", "List and triage findings."
    ),
    "init": CommandEntry(
        "init",
        "init_command",
        "Tạo monitor.toml và brands.toml để sửa trong thư mục DIR (mặc định: thư mục hiện tại).",
        "Write an editable monitor.toml and brands.toml into DIR (default: the current folder).",
    ),
    "match": CommandEntry(
        "match",
        "match_command",
        "Chấm điểm tên (tên trang, tài khoản, tên miền) so với thương hiệu; mỗi dòng vào một dòng ra.",
        "Score names (page names, handles, domains) against a brand; one output line per input.",
    ),
    "report": CommandEntry(
        "report",
        "report_group",
        "Công văn gửi cơ quan chức năng và hồ sơ bằng chứng.",
        "The letter to the authorities and the evidence packet.",
    ),
    "reports": CommandEntry(
        "reports",
        "reports_group",
        "Các kênh báo cáo và theo dõi từng báo cáo đến khi trang giả bị gỡ.",
        "Report channels, and each report followed until the fake is gone.",
    ),
    "notify": CommandEntry("notify", "notify_group", "Kênh cảnh báo.", "Alert channels."),
    "run": CommandEntry(
        "run",
        "run_command",
        "Chạy liên tục: quét theo lịch và gửi thư tổng hợp hằng ngày (dừng bằng SIGTERM/Ctrl-C).",
        "Run continuously: scheduled scans and the daily digest (stop with SIGTERM/Ctrl-C).",
    ),
    "scan": CommandEntry(
        "scan",
        "scan_command",
        "Quét một lần: tìm kiếm, đối chiếu, lưu và báo các tài khoản mạo danh mới.",
        "Run one scan: search, match, store and alert about new impersonations.",
    ),
    "status": CommandEntry(
        "status",
        "status_command",
        "Trạng thái tiến trình giám sát, các lần quét gần nhất và tình trạng nguồn.",
        "Daemon state, the last scans and source health.",
    ),
    "tips": CommandEntry(
        "tips",
        "tips_group",
        "Tin báo: liên kết do người dân hoặc đồng nghiệp báo.",
        "Tips: links reported by citizens or colleagues.",
    ),
    "users": CommandEntry(
        "users", "users_group", "Tài khoản đăng nhập bảng điều khiển web.", "Web console accounts."
    ),
    "worker": CommandEntry(
        "worker",
        "worker_command",
        "Chạy các công việc của lượt quét trong hàng đợi (PostgreSQL); chạy được trên nhiều máy."
        " Dừng bằng SIGTERM/Ctrl-C: công việc đang chạy được trả lại hàng đợi.",
        "Run the jobs of queued scans (PostgreSQL); run as many as you like, on any host."
        " Stop with SIGTERM/Ctrl-C: running jobs are handed back to the queue.",
    ),
    "web": CommandEntry(
        "web",
        "web_command",
        "Chạy bảng điều khiển web cho cán bộ: hàng đợi phát hiện, chi tiết, tin báo, tình trạng nguồn.",
        "Serve the officers' web console: findings queue, finding pages, tips, source health.",
    ),
}


class LazyGroup(click.Group):
    """A group whose registered sub-commands are imported on first use, not at start."""

    _listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None or cmd_name not in COMMANDS:
            return command
        if self._listing:  # --help lists the registry's line; the module stays unimported
            return click.Command(cmd_name, help=COMMANDS[cmd_name].summary())
        command = COMMANDS[cmd_name].load()
        self.add_command(command, cmd_name)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_commands(ctx, formatter)
        finally:
            self._listing = False
