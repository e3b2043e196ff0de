"""A reask never exceeds the context the endpoint declares (issue #18): one that would not fit is not sent,
with its reason; the salvaged facts are kept."""

from __future__ import annotations


import pytest

from kaifaqu_llm.core.errors import ConfigError
from kaifaqu_llm.extract.llm.capabilities import PROFILES, detect_profile
from kaifaqu_llm.extract.llm.config import ModelConfig
from kaifaqu_llm.extract.llm.salvage import reask_overflow
from tests.conftest import make_article
from tests.support.fake_openai_server import build_profile, invalid_json, profile_reply
from tests.support.backend_runs import extract_one

ARTICLE = make_article()
GOOD = build_profile(ARTICLE.text)
LOSSY = {"zones": GOOD["zones"],  # one fact kept, two lost: worth a reask when it fits
         "indicators": [{"name": "院士工作站", "value": None, "unit": "家", "evidence": "建成院士工作站5家"}] * 2}


def run(config):  # type: ignore[no-untyped-def]
    return extract_one(config, ARTICLE)


def test_a_reask_over_the_context_is_not_sent_and_the_salvaged_facts_stay(fake_server, make_config) -> None:
    fake_server.push(profile_reply(LOSSY))
    result = run(make_config(context=300))
    assert result.error is None, result.error
    assert len(fake_server.requests) == 1 and result.usage.reasks == 0
    assert len(result.profile.zones) == 1 and len(result.rejected) == 2
    assert all("reask not sent" in r["reask"] and "context of 300" in r["reask"] for r in result.rejected)


def test_an_unreadable_answer_whose_reask_does_not_fit_is_an_error_naming_the_context(fake_server, make_config):
    fake_server.push(invalid_json())
    result = run(make_config(context=300))
    assert result.profile is None and "reask not sent" in result.error and "KAIFAQU_CONTEXT" in result.error
    assert len(fake_server.requests) == 1


def test_a_reask_that_fits_is_sent(fake_server, make_config) -> None:
    fake_server.push(profile_reply(LOSSY), profile_reply({"indicators": [
        {"name": "院士工作站", "value": 5, "unit": "家", "evidence": "建成院士工作站5家"}]}))
    first = fake_server.requests
    result = run(make_config(context=200_000))
    assert result.error is None and result.usage.reasks == 1 and len(first) == 2
    assert all("reask" not in r for r in result.rejected)


def test_the_estimate_counts_the_request_the_note_and_room_for_the_answer() -> None:
    note = {"role": "user", "content": "请更正" * 100}  # 300 wide characters: 300 tokens
    assert reask_overflow(1000, note, 200, None) is None  # no context known: no limit
    assert reask_overflow(1000, note, 200, 1600) is None  # 1000 + 300 + max(200, 300)
    assert "about 1601" in reask_overflow(1000, note, 301, 1600)


def test_profiles_declare_a_context_and_the_environment_overrides_it() -> None:
    assert detect_profile(None).context == 128000
    assert detect_profile("http://localhost:8080/v1").context == 4096
    assert detect_profile(None, "llama-cpp-python").context == 2048
    assert all(p.context is None or p.context >= 2048 for p in PROFILES)
    config = ModelConfig.resolve(model="m", base_url="http://localhost:8080/v1", env={"KAIFAQU_CONTEXT": "16384"})
    assert config.context == 16384
    assert ModelConfig(model="m", base_url="http://localhost:8080/v1").context == 4096
    with pytest.raises(ConfigError):
        ModelConfig(model="m", context=10)
