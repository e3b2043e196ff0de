import json
from pathlib import Path

import pytest

from kaifaqu_llm.core.facts import eval_rows
from kaifaqu_llm.evaluate.scores import (
    fact_matches,
    format_table,
    load_segments,
    names_agree,
    score_profiles,
)
from kaifaqu_llm.core.errors import GoldFormatError, InputError
from kaifaqu_llm.evaluate.gold import load_gold
from kaifaqu_llm.outputs.files import read_profiles

CATEGORIES = [row.name for row in eval_rows()]

GOLD_ARTICLE = {
    "index": 0, "zone_header": "平遥经济技术开发区", "title": "项目建设提速", "subtitle": None,
    "body_start": "x", "body_end": "y", "authors": ["王波"], "continued_from": None, "continues_to": None,
    "zones": [{"mention": "平遥经开区", "canonical": "平遥经济技术开发区", "type": "经济技术开发区", "primary": True}],
    "industries": ["装备制造"],
    "indicators": [
        {"subject": "平遥经开区", "name": "规模以上工业增加值", "value": "12.5", "unit": "亿元", "evidence": "e"},
        {"subject": "平遥经开区", "name": "入驻企业数量", "value": "20", "unit": "余家", "evidence": "e"},
    ],
    "projects": [{"name": "年产5万吨碳纤维项目", "investment": "3亿元", "evidence": "e"}],
    "organizations": ["山西某某科技有限公司", "太原理工大学"],
    "people": [{"name": "孙建国", "title": "管委会主任"}],
    "events": [{"date": "5月18日", "what": "平遥经开区与太原理工大学签署战略合作协议"}],
}


@pytest.fixture
def gold_dir(tmp_path):
    d = tmp_path / "gold"
    d.mkdir()
    (d / "p1.json").write_text(json.dumps({"source": "p1.txt", "articles": [GOLD_ARTICLE]}, ensure_ascii=False),
                               encoding="utf-8")
    return d


def perfect_record():
    return {
        "source": "p1.txt", "article_index": 0,
        "zones": [{"mention": "平遥经开区", "canonical": "平遥经济技术开发区"}],
        "industries": [{"name": "装备制造"}],
        "indicators": [{"name": "规模以上工业增加值", "value": 12.5, "unit": "亿元"},
                       {"name": "入驻企业数量", "value": 20, "unit": "余家"}],
        "projects": [{"name": "年产5万吨碳纤维项目"}],
        "organizations": [{"name": "山西某某科技有限公司"}, {"name": "太原理工大学"}],
        "people": [{"name": "孙建国", "title": "主任"}],
        "events": [{"date": "5月18日", "what": "平遥经开区与太原理工大学签署战略合作协议"}],
    }


def test_perfect_prediction_scores_one_everywhere(gold_dir):
    scores = score_profiles(load_gold(gold_dir), [perfect_record()])
    for category in CATEGORIES:
        s = scores["overall"][category]
        assert (s["precision"], s["recall"], s["f1"]) == (1.0, 1.0, 1.0), category
    assert scores["pages"]["p1.txt"]["people"]["tp"] == 1


def test_empty_prediction_has_zero_recall(gold_dir):
    scores = score_profiles(load_gold(gold_dir), [{"source": "p1.txt"}])
    for category in CATEGORIES:
        assert scores["overall"][category]["recall"] == 0.0
        assert scores["overall"][category]["f1"] == 0.0


def test_missing_page_counts_as_misses_and_unknown_pages_are_listed(gold_dir):
    scores = score_profiles(load_gold(gold_dir), [{**perfect_record(), "source": "other.txt"}])
    assert scores["overall"]["zones"]["fn"] == 1
    assert scores["unscored_sources"] == ["other.txt"]


def test_lenient_matching_rules(gold_dir):
    record = {
        "source": "p1.txt",
        "zones": [{"mention": "平遥经济技术开发区", "canonical": None}],
        # 余 ignored; 12.50 numerically equal; a wrong unit does not match
        "indicators": [{"name": "规上工业增加值", "value": 12.50, "unit": "亿元"},
                       {"name": "营业收入", "value": 20, "unit": "家"},
                       {"name": "税收", "value": 3, "unit": "亿元"}],
        "projects": [{"name": "碳纤维项目"}],
        "organizations": [{"name": "某某科技有限公司"}, {"name": "太原理工大学"}, {"name": "太原理工大学"}],
        "people": [{"name": "孙建"}],
        "events": [{"date": "今年5月18日", "what": "与太原理工大学签署战略合作协议"}],
    }
    overall = score_profiles(load_gold(gold_dir), [record])["overall"]
    assert overall["zones"]["tp"] == 1
    assert (overall["indicators"]["tp"], overall["indicators"]["fp"]) == (2, 1)
    assert overall["indicators_named"]["tp"] == 1  # 营业收入 does not name 入驻企业数量
    assert overall["projects"]["tp"] == 1
    assert (overall["organizations"]["tp"], overall["organizations"]["fp"]) == (2, 0)  # duplicates pooled once
    assert overall["people"]["tp"] == 0  # people match on the exact name
    assert overall["events"]["tp"] == 1


