"""The LLM backend against the scripted fake server, through the real openai SDK and instructor."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from kaifaqu_llm.extract.llm.config import RetryPolicy
from kaifaqu_llm.core.errors import ConfigError
from kaifaqu_llm.extract.llm.backend import LLMBackend
from kaifaqu_llm.core.schema import ArticleProfile
from tests.conftest import TEST_API_KEY, make_article
from tests.support.backend_runs import extract_one
from tests.support.fake_openai_server import (
    drop,
    empty_choices,
    hang,
    invalid_json,
    no_tool_call,
    profile_reply,
    quota_exceeded,
    rate_limited,
    schema_breaking,
    server_error,
    status_reply,
)


def extract(config, article=None, **backend_kwargs):  # type: ignore[no-untyped-def]
    """Run one extraction on a fresh backend and close it."""
    return extract_one(config, article or make_article(), **backend_kwargs)


def reported_tokens(server) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Sum of the prompt/completion tokens the server reported over all its answers."""
    answered = [r.usage for r in server.requests if r.usage]
    return sum(u["prompt_tokens"] for u in answered), sum(u["completion_tokens"] for u in answered)


# -- request shapes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "shape"), [("TOOLS", "tools"), ("JSON", "json_object"), ("JSON_SCHEMA", "json_schema"), ("MD_JSON", "text")]
)
def test_each_mode_sends_its_shape_and_parses_the_answer(fake_server, make_config, mode, shape) -> None:
    result = extract(make_config(mode=mode))
    assert result.error is None, result.error
    (request,) = fake_server.requests
    assert request.mode == shape
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {TEST_API_KEY}"
    assert request.headers.get("x-stainless-retry-count") == "0"  # the SDK's own retries are off
    zone = result.profile.zones[0]
    assert zone.mention == "盐湖高新区" and zone.evidence in make_article().text
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == reported_tokens(fake_server)
    assert (result.usage.requests, result.usage.retries, result.usage.cache_hit) == (1, 0, False)


def test_json_mode_schema_text_keeps_cjk_unescaped(fake_server, make_config) -> None:
    extract(make_config(mode="JSON"))
    system = fake_server.requests[0].body["messages"][0]["content"]
    assert "有职务的人" in system and "\\u" not in system  # escaped CJK would cost ~6 tokens a character


def test_local_endpoint_needs_no_key(fake_server, make_config) -> None:
    config = make_config(api_key=None)
    assert config.is_local and config.is_configured
    result = extract(config)
    assert result.error is None
    assert fake_server.requests[0].headers["authorization"] == "Bearer not-needed"


def test_generation_parameters_are_sent(fake_server, make_config) -> None:
    extract(make_config(temperature=0.3, max_tokens=777))
    body = fake_server.requests[0].body
    assert (body["model"], body["temperature"], body["max_tokens"]) == ("fake-model", 0.3, 777)


def test_backend_reports_resolved_names(make_config) -> None:
    backend = LLMBackend(make_config(mode=None, base_url="http://localhost:11434/v1"))
    assert (backend.name, backend.model, backend.mode, backend.prompt_version) == ("llm", "fake-model", "JSON", "v2")


def test_backend_without_model_is_a_config_error(make_config) -> None:
    with pytest.raises(ConfigError, match="needs a model"):
        LLMBackend(make_config(model=None))


# -- validation errors go back to the model ----------------------------------------------------


@pytest.mark.parametrize("bad", [schema_breaking, invalid_json])
def test_validation_error_is_fed_back_and_fixed(fake_server, make_config, bad) -> None:
    fake_server.push(bad())
    result = extract(make_config())
    assert result.error is None, result.error
    first, second = fake_server.requests
    assert second.body["messages"][: len(first.body["messages"])] == first.body["messages"]
    (feedback,) = second.body["messages"][len(first.body["messages"]) :]  # one note, not the whole answer again
    assert feedback["role"] == "user" and ("not a number" in feedback["content"] or "Invalid JSON" in feedback["content"])
    assert second.body["temperature"] != first.body["temperature"]  # never byte-identical to the request before
    # Tokens of the failed attempt count too.
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == reported_tokens(fake_server)
    assert (result.usage.requests, result.usage.retries, result.usage.reasks) == (2, 1, 1)


