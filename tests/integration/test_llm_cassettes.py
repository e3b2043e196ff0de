"""Recorded exchanges replayed offline: each mode's request shape, and a validation error fed back.

In replay (the default) the client points at ``127.0.0.1:9``, where nothing
listens: a request that vcr did not serve from the cassette fails with a
connection error, so a passing test proves the replay was offline. With
``KAIFAQU_RECORD=1`` the cassettes are re-recorded against the fake server, or
against a real endpoint given by ``KAIFAQU_RECORD_BASE_URL`` /
``KAIFAQU_RECORD_MODEL`` / ``KAIFAQU_API_KEY`` (see cassettes/README.md).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator

import pytest

from kaifaqu_llm.extract.llm.config import ModelConfig
from kaifaqu_llm.core.schema import ArticleProfile
from tests.conftest import CASSETTES, FAST_RETRY, RECORDING, TEST_API_KEY, cassette_requests, cassette_vcr, make_article
from tests.support.fake_openai_server import FakeOpenAIServer, schema_breaking
from tests.support.backend_runs import extract_one

OFFLINE_URL = "http://127.0.0.1:9/v1"
REAL_URL = os.environ.get("KAIFAQU_RECORD_BASE_URL")


@contextlib.contextmanager
def endpoint(cassette: str, *, needs_fake: bool = False) -> Iterator[tuple[str, str, FakeOpenAIServer | None]]:
    """Yield ``(base_url, model, server)`` for recording or replaying ``cassette``."""
    if not RECORDING:
        model = cassette_requests(cassette)[0]["model"]
        yield OFFLINE_URL, model, None
        return
    if REAL_URL and not needs_fake:
        yield REAL_URL, os.environ.get("KAIFAQU_RECORD_MODEL", "gpt-4o-mini"), None
        return
    with FakeOpenAIServer() as server:
        yield server.url, "fake-model", server


def run_extract(base_url: str, model: str, mode: str, cassette: str):  # type: ignore[no-untyped-def]
    api_key = os.environ.get("KAIFAQU_API_KEY", TEST_API_KEY) if (RECORDING and REAL_URL) else TEST_API_KEY
    config = ModelConfig.resolve(model=model, base_url=base_url, api_key=api_key, mode=mode, env={}, retry=FAST_RETRY)

    with cassette_vcr.use_cassette(cassette):
        return extract_one(config, make_article())


@pytest.mark.parametrize("mode", ["TOOLS", "JSON", "JSON_SCHEMA"])
def test_mode_request_shape_replays_offline(mode: str) -> None:
    cassette = f"extract_{mode.lower()}.yaml"
    with endpoint(cassette) as (base_url, model, _):
        result = run_extract(base_url, model, mode, cassette)
    assert result.error is None, result.error
    assert isinstance(result.profile, ArticleProfile)
    assert result.usage.requests == 1 and result.usage.prompt_tokens > 0 and result.usage.completion_tokens > 0

    (body,) = cassette_requests(cassette)
    assert body["model"] == model and body["temperature"] == 0.0
    system, user = body["messages"][0]["content"], body["messages"][-1]["content"]
    assert "盐湖高新区与邮储银行运城分行" in user  # the article travels as readable UTF-8 text
    if mode == "TOOLS":
        assert body["tools"][0]["function"]["name"] == "ArticleProfile"
        assert body["tool_choice"] == {"type": "function", "function": {"name": "ArticleProfile"}}
        assert "response_format" not in body
    elif mode == "JSON":
        assert body["response_format"] == {"type": "json_object"} and "tools" not in body
        # The schema rides in the system message, CJK unescaped (escaping would multiply its tokens).
        assert "有职务的人" in system and "\\u" not in system
    else:
        schema = body["response_format"]["json_schema"]
        assert body["response_format"]["type"] == "json_schema" and schema["name"] == "ArticleProfile"
        assert {"zones", "indicators", "projects", "summary"} <= set(schema["schema"]["properties"])


def test_validation_error_fed_back_and_fixed_replays_offline() -> None:
    cassette = "extract_reask_json_schema.yaml"
    with endpoint(cassette, needs_fake=True) as (base_url, model, server):
        if server is not None:
            server.push(schema_breaking())
        result = run_extract(base_url, model, "JSON_SCHEMA", cassette)
    assert result.error is None, result.error
    assert result.usage.requests == 2 and result.usage.retries == 1 and result.usage.reasks == 1

    first, second = cassette_requests(cassette)
    assert len(second["messages"]) > len(first["messages"])
    feedback = json.dumps(second["messages"][len(first["messages"]) :], ensure_ascii=False)
    assert "很多" in feedback and "not a number" in feedback  # the bad item and its validation error went back
    assert "\\u" not in json.dumps(second["messages"][-1], ensure_ascii=False)  # CJK unescaped


def test_cassettes_hold_no_secret() -> None:
    for path in sorted(CASSETTES.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert TEST_API_KEY not in text and "SECRET" not in text, path.name
        assert "authorization" not in text.lower(), path.name
