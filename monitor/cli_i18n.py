"""Click in the officer's language: Click's own messages in Vietnamese, help texts switched by --lang."""

from __future__ import annotations

import gettext
import sys
from collections.abc import Callable
from types import ModuleType

import click

from monitor.i18n import Language, retranslate

# Click's messages (its gettext msgids) -> Vietnamese. Each Click module binds
# `from gettext import gettext as _` (and ngettext) at import; gettext.gettext only reads compiled
# .mo catalogues chosen by LANGUAGE/LC_* variables. Rather than ship one and change the process
# locale, the `_` and `ngettext` names of Click's modules point at this catalogue during a run.
CLICK_VI: dict[str, str] = {
    "Usage:": "Cách dùng:",
    "Options": "Tùy chọn",
    "Commands": "Lệnh",
    "Positional arguments": "Tham số vị trí",
    "Show this message and exit.": "Hiện hướng dẫn này rồi thoát.",
    "Show the version and exit.": "Hiện phiên bản rồi thoát.",
    "%(prog)s, version %(version)s": "%(prog)s, phiên bản %(version)s",
    "Error: {message}": "Lỗi: {message}",
    "Try '{command} {option}' for help.": "Dùng '{command} {option}' để xem hướng dẫn.",
    "No such command {name!r}.": "Không có lệnh {name!r}.",
    "No such option {name!r}.": "Không có tùy chọn {name!r}.",
    "Missing command.": "Thiếu lệnh.",
    "Missing argument": "Thiếu tham số",
    "Missing option": "Thiếu tùy chọn",
    "Missing parameter": "Thiếu tham số",
    "Missing parameter: {param_name}": "Thiếu tham số: {param_name}",
    "Missing {param_type}": "Thiếu {param_type}",
    "Invalid value for {param_hint}: {message}": "Giá trị không hợp lệ cho {param_hint}: {message}",
    "Invalid value: {message}": "Giá trị không hợp lệ: {message}",
    "unknown error": "lỗi không xác định",
    "Aborted!": "Đã huỷ!",
    "deprecated": "không còn dùng",
    "(dynamic)": "(tính khi chạy)",
    "env var: {var}": "biến môi trường: {var}",
    "default: {default}": "mặc định: {default}",
    "required": "bắt buộc",
    "Value must be an iterable.": "Giá trị phải là một danh sách.",
    "Option {name!r} does not take a value.": "Tùy chọn {name!r} không nhận giá trị.",
    "Argument {name!r} takes {nargs} values.": "Tham số {name!r} cần {nargs} giá trị.",
    "Could not open file {filename!r}: {message}": "Không mở được tệp {filename!r}: {message}",
    "Choose from:\n\t{choices}": "Chọn một trong:\n\t{choices}",
    "{value} is not in the range {range}.": "{value} không nằm trong khoảng {range}.",
    "{value!r} is not a valid boolean. Recognized values: {states}": (
        "{value!r} không phải giá trị đúng/sai hợp lệ. Giá trị nhận được: {states}"
    ),
    "{value!r} is not a valid {number_type}.": "{value!r} không phải {number_type} hợp lệ.",
    "{value!r} is not a valid UUID.": "{value!r} không phải UUID hợp lệ.",
    "file": "tệp",
    "directory": "thư mục",
    "path": "đường dẫn",
    "{name} {filename!r} is a file.": "{name} {filename!r} là một tệp.",
    "{name} {filename!r} is a directory.": "{name} {filename!r} là một thư mục.",
    "{name} {filename!r} is not readable.": "{name} {filename!r} không đọc được.",
    "{name} {filename!r} is not writable.": "{name} {filename!r} không ghi được.",
    "{name} {filename!r} is not executable.": "{name} {filename!r} không chạy được.",
    "{name} {filename!r} does not exist.": "{name} {filename!r} không tồn tại.",
    "Do you want to continue?": "Bạn có muốn tiếp tục?",
    "Confirm the action without prompting.": "Xác nhận mà không hỏi lại.",
    "Repeat for confirmation": "Nhập lại để xác nhận",
    "Error: The two entered values do not match.": "Lỗi: hai giá trị đã nhập không khớp.",
    "Error: invalid input": "Lỗi: dữ liệu nhập không hợp lệ",
    "Press any key to continue...": "Nhấn phím bất kỳ để tiếp tục...",
}
# (singular, plural) msgids -> Vietnamese (singular, plural), placeholders kept.
CLICK_VI_PLURAL: dict[tuple[str, str], tuple[str, str]] = {
    ("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"): (
        "Thừa tham số ({args})",
        "Thừa các tham số ({args})",
    ),
    ("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"): (
        "Có phải ý bạn là {possibility}?",
        "(Có phải ý bạn là một trong: {possibilities}?)",
    ),
    ("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."): (
        "Tùy chọn {name!r} cần một giá trị.",
        "Tùy chọn {name!r} cần {nargs} giá trị.",
    ),
    ("{value!r} is not {choice}.", "{value!r} is not one of {choices}."): (
        "{value!r} không phải {choice}.",
        "{value!r} không phải một trong {choices}.",
    ),
    ("Takes {nargs} values but 1 was given.", "Takes {nargs} values but {len} were given."): (
        "Cần {nargs} giá trị nhưng chỉ nhận 1.",
        "Cần {nargs} giá trị nhưng nhận {len}.",
    ),
    (
        "{len_type} values are required, but {len_value} was given.",
        "{len_type} values are required, but {len_value} were given.",
    ): (
        "Cần {len_type} giá trị nhưng nhận {len_value}.",
        "Cần {len_type} giá trị nhưng nhận {len_value}.",
    ),
    ("{value!r} does not match the format {format}.", "{value!r} does not match the formats {formats}."): (
        "{value!r} không đúng định dạng {format}.",
        "{value!r} không đúng các định dạng {formats}.",
    ),
}

