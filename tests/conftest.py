"""Shared fixtures: the scripted fake OpenAI server, model configs pointing at it, vcr cassettes.

Cassettes live in ``cassettes/`` and replay with record mode ``none``: a request
that is not in its cassette fails the test instead of reaching the network.
Set ``KAIFAQU_RECORD=1`` to re-record them (see ``cassettes/README.md``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import vcr

from kaifaqu_llm.extract.llm.config import ModelConfig, RetryPolicy
from kaifaqu_llm.core.document import Article
from kaifaqu_llm.core.errors import redact
from tests.support.fake_openai_server import FakeOpenAIServer

REPO = Path(__file__).resolve().parent.parent
CASSETTES = REPO / "cassettes"
RECORDING = os.environ.get("KAIFAQU_RECORD") == "1"
TEST_API_KEY = "sk-kaifaqu-test-SECRET-0123456789abcdef"
"""A fake key every test client sends: cassettes, caches and errors must never contain it."""

SECRET_HEADERS = ("authorization", "api-key", "x-api-key", "openai-organization", "openai-project", "cookie")


def _secrets() -> list[str]:
    return [s for s in (TEST_API_KEY, os.environ.get("KAIFAQU_API_KEY"), os.environ.get("OPENAI_API_KEY")) if s]


def _scrub_request(request):  # type: ignore[no-untyped-def]
    """Drop any key that found its way into a request body before it is written to a cassette."""
    secrets = _secrets()
    if request.body:
        body = request.body.decode("utf-8") if isinstance(request.body, bytes) else request.body
        for secret in secrets:
            body = body.replace(secret, "***")
        request.body = body.encode("utf-8")
    return request


def _scrub_response(response: dict) -> dict:
    headers = response.get("headers") or {}
    for name in list(headers):
        if name.lower() in ("set-cookie", "openai-organization", "openai-project"):
            del headers[name]
    # A server may echo the key (a 401 body, a proxy header): mask it in what is recorded.
    for name, values in headers.items():
        headers[name] = [redact(str(v), *_secrets()) for v in values] if isinstance(values, list) else values
    body = response.get("body") or {}
    if isinstance(body.get("string"), bytes):
        body["string"] = redact(body["string"].decode("utf-8", "replace"), *_secrets()).encode("utf-8")
    elif isinstance(body.get("string"), str):
        body["string"] = redact(body["string"], *_secrets())
    return response


class _Utf8Yaml:
    """vcr's YAML serializer, but writing CJK as readable UTF-8 instead of \\uXXXX escapes."""

    @staticmethod
    def deserialize(cassette_string: str) -> dict:
        import yaml

        return yaml.load(cassette_string, Loader=getattr(yaml, "CLoader", yaml.Loader))

    @staticmethod
    def serialize(cassette_dict: dict) -> str:
        import yaml

        return yaml.dump(cassette_dict, Dumper=getattr(yaml, "CDumper", yaml.Dumper), allow_unicode=True, width=200)


cassette_vcr = vcr.VCR(
    cassette_library_dir=str(CASSETTES),
    record_mode="all" if RECORDING else "none",
    match_on=("method", "path", "body"),
    filter_headers=list(SECRET_HEADERS),
    before_record_request=_scrub_request,
    before_record_response=_scrub_response,
    decode_compressed_response=True,
    serializer="yaml-utf8",
)
cassette_vcr.register_serializer("yaml-utf8", _Utf8Yaml)
"""The project's vcr configuration: replay only, secrets filtered, matched on method, path and body."""


@pytest.fixture
def fake_server() -> Iterator[FakeOpenAIServer]:
    """A started fake OpenAI server on 127.0.0.1 (default answers: profiles quoting the article)."""
    with FakeOpenAIServer() as server:
        yield server


FAST_RETRY = RetryPolicy(attempts=4, base_delay=0.01, max_delay=2.0, jitter=False)


@pytest.fixture
def make_config(fake_server: FakeOpenAIServer) -> Callable[..., ModelConfig]:
    """Return a factory of configs aimed at ``fake_server`` (fast retries, no environment)."""

    def factory(**overrides: object) -> ModelConfig:
        values: dict[str, object] = {
            "model": "fake-model",
            "base_url": fake_server.url,
            "api_key": TEST_API_KEY,
            "mode": "JSON_SCHEMA",
            "retry": FAST_RETRY,
            "timeout": 5.0,
        }
        values.update(overrides)
        return ModelConfig.resolve(env={}, **values)  # type: ignore[arg-type]

    return factory


ARTICLE_TEXT = (
    "科学导报讯 5月28日，盐湖高新区与邮储银行运城分行举行金融战略合作签约仪式。园区内20余家规模以上企业参会。\n"
    "去年以来，盐湖高新区帮助企业解决资金需求1.2亿元，建成院士工作站5家。\n"
    "下一步，园区将持续优化营商环境。"
)


def make_article(text: str = ARTICLE_TEXT, *, index: int = 0, title: str | None = "金融活水润园区", **fields: object) -> Article:
    """Return an Article built in memory (source ``test.txt``)."""
    return Article(source="test.txt", index=index, title=title, text=text, start=0, end=len(text), **fields)  # type: ignore[arg-type]


def cassette_requests(name: str) -> list[dict]:
    """Return the JSON bodies of the requests recorded in cassette ``name``."""
    import yaml

    data = yaml.safe_load((CASSETTES / name).read_text(encoding="utf-8"))
    bodies = []
    for interaction in data["interactions"]:
        body = interaction["request"]["body"]
        body = body.get("string", "") if isinstance(body, dict) else body
        bodies.append(json.loads(body))
    return bodies
