"""A small brand profile shaped like the real one, for the domains tests."""

from __future__ import annotations

from monitor.settings import BrandSettings, LegitimateLookalike


def brand(**changes: object) -> BrandSettings:
    data: dict[str, object] = {
        "slug": "bhxh-binh-duong",
        "name": "Bảo hiểm xã hội tỉnh Bình Dương",
        "names": ["BHXH Bình Dương"],
        "organization_terms": ["Bảo hiểm xã hội", "BHXH"],
        "location_terms": ["Bình Dương", "BD"],
        "official_domains": ["binhduong.baohiemxahoi.gov.vn", "baohiemxahoi.gov.vn"],
        "legitimate": [
            LegitimateLookalike(name="Báo Bình Dương", domains=["baobinhduong.vn"]),
            LegitimateLookalike(name="Cổng BHXH", domains=["baohiemxahoi.vn"]),
        ],
    }
    data.update(changes)
    return BrandSettings.model_validate(data)
