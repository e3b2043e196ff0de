"""People: a role word (书记, 主任, 局长, 董事长, 负责人, 教授…) followed by a personal name.

The name is 2–3 characters starting with a common surname and ends where a verb
of speech or action, or punctuation, begins (局长贾朝利介绍说). Names listed after
one role share it (副主任张大虎、卫奇武、陈拥军). A rare surname is trusted only
right before a verb of speech (执行董事X某某介绍说). Titles written after the name
(范守善院士) are found too. Bylines are not people.
"""

from __future__ import annotations

import re

from .registry import lexicon, rule
from .segmenter import words
from .text import CJK, Sentences, clause_start
from ...core.schema import Person

__all__ = ["extract_people", "SURNAMES"]

_ROLE_FIRST, _SHARED, _RARE, _TITLE_AFTER, _SEGMENTED, _MASKED, _FOREIGN = (rule(f"people.{n}") for n in (
    "role-before-name", "shared-role", "rare-surname", "title-after-name", "segmented-name", "masked-role",
    "foreign-name"))
_FOREIGN_CHARS = frozenset("".join(lexicon("transliteration_chars")))
SURNAMES = set("".join(lexicon("surnames")))
_COMPOUND_SURNAMES = lexicon("compound_surnames")
_ROLES: tuple[str, ...] = lexicon("roles")
_ROLE_RE = re.compile("|".join(sorted(map(re.escape, _ROLES), key=len, reverse=True)))
# web copies mask some titles with asterisks (区委****江涛): the mask stands where the role was
_MASK_RE = re.compile(r"[*＊]{2,}")
_AFTER_NAME = lexicon("name_followers")
# roles written after the name, and what may stand right before such a name (清华大学范守善院士)
_NAME_BEFORE_ROLE = re.compile("总书记|院士|教授|研究员|博士(?!后|生|工作站|点)")
_NAME_LEFT = set("由与和及请邀学院所司校")
_NOT_IN_NAMES = set("委局办部厅处区县市省镇乡村司院校企业公会员组工位")  # 党工委, 商务局: bodies, not people
_BOUNDARY = set("，,。；;：:！？!?、”“\"（）() \n")


def _name_at(text: str, pos: int) -> str | None:
    """Return the 2–3 character personal name starting at ``pos``, or None."""
    head = text[pos:pos + 2]
    if head in _COMPOUND_SURNAMES:
        lengths = (4, 3)
    elif text[pos:pos + 1] in SURNAMES:
        lengths = (3, 2)
    else:
        return None
    for n in lengths:
        name = text[pos:pos + n]
        if len(name) < n or not re.fullmatch(f"[{CJK}]+", name) or any(ch in _NOT_IN_NAMES for ch in name[1:]):
            continue
        rest = text[pos + n:pos + n + 4]
        if not rest or rest[0] in _BOUNDARY or rest.startswith(_AFTER_NAME):
            if n == 3 and (name[2] in "说等和与在对向为就也还是的地着得" or name[1:] in ("介绍", "表示", "主持")):
                continue
            return name
    return None


_FUNCTION_TAGS = ("v", "p", "c", "u", "ul", "uj", "d", "r", "m", "q", "f")  # jieba tags an unknown character x


def _segmented_name(text: str, pos: int) -> str | None:
    """Return the personal name jieba sees at ``pos`` (its first word, tagged nr, with a known surname), or None."""
    if text[pos:pos + 1] not in SURNAMES and text[pos:pos + 2] not in _COMPOUND_SURNAMES:
        return None
    found = words(text[pos:pos + 8])
    if not found:
        return None
    word, tag = found[0]
    if len(word) == 2 and len(found) > 2 and re.fullmatch(f"[{CJK}]", found[1][0]) and found[1][1] not in _FUNCTION_TAGS \
            and (found[2][1] in ("v", "x") or found[2][0][:1] in _BOUNDARY):
        word += found[1][0]  # 唐诗|婷|宣布: a given name jieba split off its first syllable
    if tag != "nr" or not 2 <= len(word) <= 4 or any(ch in _NOT_IN_NAMES for ch in word[1:]):
        return None
    return word if re.fullmatch(f"[{CJK}]+", word) else None


