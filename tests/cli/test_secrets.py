"""Secrets: the API key never lands in outputs, the cache, cassettes, logs, errors or the console.

The server here is hostile on purpose: it echoes the key it received (from the
``Authorization`` header) in 401/429/5xx error bodies and even inside a 200
profile. Every byte kaifaqu leaves behind is then scanned for the key.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from pathlib import Path

from kaifaqu_llm.extract.llm.config import ModelConfig
from kaifaqu_llm.extract.llm.backend import LLMBackend
from kaifaqu_llm.run.pipeline import extract
from tests.support import fake_openai_server as fake
from tests.support.cli_harness import article_texts, cli_env, kaifaqu, llm_args, read_jsonl_strictly
from tests.conftest import CASSETTES, FAST_RETRY, REPO, TEST_API_KEY, cassette_vcr

PAGE = REPO / "seeds" / "002_4f498078279679f1.txt"  # seven articles
# Anything shaped like a real key (OpenAI, DeepSeek, Qwen/DashScope all use sk-...).
KEY_SHAPE = re.compile(rb"sk-[A-Za-z0-9_\-]{20,}")


def _secret() -> str:
    return f"sk-test-SECRET-{secrets.token_hex(16)}"


class HostileScript:
    """One behaviour per article of PAGE: each answer echoes the key the client sent."""

    def __init__(self) -> None:
        texts = sorted(article_texts([PAGE]).items())
        self._kind = {text.strip(): kind for (_, text), kind in zip(texts, ["401", "429", "500", "reflect", "quota"])}
        self.seen_keys: set[str] = set()

    def __call__(self, request: fake.RecordedRequest) -> fake.Reply | None:
        key = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        self.seen_keys.add(key)
        kind = self._kind.get(request.article.strip())
        error = {"message": f"Incorrect API key provided: {key}. Authorization: Bearer {key}",
                 "type": "invalid_request_error", "code": "invalid_api_key"}
        if kind == "401":
            return fake.status_reply(401, body={"error": error})
        if kind == "429":
            return fake.status_reply(429, body={"error": dict(error, code="rate_limit_exceeded")},
                                     headers={"Retry-After": "0", "X-Echo": key})
        if kind == "500":
            return fake.status_reply(500, body={"error": dict(error, type="server_error")})
        if kind == "quota":
            return fake.status_reply(429, body={"error": dict(error, type="insufficient_quota", code="insufficient_quota")})
        if kind == "reflect":  # a 200 whose profile carries the key (a prompt-injected or broken model/proxy)
            profile = fake.build_profile(request.article)
            profile["summary"] = f"the key is {key}"
            profile["events"] = [{"date": "今天", "what": f"leak {key}", "evidence": key}]
            return fake.profile_reply(profile)
        return None


def _leaks(secret: str, *blobs: bytes | str, roots: tuple[Path, ...] = ()) -> list[str]:
    """Return where ``secret`` (or its random tail) occurs among ``blobs`` and every file under ``roots``."""
    needles = (secret.encode(), secret.rsplit("-", 1)[1].encode())
    found = []
    for i, blob in enumerate(blobs):
        data = blob.encode("utf-8", "replace") if isinstance(blob, str) else blob
        if any(n in data for n in needles):
            found.append(f"blob #{i}")
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and any(n in path.read_bytes() for n in needles):
                found.append(str(path))
    return found


def test_cli_run_against_a_key_echoing_server_leaks_nothing(tmp_path) -> None:
    secret = _secret()
    out, cache = tmp_path / "out", tmp_path / "cache"
    script = HostileScript()
    with fake.FakeOpenAIServer(script) as server:
        env = cli_env(KAIFAQU_API_KEY=secret, KAIFAQU_LOG_LEVEL="DEBUG")
        proc = kaifaqu("extract", PAGE, "-o", out, *llm_args(server), "--cache-dir", cache,
                       "--format", "csv", "--format", "sqlite", env=env)
        report = kaifaqu("report", out, env=env)
    assert secret in script.seen_keys, "the client did not send the key: the test proves nothing"
    assert proc.returncode == 1 and report.returncode == 0, proc.stderr
    records = read_jsonl_strictly(out / "profiles.jsonl")
    assert len([r for r in records if r["error"]]) == 4  # 401, 429 ×3, 500 ×3, quota
    assert "***" in proc.stderr  # the echoed key was there, and was masked
    leaks = _leaks(secret, proc.stdout, proc.stderr, report.stdout, report.stderr, roots=(out, cache))
    assert not leaks, f"the API key leaked into: {leaks}"


def test_in_process_logs_cassettes_and_errors_leak_nothing(tmp_path, caplog, capfd, monkeypatch) -> None:
    secret = _secret()
    monkeypatch.setenv("KAIFAQU_API_KEY", secret)  # as when recording against a real endpoint
    caplog.set_level(logging.DEBUG)  # every logger, the SDK's and instructor's included
    script = HostileScript()
    cassette = tmp_path / "cassettes" / "secret.yaml"
    with fake.FakeOpenAIServer(script) as server:
        config = ModelConfig.resolve(model="fake-model", base_url=server.url, api_key=secret, env={},
                                     retry=FAST_RETRY, timeout=5.0)
        # recorded with the project's vcr settings (record mode forced on, into tmp_path)
        with cassette_vcr.use_cassette(str(cassette), record_mode="all"):
            result = extract([PAGE], tmp_path / "out", config=config, backend="llm", concurrency=2,
                             cache_dir=str(tmp_path / "cache"))
    assert secret in script.seen_keys
    assert cassette.exists() and not result.ok
    errors = [r["error"] for r in result.article_errors]
    assert errors and all("***" in e for e in errors if "HTTP 401" in e)
    captured = capfd.readouterr()
    log_text = "\n".join(f"{r.name} {r.getMessage()} {r.args!r}" for r in caplog.records)
    texts = [log_text, captured.out, captured.err, json.dumps(result.records, ensure_ascii=False), *errors,
             repr(result), repr(config), str(config), repr(LLMBackend(config).config)]
    leaks = _leaks(secret, *texts, roots=(tmp_path,))
    assert not leaks, f"the API key leaked into: {leaks}"


def test_config_never_shows_the_key() -> None:
    secret = _secret()
    config = ModelConfig.resolve(model="m", base_url="https://api.example.com/v1", env={"KAIFAQU_API_KEY": secret})
    assert config.api_key == secret and config.is_configured
    for text in (repr(config), str(config), repr(config.with_(timeout=3.0)), f"{config}", f"{config!r}"):
        assert secret not in text


def test_committed_cassettes_hold_no_key_shaped_string() -> None:
    for path in CASSETTES.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert TEST_API_KEY.encode() not in data, path
            assert not KEY_SHAPE.search(data), f"{path}: {KEY_SHAPE.search(data).group()!r}"
            assert b"authorization" not in data.lower() or path.name == "README.md", path


def test_log_records_of_any_library_are_masked(caplog) -> None:
    from kaifaqu_llm.extract.llm.secrets import register_secrets

    secret = _secret()
    register_secrets([secret])
    caplog.set_level(logging.DEBUG)
    log = logging.getLogger("some.sdk.module")  # a logger created after registration
    log.info("headers %s", {"authorization": f"Bearer {secret}"})
    try:
        raise RuntimeError(f"401: Incorrect API key provided: {secret}")
    except RuntimeError:
        log.exception("request failed")
    log.warning("stack", stack_info=True, extra={"note": "no key here"})
    assert "Bearer ***" in caplog.text and "Incorrect API key provided: ***" in caplog.text
    assert not _leaks(secret, caplog.text, *(r.getMessage() for r in caplog.records))


def test_password_in_the_base_url_is_a_secret_too(tmp_path) -> None:
    password = _secret().replace("sk-", "pw-")
    out, cache = tmp_path / "out", tmp_path / "cache"
    with fake.FakeOpenAIServer() as server:
        server.push(*[fake.server_error(502)] * 3)  # one article fails: its error names the endpoint
        url = server.url.replace("http://", f"http://proxyuser:{password}@")
        env = cli_env(KAIFAQU_API_KEY=_secret())
        proc = kaifaqu("extract", PAGE, "-o", out, "--backend", "llm", "--base-url", url, "--model", "fake",
                       "--concurrency", "1", "--cache-dir", cache, "--segmenter", "layout", env=env)
        sent = server.requests[0].headers.get("authorization", "")
    assert proc.returncode == 1, proc.stderr
    assert "proxyuser:***@127.0.0.1" in proc.stderr and "HTTP 502 from http://proxyuser:***@" in proc.stderr
    assert sent  # the client did send credentials: the test is not vacuous
    assert not _leaks(password, proc.stdout, proc.stderr, roots=(out, cache))
    config = ModelConfig.resolve(model="m", base_url=url, env={})
    assert password in config.secrets() and password not in f"{config} {config!r}"


def test_help_pydoc_and_signatures_never_show_the_environment(monkeypatch) -> None:
    import inspect
    import pydoc

    import kaifaqu_llm
    from kaifaqu_llm.extract.llm.config import resolve_cache_dir

    secret = _secret()
    monkeypatch.setenv("KAIFAQU_API_KEY", secret)
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    texts = [
        pydoc.render_doc(kaifaqu_llm.ModelConfig, renderer=pydoc.plaintext),
        pydoc.render_doc(resolve_cache_dir, renderer=pydoc.plaintext),
        str(inspect.signature(kaifaqu_llm.ModelConfig.resolve)),
        str(inspect.signature(resolve_cache_dir)),
    ]
    assert "env" in texts[2]  # the parameter is there, only its value is not the environment
    assert not _leaks(secret, *texts)
    assert ModelConfig.resolve(model="m", base_url="https://api.example.com/v1").api_key == secret  # still read
