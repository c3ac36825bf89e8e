"""Checked setting values: the public-suffix and URL checks answer as the full libraries do, lazily."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from publicsuffixlist import PSLFILE, PublicSuffixList

from monitor.errors import ConfigError
from monitor.setting_types import _ascii_host, _public_suffixes, check_http_url
from monitor.settings import load_settings
from tests.test_cli_startup import alive_daemon

BRANDS = """
[[brands]]
slug = "bhxh-binh-duong"
name = "Bảo hiểm xã hội tỉnh Bình Dương"
organization_terms = ["bảo hiểm xã hội", "bhxh"]
"""

PROBE = """
import json, sys
sys.argv = ["monitor", "status", "--check"]
from monitor.cli import main
code = None
try:
    main()
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def names_under_every_rule() -> list[str]:
    """Each rule of the bundled list as a name, and one and two labels under it."""
    names: list[str] = []
    with open(PSLFILE, encoding="utf-8") as source:
        for line in source:
            rule = line.split(" ")[0].strip()
            if not rule or rule.startswith("//"):
                continue
            rule = rule.lstrip("!").replace("*", "x")
            names += [rule, f"a.{rule}", f"b.a.{rule}"]
    return names


def test_suffixes_read_per_top_level_domain_answer_as_the_whole_list() -> None:
    whole = PublicSuffixList()
    hosts = [host for host in map(_ascii_host, names_under_every_rule()) if host is not None]
    # Grouped by top-level domain, so that each one's rules are read from the list once (they are
    # cached per top-level domain, and the list's private section interleaves them).
    hosts.sort(key=lambda host: host.rsplit(".", 1)[-1])
    for host in hosts:
        assert _public_suffixes(host.rsplit(".", 1)[-1]).is_public(host) == whole.is_public(host), host
    assert len(hosts) > 20_000


@pytest.mark.parametrize(
    ("name", "public"),
    [
        ("gov.vn", True),
        ("github.io", True),
        ("xn--55qx5d.cn", True),  # 公司.cn, an IDN rule of the list
        ("baohiemxahoi.gov.vn", False),
        ("x.github.io", False),
        ("www.ck", False),  # an exception rule under the wildcard *.ck
        ("anything.ck", True),
        ("example.unknowntld", False),
    ],
)
def test_public_suffixes_of_one_top_level_domain(name: str, public: bool) -> None:
    assert _public_suffixes(name.rsplit(".", 1)[-1]).is_public(name) is public


@pytest.mark.parametrize(
    "url",
    [
        "https://example.vn/a b",
        "https://[::1]:8080/",
        "https://[zz]/",
        "https://999.1.1.1/",
        "https://user@host.vn/",
        "https://bảohiểm.vn/",
        "https://-bad-.xn--zz/",
    ],
)
def test_urls_off_the_plain_path_are_judged_by_httpx(url: str) -> None:
    import httpx

    try:
        httpx.URL(url)
        accepted_by_httpx = True
    except (httpx.InvalidURL, ValueError, UnicodeError):
        accepted_by_httpx = False
    try:
        check_http_url(url)
        accepted = True
    except ValueError:
        accepted = False
    # Spaces are refused before httpx is asked; everything else follows httpx.
    assert accepted == (accepted_by_httpx and " " not in url)


@pytest.mark.parametrize(
    "url", ["https://example.vn", "http://127.0.0.1:8080/x?q=1#f", "https://a.b.c:443/%zz/ä?x=é"]
)
def test_plain_urls_pass_as_httpx_would_pass_them(url: str) -> None:
    import httpx

    httpx.URL(url)
    assert check_http_url(url) == url


def test_public_suffixes_in_a_brands_file_are_still_refused(tmp_path: Path) -> None:
    (tmp_path / "monitor.toml").write_text('brands_file = "brands.toml"\n', encoding="utf-8")
    brands = BRANDS + 'official_domains = ["baohiemxahoi.gov.vn", "gov.vn"]\n'
    (tmp_path / "brands.toml").write_text(brands, encoding="utf-8")
    with pytest.raises(ConfigError, match="official_domains"):
        load_settings(tmp_path / "monitor.toml", environ={})
    (tmp_path / "brands.toml").write_text(BRANDS + 'official_domains = ["vss.gov.vn"]\n', encoding="utf-8")
    assert load_settings(tmp_path / "monitor.toml", environ={}).brands[0].official_domains == ["vss.gov.vn"]


def test_the_healthcheck_without_domains_loads_no_suffix_list_httpx_or_alembic(tmp_path: Path) -> None:
    env = alive_daemon(tmp_path)
    Path(env["MONITOR_CONFIG"]).with_name("brands.toml").write_text(BRANDS, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**env, "PYTHONPATH": os.pathsep.join(sys.path)},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["code"] in (None, 0), done.stderr
    unwanted = ("publicsuffixlist", "alembic", "httpx", "email_validator")
    loaded = {m for m in answer["modules"] if m.split(".")[0] in unwanted}
    assert loaded == set()
