"""Dev helper: run the rules over the gold pages and score them (also ``python tests/support/rules_gold.py``).

Articles come from the segmenter when it works; otherwise each page is one crude article.
"""

from __future__ import annotations

import sys
from pathlib import Path

from kaifaqu_llm.core.document import Article, Page
from kaifaqu_llm.evaluate.scores import format_table, score_profiles
from kaifaqu_llm.evaluate.gold import load_gold
from kaifaqu_llm.extract.rules.backend import extract_rules
from kaifaqu_llm.pages.segment import segment

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "tests" / "gold"
SEEDS = ROOT / "seeds"


def articles_of(page: Page) -> list[Article]:
    """Return the page's articles: the segmenter's, or the page as one article when it finds none."""
    articles = segment(page)
    if articles:
        return list(articles)
    return [Article(source=page.source, index=0, title=None, text=page.text, start=0, end=len(page.text))]


def rule_records() -> list[dict]:
    """Return profile-record dicts of the rules over every gold page."""
    records = []
    for source in load_gold(GOLD):
        page = Page(source=source, text=(SEEDS / source).read_text(encoding="utf-8"))
        for article in articles_of(page):
            profile = extract_rules(article)
            records.append({"source": source, "article_index": article.index, **profile.model_dump()})
    return records


def rule_scores() -> dict:
    """Return :func:`score_profiles` of the rules against the gold dev set."""
    return score_profiles(load_gold(GOLD), rule_records())


if __name__ == "__main__":
    print(format_table(rule_scores()))
    sys.exit(0)
