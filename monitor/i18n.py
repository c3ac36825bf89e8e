"""Language of user-facing text: Vietnamese by default, English selectable."""

from __future__ import annotations

from typing import Literal

from monitor.settings import cli_env

Language = Literal["vi", "en"]


def ui_language() -> Language:
    """The language of CLI help and messages: MONITOR_LANG=en selects English."""
    return "en" if (cli_env("LANG") or "").lower().startswith("en") else "vi"


def tr(vi: str, en: str, lang: Language | None = None) -> str:
    """Pick the Vietnamese or English text."""
    return en if (lang or ui_language()) == "en" else vi
