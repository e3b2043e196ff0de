"""Profile records: each fact grounded in the page, flagged or dropped when not."""

from kaifaqu_llm.core.document import Article, Page
from kaifaqu_llm.ground.records import build_record, error_record
from kaifaqu_llm.core.schema import ArticleProfile

TEXT = "甲经开区\n## 标题\n科学导报讯 今年以来,甲经开区完成投资\n\n15.6亿元,同比增长12.3%。\n"
PAGE = Page(source="p.txt", text=TEXT)
ARTICLE = Article(source="p.txt", index=0, title="标题", zone_header="甲经开区", text="body",
                  start=0, end=len(TEXT), parts=(("p.txt", 0, len(TEXT)),))


def _profile(**kw):
    base = {
        "zones": [{"mention": "甲经开区", "type": "经济技术开发区", "primary": True, "evidence": "甲经开区完成投资"}],
        "indicators": [
            {"name": "投资", "value": "15.6", "unit": "亿元", "evidence": "完成投资15.6亿元"},
            {"name": "投资", "value": "16.5", "unit": "亿元", "evidence": "完成投资15.6亿元"},
            {"name": "营收", "value": "300", "unit": "亿元", "evidence": "营收300亿元"},
        ],
    }
    base.update(kw)
    return ArticleProfile.model_validate(base)


def test_facts_are_grounded_with_page_offsets():
    record = build_record(ARTICLE, _profile(), {"p.txt": PAGE}, backend="llm", model="m")
    zone = record["zones"][0]
    assert zone["grounded"] and TEXT[zone["start"]:zone["end"]] == "甲经开区完成投资"
    good, wrong_value, invented = record["indicators"]
    assert good["grounded"] and TEXT[good["start"]:good["end"]] == "完成投资\n\n15.6亿元"
    assert not wrong_value["grounded"] and wrong_value["ungrounded_reason"] == "value not in its evidence"
    assert not invented["grounded"] and invented["start"] is None
    assert record["error"] is None and record["backend"] == "llm" and record["model"] == "m"
    assert isinstance(good["value"], float)


def test_strict_drops_ungrounded_facts_and_counts_them():
    record = build_record(ARTICLE, _profile(), {"p.txt": PAGE}, backend="llm", strict=True)
    assert len(record["indicators"]) == 1 and record["dropped_ungrounded"] == 2


def test_stitched_article_grounds_in_its_second_page():
    second = Page(source="q.txt", text="(上接D1版)\n项目总投资32亿元。")
    article = Article(source="p.txt", index=0, title="标题", text="b", start=0, end=len(TEXT),
                      parts=(("p.txt", 0, len(TEXT)), ("q.txt", 0, len(second.text))))
    profile = ArticleProfile.model_validate(
        {"projects": [{"name": "某项目", "investment": "32亿元", "evidence": "项目总投资32亿元"}]}
    )
    record = build_record(article, profile, {"p.txt": PAGE, "q.txt": second}, backend="rules")
    project = record["projects"][0]
    assert project["grounded"] and project["evidence_source"] == "q.txt"
    assert second.text[project["start"]:project["end"]] == "项目总投资32亿元"
    assert record["parts"] == [["p.txt", 0, len(TEXT)], ["q.txt", 0, len(second.text)]]


def test_error_record_keeps_the_article_and_the_error():
    record = error_record(ARTICLE, "server kept failing", backend="llm")
    assert record["error"] == "server kept failing" and record["indicators"] == []
    assert record["title"] == "标题" and record["article_start"] == 0
