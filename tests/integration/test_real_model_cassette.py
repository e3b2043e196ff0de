"""A real small model's answer, replayed offline: negotiation, salvage and grounding on what a model really said.

The cassette ``real_llamacpp_default_mode.yaml`` was recorded from llama-cpp-python's
OpenAI-compatible server running a real instruct model (Qwen2.5-Coder-1.5B-Instruct,
Q4_K_M GGUF, on 2 CPU cores), in the default mode, with no mode named. It holds
what such a server really does: it refuses the ``json_schema`` response format
(HTTP 500), the backend falls back to the next mode of the local profile, and the
model answers there. Replay points the client at ``127.0.0.1:9`` where nothing
listens, so a pass proves the test ran offline.

Re-record (README, "A real local model") with the server on port 8089::

    rm cassettes/real_llamacpp_default_mode.yaml
    KAIFAQU_RECORD=1 KAIFAQU_RECORD_REAL_URL=http://127.0.0.1:8089/v1 python -m pytest tests/test_real_model_cassette.py
"""

from __future__ import annotations

import asyncio
import os

import pytest

from kaifaqu_llm.extract.llm.backend import LLMBackend
from kaifaqu_llm.extract.llm.config import ModelConfig
from tests.conftest import CASSETTES, FAST_RETRY, RECORDING, TEST_API_KEY, cassette_requests, cassette_vcr, make_article

CASSETTE = "real_llamacpp_default_mode.yaml"
REAL_URL = os.environ.get("KAIFAQU_RECORD_REAL_URL")
OFFLINE_URL = "http://127.0.0.1:9/v1"

# Our own words: a short article with one zone, two figures, a project, a firm and a dated event.
TEXT = (
    "本报讯 今年一季度，甲乙经开区新签约项目3个，总投资12.5亿元。"
    "其中，丙丁新材料项目投资8亿元，由丙丁科技有限公司建设，预计年底投产。"
    "3月18日，甲乙经开区举行项目集中开工仪式。"
)


def _extract():  # type: ignore[no-untyped-def]
    recording = RECORDING and REAL_URL
    if not recording and not (CASSETTES / CASSETTE).exists():
        pytest.skip("no real-model cassette recorded")
    model = "qwen2.5-coder-1.5b-instruct" if recording else cassette_requests(CASSETTE)[0]["model"]
    config = ModelConfig.resolve(model=model, base_url=REAL_URL if recording else OFFLINE_URL, api_key=TEST_API_KEY,
                                 env={}, retry=FAST_RETRY, timeout=1800.0, max_tokens=1024)
    article = make_article(TEXT, title="甲乙经开区一季度新签约项目3个", zone_header="甲乙经济技术开发区")

    async def go():  # type: ignore[no-untyped-def]
        backend = LLMBackend(config)  # no cache: the mode is negotiated afresh, as on a first run
        try:
            return backend, await backend.extract(article)
        finally:
            await backend.aclose()

    if recording:
        with cassette_vcr.use_cassette(CASSETTE):
            return asyncio.run(go())
    with cassette_vcr.use_cassette(CASSETTE):
        return asyncio.run(go())


def test_real_model_answer_replays_through_negotiation_and_salvage() -> None:
    backend, result = _extract()
    bodies = cassette_requests(CASSETTE)
    # The default local profile asks for json_schema first; the real server refused it and the
    # backend moved on to the next mode, once.
    assert bodies[0]["response_format"]["type"] == "json_schema"
    assert "response_format" not in bodies[1] or bodies[1]["response_format"].get("type") != "json_schema"
    assert backend.active_mode != "JSON_SCHEMA"
    assert result.usage.requests == len(bodies) >= 2

    assert result.error is None, result.error
    profile = result.profile
    # What this small model really said: the zone and the project with its firm and investment, nothing else.
    assert [zone.canonical for zone in profile.zones] == ["甲乙经济技术开发区"] and profile.zones[0].primary
    (project,) = profile.projects
    assert (project.name, project.company, project.investment) == ("丙丁新材料项目", "丙丁科技有限公司", "8亿元")
    assert not profile.indicators and not result.rejected  # it skipped the figures; nothing it gave was invalid


def test_real_model_cassette_holds_no_secret() -> None:
    if not (CASSETTES / CASSETTE).exists():
        pytest.skip("no real-model cassette recorded")
    text = (CASSETTES / CASSETTE).read_text(encoding="utf-8")
    assert TEST_API_KEY not in text and "authorization" not in text.lower()
