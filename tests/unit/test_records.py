"""Profile records: each fact grounded in the page, flagged or dropped when not."""

import json
from pathlib import Path

from kaifaqu_llm import extract, read_page
from kaifaqu_llm.core.document import Article, Page
from kaifaqu_llm.core.record import ProfileRecord
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


def _line(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def test_records_are_their_typed_model_dumped_and_optional_keys_appear_only_when_set():
    strict = build_record(ARTICLE, _profile(), {"p.txt": PAGE}, backend="llm", strict=True,
                          extra={"cache_key": "k1"})
    loose = build_record(ARTICLE, _profile(), {"p.txt": PAGE}, backend="llm")
    for record in (strict, loose, error_record(ARTICLE, "boom", backend="llm")):
        assert _line(ProfileRecord.model_validate(record).model_dump(mode="json")) == _line(record)
    assert list(strict)[-3:] == ["error", "dropped_ungrounded", "cache_key"]
    assert "dropped_ungrounded" not in loose and "cache_key" not in loose
    good, wrong_value, invented = loose["indicators"]
    assert good["match"] == "folded" and "ungrounded_reason" not in good and "match" not in invented
    assert list(good)[-4:] == ["grounded", "start", "end", "match"]


def test_seed_records_round_trip_through_the_typed_model_byte_for_byte(tmp_path):
    seeds = sorted((Path(__file__).resolve().parents[2] / "seeds").glob("*.txt"))
    result = extract([read_page(p) for p in seeds], tmp_path, backend="rules")
    lines = (tmp_path / "profiles.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(result.records) > 0
    for line in lines:
        assert _line(ProfileRecord.model_validate_json(line).model_dump(mode="json")) == line
