"""What every CLI command receives: the config path, language and lazily loaded settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import click

from monitor.i18n import Language
from monitor.settings import Settings, load_settings


@dataclass
class CliContext:
    config: Path | None
    lang: Language
    _settings: Settings | None = field(default=None, repr=False)

    def settings(self) -> Settings:
        """Load and validate the configuration once per command."""
        if self._settings is None:
            self._settings = load_settings(self.config)
        return self._settings


pass_cli = click.make_pass_decorator(CliContext)