def test_industries_and_events_are_scored_rows(gold_dir):
    assert {"industries", "events"} <= set(CATEGORIES)
    record = {"source": "p1.txt",
              "industries": [{"name": "高端装备制造"}, {"name": "装备制造"}, {"name": "新材料"}],
              "events": [{"date": "5月18日", "what": "平遥经开区与太原理工大学签约"},
                         {"date": "6月1日", "what": "平遥经开区与太原理工大学签署战略合作协议"}]}
    overall = score_profiles(load_gold(gold_dir), [record])["overall"]
    # names by containment, one-to-one: the exact 装备制造 pairs first, 高端装备制造 and 新材料 are extra
    assert (overall["industries"]["tp"], overall["industries"]["fp"], overall["industries"]["fn"]) == (1, 2, 0)
    # an event needs the date to agree as well as the description
    assert (overall["events"]["tp"], overall["events"]["fp"], overall["events"]["fn"]) == (1, 1, 0)


def test_one_gold_fact_matches_one_prediction(gold_dir):
    record = {"source": "p1.txt", "indicators": [{"name": "a", "value": 12.5, "unit": "亿元", "evidence": "x"},
                                                 {"name": "b", "value": 12.5, "unit": "亿元", "evidence": "y"}]}
    s = score_profiles(load_gold(gold_dir), [record])["overall"]["indicators"]
    assert (s["tp"], s["fp"], s["fn"]) == (1, 1, 1)


def test_names_agree():
    assert names_agree("规模以上工业增加值", "规上工业增加值")
    assert names_agree("院士工作站数量", "院士工作站")
    assert not names_agree("规模以上工业增加值", "固定资产投资")
    assert not names_agree("亿元", "")


def test_fact_matches_accepts_bare_names_and_normalised_units():
    assert fact_matches("organizations", "太原理工大学", {"name": "太原理工大学"})
    assert fact_matches("indicators", {"value": "2", "unit": "万余人"}, {"value": 20000, "unit": "人"})
    assert not fact_matches("indicators", {"value": "2", "unit": "万人"}, {"value": 2, "unit": "人"})


def test_facts_of_stitched_articles_count_on_the_page_of_their_evidence(gold_dir):
    record = {"source": "p0.txt", "people": [{"name": "孙建国", "evidence_source": "p1.txt"}]}
    assert score_profiles(load_gold(gold_dir), [record])["overall"]["people"]["tp"] == 1


def test_format_table_lists_every_category(gold_dir):
    table = format_table(score_profiles(load_gold(gold_dir), [perfect_record()]))
    for category in CATEGORIES:
        assert category in table


