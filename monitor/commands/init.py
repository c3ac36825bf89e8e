"""`monitor init [DIR]`: write editable copies of the packaged monitor.toml and brands.toml."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.commands.context import CliContext, pass_cli
from monitor.errors import MonitorError
from monitor.i18n import Language, tr
from monitor.locations import CONFIG_NAME, DEFAULT_FILES, packaged_defaults
from monitor.settings import Settings, load_settings
from monitor.storage_errors import database_where


@click.command(
    "init",
    help=tr(
        "Tạo monitor.toml và brands.toml để sửa trong thư mục DIR (mặc định: thư mục hiện tại).",
        "Write an editable monitor.toml and brands.toml into DIR (default: the current folder).",
    ),
)
@click.argument("folder", metavar="[DIR]", type=click.Path(path_type=Path, dir_okay=True), default=Path())
@click.option(
    "--force", is_flag=True, help=tr("Ghi đè các tệp đã có.", "Overwrite files that already exist.")
)
@pass_cli
def init_command(cli: CliContext, folder: Path, force: bool) -> None:
    written = write_defaults(folder, force=force, lang=cli.lang)
    settings = load_settings(written[0])  # the files just written, with this shell's overrides
    for line in next_steps(folder, written, settings, cli.lang):
        click.echo(line)


def write_defaults(folder: Path, *, force: bool, lang: Language) -> list[Path]:
    """Copy the packaged files into `folder`; refuse to replace existing ones unless `force`."""
    targets = [folder / name for name in DEFAULT_FILES]
    existing = [str(path) for path in targets if path.exists()]
    if existing and not force:
        raise MonitorError(
            tr(
                "đã có {files}; không ghi đè (thêm --force để thay bằng bản mặc định)",
                "{files} already exist(s); not overwritten (add --force to replace with the defaults)",
                lang,
            ).format(files=", ".join(existing))
        )
    if folder.exists() and not folder.is_dir():
        raise MonitorError(
            tr("{path} không phải là thư mục", "{path} is not a folder", lang).format(path=folder)
        )
    source = packaged_defaults()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for target in targets:
            target.write_bytes((source / target.name).read_bytes())
    except OSError as exc:
        raise MonitorError(
            tr("không ghi được vào {path}: {why}", "cannot write into {path}: {why}", lang).format(
                path=folder, why=exc.strerror or exc
            )
        ) from exc
    return targets


def next_steps(folder: Path, written: list[Path], settings: Settings, lang: Language) -> list[str]:
    """Where the files are and what to edit next."""

    def t(vi: str, en: str) -> str:
        return tr(vi, en, lang)

    config, brands = (path.absolute() for path in written)
    here = folder.absolute() == Path.cwd()
    lines = [
        t("Đã tạo cấu hình:", "Configuration written:"),
        f"  {config}  "
        + t("— cách chạy: nguồn, e-mail, lịch quét", "— how to run: sources, e-mail, schedule"),
        f"  {brands}  " + t("— cơ quan cần giám sát", "— the offices to watch"),
        t("Dữ liệu (cơ sở dữ liệu, bằng chứng) sẽ nằm ở: ", "Data (database, evidence) will live in: ")
        + f"{database_where(settings.database.url)}, {settings.evidence.dir}",
        t("Việc tiếp theo:", "Next:"),
        t(
            "  1. Sửa brands.toml: tên cơ quan, tên miền và tài khoản chính thức, đường dây nóng.",
            "  1. Edit brands.toml: the office's names, official domains and accounts, hotline.",
        ),
        t(
            "  2. Sửa [email] trong monitor.toml (smtp_host, sender, recipients); mật khẩu chỉ đặt qua "
            "biến môi trường MONITOR_EMAIL__PASSWORD.",
            "  2. Edit [email] in monitor.toml (smtp_host, sender, recipients); the password only via "
            "the MONITOR_EMAIL__PASSWORD environment variable.",
        ),
        t(
            "  3. Kiểm tra bằng `monitor config check`, xem thử bằng `monitor demo`, "
            "quét thật bằng `monitor scan`.",
            "  3. Check with `monitor config check`, try `monitor demo`, scan for real with `monitor scan`.",
        ),
    ]
    if not here:
        lines.append(
            t(
                "Chạy các lệnh trong {folder}, hoặc đặt MONITOR_CONFIG={config} (hay dùng --config).",
                "Run the commands in {folder}, or set MONITOR_CONFIG={config} (or use --config).",
            ).format(folder=folder.absolute(), config=folder.absolute() / CONFIG_NAME)
        )
    return lines
