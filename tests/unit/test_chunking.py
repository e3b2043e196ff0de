"""Chunking long articles: the token estimate, exact splits, and merging chunk profiles."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kaifaqu_llm.extract.chunking import estimate_tokens, merge_chunk_profiles, split_text
from kaifaqu_llm.core.schema import ArticleProfile


def test_estimate_counts_cjk_one_each_and_other_text_by_three() -> None:
    assert estimate_tokens("开发区") == 3
    assert estimate_tokens("，。“”") == 4  # full-width punctuation
    assert estimate_tokens("abcdef") == 2
    assert estimate_tokens("114.0亿元") == 2 + 2
    assert estimate_tokens("  \n\t") == 0


def test_short_text_is_one_chunk() -> None:
    assert split_text("晋城经开区。\n第二段。", 1000) == ["晋城经开区。\n第二段。"]


def test_splits_fall_between_paragraphs() -> None:
    paragraphs = ["第一段" + "甲" * 150 + "。", "第二段" + "乙" * 150 + "。", "第三段" + "丙" * 150 + "。"]
    text = "\n".join(paragraphs)
    chunks = split_text(text, 350)
    assert "".join(chunks) == text
    assert [c.rstrip("\n") for c in chunks] == [paragraphs[0] + "\n" + paragraphs[1], paragraphs[2]] or [
        c.rstrip("\n") for c in chunks
    ] == paragraphs
    assert all(c.endswith("\n") or c == chunks[-1] for c in chunks)


def test_prefers_to_break_before_an_in_body_head() -> None:
    body = "园区" + "持续发展" * 40 + "。"
    text = "\n".join([body, "做好“加法” 内培外引步步高", body, body])
    chunks = split_text(text, 250)
    assert any(c.startswith("做好“加法”") for c in chunks)


def test_an_oversized_paragraph_is_cut_at_sentence_ends() -> None:
    sentence = "园区新增企业" + "很多" * 20 + "。"
    text = sentence * 20
    chunks = split_text(text, 100)
    assert "".join(chunks) == text and len(chunks) > 1
    assert all(c.endswith("。") for c in chunks)
    assert all(estimate_tokens(c) <= 100 for c in chunks)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.text(alphabet="开发区园企业项目。，\n 123abc", min_size=0, max_size=400), min_size=1, max_size=8),
    st.integers(min_value=20, max_value=300),
)
def test_chunks_always_rebuild_the_text_within_budget(parts: list[str], budget: int) -> None:
    text = "\n".join(parts)
    chunks = split_text(text, budget)
    assert "".join(chunks) == text
    assert all(chunks) or len(chunks) == 1
    assert all(estimate_tokens(c) <= budget for c in chunks) or estimate_tokens(text) <= budget


def test_merge_dedupes_facts_and_keeps_first_summary() -> None:
    a = ArticleProfile.model_validate(
        {
            "zones": [{"mention": "晋城经开区", "canonical": "晋城经济技术开发区", "primary": False, "evidence": "晋城经开区"}],
            "indicators": [{"subject": "晋城经开区", "name": "增加值", "value": 114.0, "unit": "亿元", "evidence": "114.0亿元"}],
            "organizations": [{"name": "抖音公司", "evidence": "抖音公司"}],
            "summary": None,
        }
    )
    b = ArticleProfile.model_validate(
        {
            "zones": [{"mention": "晋城经济技术开发区", "canonical": "晋城经济技术开发区", "primary": True, "evidence": "晋城经济技术开发区"}],
            "indicators": [
                {"subject": "晋城经开区", "name": "增加值", "value": 114.0, "unit": "亿元", "evidence": "总量114.0亿元"},
                {"subject": "晋城经开区", "name": "增速", "value": 5.0, "unit": "%", "evidence": "增长5.0%"},
            ],
            "organizations": [{"name": "抖音 公司", "evidence": "抖音 公司"}, {"name": "晋城银行", "evidence": "晋城银行"}],
            "summary": "第二段的摘要",
        }
    )
    merged = merge_chunk_profiles([a, b])
    assert len(merged.zones) == 1 and merged.zones[0].primary and merged.zones[0].evidence == "晋城经开区"
    assert [i.name for i in merged.indicators] == ["增加值", "增速"]
    assert [o.name for o in merged.organizations] == ["抖音公司", "晋城银行"]
    assert merged.summary == "第二段的摘要"
