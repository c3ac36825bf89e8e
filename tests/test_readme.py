"""The README documents every setting with its environment variable."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from monitor.settings import RunSettings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _keys(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    keys: list[tuple[str, ...]] = []
    for name, field in model.model_fields.items():
        default = field.get_default(call_default_factory=True)
        if isinstance(default, BaseModel):
            keys.extend(_keys(type(default), (*prefix, name)))
        else:
            keys.append((*prefix, name))
    return keys


def test_every_setting_and_its_variable_is_in_the_readme() -> None:
    missing = [
        ".".join(keys)
        for keys in _keys(RunSettings)
        if f"`{'.'.join(keys)}`" not in README
        or f"`MONITOR_{'__'.join(k.upper() for k in keys)}`" not in README
    ]
    assert missing == []
