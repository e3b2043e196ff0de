"""Salvage (issue #18): valid facts survive an invalid one; reasks only for what was lost, within budget."""

from __future__ import annotations

import json

import pytest

from kaifaqu_llm.extract.cache import ProfileCache
from kaifaqu_llm.extract.llm.salvage import reask_message, reask_temperature, salvage
from kaifaqu_llm.run.pipeline import ExtractOptions, extract
from tests.conftest import REPO, make_article
from tests.support.fake_openai_server import FakeOpenAIServer, build_profile, content_reply, profile_reply
from tests.support.backend_runs import extract_one

ARTICLE = make_article()
GOOD = build_profile(ARTICLE.text)  # a zone and an indicator, quoting the article
ORG = {"name": "邮储银行运城分行", "kind": "银行", "evidence": "盐湖高新区与邮储银行运城分行举行金融战略合作签约仪式"}
PERSON = {"name": "张三", "title": "主任", "evidence": "园区内20余家规模以上企业参会"}
BAD_ITEMS = {
    "a null value": ("indicators", {"name": "院士工作站", "value": None, "unit": "家", "evidence": "建成院士工作站5家"}),
    "a missing evidence": ("organizations", {"name": "运城农商银行", "kind": "银行"}),  # named nowhere in the text
    "a wrong type": ("indicators", {"name": "资金需求", "value": {"amount": 1.2}, "unit": "亿元",
                                    "evidence": "帮助企业解决资金需求1.2亿元"}),
}


def run(config, article=ARTICLE, **kwargs):  # type: ignore[no-untyped-def]
    return extract_one(config, article, **kwargs)


def answer_with(bad_list: str, bad_item: dict) -> dict:
    """A rich valid answer with one invalid item added to ``bad_list``."""
    profile = json.loads(json.dumps(GOOD, ensure_ascii=False))
    profile["organizations"] = [ORG]
    profile["people"] = [PERSON]
    profile.setdefault(bad_list, []).append(bad_item)
    return profile


@pytest.mark.parametrize("kind", list(BAD_ITEMS))
def test_one_invalid_item_is_dropped_the_rest_kept_without_a_reask(fake_server, make_config, kind) -> None:
    bad_list, bad_item = BAD_ITEMS[kind]
    fake_server.push(profile_reply(answer_with(bad_list, bad_item)))
    result = run(make_config())
    assert result.error is None, result.error
    assert len(fake_server.requests) == 1  # enough survived: not asked again
    assert [o.name for o in result.profile.organizations] == [ORG["name"]]
    assert result.profile.zones and result.profile.indicators and result.profile.people
    (rejected,) = result.rejected
    assert rejected["list"] == bad_list and rejected["item"] == bad_item and rejected["reason"]
    assert (result.usage.rejected, result.usage.reasks, result.usage.retries) == (1, 0, 0)


def test_reask_asks_only_for_what_was_lost_and_merges_the_fix(fake_server, make_config) -> None:
    broken = [dict(item, value=None) for item in BAD_ITEMS["a null value"][1:]] * 2  # two lost, one zone kept
    first = {"zones": GOOD["zones"], "indicators": broken}
    fixed = {"indicators": [{"name": "院士工作站", "value": 5, "unit": "家", "evidence": "建成院士工作站5家"}]}
    fake_server.push(profile_reply(first), profile_reply(fixed))
    result = run(make_config())
    assert result.error is None, result.error
    one, two = fake_server.requests
    (note,) = two.body["messages"][len(one.body["messages"]):]
    assert "院士工作站" in note["content"] and "\\u" not in note["content"]  # the invalid items, CJK as is
    assert GOOD["zones"][0]["evidence"] not in note["content"]  # not the whole answer again
    assert two.body["temperature"] != one.body["temperature"]
    assert [i.value for i in result.profile.indicators] == [5.0] and len(result.profile.zones) == 1
    assert (result.usage.requests, result.usage.reasks, result.usage.rejected) == (2, 1, 2)


