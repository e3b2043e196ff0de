"""What each rule of the rules backend is worth: score the pages with all rules, then with each one off.

The design is the simplest that answers the question: the whole pipeline (read, segment, rules,
ground) runs once as a baseline and once per rule of the table with that rule switched off
(``ExtractOptions.rules_off``); each run is scored against the gold like ``kaifaqu eval``. A rule's
worth in a category is the baseline F1 minus the F1 without it: positive means the rule helps there.
Rules that change nothing on these pages show 0 everywhere (candidates for review, not for removal:
the pages may just not exercise them).
"""

from __future__ import annotations

import os
from typing import Any

from ..core.facts import eval_rows
from .gold import GoldPage
from .scores import score_profiles

__all__ = ["ablate_rules", "format_ablation", "format_rule_list"]


def _scores(pages_dir: str | os.PathLike[str], gold: dict[str, GoldPage], off: tuple[str, ...]) -> dict:
    from ..run.pipeline import ExtractOptions, extract

    options = ExtractOptions(backend="rules", use_cache=False, progress=False, rules_off=off)
    result = extract([pages_dir], None, options=options)
    return score_profiles(gold, result.records)["overall"]


def ablate_rules(gold: dict[str, GoldPage], pages_dir: str | os.PathLike[str],
                 names: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Return ``{"baseline": {category: scores}, "rules": {name: {category: F1 lost without it}}}``.

    ``pages_dir`` holds the pages (``.txt``) the ``gold`` annotates; ``names`` limits the rules tried.
    """
    from ..extract.rules.registry import all_rules

    baseline = _scores(pages_dir, gold, ())
    worth: dict[str, dict[str, float]] = {}
    for rule in all_rules():
        if names is not None and rule.name not in names:
            continue
        without = _scores(pages_dir, gold, (rule.name,))
        worth[rule.name] = {r.name: round(baseline[r.name]["f1"] - without[r.name]["f1"], 4) for r in eval_rows()}
    return {"baseline": baseline, "rules": worth}


def format_ablation(result: dict[str, Any]) -> str:
    """Return the ablation as a text table: one row per rule, the F1 each category loses without it."""
    rows = eval_rows()
    short = tuple(row.short for row in rows)
    width = max([len(n) for n in result["rules"]] + [8])
    lines = [f"{'rule off':<{width}}  " + "  ".join(f"{s:>7}" for s in short), "-" * (width + 9 * len(short))]
    lines.append(f"{'(none) F1':<{width}}  " + "  ".join(f"{result['baseline'][r.name]['f1']:>7.3f}" for r in rows))
    for name, worth in result["rules"].items():
        lines.append(f"{name:<{width}}  " + "  ".join(f"{worth[r.name]:>+7.3f}" for r in rows))
    lines.append("F1 lost with the rule off: positive = the rule helps on these pages.")
    return "\n".join(lines)


def format_rule_list() -> str:
    """Return one line per named rule: its name, category and summary."""
    from ..extract.rules.registry import all_rules

    rules = all_rules()
    width = max(len(r.name) for r in rules)
    return "\n".join(f"{r.name:<{width}}  {r.category:<13}  {r.summary}" for r in rules)
