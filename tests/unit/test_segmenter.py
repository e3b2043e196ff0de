"""Segmenter: gold pages exactly, hand-annotated expectations on the other seeds, synthetic layouts,
bad input. Comparisons follow the gold convention: whitespace removed (``squash``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kaifaqu_llm.core.document import Page
from kaifaqu_llm.evaluate.segments import SEGMENT_CHECKS, score_segmentation
from kaifaqu_llm.evaluate.gold import load_gold, squash
from kaifaqu_llm.pages.reader import decode_page_bytes, page_from_text, read_page
from kaifaqu_llm.pages.segment import segment, segment_text

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "seeds"
GOLD = REPO / "tests" / "gold"


def seed(prefix: str) -> Page:
    return read_page(next(SEEDS.glob(f"{prefix}_*.txt")))


# --- gold pages ---------------------------------------------------------------

@pytest.fixture(scope="module")
def gold():
    return load_gold(GOLD)


def test_gold_pages_score_perfectly(gold):
    segments = {source: segment(read_page(SEEDS / source)) for source in gold}
    report = score_segmentation(gold, segments)
    assert report["overall"]["gold"] == 9
    assert report["overall"]["spurious"] == 0
    failed = {s: [d for d in p["articles"] if d["failed"]] for s, p in report["pages"].items()}
    assert failed == {s: [] for s in gold}
    assert report["overall"]["rates"] == {k: 1.0 for k in SEGMENT_CHECKS}


def test_gold_bodies_hold_nothing_of_their_neighbours(gold):
    for source, page in gold.items():
        ours = segment(read_page(SEEDS / source))
        assert len(ours) == len(page.articles)
        for k, (g, a) in enumerate(zip(page.articles, ours)):
            body = squash(a.text)
            assert body.startswith(g["body_start"]) and body.endswith(g["body_end"])
            assert squash(a.title) == (g["title"] and squash(g["title"]))
            assert list(a.authors) == g["authors"]
            for other in page.articles[:k] + page.articles[k + 1:]:
                assert other["body_start"] not in body and other["body_end"] not in body


# --- the other seeds, annotated by hand ---------------------------------------------
# (index, zone_header, title, subtitle, authors, continued_from, continues_to, body_start, body_end)

SEED_001 = [
    (0, "晋城经济技术开发区", "打好“组合拳”赋能经济高质量发展", None, ["王波"], None, None,
     "科学导报讯近年来,晋城经开区多", "为光机电产业发展营造良好环境。"),
    (1, "广灵经济技术开发区", "吹响决战决胜四季度“冲锋号”", None, ["李恒松"], None, None,
     "科学导报讯工程车辆穿梭不停,工", "推动项目建设尽快实现投产见效。"),
    (2, "垣曲经济技术开发区", "构筑发展新高地培育发展新动能", None, ["刘记明"], None, None,
     "科学导报讯今年以来,为加快培育", "提升孵化园服务水平和招商质量。"),
    # a lead paragraph printed above its headline belongs to that article
    (3, None, "文旅康养产业融合发展渐入佳境", "——平顺生态文化旅游示范区见闻", ["王波"], None, None,
     "平顺之美,蕴于青山绿水之间,更", ",奔赴文旅融合的“诗与远方”。"),
    (4, "忻州经济开发区", "召开网络意识形态工作会议", None, ["张虎虎"], None, None,
     "科学导报讯10月28日下午,忻", "强的思想保证和健康的舆论环境。"),
]
SEED_003 = [
    # title, dash subtitle, author on its own line, in-body heads with dash lines, (下转D5版)
    (0, None, "使命牵引向光而行", "——山西综改示范区奋力谱写“转型蹚新路”新篇章", ["杨晓"], None, "D5版",
     "一根根桩基，随着管桩机器作业的", "网、配套学校建设同步加快推进。"),
    # zone line below the title, bracketed byline run on
    (1, "阳城经济技术开发区", "抓项目扩投资促发展", None, ["张鹏"], None, None,
     "本刊讯今年以来，阳城经济技术开", "资推动开发区全方位高质量发展。"),
    (2, None, "运城经开区亚新科工业技术(运城)汽车零部件制造基地项目首炉铁水浇注成功", None, ["李军旗"], None, None,
     "本刊讯11月8日，位于运城经济", "打造新型产业强市做出新的贡献。"),
    (3, None, "全省开发区建设管理能力提升培训班圆满结束", None, ["王波"], None, None,
     "本刊讯11月10日，全省开发区", "“收官战”，力争完成年度目标。"),
    (4, None, "为高质量发展提供源源不断正能量", "——临汾经济开发区宣传思想工作纪略", ["贺玉斌"], None, "D3版",
     "近年来，临汾经济开发区驶入高速", "展的“加速器”，作用日益凸显。"),
]
SEED_004 = [
    # kicker line above the headline: neither zone header nor title
    (0, None, "咬定目标不放松抓住重点解难题", None, ["付雅祺"], None, None,
     "科学导报近日，大同经济技术开发", "促项目早建成、早投产、早见效。"),
    (1, None, "霍州经开区管委会副主任梁冰一行在临汾经济开发区座谈", None, ["李俊萍"], None, None,
     "科学导报8月28日下午，霍州经", "高质量发展做出新的更大的贡献。"),
    # zone name on the headline's own line
    (2, "灵石经济技术开发区", "多轮驱动出四措发展新质生产力", None, ["董保彤"], None, None,
     "科学导报灵石经济技术开发区从政", "跑腿”，助推项目建设提速提质。"),
    (3, None, "长治高新区管委会与山西省专家学者协会信息分会联合举办“加‘数’启航，向‘新’而行——零壹智库赋能长治"
              "高质量发展新动能”活动", None, ["郝惠铭", "董雷"], None, None,
     "科学导报8月27日，长治高新区", "会信息分会签订了战略合作协议。"),
    # reporter in the lead; the OCR-duplicated run that follows belongs to the fragment below
    (4, "长子经济技术开发区", "智慧服务引领产业发展新潮流", None, ["王波"], None, None,
     "科学导报记者王波近年来，长子经", "区营商环境的金字招牌擦得更亮。"),
    (5, None, None, None, ["韩继元"], "D1版", None,
     "在此基础上，运城经开区围绕项目", "局，推动高质量发展迈上新台阶。"),
]


@pytest.mark.parametrize("prefix, expected", [("001", SEED_001), ("003", SEED_003), ("004", SEED_004)])
def test_seed_expectations(prefix, expected):
    ours = segment(seed(prefix))
    assert len(ours) == len(expected)
    for a, (index, zone, title, sub, authors, cfrom, cto, start, end) in zip(ours, expected):
        got = (a.index, a.zone_header, squash(a.title), a.subtitle, list(a.authors), a.continued_from,
               a.continues_to)
        assert got == (index, zone, title, sub, authors, cfrom, cto)
        body = squash(a.text)
        assert body.startswith(start) and body.endswith(end), (index, body[:20], body[-20:])


def test_ocr_breaks_are_mended_and_heads_kept_as_paragraphs():
    first = segment(seed("001"))[0]
    assert "总量114.0亿元" in first.text           # number split from its noun across blank lines
    assert "“研发—孵化—转化—产业化”" in first.text
    pingshun = segment(seed("001"))[3]
    assert "一路前行" in pingshun.text             # a word split across four blank lines
    paragraphs = pingshun.text.split("\n")
    assert "多点发力 文旅融合竞芳菲" in paragraphs and "山水相融 康养福地见成效" in paragraphs
    zuoquan = segment(seed("000"))[0]
    assert "做好“加法” 内培外引步步高" in zuoquan.text.split("\n")
    assert "机器人、自动导引(AGV)" in zuoquan.text


def test_runon_byline_and_markers_leave_the_body():
    page = seed("002")
    ours = segment(page)
    assert not ours[1].text.endswith("杨润枫") and ours[1].text.endswith("再上新台阶。")
    assert "上接" not in ours[6].text
    assert all("下转" not in a.text for a in segment(seed("003")))


def test_ocr_duplicated_run_is_kept_once_in_the_fragment():
    ours = segment(seed("004"))
    everything = "".join(squash(a.text) for a in ours)
    assert everything.count("全力做好“晋创谷·运城”的运营服务工作") == 1
    assert "全力做好“晋创谷·运城”的运营服务工作" in squash(ours[5].text)
    assert "赵自成" not in ours[4].text


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_offsets_point_into_the_original_text(prefix):
    page = seed(prefix)
    ours = segment(page)
    previous_end = 0
    for a in ours:
        assert previous_end <= a.start <= a.body_start < a.body_end <= a.end <= len(page.text)
        region = squash(page.text[a.start:a.end])
        if a.title:
            assert squash(a.title) in region
        body = squash(page.text[a.body_start:a.body_end])
        assert body.startswith(squash(a.text)[:30]) and body.endswith(squash(a.text)[-30:])
        assert a.parts == ((page.source, a.start, a.end),)
        previous_end = a.end


# --- robustness: the same pages typeset a little differently segment the same way --------

def _summary(articles):
    return [(a.zone_header, squash(a.title), a.subtitle, a.authors, a.continued_from, a.continues_to,
             squash(a.text)[:15], squash(a.text)[-15:]) for a in articles]


VARIANTS = {
    "single newlines only": lambda t: re.sub(r"\n\s*\n+", "\n", t),
    "CRLF": lambda t: t.replace("\n", "\r\n"),
    "CR": lambda t: t.replace("\n", "\r"),
    "doubled blank lines": lambda t: t.replace("\n", "\n\n"),
    "full-width indents": lambda t: "\n".join("\u3000\u3000" + x if x.strip() else x for x in t.split("\n")),
    "trailing spaces": lambda t: "\n".join(x + "  " for x in t.split("\n")),
    "no markdown": lambda t: re.sub(r"(?m)^#+ ", "", t),
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_layout_variants_segment_alike(prefix, variant):
    page = seed(prefix)
    expected = _summary(segment(page))
    assert _summary(segment_text(VARIANTS[variant](page.text))) == expected


# --- synthetic pages: new zones, mixed layouts ---------------------------------------

PAGE_A = "\r\n".join([
    "", "太行经济技术开发区", "", "## 新能源装备项目集中开工", "",
    "科学导报讯 记者李明 通讯员赵欣 近日，太行经济技术开发区举行重点项目集中开工仪式，共有12个项目开工，总投资86亿元。",
    "", "据介绍，此次开工的项目涵盖新能源装备、新材料和现代物流等领域，预计全部建成后可新增产值",
    "", "", "120亿元，带动就业3000余人。", "",
    "强化服务 保障项目落地", "",
    "开发区成立项目服务专班，实行一个项目、一名领导、一套班子的包联机制，确保项目早日投产达效。", "",
    "汾河新区 汾河两岸绘就产城融合新画卷", "",
    "本报讯 今年以来，汾河新区坚持产城融合，新建道路18公里，新增绿地面积46万平方米，城市功能持续完善。（周静）", "",
    "绿色转型跑出加速度", "", "潞安高新技术产业开发区", "",
    "本刊讯 潞安高新技术产业开发区把绿色低碳作为主攻方向，前三季度完成固定资产投资41.2亿元，同比增长18.6%。",
    "", "园区新建光伏电站两座，年发电量可达1.6亿千瓦时，绿色发展的底色更加鲜明，各项工作正在持续推进。(下转 B2 版)", "",
    "省商务厅调研组在开发区调研时强调", "", "以开放合作激活发展动能", "", "——沁水经济技术开发区扩大开放纪实", "",
    "任晓东", "",
    "沁水经济技术开发区地处晋东南，近年来主动融入长三角产业链，开放型经济水平不断提升。", "",
    "抓招商", "——瞄准头部企业，精准对接", "",
    "今年以来，开发区赴长三角、珠三角开展招商活动23次，签约项目17个，协议投资额132亿元。", "",
    "佚名", "",
])


def test_synthetic_page_a_gbk_crlf():
    data = PAGE_A.encode("gbk")
    text, encoding = decode_page_bytes(data, "a.txt")
    assert encoding == "gbk" and text == PAGE_A
    ours = segment(Page(source="a.txt", text=text, encoding=encoding))
    summary = [(a.zone_header, a.title, a.subtitle, a.authors, a.continues_to) for a in ours]
    assert summary == [
        ("太行经济技术开发区", "新能源装备项目集中开工", None, ("李明", "赵欣"), None),
        ("汾河新区", "汾河两岸绘就产城融合新画卷", None, ("周静",), None),
        ("潞安高新技术产业开发区", "绿色转型跑出加速度", None, (), "B2版"),
        (None, "以开放合作激活发展动能", "——沁水经济技术开发区扩大开放纪实", ("任晓东",), None),
    ]
    assert "可新增产值120亿元" in ours[0].text
    assert "强化服务 保障项目落地" in ours[0].text.split("\n")
    assert ours[1].text.endswith("持续完善。")
    assert ours[2].text.endswith("正在持续推进。")
    assert ours[3].text.split("\n")[1:3] == ["抓招商", "——瞄准头部企业，精准对接"]
    assert ours[3].text.endswith("132亿元。")
    for a in ours:
        assert "\r" not in a.text


PAGE_B = "\r".join([
    "(上接 B1 版)", "",
    "在此基础上，示范区持续完善基础设施，新建污水处理厂一座，日处理能力达到3万吨。", "",
    "一、夯实基础 ——抓好园区配套，提升承载能力", "",
    "示范区新建标准化厂房12万平方米，已有9家企业签约入驻，园区承载能力显著增强。 孙丽 何伟", "",
    "雁门关下，长城脚下，一个以文旅康养为主导的产业集群正在加速成长。", "",
    "# 长城脚下的新质生产力", "", "——偏关生态文化旅游示范区见闻", "",
    "走进示范区，游客服务中心、康养民宿和研学基地错落有致，前三季度接待游客86万人次。", "",
    "文旅融合 产业兴旺", "",
    "示范区围绕长城文化做文章，推出研学线路6条，带动周边村民人均增收4200元。梁超",
])


def test_synthetic_page_b_cr_only_fragment_and_lead():
    ours = segment(page_from_text(PAGE_B, "b.txt"))
    assert [(a.title, a.continued_from, a.authors) for a in ours] == [
        (None, "B1版", ("孙丽", "何伟")),
        ("长城脚下的新质生产力", None, ("梁超",)),
    ]
    assert "一、夯实基础 ——抓好园区配套，提升承载能力" in ours[0].text.split("\n")
    assert ours[1].subtitle == "——偏关生态文化旅游示范区见闻"
    assert squash(ours[1].text).startswith("雁门关下，长城脚下")     # lead above the headline
    assert ours[1].text.endswith("4200元。")
    assert PAGE_B[ours[1].start:].startswith("雁门关下")


PAGE_C = "\n".join([
    "D2", "2025年3月14日 星期五", "",
    "**高新区金融服务再上台阶**", "",
    "本报讯（记者 宋佳 通讯员 钱坤）今年以来，长治高新区持续深化金融服务，累计为企业融资56亿元。", "",
    "金融篇", "",
    "高新区联合12家银行推出“科创贷”等专属产品，惠及企业230家，平均利率下降0.8个百分点。（完）", "",
    "（上接第一版）", "",
    "在项目建设上，开发区实行“周调度、月通报”制度，确保项目按期推进，全年计划完成投资95亿元。", "",
    "人才篇", "",
    "开发区出台人才新政12条，引进各类人才860名，其中博士36名。 曹阳", "",
])


def test_synthetic_page_c_bracketed_lead_reporters_and_name_shaped_heads():
    ours = segment(page_from_text(PAGE_C, "c.txt"))
    assert [(a.title, a.authors, a.continued_from) for a in ours] == [
        ("高新区金融服务再上台阶", ("宋佳", "钱坤"), None),     # page furniture above is no article
        (None, ("曹阳",), "第一版"),
    ]
    # "金融篇" looks like a name (金 is a surname) but sits between body paragraphs: a section head
    assert ours[0].text.split("\n")[1] == "金融篇"
    assert ours[0].text.endswith("0.8个百分点。")          # (完) closes the article and leaves the body
    assert ours[1].text.endswith("博士36名。")


def test_glued_single_name_byline_before_a_lead_and_headline():
    text = "\n\n".join([
        "交城经济开发区", "新材料产业园开工建设",
        "本刊讯 交城经济开发区新材料产业园日前开工，总投资28亿元。武强",
        "吕梁山下，文峪河畔，一座现代化产业新城正在崛起。",
        "## 产城融合绘新景", "——孝义经济技术开发区见闻",
        "孝义经济技术开发区坚持以产兴城，今年新建道路9公里。",
        "□ 记者 史文",
    ])
    ours = segment_text(text)
    assert [(a.zone_header, a.title, a.authors) for a in ours] == [
        ("交城经济开发区", "新材料产业园开工建设", ("武强",)),
        (None, "产城融合绘新景", ("史文",)),
    ]
    assert ours[0].text.endswith("总投资28亿元。")
    assert ours[1].text.startswith("吕梁山下")


def test_untitled_line_after_an_ending_does_not_swallow_the_next_headline():
    text = "\n\n".join([
        "综保区跨境电商业务量翻番", "本刊讯 今年前三季度，综保区跨境电商进出口额达18亿元，同比增长106%。（任杰）",
        "图为园区新建的跨境电商监管中心。",
        "晋北物流园项目全面封顶", "项目总投资12亿元，建成后将新增仓储面积30万平方米，年内投入运营。",
        "葛新",
    ])
    ours = segment_text(text)
    assert [(a.title, a.authors) for a in ours] == [
        ("综保区跨境电商业务量翻番", ("任杰",)), ("晋北物流园项目全面封顶", ("葛新",))]
    assert ours[1].text.startswith("图为")          # the caption is kept, as the next article's lead


# --- bad and odd input ------------------------------------------------------------------

def test_empty_and_blank_pages_have_no_articles():
    assert segment_text("") == []
    assert segment_text(" \n\r\n\t\u3000\n  ") == []


def test_page_without_headlines_is_one_untitled_article():
    text = ("近年来，开发区持续优化营商环境，企业满意度不断提升。\n\n"
            "今年以来，新增市场主体320户，同比增长15%，发展活力不断增强。\n")
    ours = segment_text(text)
    assert len(ours) == 1
    assert ours[0].title is None and ours[0].authors == ()
    assert ours[0].text.count("\n") == 1


def test_control_characters_do_not_leak_into_text():
    text = "示范开发区\n\n招商引资\x0c再创佳绩\n\n本刊讯 开发区\x01新签约项目8个，总投资26亿元。（何伟）\n"
    ours = segment_text(text)
    assert len(ours) == 1
    assert ours[0].title == "招商引资 再创佳绩" and ours[0].authors == ("何伟",)
    assert "\x01" not in ours[0].text and "\x0c" not in ours[0].title


def test_five_megabyte_page_segments_without_loss():
    # distinct copies of a real page (identical copies would rightly be dropped as OCR duplicates)
    unit = seed("002").text.split("\n")
    copies = 5_000_000 // len("\n".join(unit)) + 1
    big = page_from_text("\n".join(
        line.replace("，", f"，第{k}次，", 1) if len(line) >= 30 else line
        for k in range(copies) for line in unit), "big.txt")
    assert len(big.text) >= 5_000_000
    ours = segment(big)
    # each copy keeps its 6 titled articles; its last article (the 上接 fragment) swallows nothing
    assert sum(a.title is not None for a in ours) == 6 * copies
    assert sum(a.continued_from == "D1版" for a in ours) == copies
