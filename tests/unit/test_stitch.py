"""Stitching (下转X版) articles to their (上接X版) fragments across pages."""

from __future__ import annotations

from pathlib import Path

from kaifaqu_llm.pages.reader import page_from_text, read_page
from kaifaqu_llm.pages.segment import segment
from kaifaqu_llm.pages.stitch import page_edition, stitch

SEEDS = Path(__file__).resolve().parents[2] / "seeds"

HEAD_PAGE = "\n\n".join([
    "建设一流园区 打造开放高地", "——云冈经济技术开发区高质量发展纪实", "邵明",
    "云冈经济技术开发区坚持项目为王，今年新签约项目35个，总投资218亿元，项目建设跑出加速度。",
    "园区新建标准化厂房26万平方米，入驻企业43家，带动就业5600余人。（下转 B3 版）",
    "平遥经济技术开发区", "推进营商环境改革", "本刊讯 平遥经济技术开发区推行“一枚印章管审批”，审批时限压缩60%。（冯静）",
])
FRAGMENT_PAGE = "\n\n".join([
    "（上接B1版）",
    "下一步，开发区将聚焦新能源、新材料两大主导产业，力争全年完成固定资产投资120亿元。",
    "吕梁经济技术开发区", "## 召开安全生产会议", "科学导报讯 近日，吕梁经济技术开发区召开安全生产工作会议。韩梅",
])


def _pages(**named: str) -> dict:
    return {name: segment(page_from_text(text, name)) for name, text in named.items()}


def test_page_edition_from_file_name():
    assert page_edition("2024-05-10_D5.txt") == "D5"
    assert page_edition("科学导报-B03版.txt") == "B3"
    assert page_edition("000_286ba06e5f1ed683.txt") is None


def test_head_and_fragment_become_one_article():
    by_page = _pages(**{"p_B1.txt": HEAD_PAGE, "p_B3.txt": FRAGMENT_PAGE})
    head, fragment = by_page["p_B1.txt"][0], by_page["p_B3.txt"][0]
    assert (head.continues_to, fragment.continued_from) == ("B3版", "B1版")
    out = stitch(by_page)
    assert [(a.source, a.title) for a in out] == [
        ("p_B1.txt", "建设一流园区 打造开放高地"), ("p_B1.txt", "推进营商环境改革"), ("p_B3.txt", "召开安全生产会议")]
    joined = out[0]
    assert joined.text == head.text + "\n" + fragment.text
    assert joined.continues_to is None and joined.continued_from is None
    assert joined.authors == ("邵明",)
    assert joined.parts == (("p_B1.txt", head.start, head.end), ("p_B3.txt", fragment.start, fragment.end))
    assert (joined.start, joined.end, joined.index) == (head.start, head.end, head.index)


def test_known_editions_veto_a_wrong_pair():
    # the fragment page says it is B4, the head points to B3: no join
    by_page = _pages(**{"p_B1.txt": HEAD_PAGE, "p_B4.txt": FRAGMENT_PAGE})
    out = stitch(by_page)
    assert len(out) == sum(len(v) for v in by_page.values())
    assert out[0].continues_to == "B3版"
    # explicit editions override what the file names say
    out = stitch(by_page, editions={"p_B4.txt": "B3"})
    assert len(out) == 3 and len(out[0].parts) == 2


def test_unknown_editions_prefer_a_later_page_in_the_order_given():
    by_page = _pages(**{"x.txt": FRAGMENT_PAGE, "y.txt": HEAD_PAGE, "z.txt": FRAGMENT_PAGE})
    out = stitch(by_page)
    joined = [a for a in out if len(a.parts) == 2]
    assert len(joined) == 1 and joined[0].parts[1][0] == "z.txt"
    assert [a.continued_from for a in out if a.source == "x.txt"][0] == "B1版"   # left alone


def test_no_partner_leaves_everything_unchanged():
    by_page = {s: segment(read_page(SEEDS / s)) for s in ("000_286ba06e5f1ed683.txt", "001_921a460d1081b484.txt")}
    out = stitch(by_page)
    assert out == [a for s in by_page for a in by_page[s]]


def test_chains_are_followed():
    middle = "（上接B1版）\n\n开发区新建道路12公里，完善水电气暖配套，园区承载能力持续提升。（下转B5版）\n"
    last = "（上接B3版）\n\n今年前三季度，园区规上工业增加值同比增长9.2%。\n"
    by_page = _pages(**{"a_B1.txt": HEAD_PAGE, "a_B3.txt": middle, "a_B5.txt": last})
    out = stitch(by_page)
    first = out[0]
    assert [p[0] for p in first.parts] == ["a_B1.txt", "a_B3.txt", "a_B5.txt"]
    assert first.text.endswith("同比增长9.2%。") and first.continues_to is None
    assert len(out) == 2


def test_with_unknown_editions_the_fragment_that_continues_the_story_wins_over_page_order():
    head = "\n\n".join([
        "光伏产业链加速集聚", "邢伟",
        "走进丰源新兴产业园区，晶华能源年产30GW电池片项目建设正酣。晶华能源项目总投资180亿元。",
        "晶华能源带动上下游配套企业落户，园区光伏产业链日益完善。（下转 C4 版）",
    ])
    same_story = "（上接C1版）\n\n晶华能源项目投产后，晶华能源将新增就业岗位6000个，光伏配套企业达到40家。\n"
    other_story = "（上接C1版）\n\n下一步，开发区将持续优化营商环境，全力推动重点工作落实见效。\n"
    by_page = _pages(**{"a.txt": same_story, "b.txt": head, "c.txt": other_story})
    out = stitch(by_page)
    joined = [a for a in out if len(a.parts) == 2]
    assert len(joined) == 1 and [p[0] for p in joined[0].parts] == ["b.txt", "a.txt"]
    assert [a.continued_from for a in out if a.source == "c.txt"] == ["C1版"]
