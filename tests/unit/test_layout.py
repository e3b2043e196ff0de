"""Line typography: bylines, reporters in leads, continuation markers, zone names, headline shape."""

from __future__ import annotations

import pytest

from kaifaqu_llm.pages.layout import (
    BODY, BYLINE, FROM, HEAD, SUB, TO, ZONE, classify, end_mark, is_dateline, is_head_like, is_zone_name,
    lead_authors, marker_from, marker_to, parse_byline, runon_byline, split_inline_subtitle, split_lines,
    split_zone_prefix,
)


@pytest.mark.parametrize("text, names", [
    ("杨红义 杨琳", ("杨红义", "杨琳")),
    ("佚名", ()),
    ("（张鹏）", ("张鹏",)),
    ("(李军旗)", ("李军旗",)),
    ("郝惠铭 董雷", ("郝惠铭", "董雷")),
    ("王波、李恒松", ("王波", "李恒松")),
    ("科学导报记者 王波 通讯员 李四 报道", ("王波", "李四")),
    ("本报记者王波", ("王波",)),
    ("（记者 王波 通讯员 李四）", ("王波", "李四")),
    ("文/王波 图/李四", ("王波", "李四")),
    ("□ 记者 史文", ("史文",)),
    ("欧阳晓明", ("欧阳晓明",)),
    ("做好宣传", None),            # four characters, no compound surname: a head
    ("聚焦项目", None),
    ("召开项目评审会", None),
    ("王记者", None),
    ("2024年5月", None),
    ("", None),
])
def test_parse_byline(text, names):
    assert parse_byline(text) == names


@pytest.mark.parametrize("text, expected", [
    ("全力推动开发区招商引资工作再上新台阶。何志敏 杨润枫", (19, ("何志敏", "杨润枫"), True)),
    ("为光机电产业发展营造良好环境。 王波", (15, ("王波",), True)),
    ("以高质量、高效率的投资推动开发区全方位高质量发展。（张鹏）", (25, ("张鹏",), True)),
    ("可直接安排就业岗位300余人。关婷", (15, ("关婷",), False)),   # glued single name: context decides
    ("盐湖高新区风景正好前景可期。", None),
    ("“就拿天津津霖来说，最后再进行固化。”贾朝利说。", None),
    ("建设“表", None),
])
def test_runon_byline(text, expected):
    assert runon_byline(text) == expected


@pytest.mark.parametrize("text, names", [
    ("科学导报讯 记者王波 通讯员张伦 王昱为深入贯彻落实省委", ("王波", "张伦", "王昱")),
    ("科学导报 记者王波 近年来，长子经济技术开发区", ("王波",)),
    ("本报讯（记者 宋佳 通讯员 钱坤）今年以来", ("宋佳", "钱坤")),
    ("科学导报记者 王波 报道：近日", ("王波",)),
    ("科学导报讯 4月1日，运城经济技术开发区召开", ()),
    ("科学导报讯 记者王波 高新区召开会议", ("王波",)),     # the word after the name is no name
    ("近年来，记者王波走访了园区", ()),                     # not a dateline lead
])
def test_lead_authors(text, names):
    assert lead_authors(text) == names


def test_continuation_markers():
    assert marker_from("(上接 D1 版)") == ("D1版", 9)
    assert marker_from("（上接D1版）在此基础上") == ("D1版", 7)
    assert marker_from("（上接第一版）")[0] == "第一版"
    assert marker_from("（下转D5版）") is None
    assert marker_to("同步加快推进。（下转D5版）") == ("D5版", 7)
    assert marker_to("各项工作正在持续推进。(下转 B2 版)")[0] == "B2版"
    assert marker_to("（上接D1版）") is None
    assert end_mark("平均利率下降0.8个百分点。（完）") == 14


@pytest.mark.parametrize("text, zone", [
    ("晋城经济技术开发区", True), ("右玉生态文化旅游示范区", True), ("风陵渡经济开发区", True),
    ("太原武宿综合保税区", True), ("汾河新区", True),
    ("建设一流园区", False), ("打造全国示范区", False), ("开发区", False), ("实施五大行动 打造开发区", False),
])
def test_zone_names(text, zone):
    assert is_zone_name(text) is zone


def test_zone_on_the_headline_line():
    assert split_zone_prefix("灵石经济技术开发区 多轮驱动出四措 发展新质生产力") == (
        "灵石经济技术开发区", "多轮驱动出四措 发展新质生产力")
    assert split_zone_prefix("建设一流园区 打造开放高地") is None             # parallel headline
    assert split_zone_prefix("长治高新区管委会与山西省专家学者协会信息分会 联合举办活动") is None


def test_headline_shape():
    assert is_head_like("打好“组合拳” 赋能经济高质量发展")
    assert is_head_like("长治高新区管委会 联合举办“加‘数’启航，向‘新’而行”活动")   # comma inside quotes
    assert not is_head_like("铜基新材料产业链延伸扩展，推动北铜新材料达产")
    assert not is_head_like("“去年6月，我们对原水针车间生产线部分工段进行技术改造，购置安装了装盘机、机器")
    assert not is_head_like("……")
    assert split_inline_subtitle("求真务实抓落实 ——“一张图”清单调度") == ("求真务实抓落实", "——“一张图”清单调度")
    assert split_inline_subtitle("向‘新’而行——零壹智库") == ("向‘新’而行——零壹智库", None)


def test_classify_and_datelines():
    assert [classify(t) for t in ("(上接 D1 版)", "（下转D3版）", "——走进左权", "韩继元", "## 标题",
                                  "阳城经济技术开发区", "抓项目 扩投资 促发展", "正文一句。")] == [
        FROM, TO, SUB, BYLINE, HEAD, ZONE, HEAD, BODY]
    assert is_dateline("科学导报讯 4月1日") and is_dateline("本刊讯 今年") and is_dateline("科学导报 近日")
    assert not is_dateline("山西综改示范区，横跨太原")


def test_split_lines_offsets_and_blank_control_characters():
    text = "\r\n  标题\x01一\r\r\n正文。\n\u3000\n尾"
    lines = split_lines(text)
    assert [(ln.text, ln.gap) for ln in lines] == [("标题 一", 1), ("正文。", 1), ("尾", 1)]
    for ln in lines:
        assert len(text[ln.start:ln.end]) == len(ln.text)
