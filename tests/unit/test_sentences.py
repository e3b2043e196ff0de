"""The sentence evidence form: sentences keep their offsets, citations parse, cited numbers become the sentences' text."""

from __future__ import annotations

import pytest

from kaifaqu_llm.core.document import Article, Page
from kaifaqu_llm.core.schema import ArticleProfile
from kaifaqu_llm.ground.records import build_record
from kaifaqu_llm.ground.sentences import cite_sentences, citation_ids, numbered_text, parse_citation, split_sentences

TEXT = "记者 6月3日，青山高新区新签约项目12个。总投资45亿元；“我们有信心！”他说\n园区将建设科创中心?\n\n  末句无句号"


def test_sentences_end_at_marks_and_line_breaks_with_exact_offsets() -> None:
    sentences = split_sentences(TEXT)
    assert [s.text for s in sentences] == ["记者 6月3日，青山高新区新签约项目12个。", "总投资45亿元；", "“我们有信心！”",
                                           "他说", "园区将建设科创中心?", "末句无句号"]
    assert [s.number for s in sentences] == list(range(1, 7))
    assert all(TEXT[s.start:s.end] == s.text for s in sentences)
    assert split_sentences("") == [] and split_sentences(" \n\n ") == []


def test_numbered_text_shows_one_sentence_a_line() -> None:
    lines = numbered_text(TEXT).splitlines()
    assert lines[0] == "[S1] 记者 6月3日，青山高新区新签约项目12个。" and lines[-1] == "[S6] 末句无句号" and len(lines) == 6


@pytest.mark.parametrize(("evidence", "numbers"), [
    ("S3", [3]), ("S3,S4", [3, 4]), ("[S3]、[S5]", [3, 5]), ("S3-S5", [3, 4, 5]), ("s2， S1", [1, 2]),
    ("S4至S6", [4, 5, 6]), ("新签约项目12个", None), ("", None), ("S3是开工项目", None),
])
def test_citations_parse_and_quotes_do_not(evidence, numbers) -> None:
    assert parse_citation(evidence) == numbers


def test_a_bare_number_is_no_named_citation() -> None:
    assert citation_ids("S9") == ["S9"] and citation_ids("[S2],S7") == ["S2", "S7"]
    assert citation_ids("12") is None and citation_ids("12个") is None


def _ground(text: str, answer: dict) -> dict:
    """Ground ``answer`` (sentence numbers resolved against ``text``) in a page holding ``text`` after a header."""
    header = "第3版 要闻\n"
    page = Page("p.txt", header + text)
    article = Article(source="p.txt", index=0, title=None, text=text, start=len(header), end=len(header) + len(text))
    profile = cite_sentences(ArticleProfile.model_validate(answer), text)
    return build_record(article, profile, {"p.txt": page}, backend="llm")


def test_cited_sentences_map_to_exact_page_offsets() -> None:
    record = _ground(TEXT, {
        "zones": [{"mention": "青山高新区", "evidence": "S1"}],
        "indicators": [{"name": "总投资", "value": 45, "unit": "亿元", "evidence": "S1,S2"},
                       {"name": "新签约项目", "value": 12, "unit": "个", "evidence": "S1,S5"}],
        "projects": [{"name": "科创中心", "evidence": "[S5]"}],
    })
    page = "第3版 要闻\n" + TEXT
    zone, = record["zones"]
    assert zone["grounded"] and zone.get("match") is None  # exact
    assert page[zone["start"]:zone["end"]] == "记者 6月3日，青山高新区新签约项目12个。"
    adjacent, apart = record["indicators"]
    assert adjacent["grounded"] and page[adjacent["start"]:adjacent["end"]] == "记者 6月3日，青山高新区新签约项目12个。总投资45亿元；"
    assert apart["grounded"] and apart["evidence"] == "记者 6月3日，青山高新区新签约项目12个。……园区将建设科创中心?"
    assert apart["match"] == "ellipsis" and page[apart["start"]:apart["end"]].endswith("科创中心?")
    assert record["projects"][0]["evidence"] == "园区将建设科创中心?" and record["projects"][0]["grounded"]


def test_an_unknown_sentence_number_leaves_the_fact_ungrounded_with_a_reason() -> None:
    record = _ground(TEXT, {"zones": [{"mention": "青山高新区", "evidence": "S9"}],
                            "people": [{"name": "王波", "evidence": "S1,S40"}]})
    zone, person = record["zones"][0], record["people"][0]
    assert not zone["grounded"] and zone["start"] is None and zone["evidence"] == "S9"
    assert "S9" in zone["ungrounded_reason"] and "does not have" in zone["ungrounded_reason"]
    assert not person["grounded"] and "S1,S40" in person["ungrounded_reason"]  # one bad number spoils the citation


def test_evidence_that_is_a_quote_passes_through() -> None:
    profile = ArticleProfile.model_validate({"zones": [{"mention": "青山高新区", "evidence": "青山高新区新签约项目12个"}]})
    assert cite_sentences(profile, TEXT) is profile
