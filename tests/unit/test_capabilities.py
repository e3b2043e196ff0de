"""Endpoint capability profiles: one table decides the instructor mode per endpoint."""

from __future__ import annotations

import instructor
import pytest

from kaifaqu_llm.extract.llm.capabilities import PROFILES, detect_profile, instructor_mode, mode_name
from kaifaqu_llm.core.errors import ConfigError


@pytest.mark.parametrize(
    ("base_url", "name", "mode", "local"),
    [
        (None, "openai", "TOOLS", False),
        ("https://api.openai.com/v1", "openai", "TOOLS", False),
        ("https://api.deepseek.com", "deepseek", "JSON", False),
        ("https://api.deepseek.com/v1", "deepseek", "JSON", False),
        ("https://dashscope.aliyuncs.com/compatible-mode/v1", "qwen", "TOOLS", False),
        ("https://dashscope-intl.aliyuncs.com/compatible-mode/v1", "qwen", "TOOLS", False),
        ("http://localhost:11434/v1", "ollama", "JSON", True),
        ("http://127.0.0.1:11434/v1", "ollama", "JSON", True),
        ("https://gpu.example.org/ollama/v1", "ollama", "JSON", True),
        ("http://127.0.0.1:8080/v1", "llamacpp", "JSON_SCHEMA", True),
        ("http://localhost:8000/v1", "vllm", "JSON_SCHEMA", True),
        ("http://[::1]:1234/v1", "lmstudio", "JSON_SCHEMA", True),
        ("http://127.0.0.1:5555/v1", "local", "JSON_SCHEMA", True),
        ("https://openrouter.ai/api/v1", "generic", "TOOLS", False),
        ("https://inference.example.com:8000/v1", "generic", "TOOLS", False),  # port 8000 off-host is not vLLM
    ],
)
def test_detect_profile(base_url, name, mode, local) -> None:
    profile = detect_profile(base_url)
    assert (profile.name, profile.mode, profile.local) == (name, mode, local)


@pytest.mark.parametrize("spelling", ["llamacpp", "llama.cpp", "LLAMA-CPP", "llama_cpp"])
def test_endpoint_override_wins_over_detection(spelling) -> None:
    assert detect_profile("https://api.openai.com/v1", spelling).name == "llamacpp"


def test_unknown_endpoint_and_bad_urls() -> None:
    with pytest.raises(ConfigError, match="unknown endpoint"):
        detect_profile(None, "bard")
    for bad in ("api.openai.com/v1", "ftp://x/v1", "http://host:port/v1"):
        with pytest.raises(ConfigError):
            detect_profile(bad)


def test_every_profile_mode_is_a_known_instructor_mode() -> None:
    assert {p.name for p in PROFILES} >= {"openai", "deepseek", "qwen", "ollama", "llamacpp", "vllm", "lmstudio"}
    assert detect_profile(None, "llama-cpp-python").mode == "TOOLS"  # its server rejects json_schema
    for profile in PROFILES:
        assert isinstance(instructor_mode(profile.mode), instructor.Mode)
        assert detect_profile(None, profile.name) is profile


def test_mode_names() -> None:
    assert instructor_mode("tools") is instructor.Mode.TOOLS
    assert instructor_mode("JSON") is instructor.Mode.JSON
    assert instructor_mode("json-schema") is instructor.Mode.JSON_SCHEMA
    assert mode_name("json_schema_mode") == "JSON_SCHEMA"
    with pytest.raises(ConfigError, match="unknown mode"):
        mode_name("PARALLEL_TOOLS")