def test_article_fails_only_when_nothing_usable_came_back(fake_server, make_config) -> None:
    bad = {"indicators": [{"name": "x", "value": None, "unit": "家", "evidence": "建成院士工作站5家"}]}
    fake_server.push(*[profile_reply(bad)] * 3)
    result = run(make_config(reask=2))
    assert result.profile is None and "no valid profile after 3 attempt(s): indicators" in result.error
    assert result.usage.reasks == 2 and result.usage.requests == 3
    # an empty answer is usable: an article may hold no facts
    fake_server.push(profile_reply({"zones": [], "summary": None}))
    assert run(make_config()).error is None


def test_reask_stays_within_the_context_budget() -> None:
    huge = [{"list": "indicators", "item": {"name": "指标" * 300, "value": None}, "reason": "value: 不是数字"}] * 40
    note = reask_message(1, rejected=huge)["content"]
    assert len(note) < 6000 and "另有 28 条" in note  # at most 12 items, each cut at 400 characters
    again = reask_message(2, rejected=huge)["content"]
    assert again != note  # numbered: never byte-identical to the reask before
    assert [reask_temperature(0.0, n) for n in (1, 2)] == [0.2, 0.4] and reask_temperature(1.0, 1) == 0.8


def test_salvage_unit() -> None:
    profile, rejected = salvage({"zones": {"mention": "盐湖高新区", "evidence": "盐湖高新区"}, "people": "张三",
                                 "summary": "  "})
    assert [z.mention for z in profile.zones] == ["盐湖高新区"] and profile.summary is None
    assert rejected == [{"list": "people", "item": "张三", "reason": "not a list"}]


def test_rejected_facts_reach_the_record_and_the_cache(tmp_path) -> None:
    page = sorted((REPO / "seeds").glob("*.txt"))[0]

    def script(request):  # type: ignore[no-untyped-def]
        profile = build_profile(request.article)
        profile["people"] = [{"name": "某人", "title": "主任"}]  # no evidence
        return content_reply(json.dumps(profile, ensure_ascii=False))

    from tests.conftest import FAST_RETRY
    from kaifaqu_llm.extract.llm.config import ModelConfig

    with FakeOpenAIServer(script) as server:
        config = ModelConfig.resolve(model="fake-model", base_url=server.url, env={}, retry=FAST_RETRY, timeout=5.0)
        options = ExtractOptions(backend="llm", cache_dir=str(tmp_path / "cache"))
        result = extract([page], tmp_path / "out", config=config, options=options)
        again = extract([page], tmp_path / "out2", config=config, options=options)
    records = [r for r in result.records if r["error"] is None]
    assert records and all(r["rejected"][0]["item"] == {"name": "某人", "title": "主任"} for r in records)
    assert all(r["usage"]["rejected"] == 1 for r in records)
    assert [r.get("rejected") for r in again.records] == [r.get("rejected") for r in result.records]  # cache hits
    assert all(r["usage"]["cache_hit"] for r in again.records)
    assert result.usage.rejected == len(records)


def test_a_missing_evidence_is_mended_from_a_field_that_quotes_the_text(fake_server, make_config) -> None:
    answer = answer_with("events", {"date": "5月28日", "what": "盐湖高新区与邮储银行运城分行举行金融战略合作签约仪式"})
    answer["projects"] = [{"name": "院士工作站", "investment": 1.2, "evidence": "建成院士工作站5家"}]
    answer["organizations"].append({"name": "运城分行", "kind": "银行"})  # its name is a quote: the evidence
    fake_server.push(profile_reply(answer))
    result = run(make_config())
    assert result.error is None and result.rejected == []
    (event,) = result.profile.events
    assert event.evidence == event.what  # the quote it gave, checked by grounding like any evidence
    assert result.profile.projects[0].investment == "1.2"  # a number where text is expected
    assert [o.evidence for o in result.profile.organizations][-1] == "运城分行"

