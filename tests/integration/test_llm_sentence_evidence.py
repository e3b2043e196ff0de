"""The opt-in sentence evidence form (issue #17, shorter answers) against the scripted server and through the CLI."""

from __future__ import annotations

import json

import pytest

from kaifaqu_llm.core.document import Page
from kaifaqu_llm.core.errors import ConfigError
from kaifaqu_llm.extract.llm.backend import LLMBackend
from kaifaqu_llm.extract.llm.config import ModelConfig
from kaifaqu_llm.ground.records import build_record
from kaifaqu_llm.ground.sentences import numbered_text
from tests.conftest import REPO, make_article
from tests.support import fake_openai_server as fake
from tests.support.cli_harness import cli_env, kaifaqu, read_jsonl_strictly
from tests.support.backend_runs import extract_each

OTHER_TEXT = "记者王波 6月3日，青山高新区新签约项目12个，总投资45亿元。\n园区将加快建设科创中心。"


def run(config, *articles):  # type: ignore[no-untyped-def]
    return extract_each(config, *articles)


@pytest.mark.parametrize("mode", ["JSON_SCHEMA", "TOOLS", "JSON"])
def test_request_shows_numbered_sentences_behind_a_byte_identical_prefix(fake_server, make_config, mode) -> None:
    first, second = make_article(), make_article(OTHER_TEXT, title="青山高新区签约忙", zone_header="青山高新区", index=1)
    results = run(make_config(mode=mode, evidence="sentence"), first, second)
    assert [r.error for r in results] == [None, None]
    a, b = (r.body for r in fake_server.requests)
    assert a["messages"][0] == b["messages"][0]  # the system message: rule, field guide, cited example
    assert {k: v for k, v in a.items() if k != "messages"} == {k: v for k, v in b.items() if k != "messages"}
    system = a["messages"][0]["content"]
    assert '"evidence":"S1"' in system and "[S1] " in system and "逐字复制" not in system
    assert fake_server.requests[1].article == numbered_text(OTHER_TEXT)
    assert "[S2] 园区将加快建设科创中心。" in b["messages"][-1]["content"]


def test_cited_sentences_are_grounded_at_exact_offsets_and_unknown_ones_are_not(fake_server, make_config) -> None:
    text = OTHER_TEXT
    fake_server.push(fake.profile_reply({
        "zones": [{"mention": "青山高新区", "type": "高新技术产业开发区", "primary": True, "evidence": "S1"}],
        "indicators": [{"name": "新签约项目", "value": 12, "unit": "个", "evidence": "S1"}],
        "projects": [{"name": "科创中心", "evidence": "S2"}, {"name": "不存在的项目", "evidence": "S7"}],
    }))
    article = make_article(text)
    (result,) = run(make_config(evidence="sentence"), article)
    assert result.error is None, result.error
    record = build_record(article, result.profile, {"test.txt": Page("test.txt", text)}, backend="llm")
    zone, indicator = record["zones"][0], record["indicators"][0]
    first = "记者王波 6月3日，青山高新区新签约项目12个，总投资45亿元。"
    assert (zone["start"], zone["end"], zone["evidence"]) == (0, len(first), first) and zone["grounded"]
    assert indicator["grounded"] and "match" not in indicator
    centre, unknown = record["projects"]
    assert text[centre["start"]:centre["end"]] == "园区将加快建设科创中心。" and "match" not in centre
    assert not unknown["grounded"] and "S7" in unknown["ungrounded_reason"]


def test_cache_key_depends_on_the_form_and_quote_keys_are_unchanged(fake_server, make_config) -> None:
    article = make_article()
    quote, sentence = LLMBackend(make_config()), LLMBackend(make_config(evidence="sentence"))
    assert quote.cache_key(article) != sentence.cache_key(article)
    assert quote.cache_key(article) == LLMBackend(make_config(evidence="quote")).cache_key(article)


def test_the_form_comes_from_the_environment_and_is_checked() -> None:
    assert ModelConfig.resolve(model="m", env={"KAIFAQU_EVIDENCE": "sentence"}).evidence == "sentence"
    assert ModelConfig.resolve(model="m", env={"KAIFAQU_EVIDENCE": "sentence"}, evidence="quote").evidence == "quote"
    assert ModelConfig.resolve(model="m", env={}).evidence == "quote"
    with pytest.raises(ConfigError, match="evidence"):
        ModelConfig.resolve(model="m", env={"KAIFAQU_EVIDENCE": "paraphrase"})


def test_cli_flag_end_to_end(tmp_path) -> None:
    pages = sorted((REPO / "seeds").glob("*.txt"))[:2]
    outs = {}
    with fake.FakeOpenAIServer() as server:
        for form in ("quote", "sentence"):
            out = tmp_path / form
            proc = kaifaqu("extract", *pages, "-o", out, "--backend", "llm", "--model", "fake", "--base-url",
                           server.url, "--evidence", form, "--cache-dir", tmp_path / "cache", "-q",
                           "--segmenter", "layout", env=cli_env())
            assert proc.returncode == 0, proc.stderr
            outs[form] = read_jsonl_strictly(out / "profiles.jsonl")
        sentence_requests = [r for r in server.requests if "[S1] " in r.article]
    assert sentence_requests and len(sentence_requests) * 2 == len(server.requests)  # no cache hits across forms
    facts = {form: [f for rec in recs for f in rec["zones"] + rec["indicators"]] for form, recs in outs.items()}
    assert facts["sentence"] and all(f["grounded"] for f in facts["sentence"])
    texts = {p.name: p.read_text(encoding="utf-8") for p in pages}
    for record in outs["sentence"]:
        for fact in record["zones"] + record["indicators"]:
            assert texts[record["source"]][fact["start"]:fact["end"]].replace("\n", "") == fact["evidence"]
    # the same facts, each sentence evidence overlapping its quote in the page
    plain = ("evidence", "start", "end", "match")
    assert [{k: v for k, v in f.items() if k not in plain} for f in facts["quote"]] == [
        {k: v for k, v in f.items() if k not in plain} for f in facts["sentence"]]
    assert all(s["start"] < q["end"] and q["start"] < s["end"] for q, s in zip(facts["quote"], facts["sentence"]))
