"""Mode negotiation (issue #13): a server refusing the structured-output form gets the next mode, once per run."""

from __future__ import annotations

import asyncio
import logging

from kaifaqu_llm.extract.cache import ProfileCache
from kaifaqu_llm.extract.llm.backend import LLMBackend, is_transient
from kaifaqu_llm.extract.llm.capabilities import detect_profile
from kaifaqu_llm.extract.llm.config import ModelConfig
from kaifaqu_llm.extract.llm.negotiation import is_mode_rejection
from tests.support.cli_harness import cli_env, kaifaqu, llm_args
from tests.conftest import FAST_RETRY, REPO, make_article
from tests.support.fake_openai_server import FakeOpenAIServer, rejecting, server_error

LOGGER = "kaifaqu_llm.extract.llm.negotiation"


def local_config(server: FakeOpenAIServer, **overrides: object) -> ModelConfig:
    """A config for ``server`` with the mode left to the endpoint profile (local: json_schema first)."""
    values: dict[str, object] = {"model": "fake-model", "base_url": server.url, "retry": FAST_RETRY, "timeout": 5.0}
    values.update(overrides)
    return ModelConfig.resolve(env={}, **values)  # type: ignore[arg-type]


def run_articles(config: ModelConfig, count: int = 1, **backend_kwargs: object) -> list:
    """Extract ``count`` distinct articles concurrently on one backend; return the results."""
    articles = [make_article(f"第{i}篇：盐湖高新区新增企业{i + 1}家。", index=i) for i in range(count)]

    async def go() -> list:
        backend = LLMBackend(config, **backend_kwargs)
        try:
            return list(await asyncio.gather(*(backend.extract(a) for a in articles)))
        finally:
            await backend.aclose()

    return asyncio.run(go())


def test_llama_cpp_python_rejection_falls_back_to_tools_without_transport_retries(caplog) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    with FakeOpenAIServer(rejecting("json_schema")) as server:
        config = local_config(server)
        assert config.resolved_mode == "JSON_SCHEMA"  # what the profile guesses for a loopback server
        (result,) = run_articles(config)
    assert result.error is None, result.error
    assert [r.mode for r in server.requests] == ["json_schema", "tools"]  # not retried 4× as a 500
    assert result.usage.requests == 2
    warnings = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert len(warnings) == 1 and "using mode TOOLS" in warnings[0] and "json_object" in warnings[0]


def test_concurrent_articles_share_the_negotiation() -> None:
    with FakeOpenAIServer(rejecting("json_schema"), latency=0.05) as server:
        results = run_articles(local_config(server), count=8)
    assert [r.error for r in results] == [None] * 8
    modes = [r.mode for r in server.requests]
    assert modes.count("json_schema") == 1 and modes.count("tools") == 8  # one extra request per run


def test_a_chain_of_rejections_walks_the_profile_order(caplog) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    with FakeOpenAIServer(rejecting("json_schema", "tools")) as server:
        results = run_articles(local_config(server), count=3)
    assert [r.error for r in results] == [None] * 3
    assert [r.mode for r in server.requests][:3] == ["json_schema", "tools", "json_object"]
    assert len(server.requests) == 5
    assert len([r for r in caplog.records if r.name == LOGGER]) == 1


def test_the_accepted_mode_is_remembered_in_the_cache_folder(tmp_path, caplog) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    with FakeOpenAIServer(rejecting("json_schema")) as server:
        config = local_config(server)
        run_articles(config, cache=ProfileCache(tmp_path))
        first_run = len(server.requests)
        (again,) = run_articles(config, cache=ProfileCache(tmp_path), refresh=True)  # asks the model again
    assert first_run == 2 and again.error is None
    assert [r.mode for r in server.requests[first_run:]] == ["tools"]  # no second probe of json_schema
    assert len([r for r in caplog.records if r.name == LOGGER]) == 1  # said once, in the first run


def test_a_mode_the_user_chose_is_not_changed() -> None:
    with FakeOpenAIServer(rejecting("json_schema")) as server:
        (result,) = run_articles(local_config(server, mode="json_schema"))
    assert result.profile is None
    assert result.error.startswith("TransportError: HTTP 500") and "(not retried)" in result.error
    assert [r.mode for r in server.requests] == ["json_schema"]


def test_every_mode_rejected_is_one_clear_error_and_stops_asking() -> None:
    with FakeOpenAIServer(rejecting("json_schema", "tools", "json_object", "text")) as server:
        results = run_articles(local_config(server), count=3)
    modes = detect_profile(server.url).modes
    assert len(server.requests) == len(modes)  # each mode tried once for the whole run
    assert all(r.profile is None and "rejected every structured-output mode" in r.error for r in results)


def test_ordinary_server_errors_stay_transient() -> None:
    with FakeOpenAIServer([server_error(500)]) as server:
        (result,) = run_articles(local_config(server))
    assert result.error is None
    assert [r.mode for r in server.requests] == ["json_schema", "json_schema"]  # retried, same mode


def test_rejection_classification() -> None:
    import httpx2
    import openai

    def error(status: int, message: str) -> openai.APIStatusError:
        request = httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions")
        response = httpx2.Response(status, request=request)
        return openai.APIStatusError(message, response=response, body={"message": message})

    rejection = error(500, "response_format.type: Input should be 'text' or 'json_object'")
    assert is_mode_rejection(rejection) and not is_transient(rejection)
    assert is_mode_rejection(error(400, "tool_choice is not supported"))
    assert is_mode_rejection(error(422, "Unknown field json_schema"))
    assert not is_mode_rejection(error(500, "CUDA out of memory")) and is_transient(error(500, "CUDA out of memory"))
    assert not is_mode_rejection(error(401, "response_format"))  # not a status a rejection comes with


def test_cli_says_it_once_on_stderr(tmp_path) -> None:
    page = sorted((REPO / "seeds").glob("*.txt"))[0]
    with FakeOpenAIServer(rejecting("json_schema")) as server:
        proc = kaifaqu("extract", page, "-o", tmp_path / "out", *llm_args(server), "--cache-dir", tmp_path / "c",
                       env=cli_env())
        modes = [r.mode for r in server.requests]
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("using mode TOOLS") == 1
    assert modes.count("json_schema") == 1 and modes.count("tools") == len(modes) - 1
