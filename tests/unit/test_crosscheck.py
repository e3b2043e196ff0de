from kaifaqu_llm.extract.hybrid import cross_check, numbers_in_text
from kaifaqu_llm.core.document import Article
from kaifaqu_llm.extract.rules.backend import extract_rules
from kaifaqu_llm.core.schema import ArticleProfile

TEXT = ("科学导报讯 5月18日，平遥经济技术开发区与太原理工大学签署合作协议。今年以来，平遥经开区新引进企业12家，"
        "完成固定资产投资3.5亿元，同比增长8%。管委会主任孙建国表示，将加快建设。")


def test_numbers_in_text_reads_every_writing():
    found = numbers_in_text("增长5.0%，1,200人，两个，1.3万余人，三千五百亩，114.0亿元")
    assert {5.0, 1200.0, 2.0, 1.3, 13000.0, 3500.0, 114.0} <= found
    assert 0.0 not in found


def test_rule_facts_the_model_lacks_are_possible_misses_and_invented_numbers_are_flagged():
    article = Article(source="p.txt", index=0, title="项目建设提速", text=TEXT, start=0, end=len(TEXT))
    rules = extract_rules(article)
    model = ArticleProfile.model_validate({
        "zones": [{"mention": "平遥经开区", "canonical": "平遥经济技术开发区", "evidence": "平遥经开区"}],
        "indicators": [
            {"name": "新引进企业", "value": "12", "unit": "家", "evidence": "新引进企业12家"},
            {"name": "税收", "value": "4.2", "unit": "亿元", "evidence": "税收4.2亿元"},
        ],
        "people": [{"name": "孙建国", "title": "管委会主任", "evidence": "管委会主任孙建国"}],
    })
    result = cross_check(model, rules, TEXT)
    misses = result["possible_misses"]
    assert "zones" not in misses and "people" not in misses
    assert any("3.5 亿元" in label for label in misses["indicators"])
    assert misses["organizations"] == ["太原理工大学 高校"]  # the label the review page shows: name and kind
    assert [n["value"] for n in result["numbers_not_in_text"]] == [4.2]


def test_agreeing_profiles_have_nothing_to_report():
    article = Article(source="p.txt", index=0, title=None, text=TEXT, start=0, end=len(TEXT))
    rules = extract_rules(article)
    assert cross_check(rules, rules, TEXT) == {"possible_misses": {}, "numbers_not_in_text": []}
