"""A reply cut at the token cap is told by the reply itself (issue #18): llama-cpp-python says
``finish_reason: "tool_calls"`` for a cut tool call. A cut answer is not asked for again; the facts it wrote
in full are kept (the one it was writing is rejected with the reason), and with none whole it is an error
naming --max-tokens."""

from __future__ import annotations

import json

import pytest

from kaifaqu_llm.extract.llm.truncation import complete_part, unterminated_json
from tests.conftest import make_article
from tests.support.fake_openai_server import build_profile, content_reply, cut_off, profile_reply
from tests.support.backend_runs import extract_one

ARTICLE = make_article()


def run(config):  # type: ignore[no-untyped-def]
    return extract_one(config, ARTICLE)


@pytest.mark.parametrize("mode", ["TOOLS", "JSON_SCHEMA", "JSON"])
def test_a_cut_reply_reported_as_tool_calls_is_an_error_not_a_reask(fake_server, make_config, mode) -> None:
    fake_server.push(cut_off(finish_reason="tool_calls"))
    result = run(make_config(mode=mode, reask=2))
    assert result.profile is None and "cut off" in result.error and "--max-tokens" in result.error
    assert "unterminated JSON" in result.error and "finish_reason=tool_calls" in result.error
    assert len(fake_server.requests) == 1 and result.usage.reasks == 0


def test_a_reply_that_used_the_whole_cap_is_cut_off_whatever_its_finish_reason(fake_server, make_config) -> None:
    config = make_config(max_tokens=500)
    fake_server.push(cut_off(finish_reason="stop", completion_tokens=500))
    result = run(config)
    assert "cut off" in result.error and "500 of max_tokens 500" in result.error
    assert len(fake_server.requests) == 1


def test_still_the_length_finish_reason_is_a_cut(fake_server, make_config) -> None:
    fake_server.push(cut_off())
    result = run(make_config())
    assert "cut off (finish_reason=length)" in result.error and len(fake_server.requests) == 1


def test_broken_json_the_model_ended_itself_is_still_reasked(fake_server, make_config) -> None:
    # finish_reason "stop", far below the cap: the model ended on its own, asking again may help
    fake_server.push(content_reply('{"zones": [{"mention": "某某开发区", "evidence": '), profile_reply())
    result = run(make_config(mode="JSON_SCHEMA"))
    assert result.error is None, result.error
    assert len(fake_server.requests) == 2 and result.usage.reasks == 1


@pytest.mark.parametrize(("text", "cut"), [
    ('{"zones": [{"mention": "某某开发区", "evidence": "某某', True),
    ('{"zones": [{"mention": "a\\"}]', True),  # the quote is escaped: still inside the string
    ('```json\n{"zones": [', True),
    ('{"zones": []}', False),
    ('{"zones": []} trailing', False),
    ("抱歉，我无法回答。", False),
    ("", False),
])
def test_unterminated_json(text, cut) -> None:
    assert unterminated_json(text) is cut


GOOD = build_profile(ARTICLE.text)  # a zone and an indicator quoting the article
CUT_AFTER_TWO = (json.dumps({"zones": GOOD["zones"], "indicators": GOOD["indicators"]}, ensure_ascii=False)[:-2]
                 + ', {"name": "院士工作站", "value": 5, "unit": "家", "evidence": "建成院士')


@pytest.mark.parametrize(("mode", "finish"), [("TOOLS", "tool_calls"), ("JSON_SCHEMA", "length"), ("JSON", "length"),
                                              ("MD_JSON", "length")])
def test_a_cut_answer_keeps_the_facts_written_in_full(fake_server, make_config, mode, finish) -> None:
    fake_server.push(cut_off(finish_reason=finish, content=CUT_AFTER_TWO))
    result = run(make_config(mode=mode, reask=2))
    assert result.error is None, result.error
    assert [z.mention for z in result.profile.zones] == [GOOD["zones"][0]["mention"]]
    assert [i.name for i in result.profile.indicators] == [GOOD["indicators"][0]["name"]]
    (rejected,) = result.rejected
    assert rejected["list"] == "indicators" and "院士工作站" in rejected["item"]
    assert "cut off" in rejected["reason"] and "--max-tokens" in rejected["reason"]
    assert len(fake_server.requests) == 1 and result.usage.reasks == 0  # cut again if asked again
    assert result.usage.rejected == 1


def test_a_reask_cut_with_nothing_whole_keeps_the_first_answer(fake_server, make_config) -> None:
    broken = {"name": "院士工作站", "value": None, "unit": "家", "evidence": "建成院士工作站5家"}
    first = {"zones": GOOD["zones"], "indicators": [broken, dict(broken, name="工作站")]}  # two lost, one kept
    fake_server.push(profile_reply(first), cut_off())
    result = run(make_config(reask=2))
    assert result.error is None, result.error
    assert [z.mention for z in result.profile.zones] == [GOOD["zones"][0]["mention"]]
    assert len(fake_server.requests) == 2 and result.usage.reasks == 1
    assert len(result.rejected) == 2 and all("cut off" in r["reask"] for r in result.rejected)


@pytest.mark.parametrize(("text", "kept"), [
    ('{"zones": [{"a": 1}, {"b": 2}], "people": [{"c', {"zones": [{"a": 1}, {"b": 2}]}),
    ('```json\n{"zones": [{"a": "x,}"}, {"b', {"zones": [{"a": "x,}"}]}),  # brackets inside strings are text
    ('{"zones": [{"a', None),
    ("抱歉", None),
])
def test_complete_part(text, kept) -> None:
    found = complete_part(text)
    assert (found[0] if found else None) == kept


def test_the_rejected_entry_names_the_field_the_cut_fell_in() -> None:
    from types import SimpleNamespace

    from kaifaqu_llm.extract.llm.truncation import salvage_cut_off

    text = '{"zones": [{"mention": "甲", "evidence": "甲"}], "summary": "园区今年以来'
    message = SimpleNamespace(content=text, tool_calls=None)
    completion = SimpleNamespace(choices=[SimpleNamespace(message=message, finish_reason="length")])
    part = salvage_cut_off(completion, "cut")
    assert part.raw == {"zones": [{"mention": "甲", "evidence": "甲"}]}
    assert part.rejected["list"] == "summary" and part.rejected["item"].startswith('"summary"')


def test_a_cut_answer_to_a_whole_structure_is_an_error_not_a_part(fake_server, make_config) -> None:
    # a page's segmentation (any model but the profile) is one whole: cut short, it is no answer
    import asyncio

    from pydantic import BaseModel

    from kaifaqu_llm.core.errors import ResponseError
    from kaifaqu_llm.extract.backend import Usage
    from kaifaqu_llm.extract.llm.backend import LLMBackend

    class Lines(BaseModel):
        lines: list[dict]

    fake_server.push(cut_off(content='{"lines": [{"a": 1}, {"b": 2}, {"c'))

    async def go():  # type: ignore[no-untyped-def]
        backend = LLMBackend(make_config(mode="JSON", reask=0))
        try:
            return await backend.structured([{"role": "user", "content": "x"}], Lines, Usage())
        finally:
            await backend.aclose()

    with pytest.raises(ResponseError, match="cut off"):
        asyncio.run(go())
