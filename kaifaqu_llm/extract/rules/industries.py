"""Leading industries: the items of a list the text calls 主导产业 / 重点产业 / 产业集群.

``聚焦文化旅游、新能源、农产品加工三大主导产业`` gives 文化旅游, 新能源, 农产品加工;
``重点发展以亚宝药业为龙头的现代医药产业`` gives 现代医药; ``打造光机电产业集聚区`` gives 光机电.
Only lists closed by a word that says they are the zone's industries count.
"""

from __future__ import annotations

import re

from .registry import rule
from .text import CJK, Sentences, clause_start
from ...core.schema import Industry

__all__ = ["extract_industries"]

_LIST_RULE, _ONE_RULE = rule("industries.list"), rule("industries.single")
_LIST_HEAD = re.compile(
    r"(?:等)?(?:[两三四五六七八九十]|\d+)?大?(?:主导|重点|支柱|首位|优势|特色|战略性新兴)?"
    r"(?:产业集群|产业集聚区|产业链|产业)(?=[，。；、体系]|$)"
)
_LEAD_ANYWHERE = re.compile(r"(?:聚焦|围绕|发展|培育|做强|打造|形成|构建|壮大|布局)(?!.*(?:聚焦|围绕|发展|培育|做强|打造|形成|构建|壮大|布局))")
_ONE = re.compile(f"(?:重点发展|主导产业为|做大做强|大力发展|聚焦)(?:以[^，。]{{2,12}}为龙头的)?([{CJK}]{{2,8}}?)产业")
_NOT_INDUSTRY = ("主导", "重点", "优势", "特色", "支柱", "新兴", "相关", "上下游", "配套", "全", "各", "园区", "数字经济")


def _clean(item: str) -> str:
    item = re.sub(r"等?(?:[两三四五六七八九十]|\d+)大.*$", "", item.strip("“”\"（）() "))  # …三大数字经济
    verb = _LEAD_ANYWHERE.search(item)
    if verb and len(item) - verb.end() >= 2:  # 目前已初步形成电子信息制造业
        item = item[verb.end():]
    return item[:-2] if item.endswith("产业") and len(item) > 3 else item


def extract_industries(text: str) -> list[Industry]:
    """Return the industries ``text`` names as leading or key ones, each once, in order of appearance."""
    sentences = Sentences.of(text)
    found: dict[str, Industry] = {}
    for m in _LIST_HEAD.finditer(text) if _LIST_RULE.on else ():
        s_start, _ = sentences.around(m.start())
        c_start = clause_start(text, m.start(), s_start)
        items = text[c_start:m.start()].split("、")
        if len(items) < 2 or not any(w in m.group() for w in ("主导", "重点", "支柱", "首位", "集群", "大")):
            continue
        for item in (_clean(x) for x in items):
            if 2 <= len(item) <= 10 and re.fullmatch(f"[{CJK}]+", item) and not item.startswith(_NOT_INDUSTRY):
                found.setdefault(item, Industry(name=item, evidence=text[c_start:m.end()]))
    for m in _ONE.finditer(text) if _ONE_RULE.on else ():
        item = _clean(m.group(1))
        if 2 <= len(item) <= 8 and not item.startswith(_NOT_INDUSTRY) and item not in found:
            found[item] = Industry(name=item, evidence=m.group())
    return list(found.values())
