"""People: a role word (书记, 主任, 局长, 董事长, 负责人, 教授…) followed by a personal name.

The name is 2–3 characters starting with a common surname and ends where a verb
of speech or action, or punctuation, begins (局长贾朝利介绍说). Names listed after
one role share it (副主任张大虎、卫奇武、陈拥军). A rare surname is trusted only
right before a verb of speech (执行董事X某某介绍说). Titles written after the name
(范守善院士) are found too. Bylines are not people.
"""

from __future__ import annotations

import re

from .text import CJK, Sentences, clause_start
from ...core.schema import Person

__all__ = ["extract_people", "SURNAMES"]

SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔"
    "钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔汤常温康施文牛樊葛"
    "邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝"
    "路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂"
    "佟臧闵苟邬边卞姬师仇栾隋刁沙荣巫寇桑郎甄丛仲虞敖巩佘池查麻苑迟邝封"
)
_COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "令狐", "慕容", "公孙", "长孙", "宇文", "尉迟")
_ROLES: tuple[str, ...] = ("副书记", "书记", "副主任", "主任", "副局长", "局长", "副区长", "区长", "副县长", "县长", "副市长", "市长",
          "副省长", "省长", "董事长", "副总经理", "总经理", "经理", "副院长", "院长", "所长", "副主席", "主席",
          "部长", "处长", "科长", "厂长", "校长", "负责人", "企业法人", "法人代表", "法定代表人", "院士", "教授",
          "研究员", "工程师", "总监", "总裁", "站长", "秘书长", "会长", "委员", "主管", "队长", "组长", "创始人",
          "博士", "党委书记", "副厅长", "厅长", "镇长", "乡长", "巡视员", "调研员", "总经济师", "董事",
          "助理", "副总裁", "总工", "秘书", "干事", "科员", "支部书记", "常委", "代表", "主任科员", "技术员",
          "班长", "车间主任", "总指挥", "指挥长", "专员", "馆长", "台长", "园长", "政委", "总工程师", "首席科学家", "理事长", "行长", "社长", "主编", "成员",
          "执行董事", "监事", "合伙人", "负责同志")
_ROLE_RE = re.compile("|".join(sorted(_ROLES, key=len, reverse=True)))
_AFTER_NAME = ("说", "介绍", "表示", "主持", "出席", "指出", "强调", "讲话", "一行", "等", "和", "与", "、", "在",
               "带领", "陪同", "参加", "告诉", "坦言", "认为", "提出", "要求", "对", "向", "及", "到", "率", "调研",
               "会见", "致辞", "代表", "为", "就", "也", "还", "先后", "同志", "作", "进行", "宣读", "发表", "分别",
               "深入", "来到", "前往", "实地", "一同", "共同", "现场", "看望", "详细", "解读", "透露", "感慨",
               "回忆", "笑着", "坦承", "提到", "补充", "谈到", "的", "是", "上台", "先", "首先", "围绕", "荣获", "获得", "获", "带队", "率队", "带头", "主讲", "授课", "讲", "作报告", "建议", "希望", "呼吁", "说道", "署名", "撰文", "接受",
               "主旨", "作主旨")
# roles written after the name, and what may stand right before such a name (清华大学范守善院士)
_NAME_BEFORE_ROLE = re.compile("院士|教授|研究员|博士(?!后|生|工作站|点)")
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


# a rare surname is trusted only in the tightest frame: role, three characters, a verb of speech
_SPEECH_AFTER = re.compile(f"([{CJK}]{{3}})(?:介绍说|介绍|表示|说|指出|强调|坦言)")
_NOT_NAME_CHARS = set("在会上的了是也都再对向就亲自详细一这那该其我他她们时中后前向将已又还很最更地着得")


def _rare_surname_name(text: str, pos: int) -> str | None:
    """Return a three-character name at ``pos`` whose surname is not in :data:`SURNAMES`, or None."""
    m = _SPEECH_AFTER.match(text, pos)
    if m is None or any(ch in _NOT_NAME_CHARS or ch in _NOT_IN_NAMES for ch in m.group(1)):
        return None
    return m.group(1)


_TITLE_LEAD_IN = re.compile("^.*(?:》|」|发布|发表|刊发|刊登|刊载|转载)")


def extract_people(text: str, authors: tuple[str, ...] = ()) -> list[Person]:
    """Return named people with the role the text gives them (bylines in ``authors`` excluded).

    Evidence is the clause from the role to the name.
    """
    sentences = Sentences.of(text)
    people: dict[str, Person] = {}
    excluded = {a.replace(" ", "") for a in authors}
    last_end = 0
    for m in _ROLE_RE.finditer(text):
        name = _name_at(text, m.end()) or _rare_surname_name(text, m.end())
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
        while text[pos:pos + 1] == "、":  # 副主任张大虎、卫奇武、陈拥军
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
    for m in _NAME_BEFORE_ROLE.finditer(text):  # 清华大学范守善院士领衔
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
