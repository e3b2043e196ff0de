"""Explicit intent: a named model or base URL never silently becomes the rules backend.

A hosted API without a key is an error naming where the key goes; a local
server (127.0.0.1) needs no key; ``--backend auto`` with nothing configured
keeps the rules default and says so. The CLI runs in a clean environment
(tests.support.cli_harness drops every KAIFAQU_* / OPENAI_* variable).
"""

from __future__ import annotations

import json

import pytest

from kaifaqu_llm import ModelConfig, extract
from kaifaqu_llm.core.errors import ConfigError
from tests.support.cli_harness import kaifaqu, read_jsonl_strictly
from tests.conftest import REPO
from tests.support.fake_openai_server import FakeOpenAIServer

SEEDS = REPO / "seeds"
KEY_VARIABLES = ("KAIFAQU_API_KEY", "OPENAI_API_KEY", "KAIFAQU_MODEL", "KAIFAQU_BASE_URL", "OPENAI_BASE_URL",
                 "OPENAI_MODEL")
EXIT_CONFIG = 2


@pytest.fixture(autouse=True)
def _no_model_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in KEY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_a_named_hosted_model_without_a_key_is_an_error_not_the_rules(tmp_path) -> None:
    run = kaifaqu("extract", SEEDS, "-o", tmp_path / "out", "--model", "gpt-4o-mini")
    assert run.returncode == EXIT_CONFIG, run.stderr
    assert "KAIFAQU_API_KEY" in run.stderr and "OPENAI_API_KEY" in run.stderr
    assert "using the rules backend" not in run.stderr
    assert not (tmp_path / "out" / "profiles.jsonl").exists()


def test_llm_with_model_and_hosted_base_url_names_the_key_not_the_flags_already_given(tmp_path) -> None:
    run = kaifaqu("extract", SEEDS, "-o", tmp_path / "out", "--backend", "llm", "--model", "M",
                  "--base-url", "https://api.example.com/v1")
    assert run.returncode == EXIT_CONFIG, run.stderr
    assert "KAIFAQU_API_KEY" in run.stderr and "https://api.example.com/v1" in run.stderr
    assert "pass --model and --base-url" not in run.stderr


def test_a_base_url_without_a_model_asks_for_the_model(tmp_path) -> None:
    run = kaifaqu("extract", SEEDS, "-o", tmp_path / "out", "--base-url", "http://127.0.0.1:9/v1")
    assert run.returncode == EXIT_CONFIG, run.stderr
    assert "needs a model" in run.stderr and "using the rules backend" not in run.stderr


@pytest.mark.parametrize("backend", [[], ["--backend", "llm"]])
def test_a_local_server_needs_no_key(tmp_path, backend) -> None:
    out = tmp_path / "out"
    with FakeOpenAIServer() as server:
        run = kaifaqu("extract", *sorted(SEEDS.glob("*.txt"))[:1], "-o", out, *backend, "--model", "fake",
                      "--base-url", server.url, "--no-cache", "-q")
        assert run.returncode == 0, run.stderr
        assert server.requests and all("authorization" in r.headers for r in server.requests)
    records = read_jsonl_strictly(out / "profiles.jsonl")
    assert records and {r["backend"] for r in records} == {"llm"} and {r["model"] for r in records} == {"fake"}
    assert "using the llm backend: model fake" in run.stderr


def test_auto_with_nothing_configured_keeps_the_rules_and_says_so(tmp_path) -> None:
    run = kaifaqu("extract", SEEDS, "-o", tmp_path / "out", "--backend", "auto", "-q")
    assert run.returncode == 0, run.stderr
    assert ("kaifaqu: no model configured: using the rules backend. To use a model set KAIFAQU_MODEL and "
            "KAIFAQU_BASE_URL (and KAIFAQU_API_KEY for a hosted API), or pass --model/--base-url.") in run.stderr
    records = read_jsonl_strictly(tmp_path / "out" / "profiles.jsonl")
    assert records and {r["backend"] for r in records} == {"rules"}
    assert json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))["backend"] == "rules"


def test_library_hosted_model_without_a_key_raises_in_library_terms(tmp_path) -> None:
    with pytest.raises(ConfigError) as caught:
        extract([SEEDS], tmp_path / "out", config=ModelConfig(model="gpt-4o-mini"))
    message = str(caught.value)
    assert "ModelConfig.api_key" in message and "KAIFAQU_API_KEY" in message
    assert "--" not in message, "a library error must not name CLI flags"
    assert not (tmp_path / "out").exists()


def test_library_backend_llm_without_a_model_raises_in_library_terms(tmp_path) -> None:
    with pytest.raises(ConfigError) as caught:
        extract([SEEDS], tmp_path / "out", config=ModelConfig(), backend="llm")
    assert "ModelConfig.model" in str(caught.value) and "--" not in str(caught.value)
