"""The LLM backend inside the real pipeline (read → segment → backend → ground → write), fake server behind."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from kaifaqu_llm.run.pipeline import extract
from tests.conftest import REPO
from tests.support.fake_openai_server import INVENTED_QUOTE, FakeOpenAIServer, profile_reply, status_reply

PAGE = REPO / "seeds" / "002_4f498078279679f1.txt"  # seven articles


def run(config, out: Path | None = None, **options):  # type: ignore[no-untyped-def]
    options.setdefault("use_cache", False)
    options.setdefault("backend", "llm")
    return extract([str(PAGE)], out, config=config, **options)


def test_permanent_failure_is_recorded_and_the_batch_completes(fake_server, make_config, tmp_path) -> None:
    fake_server.push(status_reply(400))  # a 4xx is permanent: not retried
    result = run(make_config(), tmp_path / "out", concurrency=1)
    records = result.records
    assert len(records) == 7 and [r["article_index"] for r in records] == list(range(7))
    failed = [r for r in records if r["error"]]
    assert len(failed) == 1 and failed[0]["article_index"] == 0
    assert failed[0]["error"].startswith("TransportError: HTTP 400")
    assert all(r["summary"] and r["backend"] == "llm" for r in records if not r["error"])
    assert result.failed == 1 and not result.ok
    lines = (tmp_path / "out" / "profiles.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["error"] is not None for line in lines] == [True] + [False] * 6


def test_rerun_is_served_from_cache_with_zero_requests(fake_server, make_config, tmp_path) -> None:
    config = make_config()
    first = run(config, use_cache=True, cache_dir=str(tmp_path / "cache"))
    assert first.ok and len(fake_server.requests) == 7
    assert first.usage.requests == 7 and first.usage.prompt_tokens == sum(r.usage["prompt_tokens"] for r in fake_server.requests)
    second = run(config, use_cache=True, cache_dir=str(tmp_path / "cache"))
    assert len(fake_server.requests) == 7  # not one more
    assert second.ok and all(r["usage"]["cache_hit"] for r in second.records)
    assert second.usage.requests == 0 and second.usage.prompt_tokens == 0
    strip = lambda r: {k: v for k, v in r.items() if k != "usage"}  # noqa: E731
    assert [strip(r) for r in second.records] == [strip(r) for r in first.records]


def test_ungrounded_evidence_is_flagged(make_config) -> None:
    page_text = PAGE.read_text(encoding="utf-8")
    with FakeOpenAIServer(invent=True) as server:
        result = run(make_config(base_url=server.url))
    assert result.ok
    zones = [z for r in result.records for z in r["zones"]]
    assert zones and all(z["evidence"] == INVENTED_QUOTE for z in zones)
    assert all(z["grounded"] is False and z["start"] is None and z["end"] is None for z in zones)
    # The real quotes in the same records are found in the page, at offsets that hold them.
    indicators = [i for r in result.records for i in r["indicators"]]
    assert indicators and all(i["grounded"] for i in indicators)
    for indicator in indicators:
        found = page_text[indicator["start"] : indicator["end"]]
        assert re.sub(r"\s+", "", found) == re.sub(r"\s+", "", indicator["evidence"])


@pytest.mark.parametrize("bound", [1, 3])
def test_concurrency_bound_is_honoured(make_config, bound) -> None:
    with FakeOpenAIServer(latency=0.15) as server:
        result = run(make_config(base_url=server.url), concurrency=bound)
    assert result.ok and len(server.requests) == 7
    assert server.max_in_flight == bound  # reached, never exceeded


def test_hybrid_cross_checks_the_model_against_the_rules(make_config) -> None:
    invented = {"indicators": [{"name": "月球工厂产值", "value": 987654, "unit": "亿元",
                                "evidence": INVENTED_QUOTE}]}
    with FakeOpenAIServer(invent=True) as server:
        server.push(profile_reply(invented))  # the first article's answer: a number the page never states
        result = run(make_config(base_url=server.url), backend="hybrid", concurrency=1)
    assert result.ok and result.backend == "hybrid"
    records = result.records
    assert all(r["backend"] == "hybrid" and set(r["crosscheck"]) == {"possible_misses", "numbers_not_in_text"}
               for r in records)
    first = records[0]
    assert [(n["name"], n["value"], n["unit"]) for n in first["crosscheck"]["numbers_not_in_text"]] == [
        ("月球工厂产值", 987654.0, "亿元")
    ]
    # The rules find this article's zone and figures; the invented answer has none of them: possible misses.
    assert first["crosscheck"]["possible_misses"]["zones"]
    assert first["crosscheck"]["possible_misses"]["indicators"]
