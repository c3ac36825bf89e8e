"""Small pages written for these tests, shaped like the real markup in shared/realworld."""

from __future__ import annotations

import json

TG_CHANNEL = """<!DOCTYPE html><html><head><meta charset="utf-8">
<title>Telegram: View @bhxhbinhduong_hotro</title>
<meta property="og:title" content="BHXH Tỉnh Bình Dương - Hỗ Trợ">
<meta property="og:image" content="https://cdn4.telesco.pe/file/abc.jpg">
<meta property="og:description" content="Hỗ trợ rút BHXH 1 lần">
<meta property="al:android:url" content="tg://resolve?domain=bhxhbinhduong_hotro">
<link rel="icon" type="image/svg+xml" href="//telegram.org/img/website_icon.svg?4">
</head><body><div class="tgme_page_wrap"><div class="tgme_page">
<div class="tgme_page_title" dir="auto"><span dir="auto">BHXH Tỉnh Bình Dương - Hỗ Trợ</span></div>
<div class="tgme_page_extra">12 345 subscribers</div>
<div class="tgme_page_description" dir="auto">Hỗ trợ rút BHXH 1 lần nhanh<br/>Zalo: 0901.234.567<br/>
Liên hệ <a href="https://zalo.me/0901234567">zalo.me/0901234567</a></div>
<div class="tgme_page_action"><a class="tgme_action_button_new shine"
 href="tg://resolve?domain=bhxhbinhduong_hotro">View in Telegram</a></div>
<div class="tgme_page_context_link_wrap"><a class="tgme_page_context_link"
 href="/s/bhxhbinhduong_hotro">Preview channel</a></div>
</div></div></body></html>"""

TG_PREVIEW = """<!DOCTYPE html><html><head><meta charset="utf-8">
<title>BHXH Tỉnh Bình Dương - Hỗ Trợ – Telegram</title>
<meta property="og:title" content="BHXH Tỉnh Bình Dương - Hỗ Trợ">
<link rel="canonical" href="/s/bhxhbinhduong_hotro?before=20">
</head><body><div class="tgme_channel_info"><div class="tgme_channel_info_header">
<div class="tgme_channel_info_header_title"><span dir="auto">BHXH Tỉnh Bình Dương - Hỗ Trợ</span></div>
<div class="tgme_channel_info_header_username"><a href="https://t.me/bhxhbinhduong_hotro">@bhxhbinhduong_hotro</a></div>
</div>
<div class="tgme_channel_info_counters">
<div class="tgme_channel_info_counter"><span class="counter_value">12.3K</span>
 <span class="counter_type">subscribers</span></div>
<div class="tgme_channel_info_counter"><span class="counter_value">40</span>
 <span class="counter_type">photos</span></div></div>
<div class="tgme_channel_info_description">Hỗ trợ rút BHXH 1 lần nhanh</div></div>
<div class="tgme_widget_message_wrap">
<div class="tgme_widget_message js-widget_message" data-post="bhxhbinhduong_hotro/1">
<div class="tgme_widget_message_text js-message_text" dir="auto">Bài cũ: nhận hồ sơ tại nhà</div>
<a class="tgme_widget_message_date" href="https://t.me/bhxhbinhduong_hotro/1">
<time datetime="2026-01-02T03:04:05+00:00">03:04</time></a></div></div>
<div class="tgme_widget_message_wrap">
<div class="tgme_widget_message js-widget_message" data-post="bhxhbinhduong_hotro/2">
<div class="tgme_widget_message_text js-message_text" dir="auto">Rút BHXH 1 lần chỉ 3 ngày.<br/>Phí
 500.000đ, chuyển khoản STK 0071000123456 Vietcombank.<br/>Zalo
 <a href="https://zalo.me/0912345678">0912 345 678</a></div>
</div></div>
</body></html>"""

TG_UNUSED = """<html><head><title>Telegram: Contact @bhxh_binhduong_vn</title>
<meta property="og:title" content="Telegram: Contact @bhxh_binhduong_vn"></head><body>
<div class="tgme_page"><div class="tgme_page_icon"><i class="tgme_icon_user"></i></div>
<div class="tgme_page_description">If you have <strong>Telegram</strong>, you can contact
<a class="tgme_username_link"
 href="tg://resolve?domain=bhxh_binhduong_vn">@bhxh_binhduong_vn</a> right away.</div>
<div class="tgme_page_action"><a class="tgme_action_button_new"
 href="tg://resolve?domain=bhxh_binhduong_vn">Send Message</a></div>
</div></body></html>"""