def test_missing_tool_call_is_fed_back_in_tools_mode(fake_server, make_config) -> None:
    fake_server.push(no_tool_call())
    result = extract(make_config(mode="TOOLS"))
    assert result.error is None and result.usage.requests == 2


def test_reasks_exhausted_become_an_error_not_an_exception(fake_server, make_config) -> None:
    fake_server.push(*[schema_breaking()] * 3)
    result = extract(make_config(reask=2))
    assert result.profile is None
    assert result.error.startswith("ResponseError: no valid profile after 3 attempt(s)")
    assert "not a number" in result.error
    assert (result.usage.requests, result.usage.retries) == (3, 2)
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == reported_tokens(fake_server)


def test_empty_choices_is_an_error(fake_server, make_config) -> None:
    fake_server.push(empty_choices())
    result = extract(make_config())
    assert result.profile is None and "No choices" in result.error
    assert result.usage.reasks == 0 and len(fake_server.requests) == 1  # no reply to correct: not reasked


# -- transport failures are retried by tenacity ------------------------------------------------


def test_429_honours_retry_after(fake_server, make_config) -> None:
    fake_server.push(rate_limited(retry_after=1))
    started = time.perf_counter()
    result = extract(make_config(retry=RetryPolicy(attempts=3, base_delay=0.01, max_delay=5, jitter=False)))
    elapsed = time.perf_counter() - started
    assert result.error is None
    assert elapsed >= 1.0  # the computed backoff would have been 0.01 s
    assert (result.usage.requests, result.usage.retries) == (2, 1)


def test_retry_after_is_capped(fake_server, make_config) -> None:
    fake_server.push(rate_limited(retry_after=3600))
    started = time.perf_counter()
    result = extract(make_config(retry=RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.2, jitter=False)))
    assert result.error is None and time.perf_counter() - started < 3


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_retried_then_succeeds(fake_server, make_config, status) -> None:
    fake_server.push(server_error(status), server_error(status))
    result = extract(make_config())
    assert result.error is None
    assert (result.usage.requests, result.usage.retries) == (3, 2)
    assert len(fake_server.requests) == 3  # no hidden SDK retries stacked on top


def test_timeout_is_retried_then_succeeds(fake_server, make_config) -> None:
    fake_server.push(hang(3))
    result = extract(make_config(timeout=0.5))
    assert result.error is None
    assert result.usage.requests == 2


def test_dropped_connection_is_retried_then_succeeds(fake_server, make_config) -> None:
    fake_server.push(drop())
    result = extract(make_config())
    assert result.error is None and result.usage.requests == 2


def test_persistent_failure_stops_after_the_policy_attempts(fake_server, make_config) -> None:
    fake_server.push(*[server_error(503)] * 10)
    result = extract(make_config(retry=RetryPolicy(attempts=3, base_delay=0.01, jitter=False)))
    assert result.profile is None
    assert result.error.startswith("TransportError: HTTP 503") and "after 3 attempt(s)" in result.error
    assert len(fake_server.requests) == 3 and result.usage.retries == 2


def test_persistent_timeout_is_reported(fake_server, make_config) -> None:
    fake_server.push(hang(3), hang(3))
    result = extract(make_config(timeout=0.3, retry=RetryPolicy(attempts=2, base_delay=0.01, jitter=False)))
    assert result.error.startswith("TransportError:") and "timed out" in result.error


def test_insufficient_quota_is_not_retried(fake_server, make_config) -> None:
    fake_server.push(quota_exceeded())
    result = extract(make_config())
    assert result.error.startswith("QuotaExceededError:")
    assert len(fake_server.requests) == 1


