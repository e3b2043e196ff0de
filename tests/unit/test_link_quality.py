"""Link precision and recall of the built-in catalog on the gold zones of the seed and dev pages.

Every gold zone's correct 2018 catalog entry (or none) was judged by hand in
tests/data/link_judgements.csv (how: docs/catalog.md, "Link quality"). The linker
gets what the gold annotator wrote (mention, canonical, type, city) and no page text.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from kaifaqu_llm.zones.catalog import load_catalog
from kaifaqu_llm.zones.linker import link_zone

REPO = Path(__file__).resolve().parents[2]
JUDGEMENTS = Path(__file__).resolve().parents[1] / "data" / "link_judgements.csv"
SHARED = next((p / "shared" for p in Path(__file__).resolve().parents[2:5] if (p / "shared" / "dev_pages").is_dir()),
              None)


def _judgements() -> dict[tuple[str, str, str], str]:
    lines = [ln for ln in JUDGEMENTS.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
    return {(r["gold"], r["mention"], r["canonical"]): r["expected_code"] for r in csv.DictReader(lines)}


def link_quality(folder: str) -> dict[str, float]:
    """Return the counts, precision and recall of linking the gold zones of ``SHARED/folder``."""
    judged = _judgements()
    catalog = load_catalog()
    counts = {"zones": 0, "expected": 0, "linked": 0, "correct": 0, "candidates_right": 0}
    for path in sorted((SHARED / folder).glob("*.json")):
        for article in json.loads(path.read_text(encoding="utf-8"))["articles"]:
            for zone in article["zones"]:
                expected = judged[(f"{folder}/{path.name}", zone["mention"], zone["canonical"] or "")]
                link = link_zone(zone["mention"], zone["canonical"], catalog, zone_type=zone["type"],
                                 city=zone["city"])
                counts["zones"] += 1
                counts["expected"] += bool(expected)
                counts["linked"] += link.linked
                counts["correct"] += bool(expected) and link.catalog_code == expected
                counts["candidates_right"] += bool(expected) and not link.linked and any(
                    c["catalog_code"] == expected for c in link.candidates)
    counts["precision"] = counts["correct"] / counts["linked"] if counts["linked"] else 1.0
    counts["recall"] = counts["correct"] / counts["expected"] if counts["expected"] else 1.0
    return counts


def test_every_gold_zone_is_judged():
    judged = _judgements()
    assert len(judged) >= 80 and sum(map(bool, judged.values())) >= 30
    catalog = load_catalog()
    assert all(catalog.get(code) for code in judged.values() if code), "a judged code is not in the catalog"


@pytest.mark.skipif(SHARED is None, reason="../shared (gold and dev pages) is not next to the repository")
@pytest.mark.parametrize(("folder", "recall"), [("gold", 0.6), ("dev_pages", 0.85)])
def test_link_precision_on_gold_zones(folder, recall):
    quality = link_quality(folder)
    assert quality["zones"] >= 10
    assert quality["precision"] >= 0.95, quality
    assert quality["recall"] >= recall, quality


def test_seed_pages_link_with_the_builtin_catalog_end_to_end():
    from kaifaqu_llm import extract

    result = extract([REPO / "seeds"], backend="rules", progress=False)
    zones = {z["mention"]: z for r in result.records for z in r.get("zones") or []}
    codes = {z.get("canonical") or z["mention"]: z["catalog_code"] for z in zones.values()}
    assert codes["晋城经济技术开发区"] == "G141061"
    assert codes["大同经济技术开发区"] == "G141060"
    assert zones["长治高新区"]["catalog_code"] == "G142057"
    assert (zones["长治高新区"]["province"], zones["长治高新区"]["city"]) == ("山西省", "长治")
    # zones the 2018 list lacks stay unlinked, but still get their province and city from the place name
    for name, city in (("长子经济技术开发区", "长治"), ("灵石经济技术开发区", "晋中")):
        zone = next(z for z in zones.values() if z.get("canonical") == name)
        assert zone["catalog_code"] is None and not zone.get("link_candidates")
        assert (zone["province"], zone["city"]) == ("山西省", city)
    renamed = next(z for z in zones.values() if z.get("canonical") == "运城经济技术开发区")
    assert renamed["catalog_code"] is None
    assert [c["catalog_code"] for c in renamed["link_candidates"]] == ["S147018"]
