"""Quality figures of the matcher on a labelled file and on the brand's names with taglines."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
TAGLINES = HERE / "taglines.txt"
# The brand's names a tagline is appended to, and the separators pages put between them.
TAGLINE_NAMES = (
    "BHXH Bình Dương",
    "Bảo Hiểm Xã Hội Tỉnh Bình Dương",
    "BHXH tỉnh Bình Dương",
    "BHXH khu vực IV",
)
SEPARATORS = (" - ", " | ", " – ", " · ", " ", ": ")
# Groups of rows that are other offices or public bodies: never an impersonation.
BODIES = frozenset({"other_office", "national", "local_body", "official", "bank", "insurer"})
HEADLINES = frozenset({"headline", "newspaper"})


def labelled_files() -> list[Path]:
    return sorted(HERE.glob("*.tsv"))


def taglines() -> list[str]:
    lines = TAGLINES.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def tagline_probes() -> list[tuple[str, str]]:
    """(brand name, name with a tagline) for every name and tagline; separators take turns."""
    return [
        (name, f"{name}{SEPARATORS[i % len(SEPARATORS)]}{tagline}")
        for name in TAGLINE_NAMES
        for i, tagline in enumerate(taglines())
    ]


@dataclass(frozen=True)
class Figures:
    """What the issue asks of every labelled file."""

    rows: int
    positives: int
    recall: float  # impersonation or suspect, of the true variants
    strict_recall: float  # impersonation, of the true variants
    precision: float  # true variants among impersonation verdicts
    bodies_impersonation: int  # other offices and public bodies called impersonation
    hard_negatives: int
    hard_negative_suspect: float  # share of rows labelled clear that came out suspect
    headline_impersonation: int

    def lines(self) -> list[str]:
        return [
            f"rows {self.rows}, true variants {self.positives}",
            f"recall {self.recall:.3f}  strict recall {self.strict_recall:.3f}"
            f"  precision of impersonation {self.precision:.3f}",
            f"other offices/public bodies impersonation: {self.bodies_impersonation}",
            f"hard negatives suspect: {self.hard_negative_suspect:.1%} of {self.hard_negatives}"
            f"  headlines impersonation: {self.headline_impersonation}",
        ]

    def meets(self) -> bool:
        return (
            self.recall >= 0.99
            and self.strict_recall >= 0.95
            and self.precision >= 0.98
            and self.bodies_impersonation == 0
            and self.hard_negative_suspect <= 0.03
            and self.headline_impersonation == 0
        )


def figures(rows: Sequence[tuple[str, str, str]], verdict: Callable[[str], str]) -> Figures:
    judged = [(expect, category, verdict(name)) for expect, category, name in rows]
    variants = [v for _, c, v in judged if c.startswith("variant")]
    alerts = [(c, v) for _, c, v in judged if v == "impersonation"]
    hard = [v for e, _, v in judged if e == "clear"]
    return Figures(
        rows=len(judged),
        positives=len(variants),
        recall=sum(v != "clear" for v in variants) / max(1, len(variants)),
        strict_recall=sum(v == "impersonation" for v in variants) / max(1, len(variants)),
        precision=sum(c.startswith("variant") for c, _ in alerts) / max(1, len(alerts)),
        bodies_impersonation=sum(c.split("/")[0] in BODIES for c, _ in alerts),
        hard_negatives=len(hard),
        hard_negative_suspect=sum(v == "suspect" for v in hard) / max(1, len(hard)),
        headline_impersonation=sum(c.split("/")[0] in HEADLINES for c, _ in alerts),
    )
