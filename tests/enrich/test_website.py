"""Any website, and the real Facebook captures as a reference for og tags."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.enrich import website
from monitor.enrich.pages import extract_page
from tests.enrich import samples


def test_own_website() -> None:
    info = website.extract(samples.WEBSITE, "https://bhxh-binhduong.online/dich-vu")
    assert (info.kind, info.title) == ("page", "BHXH Bình Dương Online")
    assert info.description == "Rút BHXH 1 lần, nhận tiền trong 24h"
    assert info.og["og:site_name"] == "bhxh-binhduong.online"
    assert info.canonical_url == "https://bhxh-binhduong.online/"
    assert info.image_url == "https://bhxh-binhduong.online/img/logo.png"
    assert info.favicon_url == "https://bhxh-binhduong.online/favicon.png"
    # Visible text only: no script, style or noscript content.
    assert info.text_excerpt == (
        "Trang chủ Rút BHXH 1 lần Hotline/Zalo: 0901 234 567 – Email: hotro@bhxh-binhduong.online"
    )


def test_title_and_meta_description_without_og() -> None:
    html = "<html><head><title> Dịch vụ  BHXH </title><meta name='description' content='Mô tả'></head></html>"
    info = website.extract(html, "http://example.vn/")
    assert (info.title, info.description, info.favicon_url) == (
        "Dịch vụ BHXH",
        "Mô tả",
        "http://example.vn/favicon.ico",
    )


def test_excerpt_is_capped() -> None:
    info = website.extract("<body>" + "chữ " * 5_000 + "</body>", "https://x.vn/")
    assert len(info.text_excerpt) == 2_000


@pytest.mark.parametrize(
    ("name", "url", "kind", "title", "canonical"),
    [
        (
            "fb_m_2020-05_kevinzg.i0.body.html",
            "https://m.facebook.com/Nintendo/posts/",
            "page",
            "Nintendo",
            "https://www.facebook.com/pages/category/Video-Game/Nintendo/posts/",
        ),
        (
            "fb_m_2021-06_kevinzg_smoketest.i0.body.html",
            "https://m.facebook.com/Nintendo/posts/",
            "page",
            "Nintendo",
            "https://www.facebook.com/pages/category/Video-Game/Nintendo/posts/",
        ),
        (
            "fb_m_2021-06_kevinzg_group.i0.body.html",
            "https://m.facebook.com/groups/117507531664134/",
            "group",
            "South Americans in Computing",
            "https://www.facebook.com/groups/southamericansincomputing/",
        ),
        (
            "fb_m_2020-05_kevinzg.i2.body.html",
            "https://www.facebook.com/story.php?story_fbid=3065154550235644&id=119240841493711",
            "page",
            "Nintendo",
            "https://www.facebook.com/119240841493711/posts/check-out-these-themed-wallpapers-and-many-more-at-the-"
            "link-below-for-your-perso/3065154550235644/",
        ),
    ],
)
def test_real_facebook_og_tags(
    realworld: Path, name: str, url: str, kind: str, title: str, canonical: str
) -> None:
    html = (realworld / "facebook" / name).read_text(encoding="utf-8")
    info = extract_page("facebook", url, 200, html)
    assert (info.outcome, info.kind, info.title, info.canonical_url) == ("content", kind, title, canonical)
    assert info.og["og:title"] == title
    assert info.description == info.og["og:description"]
    assert info.image_url == info.og["og:image"]


def test_real_facebook_group_handle_and_like_counts(realworld: Path) -> None:
    group = (realworld / "facebook" / "fb_m_2021-06_kevinzg_group.i0.body.html").read_text(encoding="utf-8")
    assert extract_page("facebook", "https://m.facebook.com/groups/1/", 200, group).handle == (
        "southamericansincomputing"
    )
    page = (realworld / "facebook" / "fb_m_2020-05_kevinzg.i0.body.html").read_text(encoding="utf-8")
    info = extract_page("facebook", "https://m.facebook.com/Nintendo/posts/", 200, page)
    assert info.description is not None
    assert info.description.startswith("Nintendo. 5,254,185 likes · 10,487 talking")


def test_real_facebook_unsupported_browser_page_is_a_wall(realworld: Path) -> None:
    html = (realworld / "facebook" / "fb_www_2018-04_unsupported-browser_metascraper.html").read_text(
        encoding="utf-8"
    )
    info = extract_page("facebook", "https://www.facebook.com/nintendo/videos/1/", 200, html)
    assert (info.outcome, info.reason, info.kind) == ("blocked", "unsupported_browser_page", "wall")
    assert info.title == "Actualiza tu navegador | Facebook"
    assert info.description is None
    assert info.og == {}