@pytest.mark.parametrize("status", [400, 401, 404])
def test_other_4xx_are_not_retried(fake_server, make_config, status) -> None:
    fake_server.push(status_reply(status))
    result = extract(make_config())
    assert result.error.startswith(f"TransportError: HTTP {status}") and "(not retried)" in result.error
    assert len(fake_server.requests) == 1


def test_errors_never_carry_the_key(fake_server, make_config) -> None:
    body = {"error": {"message": f"Incorrect API key provided: {TEST_API_KEY}", "type": "invalid_request_error"}}
    fake_server.push(status_reply(401, body=body))
    result = extract(make_config())
    assert result.error and TEST_API_KEY not in result.error and "***" in result.error


# -- cache ------------------------------------------------------------------------------------


def test_rerun_is_served_from_cache_with_zero_requests(fake_server, make_config, tmp_path) -> None:
    from kaifaqu_llm.extract.cache import ProfileCache

    config = make_config()
    first = extract(config, cache=ProfileCache(tmp_path))
    assert first.error is None and len(fake_server.requests) == 1
    second = extract(config, cache=ProfileCache(tmp_path))
    assert len(fake_server.requests) == 1
    assert second.usage.cache_hit and second.usage.requests == 0 and second.usage.prompt_tokens == 0
    assert second.profile == first.profile and second.cache_key == first.cache_key
    refreshed = extract(config, cache=ProfileCache(tmp_path), refresh=True)
    assert len(fake_server.requests) == 2 and not refreshed.usage.cache_hit


def test_errors_are_not_cached(fake_server, make_config, tmp_path) -> None:
    from kaifaqu_llm.extract.cache import ProfileCache

    fake_server.push(quota_exceeded())
    assert extract(make_config(), cache=ProfileCache(tmp_path)).error
    again = extract(make_config(), cache=ProfileCache(tmp_path))
    assert again.error is None and not again.usage.cache_hit and len(fake_server.requests) == 2


def test_cache_key_covers_what_shapes_the_answer(make_config) -> None:
    article = make_article()
    base = LLMBackend(make_config()).cache_key(article)
    variants = [
        LLMBackend(make_config(model="other")).cache_key(article),
        LLMBackend(make_config(mode="TOOLS")).cache_key(article),
        LLMBackend(make_config(temperature=0.5)).cache_key(article),
        LLMBackend(make_config(max_tokens=100)).cache_key(article),
        LLMBackend(make_config(base_url="http://127.0.0.1:1/v1")).cache_key(article),
        LLMBackend(make_config()).cache_key(make_article(title="另一个标题")),
        LLMBackend(make_config()).cache_key(make_article(article.text + "补充。")),
    ]
    assert len({base, *variants}) == len(variants) + 1
    assert LLMBackend(make_config(api_key="sk-other-key-000")).cache_key(article) == base  # the key is not part of it


def test_cache_holds_json_and_no_secret(fake_server, make_config, tmp_path) -> None:
    from kaifaqu_llm.extract.cache import ProfileCache

    result = extract(make_config(), cache=ProfileCache(tmp_path))
    stored = ProfileCache(tmp_path).get(result.cache_key)
    assert stored["profile"] == json.loads(result.profile.model_dump_json())
    assert stored["usage"]["requests"] == 1 and stored["prompt_version"] == "v2"
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert TEST_API_KEY.encode() not in path.read_bytes()


# -- concurrency and chunking --------------------------------------------------------------------


def test_one_backend_serves_concurrent_calls(fake_server, make_config) -> None:
    fake_server.latency = 0.2
    articles = [make_article(f"第{i}篇：盐湖高新区新增企业{i}家。", index=i) for i in range(6)]

    async def go():  # type: ignore[no-untyped-def]
        backend = LLMBackend(make_config())
        try:
            return await asyncio.gather(*(backend.extract(a) for a in articles))
        finally:
            await backend.aclose()

    results = asyncio.run(go())
    assert [r.error for r in results] == [None] * 6
    assert [r.profile.indicators[0].value for r in results] == list(range(6))  # each answer to its own article
    assert fake_server.max_in_flight > 1


