"""Language of user-facing text: Vietnamese by default, English selectable."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Literal

from monitor.env import cli_env

Language = Literal["vi", "en"]
LANGUAGES: tuple[Language, ...] = ("vi", "en")

# The language one command-line run asked for (--lang, else MONITOR_LANG); None outside a run.
_chosen: Language | None = None
# Texts picked without an explicit language, as (vi, en), keyed by either side: help texts are
# picked when the commands are defined, before --lang is read, and are switched with these pairs.
# Bounded, so a long-running process that picks runtime messages this way stays flat.
_PAIRS: dict[str, tuple[str, str]] = {}
_MAX_PAIRS = 4096


def env_language() -> Language:
    """MONITOR_LANG=en selects English; anything else is Vietnamese."""
    return "en" if (cli_env("LANG") or "").lower().startswith("en") else "vi"


def ui_language() -> Language:
    """The language of CLI help and messages: the run's --lang, else MONITOR_LANG, else Vietnamese."""
    return _chosen or env_language()


def choose_language(lang: Language | None) -> Language | None:
    """Set the language of this run (None: back to MONITOR_LANG); returns the previous choice."""
    global _chosen
    previous, _chosen = _chosen, lang
    return previous


def requested_language(args: Sequence[str], valued: Collection[str] = ()) -> Language:
    """The language a command line asks for, read before Click parses it (help is built first).

    Only the global options count: the scan stops at the first word that is neither an option nor
    the value of one of the `valued` options (the sub-command), and at "--". A sub-command's own
    --lang (the digest's) is not the interface language. An unknown value is left for Click.
    """
    words = iter(args)
    for word in words:
        value: str | None = None
        if word == "--lang":
            value = next(words, None)
        elif word.startswith("--lang="):
            value = word.partition("=")[2]
        elif word in valued:
            next(words, None)
        elif word == "--" or not word.startswith("-"):
            break
        if value in LANGUAGES:
            return value
    return env_language()


def tr(vi: str, en: str, lang: Language | None = None) -> str:
    """Pick the Vietnamese or English text."""
    if lang is None:
        if len(_PAIRS) < _MAX_PAIRS and vi not in _PAIRS:
            _PAIRS[vi] = _PAIRS[en] = (vi, en)
        lang = ui_language()
    return en if lang == "en" else vi


def retranslate(text: str, lang: Language) -> str:
    """A text picked earlier by tr() without a language, in `lang`; other texts are returned as they are."""
    pair = _PAIRS.get(text)
    if pair is None:
        return text
    return pair[1] if lang == "en" else pair[0]
