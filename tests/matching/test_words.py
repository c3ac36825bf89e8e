"""Names read word by word (and without a trailing counter) are judged as the whole reading does."""

from __future__ import annotations

import random

import pytest

import monitor.matching.matcher as matcher_module
from monitor.matching import BrandProfile, Matcher
from tests.matching.conftest import labelled_rows
from tests.matching.figures import labelled_files

_PIECES = [
    "𝐁𝐇𝐗𝐇", "Ｂｉｎｈ", "Bì\u200dnh", "Dư\u200bơng", "ВНХН", "Bình", "Dương", "B1nh", "Ꭰương", "x\u2060y",
    "𝕭𝖎𝖓𝖍", "Ｄương", "ｂｈｘｈ", "✔", "0912345678", "Tư vấn", "-", "|", "24/7", "Н", "\u200c", "ᏴHXH",
    "Nguyễn", "Hòa", "Bình Định", "TP.HCM", "cơ sở", "BL0G", "Blnh", "1900", "9068", "B H X H", "(", ")",
]  # fmt: skip


def _names() -> list[str]:
    rng = random.Random(13)
    names = [name for path in labelled_files() for _, _, name in labelled_rows(path)]
    names += [" ".join(rng.choice(_PIECES) for _ in range(rng.randrange(1, 7))) for _ in range(4000)]
    names += [f"{name} {rng.randrange(100, 99_999_999)}" for name in names[::3]]
    return names


def test_reading_by_words_gives_what_the_whole_reading_gives(
    profile: BrandProfile, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = _names()
    fast = [result.to_dict() for result in Matcher(profile).score_many(names)]
    monkeypatch.setattr(matcher_module, "stem_of", lambda name: name)
    whole = Matcher(profile)
    monkeypatch.setattr(whole._words, "fits", lambda name: False)
    slow = [result.to_dict() for result in whole.score_many(names)]
    assert [n for n, a, b in zip(names, fast, slow, strict=True) if a != b] == []