def test_long_article_is_split_and_merged(fake_server, make_config) -> None:
    paragraphs = [f"第{i}部分：盐湖高新区推进项目建设，" + "园区持续优化营商环境" * 30 + f"，新增企业{i + 1}家。" for i in range(4)]
    article = make_article("\n".join(paragraphs))
    result = extract(make_config(token_budget=400), article)
    assert result.error is None
    sent = [r.article for r in fake_server.requests]
    assert len(sent) >= 2 and "".join(sent) == article.text  # chunks are exact, consecutive pieces
    assert all("长文分段抽取" in r.body["messages"][-1]["content"] for r in fake_server.requests)
    assert result.usage.requests == len(sent) and result.usage.retries == 0
    assert len(result.profile.zones) == 1  # the same zone from every chunk, merged once
    assert sorted(i.value for i in result.profile.indicators) == [float(n) for n in range(1, len(sent) + 1)]
    assert isinstance(result.profile, ArticleProfile)


def test_invented_evidence_is_returned_as_the_model_said(fake_server, make_config) -> None:
    fake_server.push(profile_reply(invent=True))
    result = extract(make_config())
    assert result.error is None and result.profile.zones[0].evidence not in make_article().text


# -- transport error classification (pure functions) ---------------------------------------------


def _status_error(status: int, headers: dict | None = None, body: dict | None = None):  # type: ignore[no-untyped-def]
    import httpx2
    import openai

    request = httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions")
    response = httpx2.Response(status, headers=headers or {}, request=request)
    cls = {429: openai.RateLimitError, 500: openai.InternalServerError, 400: openai.BadRequestError}.get(
        status, openai.APIStatusError
    )
    return cls("error", response=response, body=(body or {}).get("error"))


def test_retry_after_header_forms() -> None:
    from email.utils import format_datetime
    from datetime import datetime, timedelta, timezone

    from kaifaqu_llm.extract.llm.backend import retry_after_seconds

    assert retry_after_seconds(_status_error(429, {"Retry-After": "7"})) == 7.0
    assert retry_after_seconds(_status_error(429, {"retry-after-ms": "250"})) == 0.25
    later = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    assert 25 <= retry_after_seconds(_status_error(503, {"Retry-After": later})) <= 31
    assert retry_after_seconds(_status_error(429, {"Retry-After": "soon"})) is None
    assert retry_after_seconds(_status_error(429)) is None
    assert retry_after_seconds(ValueError("not http")) is None


def test_transient_classification() -> None:
    import httpx2
    import openai

    from kaifaqu_llm.extract.llm.backend import is_transient

    request = httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions")
    quota = {"error": {"message": "quota", "type": "insufficient_quota", "code": "insufficient_quota"}}
    assert is_transient(_status_error(429))
    assert not is_transient(_status_error(429, body=quota))
    assert is_transient(_status_error(500)) and is_transient(_status_error(503))
    assert not is_transient(_status_error(400)) and not is_transient(_status_error(404))
    assert is_transient(openai.APITimeoutError(request=request))
    assert is_transient(openai.APIConnectionError(request=request))
    assert not is_transient(ValueError("a bug is not a transport failure"))


def test_one_backend_survives_a_new_event_loop(fake_server, make_config) -> None:
    backend = LLMBackend(make_config())
    first = asyncio.run(backend.extract(make_article()))
    second = asyncio.run(backend.extract(make_article(index=1)))  # the first loop is closed by now
    asyncio.run(backend.aclose())
    assert first.error is None and second.error is None and len(fake_server.requests) == 2
