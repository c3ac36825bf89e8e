"""Pillow is the `images` extra: a brand with logo files and no Pillow is refused when settings load."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from monitor.errors import ConfigError
from monitor.settings import load_settings

BRANDS = """
[[brands]]
slug = "bhxh-test"
name = "Bảo hiểm xã hội tỉnh Thử"
organization_terms = ["Bảo hiểm xã hội"]

[[brands]]
slug = "bhxh-logo"
name = "Bảo hiểm xã hội tỉnh Logo"
organization_terms = ["Bảo hiểm xã hội"]
logo_files = ["logo.png"]
"""

# The command line in a Python where `import PIL` fails, as after `pip install .` without extras.
WITHOUT_PILLOW = """
import sys
sys.modules["PIL"] = None
from monitor.cli import main
sys.argv = ["monitor", *sys.argv[1:]]
main()
"""


def _config(tmp_path: Path, brands: str = BRANDS) -> Path:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (0, 70, 160)).save(out, format="PNG")
    (tmp_path / "logo.png").write_bytes(out.getvalue())
    (tmp_path / "brands.toml").write_text(brands, encoding="utf-8")
    config = tmp_path / "monitor.toml"
    config.write_text(f"[database]\nurl = 'sqlite:///{tmp_path / 'm.db'}'\n", encoding="utf-8")
    return config


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_PILLOW, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
        cwd=Path(__file__).resolve().parents[1],
    )


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ((), "Lỗi cấu hình: {brands}: brands[1].logo_files: việc so logo cần thư viện Pillow"),
        (
            ("--lang", "en"),
            "Configuration error: {brands}: brands[1].logo_files: the logo signal needs Pillow",
        ),
    ],
)
def test_config_check_without_pillow_names_the_file_the_key_and_the_extra(
    tmp_path: Path, lang: tuple[str, ...], words: str
) -> None:
    config = _config(tmp_path)
    done = _run(tmp_path, *lang, "--config", str(config), "config", "check")
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(words.format(brands=tmp_path / "brands.toml"))
    assert "pip install '.[images]'" in lines[0]
    assert "Docker" in lines[0]
    assert done.stdout == ""


def test_every_command_that_loads_settings_refuses_logo_files_without_pillow(tmp_path: Path) -> None:
    config = _config(tmp_path)
    done = _run(tmp_path, "--lang", "en", "--config", str(config), "db", "upgrade")
    assert done.returncode == 2, done.stderr
    assert "brands[1].logo_files" in done.stderr
    assert not (tmp_path / "m.db").exists()


def test_without_pillow_brands_without_logo_files_load(tmp_path: Path) -> None:
    config = _config(tmp_path, BRANDS.replace('logo_files = ["logo.png"]\n', ""))
    done = _run(tmp_path, "--lang", "en", "--config", str(config), "config", "check")
    assert done.returncode == 0, done.stderr
    assert "Configuration is valid." in done.stdout


def test_in_process_the_check_follows_whether_pillow_can_be_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _config(tmp_path)
    settings = load_settings(config, environ={})
    assert settings.brand("bhxh-logo").logo_files == [Path("logo.png")]
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ConfigError) as refused:
        load_settings(config, environ={"MONITOR_LANG": "en"})
    assert refused.value.where == str(tmp_path / "brands.toml")
    assert refused.value.key == "brands[1].logo_files"
