"""Organizations read off projects: the firm that owns a project.

* ``org.project-owner``: a project's company (盛隆泰达、宏源两大焦化项目; X年产…项目) is an organization.
* ``org.project-brand``: a project name that opens with a brand (jieba tags it nz / nt: 腾讯, 中国电信),
  perhaps with its trade (X机电, X重工), names the firm that owns the project.
"""

from __future__ import annotations

import re

from .registry import lexicon, rule
from .segmenter import words
from ...core.schema import Organization, Project

__all__ = ["project_owners"]

_OWNER, _BRAND = rule("org.project-owner"), rule("org.project-brand")
_TRADES = tuple(lexicon("trade_suffixes"))
_BRAND_TAGS = ("nz", "nt")
_PRODUCTS = tuple(lexicon("product_ends"))
_NAME = re.compile("[\u4e00-\u9fffA-Za-z]{2,}")


def _brand(name: str) -> str | None:
    """Return the brand a project name opens with (jieba: nz / nt, plus a trade word after it), or None."""
    found = words(name[:12])
    if not found or len(found) < 2 or found[0][1] not in _BRAND_TAGS or not _NAME.fullmatch(found[0][0]):
        return None
    brand = found[0][0]
    if brand.endswith(_PRODUCTS):  # 锂电池组装项目: a product opens the name, not a firm
        return None
    if found[1][0] in _TRADES:  # 晶盛|机电, 中信|重工: the trade belongs to the firm's short name
        brand += found[1][0]
    return brand


_BRANCH_OF = re.compile(r"[(（][^()（）]{2,6}[)）]")


def project_owners(projects: list[Project], organizations: list[Organization],
                   zone_names: tuple[str, ...] = ()) -> tuple[list[Project], list[Organization]]:
    """Return the projects (owners filled in) and the organizations (owners added, each once).

    ``zone_names`` are the zones of the article: a brand that opens one of them is a place, not a firm.
    """
    organizations = list(organizations)
    known = {o.name for o in organizations}
    kept: list[Project] = []
    added: list[Organization] = []

    def add(name: str, evidence: str) -> None:
        shorter = next((o for o in organizations
                        if name.startswith(o.name) and _BRANCH_OF.fullmatch(name[len(o.name):])), None)
        if shorter is not None:  # 中国电科(山西) owns the project: the firm's branch, not the group, is meant
            organizations[organizations.index(shorter)] = Organization(name=name, kind=shorter.kind, evidence=evidence)
            known.add(name)
            return
        if not any(other.startswith(name) or name.startswith(other) for other in known):
            added.append(Organization(name=name, kind="企业", evidence=evidence))
            known.add(name)

    for project in projects:
        if project.company is None and _BRAND.on:
            brand = _brand(project.name)
            if brand and not any(zone.startswith(brand) for zone in zone_names):
                project = project.model_copy(update={"company": brand})
        kept.append(project)
        if project.company and _OWNER.on:
            add(project.company, project.evidence)
    return kept, organizations + added
