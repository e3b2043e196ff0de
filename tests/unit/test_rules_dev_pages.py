"""The rules backend on the real development pages (../shared/dev_pages, read by relative path when present).

The same run as ``kaifaqu extract DEV -o OUT && kaifaqu eval --gold DEV OUT/profiles.jsonl``; the floors
sit a little under the measured F1 so a rule change that loses ground on real pages fails here, not later.
"""

from pathlib import Path

import pytest

from kaifaqu_llm.evaluate.gold import load_gold
from kaifaqu_llm.evaluate.scores import score_profiles
from kaifaqu_llm.outputs.files import read_profiles
from kaifaqu_llm.run.pipeline import extract

DEV_PAGES = Path(__file__).resolve().parents[3] / "shared" / "dev_pages"
# measured 2026-12-05: zones 0.921, industries 0.670, indicators 0.907, named 0.858, projects 0.766,
# organizations 0.880, people 0.990, events 0.734
FLOORS = {"zones": 0.90, "industries": 0.65, "indicators": 0.89, "indicators_named": 0.84, "projects": 0.74,
          "organizations": 0.86, "people": 0.96, "events": 0.70}


@pytest.mark.skipif(not DEV_PAGES.is_dir(), reason="../shared/dev_pages not present")
def test_rules_on_the_dev_pages_stay_above_their_floor(tmp_path):
    result = extract(sorted(DEV_PAGES.glob("*.txt")), tmp_path, backend="rules", use_cache=False)
    assert result.failed == 0
    overall = score_profiles(load_gold(DEV_PAGES), read_profiles(tmp_path / "profiles.jsonl"))["overall"]
    low = {c: overall[c]["f1"] for c, floor in FLOORS.items() if overall[c]["f1"] < floor}
    assert not low, f"F1 below floor on the dev pages: {low}"
