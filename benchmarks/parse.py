"""Parse benchmark: hostile markup shapes through raw lexbor and through the guarded parse_html.

Run from the repository root:  .venv/bin/python benchmarks/parse.py [--size 20000 --full-size 1000000]

For each shape, "lexbor" is the time of LexborHTMLParser alone on a page with `--size` repeats
(kept small: the quadratic shapes take minutes at full size) and "guarded" is the time of
monitor.html_guard.parse_html on the same shape at `--full-size` bytes (the HTTP cap is 5 MB),
with the limit that refused it. The real captured pages of ../shared/realworld (when present)
are then timed both ways, with the depth, element count and formatting-list length the
pre-scan saw. Exits with status 1 when a hostile shape is accepted or a real page refused.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser

from monitor.errors import ParseLimitExceeded
from monitor.html_guard import parse_html, prescan

REALWORLD = Path(__file__).resolve().parents[1].parent / "shared" / "realworld"


def _distinct(tag: str, count: int) -> str:
    return "".join(f"<{tag} id=i{i}>" for i in range(count))


# Each shape builds a page from a repeat count.
SHAPES: dict[str, Callable[[int], str]] = {
    "nested <div>": lambda n: "<div>" * n,
    "nested <div> closed": lambda n: "<div>" * n + "</div>" * n,
    "nested <ul>": lambda n: "<ul>" * n,
    "nested <dl><dt>": lambda n: "<dl><dt>" * (n // 2),
    "nested <section>": lambda n: "<section>" * n,
    "nested <select><option>": lambda n: "<select>" + "<option>" * n,
    "nested <span> then <div></div>": lambda n: "<span>" * n + "<div></div>" * n,
    "nested <x-a> then <div></div>": lambda n: "<x-a>" * n + "<div></div>" * n,
    "nested <path/> then <div></div>": lambda n: "<path/>" * n + "<div></div>" * n,
    "<svg> nested <div/>": lambda n: "<svg>" + "<div/>" * n,
    "<span> then </div>": lambda n: "<span>" * n + "</div>" * n,
    "500 <span> then stray </x>": lambda n: "<span>" * 500 + "</x>" * (n * 20),
    "distinct open <b>": lambda n: _distinct("b", n),
    "formatting reconstructed": lambda n: "<div>" + _distinct("b", n // 20) + "</div>" + "<div>x</div>" * n,
    "one tag, distinct attributes": lambda n: "<div " + " ".join(f"a{i}=1" for i in range(n)) + ">",
}
# Shapes lexbor handles in linear time (deep ones are still refused: depth makes later tags slow).
LINEAR: dict[str, Callable[[int], str]] = {
    "nested <span>": lambda n: "<span>" * n,
    "unclosed <p>": lambda n: "<p>x" * n,
    "nested <table><tr><td>": lambda n: "<table><tr><td>" * (n // 3),
    "sibling <div></div>": lambda n: "<div></div>" * n,
    "repeated attribute": lambda n: "<div" + " a=1" * n + ">",
}


def _timed(action: Callable[[], object]) -> tuple[float, str]:
    started = time.perf_counter()
    try:
        action()
    except ParseLimitExceeded as exc:
        return time.perf_counter() - started, f"refused ({exc.limit})"
    return time.perf_counter() - started, "parsed"


def _lexbor(html: str) -> None:
    LexborHTMLParser(html).body  # noqa: B018 - touching the body finishes the tree


def _scaled(build: Callable[[int], str], size: int) -> str:
    """The shape repeated until it is about `size` characters long."""
    sample = build(1000)
    return build(max(1, 1000 * size // max(1, len(sample))))


def hostile(size: int, full_size: int) -> int:
    print(f"{'shape':36} {'lexbor':>10} {'guarded':>10}  {'full size':>9}  outcome")
    status = 0
    for name, build in {**SHAPES, **LINEAR}.items():
        small = build(size)
        raw, _ = _timed(lambda small=small: _lexbor(small))  # type: ignore[misc]
        page = _scaled(build, full_size)
        guarded, outcome = _timed(lambda page=page: parse_html(page))  # type: ignore[misc]
        print(f"{name:36} {raw:9.3f}s {guarded:9.3f}s  {len(page) / 1e6:7.2f}MB  {outcome}")
        if name in SHAPES and outcome == "parsed":
            status = 1
    return status


def realworld() -> int:
    pages = sorted(REALWORLD.rglob("*.html")) if REALWORLD.is_dir() else []
    if not pages:
        print("\n(no ../shared/realworld pages)")
        return 0
    print(f"\n{'real page':60} {'KB':>6} {'depth':>5} {'elems':>6} {'fmt':>4} {'lexbor':>8} {'guarded':>8}")
    refused = 0
    deepest = 0
    for path in pages:
        html = path.read_text(encoding="utf-8", errors="replace")
        try:
            shape = prescan(html)
        except ParseLimitExceeded as exc:
            print(f"{path.relative_to(REALWORLD)!s:60} REFUSED: {exc}")
            refused += 1
            continue
        deepest = max(deepest, shape.depth)
        raw, _ = _timed(lambda html=html: _lexbor(html))  # type: ignore[misc]
        guarded, _ = _timed(lambda html=html: parse_html(html))  # type: ignore[misc]
        print(
            f"{path.relative_to(REALWORLD)!s:60} {len(html) / 1e3:6.0f} {shape.depth:5d} "
            f"{shape.elements:6d} {shape.formatting:4d} {raw * 1000:6.1f}ms {guarded * 1000:6.1f}ms"
        )
    print(f"\n{len(pages)} real pages, {refused} refused, deepest nesting {deepest}")
    return 1 if refused else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20_000, help="repeats for raw lexbor timings")
    parser.add_argument("--full-size", type=int, default=1_000_000, help="bytes of each guarded page")
    args = parser.parse_args()
    status = hostile(args.size, args.full_size)
    status |= realworld()
    sys.exit(status)


if __name__ == "__main__":
    main()