def tiktok_profile(status_code: int = 0, *, verified: bool = False) -> str:
    """A TikTok profile page with the 2025 rehydration JSON."""
    data = {
        "__DEFAULT_SCOPE__": {
            "webapp.user-detail": {
                "userInfo": {
                    "user": {
                        "id": "7001",
                        "uniqueId": "bhxh.binhduong.hotro",
                        "nickname": "BHXH Bình Dương Hỗ Trợ",
                        "signature": "Rút BHXH 1 lần ☎ 0987 654 321 (Zalo)",
                        "verified": verified,
                        "bioLink": {"link": "zalo.me/0987654321", "risk": 0},
                        "privateAccount": False,
                    },
                    "stats": {"followerCount": 1200, "videoCount": 3},
                    "statsV2": {"followerCount": "1234"},
                },
                "statusCode": status_code,
                "statusMsg": "",
            },
            "webapp.i18n-translation": {"err_user": "Couldn't find this account"},
        }
    }
    return (
        "<html><head><title>BHXH Bình Dương Hỗ Trợ (@bhxh.binhduong.hotro) | TikTok</title>"
        '<meta property="og:title" content="BHXH Bình Dương Hỗ Trợ (@bhxh.binhduong.hotro) | TikTok">'
        '<meta property="og:description"'
        ' content="BHXH (@bhxh.binhduong.hotro) on TikTok | 5K Likes. 1.2K Followers.">'
        '<link rel="canonical" href="https://www.tiktok.com/@bhxh.binhduong.hotro"></head><body>'
        f'<script id="__UNIVERSAL_DATA_FOR_REHYDRATION__" type="application/json">{json.dumps(data)}</script>'
        "</body></html>"
    )


YOUTUBE_CHANNEL = (
    "<html><head><title>BHXH Bình Dương - YouTube</title>"
    '<meta property="og:title" content="BHXH Bình Dương">'
    '<meta property="og:url" content="https://www.youtube.com/channel/UCabcdefghijklmnopqrstuv">'
    '<meta property="og:description" content="Kênh hỗ trợ">'
    '<meta itemprop="identifier" content="UCabcdefghijklmnopqrstuv">'
    '<link rel="canonical" href="https://www.youtube.com/channel/UCabcdefghijklmnopqrstuv">'
    "</head><body><script>var ytInitialData = "
    + json.dumps(
        {
            "metadata": {
                "channelMetadataRenderer": {
                    "title": "BHXH Bình Dương",
                    "description": "Hỗ trợ rút BHXH 1 lần, hotline 1900 1234",
                    "externalId": "UCabcdefghijklmnopqrstuv",
                    "vanityChannelUrl": "http://www.youtube.com/@bhxhbinhduong",
                }
            },
            "header": {
                "c4TabbedHeaderRenderer": {
                    "title": "BHXH Bình Dương",
                    "subscriberCountText": {"simpleText": "1,2 N người đăng ký"},
                    "headerLinks": {
                        "channelHeaderLinksViewModel": {
                            "firstLink": {
                                "commandRuns": [
                                    {
                                        "onTap": {
                                            "innertubeCommand": {
                                                "commandMetadata": {
                                                    "webCommandMetadata": {
                                                        "url": "https://www.youtube.com/redirect?q="
                                                        "https%3A%2F%2Fzalo.me%2F0901234567"
                                                    }
                                                }
                                            }
                                        }
                                    }
                                ]
                            }
                        }
                    },
                }
            },
        },
        ensure_ascii=False,
    )
    + ";</script></body></html>"
)

WEBSITE = """<!doctype html><html lang="vi"><head>
<title>Bảo hiểm xã hội Bình Dương – Dịch vụ</title>
<meta name="description" content="Dịch vụ rút BHXH 1 lần trọn gói">
<meta property="og:title" content="BHXH Bình Dương Online">
<meta property="og:description" content="Rút BHXH 1 lần, nhận tiền trong 24h">
<meta property="og:image" content="/img/logo.png">
<meta property="og:site_name" content="bhxh-binhduong.online">
<link rel="canonical" href="https://bhxh-binhduong.online/">
<link rel="shortcut icon" href="/favicon.png">
<style>body{color:red}</style><script>var hidden = "0999888777";</script>
</head><body><nav>Trang chủ</nav><h1>Rút BHXH 1 lần</h1>
<p>Hotline/Zalo: 0901 234 567 – Email: hotro@bhxh-binhduong.online</p>
<noscript>bật JavaScript</noscript></body></html>"""
