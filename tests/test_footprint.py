"""What the runtime loads: no numeric stack for logos, no phone geodata for contacts."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import io, json, sys
from PIL import Image
from monitor.enrich.contacts import extract_contacts, normalize_phone
from monitor.enrich.logo import image_hash

out = io.BytesIO()
Image.new("RGB", (64, 64), (0, 70, 160)).save(out, format="PNG")
assert image_hash(out.getvalue()) is not None
assert normalize_phone("0912 345 678") is not None
extract_contacts("Liên hệ 0912 345 678 hoặc +84 24 3824 1234")
print(json.dumps(sorted(sys.modules)))
"""


def test_logo_hashing_and_phone_parsing_load_no_numeric_stack_or_geodata() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=120
    )
    modules = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert "phonenumbers" in modules
    unwanted = (
        "numpy",
        "scipy",
        "pywt",
        "imagehash",
        "phonenumbers.geocoder",
        "phonenumbers.carrier",
        "phonenumbers.timezone",
        "phonenumbers.geodata",
        "phonenumbers.carrierdata",
        "phonenumbers.tzdata",
    )
    assert {m for m in modules if m.split(".")[0] in unwanted or m.startswith(unwanted)} == set()


NO_LOGOS = """
import json, sys
from pathlib import Path
from monitor.enrich.enricher import ReadOptions, enrich
from monitor.enrich.logo import LogoBook
book = LogoBook.load([], Path("."))
assert not book
assert book.match(b"not an image") is None
ReadOptions(logos=book)
print(json.dumps(sorted(sys.modules)))
"""


def test_a_brand_without_logo_files_never_loads_the_imaging_library() -> None:
    done = subprocess.run(
        [sys.executable, "-c", NO_LOGOS], capture_output=True, text=True, check=True, timeout=120
    )
    modules = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert "monitor.enrich.enricher" in modules
    assert {m for m in modules if m.split(".")[0] in ("PIL", "numpy", "scipy", "imagehash")} == set()