# a rare surname is trusted only in the tightest frame: role, three characters, a verb of speech
_SPEECH_AFTER = re.compile(f"([{CJK}]{{3}})(?:介绍说|介绍|表示|说|指出|强调|坦言)")
_NOT_NAME_CHARS = set("在会上的了是也都再对向就亲自详细一这那该其我他她们时中后前向将已又还很最更地着得")


def _rare_surname_name(text: str, pos: int) -> str | None:
    """Return a three-character name at ``pos`` whose surname is not in :data:`SURNAMES`, or None."""
    m = _SPEECH_AFTER.match(text, pos)
    if m is None or any(ch in _NOT_NAME_CHARS or ch in _NOT_IN_NAMES for ch in m.group(1)):
        return None
    return m.group(1)


def _foreign_name(text: str, pos: int) -> str | None:
    """Return a transliterated name (three to six characters of the lexicon) at ``pos`` that ends at a boundary."""
    end = pos
    while end < len(text) and end - pos < 7 and text[end] in _FOREIGN_CHARS:
        end += 1
    shortest = 4 if text[pos:pos + 1] in SURNAMES else 3  # 马克西姆: a Chinese name is shorter
    ends = end == len(text) or text[end] in _BOUNDARY or text[end] == "等" or text.startswith(_AFTER_NAME, end)
    return text[pos:end] if shortest <= end - pos <= 6 and ends else None


_TITLE_LEAD_IN = re.compile("^.*(?:》|」|发布|发表|刊发|刊登|刊载|转载)")


def extract_people(text: str, authors: tuple[str, ...] = ()) -> list[Person]:
    """Return named people with the role the text gives them (bylines in ``authors`` excluded).

    Evidence is the clause from the role to the name.
    """
    sentences = Sentences.of(text)
    people: dict[str, Person] = {}
    excluded = {a.replace(" ", "") for a in authors}
    last_end = 0
    roles = sorted([*(_ROLE_RE.finditer(text) if _ROLE_FIRST.on else ()),
                    *(_MASK_RE.finditer(text) if _MASKED.on else ())], key=lambda m: m.start())
    for m in roles:
        name = _name_at(text, m.end()) or (_segmented_name(text, m.end()) if _SEGMENTED.on else None) \
            or (_rare_surname_name(text, m.end()) if _RARE.on else None) \
            or (_foreign_name(text, m.end()) if _FOREIGN.on else None)
        if name is None:
            continue
        s_start, s_end = sentences.around(m.start())
        t_start = max(clause_start(text, m.start(), s_start), last_end)
        while t_start < m.start() and text[t_start] in "、，, ":
            t_start += 1
        title = text[t_start:m.end()]
        title = re.sub(r"^(?:由|在|据|是|为|对|请|和|与|及)", "", title)
        cut = _TITLE_LEAD_IN.search(title)  # 在《…》头版发布党委书记… : the role starts after the verb
        if cut:
            title = title[cut.end():]
            t_start = m.end() - len(title)
        names = [(name, m.end())]
        pos = m.end() + len(name)
        while text[pos:pos + 1] == "、" and _SHARED.on:  # 副主任张大虎、卫奇武、陈拥军
            nxt = _name_at(text, pos + 1)
            if nxt is None or _ROLE_RE.match(text, pos + 1 + len(nxt)):
                break
            names.append((nxt, pos + 1))
            pos += 1 + len(nxt)
        last_end = pos
        for person, start in names:
            if person in excluded or person in people:
                continue
            evidence = text[t_start:start + len(person)]
            people[person] = Person(name=person, title=title or None, evidence=evidence)
    for m in _NAME_BEFORE_ROLE.finditer(text) if _TITLE_AFTER.on else ():  # 清华大学范守善院士领衔
        for n in (3, 2):
            start = m.start() - n
            name = text[start:m.start()] if start >= 0 else ""
            before = text[start - 1] if start > 0 else "，"
            if name[:1] in SURNAMES and not any(ch in _NOT_IN_NAMES for ch in name[1:]) and (
                    before in _BOUNDARY or before in _NAME_LEFT):
                if name not in people and name not in excluded and re.fullmatch(f"[{CJK}]+", name):
                    people[name] = Person(name=name, title=m.group(), evidence=text[start:m.end()])
                break
    return list(people.values())
