"""Segmenter cues on synthetic pages (our own words), one cue per test, plus degenerate pages and
the real development pages (../shared/dev_pages, read by relative path when present)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kaifaqu_llm.evaluate.gold import load_gold, squash
from kaifaqu_llm.evaluate.segments import score_segmentation
from kaifaqu_llm.pages.boundary import THRESHOLD, WEIGHTS, Context, block_cues, usual_gap
from kaifaqu_llm.pages.bylines import is_caption, is_dateline, lead_authors, parse_byline, photo_credit
from kaifaqu_llm.pages.layout import classify, is_zone_name, split_lines
from kaifaqu_llm.pages.reader import read_page
from kaifaqu_llm.pages.segment import _kinds, segment_text

DEV_PAGES = Path(__file__).resolve().parents[3] / "shared" / "dev_pages"

P1 = "3月5日,示例经济开发区举行项目集中签约仪式,共签约12个项目,总投资48亿元。"
P2 = "据介绍,这批项目涵盖新材料、智能装备和现代物流等领域,建成后预计年产值超过百亿元。"
P3 = "近日,某市高新区发布一季度经济运行数据,规模以上工业增加值同比增长8.2%。"
P4 = "该区负责人表示,下一步将继续优化营商环境,推动更多项目早落地、早投产。"


def _titles(text: str) -> list[str | None]:
    return [a.title for a in segment_text(text)]


# --- the scored boundary decision --------------------------------------------

def test_every_weight_is_explained_and_only_the_strong_cues_decide_alone():
    assert all(isinstance(w, float) and len(why) > 10 for w, why in WEIGHTS.values())
    alone = {c for c, (w, _) in WEIGHTS.items() if w >= THRESHOLD}
    assert alone == {"markdown", "zone_line", "zone_prefix", "author_line", "dateline"}


def test_bare_headline_after_an_article_without_byline_opens_a_new_article():
    page = f"示例开发区签约十二个项目\n\n{P1}\n\n{P2}\n\n\n某市高新区一季度工业增加值增长8.2%\n\n{P3}\n\n{P4}\n"
    arts = segment_text(page)
    assert [a.title for a in arts] == ["示例开发区签约十二个项目", "某市高新区一季度工业增加值增长8.2%"]
    assert squash(arts[0].text) == squash(P1 + P2) and squash(arts[1].text) == squash(P3 + P4)


def test_the_same_head_without_blank_run_or_lead_stays_a_section_head():
    page = f"示例开发区签约十二个项目\n\n{P1}\n\n优化服务\n\n{P4}\n"
    arts = segment_text(page)
    assert len(arts) == 1 and "优化服务" in arts[0].text
    lines = split_lines(page)
    kinds, _ = _kinds(lines)
    cues = block_cues(lines, kinds, 2, 3, Context(usual_gap(lines), arts[0].title))
    assert set(cues) == {"after_sentence", "short_title"}


@pytest.mark.parametrize("mark", ["！", "？", "!"])
def test_headlines_ending_in_exclamation_or_question_marks(mark):
    page = f"示例开发区签约十二个项目\n\n{P1}\n\n\n某市高新区开局良好{mark}\n\n{P3}\n"
    assert _titles(page) == ["示例开发区签约十二个项目", f"某市高新区开局良好{mark}"]


def test_a_headline_after_an_unfinished_line_is_a_broken_sentence():
    page = f"示例开发区签约十二个项目\n\n3月5日,示例经济开发区举行\n\n\n项目集中签约仪式共签约\n\n{P3}\n"
    assert _titles(page) == ["示例开发区签约十二个项目"]


def test_a_headline_repeated_inside_its_body_stays_in_the_body():
    head = "示例省开发区综合评价结果出炉 示例经济开发区位列前三"
    page = f"{head}\n\n{P1}\n\n{head}\n\n{P2}\n\n{P4}\n"
    arts = segment_text(page)
    assert [a.title for a in arts] == [head] and squash(head) in squash(arts[0].text)


def test_a_page_broken_before_every_punctuation_mark_is_one_article():
    page = "示例开发区签约十二个项目\n\n3月5日\n,示例经济开发区举行签约仪式\n,共签约12个项目\n。\n据介绍\n,项目涵盖新材料\n。\n"
    arts = segment_text(page)
    assert len(arts) == 1 and arts[0].title == "示例开发区签约十二个项目"
    assert squash(arts[0].text) == "3月5日,示例经济开发区举行签约仪式,共签约12个项目。据介绍,项目涵盖新材料。"


def test_zone_line_with_its_other_name_in_brackets():
    assert is_zone_name("示例新区(自贸试验区示例片区)") and is_zone_name("示例新区（示例片区）")
    assert not is_zone_name("建设一流园区(示例)")
    page = f"示例新区(自贸试验区示例片区)\n\n## 一季度十个项目开工\n\n{P1}\n"
    assert segment_text(page)[0].zone_header == "示例新区(自贸试验区示例片区)"


# --- bylines, datelines, captions ---------------------------------------------

@pytest.mark.parametrize("text, names", [
    ("(作者:李明)", ("李明",)),
    ("(记者王强实习记者赵敏)", ("王强", "赵敏")),
    ("(示例广电-第1频道TV记者 张伟 特约记者 刘洋)", ("张伟", "刘洋")),
    ("(文/本报记者 干小川 图/本报记者 李明)", ("干小川", "李明")),   # after a role, any surname
    ("赵敏 记者 王强", ("赵敏", "王强")),
    ("干小川", None),                                                 # no role: surname must be known
])
def test_byline_shapes(text, names):
    assert parse_byline(text) == names


@pytest.mark.parametrize("lead, names", [
    ("本报示例6月7日电 (记者 王强)示例新片区6日举行", ("王强",)),
    ("示例日报2月18日讯(全媒体记者 张伟 通讯员 刘洋)今天", ("张伟", "刘洋")),
    ("示例网3月13日电 (李明)示例市招商大会13日举行", ("李明",)),
    ("6月22日10时讯 记者从示例区获悉", ()),
])
def test_dated_datelines_and_their_reporters(lead, names):
    assert is_dateline(lead) and lead_authors(lead) == names


def test_captions_stay_in_the_body_and_photographers_are_not_authors():
    caption = "工人在示例开发区新建厂房内调试设备。本报记者 李明 摄"
    page = (f"## 示例开发区一季度开门红\n\n{caption}\n\n本报3月5日讯(记者 王强){P1[5:]}\n\n"
            f"图为:示例开发区夜景(张伟 摄)\n\n{P2}\n\n图为:新建的物流中心(刘洋 摄)\n")
    arts = segment_text(page)
    assert len(arts) == 1
    art = arts[0]
    assert art.authors == ("王强",)
    assert art.captions == (caption, "图为:示例开发区夜景(张伟 摄)", "图为:新建的物流中心(刘洋 摄)")
    assert squash(art.text).startswith(squash(caption)) and squash(art.text).endswith("(刘洋摄)")
    assert art.to_json()["captions"] == list(art.captions)
    assert photo_credit(caption) == (("李明",), caption.index("本报记者"))
    assert classify("图为:示例开发区夜景") == "caption" and not is_caption("他拍摄了一张照片")


def test_articles_without_captions_keep_the_json_contract():
    assert "captions" not in segment_text(f"示例标题\n\n{P1}\n")[0].to_json()


# --- degenerate pages: no error, an explainable result ------------------------

def test_a_page_that_is_one_long_line():
    arts = segment_text(P1 * 400)
    assert len(arts) == 1 and arts[0].title is None and squash(arts[0].text) == squash(P1 * 400)


def test_a_page_of_only_short_lines_is_one_untitled_article_or_headlines_without_body():
    page = "\n".join(["示例开发区", "项目建设", "招商引资", "优化服务"] * 5)
    arts = segment_text(page)
    # no line is followed by body text, so there is no header block: one untitled article holds everything
    assert len(arts) == 1 and arts[0].title is None and squash(arts[0].text) == squash(page)


def test_a_page_of_only_headlines():
    page = "\n\n".join(f"## 示例开发区第{n}批项目集中开工" for n in range(1, 6))
    arts = segment_text(page)
    assert len(arts) == 1 and arts[0].title is None and arts[0].text.count("##") == 5


def test_a_page_without_blank_lines_still_splits_on_strong_cues():
    page = f"示例经济开发区\n## 示例开发区签约十二个项目\n{P1}\n{P2}\n示例高新区\n## 某市高新区开局良好\n{P3}\n{P4}\n"
    arts = segment_text(page)
    assert [(a.zone_header, a.title) for a in arts] == [
        ("示例经济开发区", "示例开发区签约十二个项目"), ("示例高新区", "某市高新区开局良好")]


# --- real development pages -------------------------------------------------------

@pytest.mark.skipif(not DEV_PAGES.is_dir(), reason="../shared/dev_pages not present")
def test_real_development_pages_segment_at_the_target_rates():
    gold = load_gold(DEV_PAGES)
    segs = {src: segment_text(read_page(DEV_PAGES / src).text, src) for src in gold}
    overall = score_segmentation(gold, segs)["overall"]
    assert overall["spurious"] == 0
    for check in ("found", "title", "zone_header", "authors", "body_exact"):
        assert overall["rates"][check] >= 0.95, (check, overall["rates"])


def test_a_lead_that_retells_its_headline_opens_an_article_without_a_blank_run():
    head = "某市高新区十个重大项目今日集中开工"  # 16+ characters: long_title holds too
    lead = "某市高新区十个重大项目今日集中开工,总投资三十亿元,涵盖新材料和智能装备等领域。"
    page = f"示例开发区签约十二个项目\n\n{P1}\n\n{head}\n\n{lead}\n\n{P4}\n"
    lines = split_lines(page)
    kinds, _ = _kinds(lines)
    assert "lead_restates" in block_cues(lines, kinds, 2, 3, Context(usual_gap(lines), "示例开发区签约十二个项目"))
    assert _titles(page) == ["示例开发区签约十二个项目", head]
