"""Channels come from brands.toml; RDAP answers are read defensively."""

from __future__ import annotations

import json

from monitor.reports.channels import catalogue, derived_key
from monitor.reports.rdap import abuse_email, domain_of, rdap_base, related_link
from monitor.settings import Authority, BrandSettings
from tests.reports.helpers import RunCli


def test_channels_command_lists_every_channel_with_key_name_and_kind(run_cli: RunCli) -> None:
    code, out, err = run_cli({}, "reports", "channels", "--brand", "bhxh-binh-duong", "--json")
    assert code == 0, err
    channels = {c["key"]: c for c in json.loads(out)}
    assert channels["pa05"]["kind"] == "authority"
    assert "(PA05)" in channels["pa05"]["name"]
    assert channels["sokhcn"]["name"].startswith("Sở Khoa học và Công nghệ TP.HCM")
    assert channels["ttt-bhxh"]["name"].startswith("Trung tâm Truyền thông")
    assert {k: channels[k]["kind"] for k in ("meta", "tiktok", "telegram", "youtube")} == dict.fromkeys(
        ("meta", "tiktok", "telegram", "youtube"), "platform"
    )
    assert channels["netcraft"]["machine"] is True
    assert channels["abuse"]["machine"] is True
    assert channels["meta"]["machine"] is False
    assert channels["meta"]["url"].startswith("https://www.facebook.com/")
    code, out, _ = run_cli({}, "reports", "channels")
    assert code == 0
    assert "pa05" in out
    assert "cơ quan chức năng" in out


def test_keys_are_derived_and_unique_when_missing() -> None:
    brand = BrandSettings(
        slug="b",
        name="B",
        organization_terms=["B"],
        authorities=[
            Authority(name="Sở Thông tin và Truyền thông"),
            Authority(name="Sở Thông tin và Truyền thông"),
        ],
    )
    assert derived_key("Công an Tỉnh Đồng Nai") == "cong-an-tinh-dong-nai"
    assert [c.key for c in catalogue(brand)] == [
        "so-thong-tin-va-truyen-thong",
        "so-thong-tin-va-truyen-thong-2",
    ]


def test_rdap_reading_is_defensive() -> None:
    bootstrap = {
        "services": [[["vn"], ["http://a/", "https://b/"]], [["com.vn"], ["https://c/"]], "junk", [[1], []]]
    }
    assert rdap_base(bootstrap, "fake.com.vn") == "https://c/"  # the longest suffix, https first
    assert rdap_base(bootstrap, "fake.vn") == "https://b/"
    assert rdap_base(bootstrap, "fake.org") is None
    assert rdap_base("nonsense", "a.vn") is None
    assert domain_of("https://www.bhxh-bd.com.vn/path") == "bhxh-bd.com.vn"
    assert domain_of("xn--bhxh-bnh-dng-8kb.vn") == "xn--bhxh-bnh-dng-8kb.vn"
    assert (
        related_link(
            {"links": [{"rel": "self", "href": "https://x/"}, {"rel": "related", "href": "javascript:x"}]}
        )
        is None
    )
    assert (
        abuse_email(
            {"entities": [{"roles": ["abuse"], "vcardArray": ["vcard", [["email", {}, "text", "a b@c"]]]}]}
        )
        is None
    )
    nested = {
        "entities": [
            {
                "roles": ["registrar"],
                "entities": [
                    {"roles": ["abuse"], "vcardArray": ["vcard", [["email", {}, "text", "abuse@r.vn"]]]}
                ],
            }
        ]
    }
    assert abuse_email(nested) == "abuse@r.vn"
