"""The rules backend: a deterministic extractor that needs no model.

It fills the same :class:`~kaifaqu_llm.core.schema.ArticleProfile` a model fills,
from the article text alone, with grammar-driven rules (zone suffixes, number +
unit grammar, organization suffixes, role words before personal names, …).
Every fact's ``evidence`` is a verbatim slice of ``article.text`` — except a
zone named only in the zone header or title, whose evidence is that line.
"""

from __future__ import annotations

from typing import Iterable

from ...core.document import Article
from .entities import extract_organizations, extract_people
from .indicators import extract_indicators
from .industries import extract_industries
from .events import extract_events
from .projects import extract_projects
from .owners import project_owners
from .registry import rules_off as _rules_off
from .zones import extract_zones, find_zone_mentions
from ...core.schema import ArticleProfile

__all__ = ["extract_rules", "RULES_VERSION"]

RULES_VERSION = "rules-1"


def extract_rules(article: Article, rules_off: Iterable[str] = ()) -> ArticleProfile:
    """Return the profile the rules find in ``article`` (deterministic; never raises on odd text).

    ``rules_off`` names rules of the table (``lexicons/rules.json``) to switch off for this call, on top of
    those ``KAIFAQU_RULES_OFF`` switches off.
    """
    with _rules_off(rules_off):
        return _extract(article)


def _extract(article: Article) -> ArticleProfile:
    text = article.text or ""
    headers = tuple(h for h in (article.zone_header, article.title) if h)
    zones = extract_zones(text, headers)
    primary = next((z for z in zones if z.primary), None)
    header_prefixes = {m.prefix for h in headers for m in find_zone_mentions(h) if m.prefix}
    mentions = find_zone_mentions(text, header_prefixes)
    zone_spans = tuple((m.start, m.end) for m in mentions)
    zone_names = tuple(sorted({m.text for m in mentions} | {z.mention for z in zones}, key=len, reverse=True))
    organizations = [o for o in extract_organizations(text, zone_spans) if o.name not in zone_names]
    projects = extract_projects(text, organizations)
    projects, organizations = project_owners(projects, organizations, zone_names)
    return ArticleProfile(
        zones=zones,
        industries=extract_industries(text),
        indicators=extract_indicators(text, subject=primary.mention if primary else None, subjects=zone_names),
        projects=projects,
        organizations=organizations,
        people=extract_people(text, tuple(article.authors)),
        events=extract_events(text),
    )