_CLICK_MODULES = (
    "click.core",
    "click.decorators",
    "click.exceptions",
    "click.formatting",
    "click.parser",
    "click.types",
    "click.termui",
    "click.utils",
    "click.shell_completion",
    "click._termui_impl",
)


HELP_OPTION_TEXT = "Show this message and exit."


def click_text(message: str, lang: Language) -> str:
    """One of Click's messages in `lang`."""
    return CLICK_VI.get(message, message) if lang == "vi" else message


class ClickVietnamese(gettext.NullTranslations):
    """Click's messages in Vietnamese; anything not in the catalogue stays as Click wrote it."""

    def gettext(self, message: str) -> str:
        return CLICK_VI.get(message, message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        singular, plural = CLICK_VI_PLURAL.get((msgid1, msgid2), (msgid1, msgid2))
        return singular if n == 1 else plural


_ORIGINALS: dict[tuple[str, str], Callable[..., str]] = {}


def _loaded_click_modules() -> list[ModuleType]:
    return [sys.modules[name] for name in _CLICK_MODULES if name in sys.modules]


def use_click_language(lang: Language) -> None:
    """Make Click's own messages Vietnamese ("vi") or leave them as Click ships them ("en")."""
    translations = ClickVietnamese() if lang == "vi" else None
    for module in _loaded_click_modules():
        for attr in ("_", "ngettext"):
            current = getattr(module, attr, None)
            if current is None:
                continue
            original = _ORIGINALS.setdefault((module.__name__, attr), current)
            if translations is None:
                setattr(module, attr, original)
            else:
                setattr(module, attr, translations.gettext if attr == "_" else translations.ngettext)


ClickState = dict[tuple[ModuleType, str], Callable[..., str]]


def click_state() -> ClickState:
    """Click's message functions as they are now, for `restore_click`."""
    return {
        (module, attr): current
        for module in _loaded_click_modules()
        for attr in ("_", "ngettext")
        if (current := getattr(module, attr, None)) is not None
    }


def restore_click(state: ClickState) -> None:
    """Put Click's message functions back as `click_state` saw them."""
    for (module, attr), function in state.items():
        setattr(module, attr, function)


def localize_commands(command: click.Command, lang: Language) -> None:
    """Show the help texts of `command` and its sub-commands in `lang`.

    They were picked when the commands were defined, before --lang was read.
    """
    command.help = retranslate(command.help, lang) if command.help else command.help
    command.short_help = retranslate(command.short_help, lang) if command.short_help else command.short_help
    command.epilog = retranslate(command.epilog, lang) if command.epilog else command.epilog
    # Click builds each command's --help option once and keeps it, with the text of that moment.
    cached = getattr(command, "_help_option", None)
    if isinstance(cached, click.Option):
        cached.help = click_text(HELP_OPTION_TEXT, lang)
    for param in command.params:
        help_text = getattr(param, "help", None)
        if isinstance(help_text, str):
            param.help = retranslate(help_text, lang)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            localize_commands(sub, lang)
