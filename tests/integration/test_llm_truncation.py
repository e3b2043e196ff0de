"""A reply cut at the token cap is told by the reply itself (issue #18): llama-cpp-python says
``finish_reason: "tool_calls"`` for a cut tool call; the cut JSON is an error naming --max-tokens, not a reask."""

from __future__ import annotations

import asyncio

import pytest

from kaifaqu_llm.extract.llm.backend import LLMBackend
from kaifaqu_llm.extract.llm.truncation import unterminated_json
from tests.conftest import make_article
from tests.support.fake_openai_server import content_reply, cut_off, profile_reply

ARTICLE = make_article()


def run(config):  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        backend = LLMBackend(config)
        try:
            return await backend.extract(ARTICLE)
        finally:
            await backend.aclose()

    return asyncio.run(go())


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
