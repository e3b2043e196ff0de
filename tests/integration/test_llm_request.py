"""The request's cost (issue #17): one field guide, a compact schema sent once, a stable prefix, cached tokens."""

from __future__ import annotations

import json

import pytest

from kaifaqu_llm.core.schema import ArticleProfile, Fact
from kaifaqu_llm.extract.chunking import estimate_tokens
from kaifaqu_llm.extract.llm.prompts import load_prompts
from kaifaqu_llm.extract.llm.request_schema import compact_schema, field_guide
from tests.conftest import make_article
from tests.support.fake_openai_server import FakeOpenAIServer, cut_off
from tests.support.backend_runs import extract_each

MODES = ["TOOLS", "JSON", "JSON_SCHEMA", "MD_JSON"]
OTHER_TEXT = "记者王波 6月3日，青山高新区新签约项目12个，总投资45亿元。\n园区将加快建设科创中心。"


def run(config, *articles):  # type: ignore[no-untyped-def]
    """Extract ``articles`` one after another on one backend; return the results."""
    return extract_each(config, *articles)


def descriptions() -> list[str]:
    """Every Field description of the profile and its fact kinds."""
    models = [ArticleProfile, *(info.annotation.__args__[0] for name, info in ArticleProfile.model_fields.items()
                                if name != "summary")]
    return [info.description for model in models for name, info in model.model_fields.items()
            if info.description and name not in Fact.model_fields]


def test_compact_schema_keeps_structure_only() -> None:
    schema = compact_schema()
    text = json.dumps(schema, ensure_ascii=False)
    assert '"description"' not in text and '"default"' not in text
    assert schema["title"] == "ArticleProfile"  # the tool's name; no other title anywhere
    nodes = [*schema["$defs"].values(), *schema["properties"].values()]
    nodes += [p for d in schema["$defs"].values() for p in d["properties"].values()]
    assert not any("title" in node for node in nodes)
    assert set(schema["$defs"]) == {"Zone", "Industry", "Indicator", "Project", "Organization", "Person", "Event"}
    assert text.count('"evidence"') == len(schema["$defs"]) * 2  # once per fact kind (property + required)
    assert schema["$defs"]["Indicator"]["properties"]["period"] == {"type": "string"}  # optional: leave it out
    # Still the model's structure: the example answer validates against the schema the request carries.
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(load_prompts().example["output"], schema)


def test_field_guidance_is_written_once() -> None:
    system = load_prompts().system
    guide = field_guide()
    assert guide in system
    for text in descriptions():
        assert text in guide, text
    assert Fact.model_fields["evidence"].description not in system  # the rules say it, the guide does not repeat it
    for name in ArticleProfile.model_fields:
        assert f"- {name}：" in guide


@pytest.mark.parametrize("mode", MODES)
def test_schema_travels_once_in_the_form_the_mode_needs(fake_server, make_config, mode) -> None:
    (result,) = run(make_config(mode=mode), make_article())
    assert result.error is None, result.error
    body = fake_server.requests[0].body
    text = json.dumps(body, ensure_ascii=False)
    assert text.count('"$defs"') + text.count('\\"$defs\\"') == 1  # the schema, once
    contents = [str(m.get("content")) for m in body["messages"]]
    assert [c.count(field_guide()) for c in contents] == [1, 0]  # the field guidance, once, in the system message
    schema = compact_schema()
    if mode == "TOOLS":
        parameters = body["tools"][0]["function"]["parameters"]
        assert parameters.pop("required") == []  # instructor's addition: every list may be left out
        assert parameters == {k: v for k, v in schema.items() if k != "title"} and "response_format" not in body
    elif mode == "JSON_SCHEMA":
        assert body["response_format"]["json_schema"]["schema"] == schema and "tools" not in body
    else:
        # instructor appends it indented; the request carries it compact (about 600 tokens of whitespace less)
        assert json.dumps(schema, ensure_ascii=False, separators=(",", ":")) in body["messages"][0]["content"]
        assert json.dumps(schema, indent=2, ensure_ascii=False) not in body["messages"][0]["content"]
        assert "tools" not in body


@pytest.mark.parametrize("mode", MODES)
def test_prefix_is_byte_identical_across_articles(fake_server, make_config, mode) -> None:
    first, second = make_article(), make_article(OTHER_TEXT, title="青山高新区签约忙", zone_header="青山高新区", index=1)
    results = run(make_config(mode=mode), first, second)
    assert [r.error for r in results] == [None, None]
    a, b = (r.body for r in fake_server.requests)
    assert a["messages"][0] == b["messages"][0]  # system message: rules, field guide, example (and JSON's schema)
    assert {k: v for k, v in a.items() if k != "messages"} == {k: v for k, v in b.items() if k != "messages"}
    # the article comes last: everything before the user message is one cacheable prefix
    assert [m["role"] for m in a["messages"]][-1] == "user" and OTHER_TEXT in b["messages"][-1]["content"]
    assert all(OTHER_TEXT not in json.dumps(m, ensure_ascii=False) for m in b["messages"][:-1])


def test_fixed_part_is_small() -> None:
    system = load_prompts().system
    schema = json.dumps(compact_schema(), ensure_ascii=False, separators=(",", ":"))
    # benchmarks/tokens.py measures 1,475 cl100k tokens (v1: 4,944); the estimate here guards against regressions
    assert estimate_tokens(system) + estimate_tokens(schema) <= 1700
    assert estimate_tokens(load_prompts("v1").system) > 2000  # v1 stays loadable, as it was


@pytest.mark.parametrize(("flavour", "key"), [("openai", "prompt_tokens_details"), ("deepseek", "prompt_cache_hit_tokens")])
def test_cached_prompt_tokens_are_read_from_provider_usage(make_config, flavour, key) -> None:
    with FakeOpenAIServer(prompt_cache=flavour) as server:
        config = make_config(base_url=server.url)
        first, second = run(config, make_article(), make_article(OTHER_TEXT, index=1))
        assert key in server.requests[1].usage
    assert first.usage.cached_prompt_tokens == 0  # nothing seen before
    assert 0 < second.usage.cached_prompt_tokens < second.usage.prompt_tokens
    assert second.usage.to_json()["cached_prompt_tokens"] == second.usage.cached_prompt_tokens


def test_default_max_tokens_is_sent_and_a_cut_off_answer_is_a_clear_error(fake_server, make_config) -> None:
    fake_server.push(cut_off())
    (result,) = run(make_config(), make_article())
    assert fake_server.requests[0].body["max_tokens"] == make_config().max_tokens > 0
    assert result.profile is None and "cut off" in result.error and "--max-tokens" in result.error


def test_rules_usage_keeps_its_keys() -> None:
    from kaifaqu_llm.extract.backend import Usage

    assert "cached_prompt_tokens" not in Usage().to_json()  # a backend that asked no model: keys as before
    assert Usage(cache_hit=True).to_json()["cached_prompt_tokens"] == 0