def test_read_profiles_names_file_and_line_of_a_bad_record(tmp_path):
    path = tmp_path / "profiles.jsonl"
    path.write_text(json.dumps({"source": "a.txt"}) + "\n\n{not json\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"profiles\.jsonl:3"):
        read_profiles(path)
    path.write_text('{"source": "a.txt"}\n[1, 2]\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"profiles\.jsonl:2"):
        read_profiles(path)
    path.write_text('{"source": "a.txt", "zones": []}\n', encoding="utf-8")
    assert read_profiles(path) == [{"source": "a.txt", "zones": []}]


def test_malformed_gold_file_raises_gold_format_error_naming_it(tmp_path):
    d = tmp_path / "gold"
    d.mkdir()
    (d / "broken.json").write_text('{"source": "p.txt", "articles": [{"index": 0}]}', encoding="utf-8")
    with pytest.raises(GoldFormatError, match="broken.json"):
        load_gold(d)


def test_load_segments_reads_segment_json(tmp_path):
    path = tmp_path / "seg.json"
    path.write_text(json.dumps([{"source": "p1.txt", "encoding": "utf-8", "articles": [
        {"index": 0, "title": "标题", "zone_header": None, "text": "正文", "start": 0, "end": 9, "authors": ["王波"]}]}],
        ensure_ascii=False), encoding="utf-8")
    pages = load_segments(path)
    assert pages["p1.txt"][0].title == "标题" and pages["p1.txt"][0].authors == ("王波",)
    path.write_text('{"articles": 3}', encoding="utf-8")
    with pytest.raises(InputError, match="seg.json"):
        load_segments(path)


# --- the `kaifaqu eval` command ---------------------------------------------------------

def write_profiles(path, records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def test_cli_eval_prints_a_table_and_json(gold_dir, tmp_path, capsys):
    from kaifaqu_llm._cli import main

    profiles = write_profiles(tmp_path / "profiles.jsonl", [perfect_record()])
    assert main(["eval", "--gold", str(gold_dir), str(profiles)]) == 0
    table = capsys.readouterr().out
    assert "indicators_named" in table and "1.000" in table
    assert main(["eval", "--gold", str(gold_dir), str(profiles), "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert scores["overall"]["people"]["f1"] == 1.0


def test_cli_eval_misses_lists_what_was_missed_and_what_was_spurious(gold_dir, tmp_path, capsys):
    from kaifaqu_llm._cli import main

    record = perfect_record()
    record["people"] = [{"name": "钱多多", "title": "主任"}]
    record["organizations"] = record["organizations"][:1]
    profiles = write_profiles(tmp_path / "profiles.jsonl", [record])
    assert main(["eval", "--gold", str(gold_dir), str(profiles), "--misses"]) == 0
    out = capsys.readouterr().out
    misses = out.split("p1.txt  people", 1)[1]
    assert "  - 孙建国" in misses and "  + 钱多多" in misses
    assert "p1.txt  organizations\n  - 太原理工大学" in out
    assert "p1.txt  zones" not in out  # a category with nothing missed is not listed
    scores = score_profiles(load_gold(gold_dir), [record], misses=True)
    assert [f["name"] for f in scores["pages"]["p1.txt"]["people"]["missed"]] == ["孙建国"]
    assert "missed" not in score_profiles(load_gold(gold_dir), [record])["pages"]["p1.txt"]["people"]


def test_cli_eval_reports_bad_input_in_one_line(gold_dir, tmp_path, capsys):
    from kaifaqu_llm._cli import main

    bad = tmp_path / "profiles.jsonl"
    bad.write_text('{"source": "p1.txt"}\nnot json\n', encoding="utf-8")
    assert main(["eval", "--gold", str(gold_dir), str(bad)]) == 1
    assert "profiles.jsonl:2" in capsys.readouterr().err
    assert main(["eval", "--gold", str(tmp_path / "nowhere"), str(bad)]) == 1
    assert main(["eval", "--gold", str(gold_dir)]) == 2  # neither profiles nor --segments


def test_cli_eval_segments(gold_dir, tmp_path, capsys):
    from kaifaqu_llm._cli import main

    segments = tmp_path / "seg.json"
    segments.write_text(json.dumps([{"source": "p1.txt", "articles": [
        {"index": 0, "zone_header": "平遥经济技术开发区", "title": "项目建设提速", "text": "x正文y", "start": 0,
         "end": 5, "authors": ["王波"]}]}], ensure_ascii=False), encoding="utf-8")
    assert main(["eval", "--gold", str(gold_dir), "--segments", str(segments), "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert scores["overall"]["gold"] == 1 and scores["overall"]["rates"]["title"] == 1.0
    assert main(["eval", "--gold", str(gold_dir), "--segments", str(segments)]) == 0
    assert "overall" in capsys.readouterr().out


def test_cli_eval_bare_segments_scores_the_pages_of_a_run(tmp_path, capsys):
    from kaifaqu_llm._cli import main

    repo = Path(__file__).resolve().parents[2]
    pages = tmp_path / "pages"
    pages.mkdir()
    for gold in (repo / "tests" / "gold").glob("*.json"):
        (pages / f"{gold.stem}.txt").write_bytes((repo / "seeds" / f"{gold.stem}.txt").read_bytes())
    out = tmp_path / "out"
    assert main(["extract", str(pages), "-o", str(out), "--backend", "rules", "-q"]) == 0
    capsys.readouterr()
    profiles = str(out / "profiles.jsonl")
    assert main(["eval", "--gold", str(repo / "tests" / "gold"), profiles, "--segments", "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert scores["overall"]["gold"] == scores["overall"]["ours"] > 0 and scores["overall"]["rates"]["title"] == 1.0
    # The score is of the text the run read: a page edited since then is refused, naming it.
    first = sorted(pages.iterdir())[0]
    first.write_text(first.read_text(encoding="utf-8") + "\n补记一行。\n", encoding="utf-8")
    assert main(["eval", "--gold", str(repo / "tests" / "gold"), profiles, "--segments"]) == 1
    assert first.name in capsys.readouterr().err
    assert main(["eval", "--gold", str(repo / "tests" / "gold"), "--segments"]) == 2
