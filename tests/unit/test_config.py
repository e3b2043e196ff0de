"""Model configuration: precedence, secrets, validation, retry policy, cache directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from kaifaqu_llm.extract.llm.config import ModelConfig, RetryPolicy, resolve_cache_dir
from kaifaqu_llm.core.errors import ConfigError

KEY = "sk-live-do-not-print-0123456789"


def test_explicit_arguments_win_over_kaifaqu_env_which_wins_over_openai_env() -> None:
    env = {
        "KAIFAQU_MODEL": "env-model",
        "KAIFAQU_BASE_URL": "https://kaifaqu.example/v1",
        "KAIFAQU_API_KEY": "sk-kaifaqu-env",
        "OPENAI_BASE_URL": "https://openai.example/v1",
        "OPENAI_API_KEY": "sk-openai-env",
    }
    assert ModelConfig.resolve(env=env).model == "env-model"
    assert ModelConfig.resolve(env=env).base_url == "https://kaifaqu.example/v1"
    assert ModelConfig.resolve(env=env).api_key == "sk-kaifaqu-env"
    explicit = ModelConfig.resolve(model="m", base_url="http://127.0.0.1:8000/v1", api_key="sk-arg", env=env)
    assert (explicit.model, explicit.base_url, explicit.api_key) == ("m", "http://127.0.0.1:8000/v1", "sk-arg")
    only_openai = {"OPENAI_BASE_URL": "https://openai.example/v1", "OPENAI_API_KEY": "sk-openai-env"}
    fallback = ModelConfig.resolve(env=only_openai)
    assert (fallback.base_url, fallback.api_key) == ("https://openai.example/v1", "sk-openai-env")


def test_empty_values_fall_through_and_none_overrides_are_ignored() -> None:
    config = ModelConfig.resolve(model="", env={"KAIFAQU_MODEL": "env-model"}, timeout=None, reask=None)
    assert config.model == "env-model" and config.timeout == 120.0 and config.reask == 2


def test_env_mode_and_endpoint() -> None:
    config = ModelConfig.resolve(env={"KAIFAQU_MODEL": "qwen2.5", "KAIFAQU_ENDPOINT": "ollama", "KAIFAQU_MODE": "md-json"})
    assert config.effective_base_url == "http://localhost:11434/v1"
    assert config.resolved_mode == "MD_JSON" and config.is_local and config.is_configured


def test_api_key_never_printed() -> None:
    config = ModelConfig.resolve(model="gpt-4o-mini", api_key=KEY, env={})
    assert KEY not in repr(config) and KEY not in str(config)
    assert config.secrets() == (KEY,)
    with pytest.raises(ConfigError) as info:
        config.with_(timeout=-1)
    assert KEY not in str(info.value)


@pytest.mark.parametrize(
    ("values", "configured"),
    [
        ({"model": "gpt-4o-mini", "api_key": KEY}, True),
        ({"model": "gpt-4o-mini"}, False),  # api.openai.com needs a key
        ({"api_key": KEY}, False),  # no model
        ({"model": "llama", "base_url": "http://127.0.0.1:8080/v1"}, True),  # local: no key needed
        ({"model": "qwen", "base_url": "https://dashscope.aliyuncs.com/compatible-mode/v1"}, False),
    ],
)
def test_is_configured(values: dict, configured: bool) -> None:
    assert ModelConfig.resolve(env={}, **values).is_configured is configured


@pytest.mark.parametrize(
    "bad",
    [{"mode": "xml"}, {"endpoint": "nowhere"}, {"timeout": 0}, {"reask": -1}, {"token_budget": 10}, {"max_tokens": 0},
     {"base_url": "ftp://example.com"}, {"colour": "blue"}],
)
def test_bad_settings_are_config_errors(bad: dict) -> None:
    with pytest.raises(ConfigError):
        ModelConfig.resolve(model="m", env={}, **bad)


def test_mode_spellings_are_normalised() -> None:
    assert ModelConfig.resolve(mode="json_schema", env={}).mode == "JSON_SCHEMA"
    assert ModelConfig.resolve(mode="tool_call", env={}).mode == "TOOLS"
    assert ModelConfig.resolve(env={}).mode is None  # from the capability profile
    assert ModelConfig.resolve(env={}).resolved_mode == "TOOLS"


def test_retry_policy_delays() -> None:
    policy = RetryPolicy(attempts=5, base_delay=1.0, max_delay=5.0, jitter=False)
    assert [policy.delay(n) for n in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]
    assert policy.delay(1, retry_after=3.0) == 3.0
    assert policy.delay(1, retry_after=600.0) == 5.0  # a server's Retry-After is capped too
    jittered = RetryPolicy(base_delay=1.0, max_delay=5.0, jitter=True)
    assert all(0.0 <= jittered.delay(3) <= 4.0 for _ in range(200))
    with pytest.raises(ConfigError):
        RetryPolicy(attempts=0)


def test_cache_dir_precedence(tmp_path: Path) -> None:
    env = {"KAIFAQU_CACHE_DIR": str(tmp_path / "env"), "XDG_CACHE_HOME": str(tmp_path / "xdg"), "HOME": str(tmp_path)}
    assert resolve_cache_dir(str(tmp_path / "cli"), env) == tmp_path / "cli"
    assert resolve_cache_dir(None, env) == tmp_path / "env"
    del env["KAIFAQU_CACHE_DIR"]
    assert resolve_cache_dir(None, env) == tmp_path / "xdg" / "kaifaqu-llm"
    del env["XDG_CACHE_HOME"]
    assert resolve_cache_dir(None, env) == tmp_path / ".cache" / "kaifaqu-llm"
    assert not (tmp_path / ".cache").exists()  # resolving does not create anything


def test_generation_settings_from_env_and_profile_defaults() -> None:
    hosted = ModelConfig.resolve(model="m", base_url="https://api.deepseek.com/v1", env={})
    local = ModelConfig.resolve(model="m", base_url="http://127.0.0.1:8080/v1", env={})
    assert hosted.max_tokens and local.max_tokens and local.timeout > hosted.timeout  # CPU servers are slow
    env = {"KAIFAQU_MAX_TOKENS": "512", "KAIFAQU_TEMPERATURE": "0.2", "KAIFAQU_TIMEOUT": "33"}
    config = ModelConfig.resolve(model="m", env=env)
    assert (config.max_tokens, config.temperature, config.timeout) == (512, 0.2, 33.0)
    flags = ModelConfig.resolve(model="m", env=env, max_tokens=64, temperature=None, timeout=9.0)
    assert (flags.max_tokens, flags.temperature, flags.timeout) == (64, 0.2, 9.0)  # flags win, None falls through
    with pytest.raises(ConfigError, match="KAIFAQU_MAX_TOKENS"):
        ModelConfig.resolve(model="m", env={"KAIFAQU_MAX_TOKENS": "lots"})
