"""The model segmenter (``--segmenter model``): a scripted server answers each page's line roles.

The test page (tests/data/segment_page.txt, written for these tests) has a (上接) fragment, an article
with kicker, markdown headline, subtitle, author line, caption and a run-on byline, and a zone-line
article ending in (下转). A correct answer must give exactly the articles the layout segmenter gives.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from kaifaqu_llm.core.document import Page
from kaifaqu_llm.extract.llm.segmenter import resolve_segmenter, segment_with
from kaifaqu_llm.core.errors import ConfigError, TransportError
from kaifaqu_llm.pages.segment import segment
from kaifaqu_llm.run.pipeline import extract
from tests.support.cli_harness import cli_env, kaifaqu
from kaifaqu_llm.extract.llm.config import ModelConfig
from tests.conftest import FAST_RETRY, RECORDING, REPO, TEST_API_KEY, cassette_requests, cassette_vcr
from tests.support.fake_openai_server import FakeOpenAIServer, content_reply

PAGE_PATH = REPO / "tests" / "data" / "segment_page.txt"
PAGE = Page(source=PAGE_PATH.name, text=PAGE_PATH.read_text(encoding="utf-8"), path=str(PAGE_PATH))


def span(first: int, last: int, **roles: str) -> dict:
    return {"first": first, "last": last, "roles": [{"line": int(k[1:]), "role": v} for k, v in roles.items()]}


GOOD = {"articles": [
    span(1, 3, l1="continuation", l3="byline"),
    span(4, 11, l4="kicker", l5="title", l6="subtitle", l7="byline", l10="caption"),
    span(12, 16, l12="zone", l13="title", l16="continuation"),
]}


def answer(value: dict):  # type: ignore[no-untyped-def]
    return content_reply(json.dumps(value, ensure_ascii=False))


def run_model(config, pages=(PAGE,), **kw):  # type: ignore[no-untyped-def]
    return asyncio.run(segment_with(list(pages), "model", config, **kw))


def test_a_good_answer_gives_the_layout_articles(fake_server, make_config, tmp_path) -> None:
    fake_server.push(answer(GOOD))
    (result,) = run_model(make_config(), cache_dir=str(tmp_path))
    assert result.segmenter == "model" and result.note is None
    assert [a.to_json() for a in result.articles] == [a.to_json() for a in segment(PAGE)]
    fragment, signed, zoned = result.articles
    assert fragment.continued_from == "A1版" and fragment.authors == ("李明",) and fragment.title is None
    assert signed.title == "新材料产业园项目集中签约" and signed.subtitle == "——总投资约十五亿元"
    assert signed.authors == ("王晓东", "陈思", "赵刚") and signed.captions == ("图为签约仪式现场。",)
    assert signed.text.endswith("逐步显现。")  # the run-on byline is cut off the body
    assert zoned.zone_header == "青山高新区" and zoned.continues_to == "A3版"
    assert result.usage.requests == 1 and result.usage.prompt_tokens > 0
    (request,) = fake_server.requests
    assert request.body["response_format"]["json_schema"]["name"] == "PageSegmentation"
    user = request.body["messages"][-1]["content"]
    assert "5| ## 新材料产业园项目集中签约" in user and "16| （下转A3版）" in user  # numbered, readable UTF-8


def test_the_models_cut_is_used_where_it_differs_from_the_layout(fake_server, make_config, tmp_path) -> None:
    # The model reads lines 10-11 as an article of their own (nothing in the layout forbids it).
    cut = {"articles": [GOOD["articles"][0], span(4, 9, l4="kicker", l5="title", l6="subtitle", l7="byline"),
                        span(10, 11, l10="caption"), GOOD["articles"][2]]}
    fake_server.push(answer(cut))
    (result,) = run_model(make_config(), cache_dir=str(tmp_path))
    assert result.segmenter == "model" and len(result.articles) == 4
    assert result.articles[1].authors == ("王晓东", "陈思") and result.articles[1].text.endswith("二十亿元。")
    assert result.articles[2].title is None and result.articles[2].authors == ("赵刚",)
    assert [a.index for a in result.articles] == [0, 1, 2, 3]


BAD = [
    ("overlap", {"articles": [span(1, 5), span(4, 16)]}, "overlaps"),
    ("unassigned", {"articles": [span(1, 3, l1="continuation", l3="byline"), GOOD["articles"][2]]},
     "line 4 belongs to no article"),
    ("past the end", {"articles": [span(1, 20)]}, "the page has 16 lines"),
    ("markdown headline as body", {"articles": [GOOD["articles"][0], span(4, 11, l4="kicker", l7="byline"),
                                                GOOD["articles"][2]]}, "line 5 is a markdown headline, not body"),
    ("continuation mark as body", {"articles": [span(1, 3, l3="byline"), *GOOD["articles"][1:]]},
     "line 1 is a continuation mark"),
    ("byline as body", {"articles": [span(1, 3, l1="continuation"), *GOOD["articles"][1:]]},
     "line 3 is a byline, not body"),
    ("body after the end", {"articles": [GOOD["articles"][0], span(4, 16, l4="kicker", l5="title", l6="subtitle",
                                                                   l7="byline", l10="caption", l16="continuation")]},
     "line 12 follows the article's end at line 11"),
    ("role on a body line", {"articles": [span(1, 3, l1="continuation", l2="byline", l3="byline"),
                                          *GOOD["articles"][1:]]}, "line 2 is not a line of reporters' names"),
]


@pytest.mark.parametrize("value, why", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_an_answer_the_layout_contradicts_falls_back_to_the_layout(fake_server, make_config, tmp_path, value, why) -> None:
    fake_server.push(answer(value))
    (result,) = run_model(make_config(), cache_dir=str(tmp_path))
    assert result.segmenter == "layout" and result.note.startswith("model answer rejected") and why in result.note
    assert [a.to_json() for a in result.articles] == [a.to_json() for a in segment(PAGE)]
    assert result.usage.requests == 1  # a well-formed answer: not re-asked, checked and set aside


def test_a_malformed_answer_is_reasked_then_falls_back(fake_server, make_config, tmp_path) -> None:
    backwards = {"articles": [span(5, 4)]}  # fails validation: fed back to the model
    fake_server.push(answer(backwards), answer(GOOD))
    (result,) = run_model(make_config(), cache_dir=str(tmp_path))
    assert result.segmenter == "model" and result.usage.requests == 2 and result.usage.retries == 1
    assert "last (4) is before first (5)" in fake_server.requests[1].body["messages"][-1]["content"]
    fake_server.push(*(answer(backwards) for _ in range(3)))
    (again,) = run_model(make_config(), refresh=True, cache_dir=str(tmp_path))
    assert again.segmenter == "layout" and again.note.startswith("model failed (ResponseError")
    assert [a.to_json() for a in again.articles] == [a.to_json() for a in segment(PAGE)]


def test_a_cached_rerun_sends_no_request(fake_server, make_config, tmp_path) -> None:
    fake_server.push(answer(GOOD))
    (first,) = run_model(make_config(), cache_dir=str(tmp_path))
    (second,) = run_model(make_config(), cache_dir=str(tmp_path))
    assert len(fake_server.requests) == 1
    assert second.usage.cache_hit and second.usage.requests == 0 and second.cache_key == first.cache_key
    assert [a.to_json() for a in second.articles] == [a.to_json() for a in first.articles]
    # the key covers the model's identity and the page's text: another model or page is asked again
    fake_server.push(answer(GOOD))
    assert first.cache_key != run_model(make_config(model="other-model"), cache_dir=str(tmp_path))[0].cache_key
    edited = Page(source=PAGE.source, text=PAGE.text.replace("八个", "九个"))
    fake_server.push(answer(GOOD))
    assert run_model(make_config(), [edited], cache_dir=str(tmp_path))[0].cache_key != first.cache_key
    assert len(fake_server.requests) == 3


def test_extract_counts_the_segmentation_request_in_usage(fake_server, make_config, tmp_path) -> None:
    fake_server.push(answer(GOOD))
    result = extract([str(PAGE_PATH)], tmp_path / "out", config=make_config(), backend="llm",
                     cache_dir=str(tmp_path / "cache"), segmenter="model", concurrency=1)
    assert result.ok and len(result.records) == 3
    assert len(fake_server.requests) == 4 and result.usage.requests == 4
    assert result.usage.prompt_tokens == sum(r.usage["prompt_tokens"] for r in fake_server.requests)
    assert any(n.startswith("segmenter model: 1 page(s), 0 from the cache, 0 fell back") for n in result.notes)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["usage"]["requests"] == 4


def test_auto_follows_the_model_configuration(make_config) -> None:
    config = make_config()
    assert resolve_segmenter("auto", config) == "model"
    assert resolve_segmenter("auto", config, model_backend=False) == "layout"
    assert resolve_segmenter("auto", None) == "layout" and resolve_segmenter("layout", config) == "layout"
    with pytest.raises(ConfigError, match="needs a model"):
        resolve_segmenter("model", None)


def test_cli_segment_with_the_model_says_how_each_page_was_cut(fake_server, tmp_path) -> None:
    fake_server.push(answer({"articles": [span(1, 16)]}))  # contradicts the layout: falls back
    env = cli_env(KAIFAQU_API_KEY=TEST_API_KEY, KAIFAQU_CACHE_DIR=str(tmp_path))
    done = kaifaqu("segment", PAGE_PATH, "--json", "--model", "fake", "--base-url", fake_server.url, env=env)
    assert done.returncode == 0, done.stderr
    (page,) = json.loads(done.stdout)
    assert page["segmenter"]["used"] == "layout" and "line 1 is a continuation mark" in page["segmenter"]["note"]
    assert page["segmenter"]["usage"]["requests"] == 1 and len(page["articles"]) == 3
    assert "segmented by layout: model answer rejected" in done.stderr and TEST_API_KEY not in done.stderr
    layout = kaifaqu("segment", PAGE_PATH, "--json", "--segmenter", "layout", "--model", "fake", "--base-url",
                     fake_server.url, env=env)
    assert json.loads(layout.stdout)[0].keys() == {"source", "encoding", "articles"} and len(fake_server.requests) == 1


def test_segmentation_exchange_replays_offline_from_its_cassette() -> None:
    """A recorded segmentation request and answer (cassettes/segment_json_schema.yaml), replayed with record
    mode none against an address where nothing listens; re-record with KAIFAQU_RECORD=1 (cassettes/README.md)."""
    cassette = "segment_json_schema.yaml"
    if RECORDING:
        server = FakeOpenAIServer().start()
        server.push(answer(GOOD))
        base_url, model = server.url, "fake-model"
    else:
        server, (base_url, model) = None, ("http://127.0.0.1:9/v1", cassette_requests(cassette)[0]["model"])
    config = ModelConfig.resolve(model=model, base_url=base_url, api_key=TEST_API_KEY, mode="JSON_SCHEMA", env={},
                                 retry=FAST_RETRY)
    try:
        with cassette_vcr.use_cassette(cassette):
            (result,) = run_model(config, use_cache=False)
    finally:
        if server is not None:
            server.stop()
    assert result.segmenter == "model" and result.note is None and result.usage.requests == 1
    assert [a.to_json() for a in result.articles] == [a.to_json() for a in segment(PAGE)]
    (body,) = cassette_requests(cassette)
    assert body["response_format"]["json_schema"]["name"] == "PageSegmentation"
    assert "13| 优化营商环境 服务企业发展" in body["messages"][-1]["content"]


def test_the_prompts_worked_example_passes_the_checks_it_teaches() -> None:
    """The example in prompts/segment/v1/system.md is an answer the checks accept, for the lines it shows."""
    from kaifaqu_llm.extract.llm.segmenter import load_segment_prompt
    from kaifaqu_llm.pages.roles import PageSegmentation, build_articles, check_roles, page_lines

    system = load_segment_prompt().system
    shown = system.split("示例输入：\n", 1)[1].split("\n\n示例输出：", 1)[0]
    page = Page(source="example", text="\n".join(line.split("| ", 1)[1] for line in shown.splitlines()))
    example = PageSegmentation.model_validate_json(system.split("示例输出：\n", 1)[1].strip())
    lines, kinds, captions = page_lines(page)
    assert check_roles(lines, kinds, example) is None
    articles, problem = build_articles(page, lines, kinds, captions, example)
    assert problem is None and [a.title for a in articles] == ["新材料项目签约落地", "优化服务助企发展"]
    assert articles[1].zone_header and articles[1].continues_to == "2版" and articles[0].authors


def test_long_lines_are_shown_by_their_head_and_tail() -> None:
    from kaifaqu_llm.pages.roles import ELIDE_HEAD, ELIDE_TAIL, ELISION, numbered_text, page_lines

    long_line = "开发区" * 40 + "（下转A3版）"
    lines = page_lines(Page(source="p", text=f"短标题\n{long_line}\n"))[0]
    short, shown = numbered_text(lines).splitlines()
    assert short == "1| 短标题"
    assert shown == f"2| {long_line[:ELIDE_HEAD]}{ELISION}{long_line[-ELIDE_TAIL:]}" and shown.endswith("（下转A3版）")


def test_cli_extract_asks_the_model_segmenter_by_default_when_a_model_is_configured(fake_server, tmp_path) -> None:
    fake_server.push(answer(GOOD))
    env = cli_env(KAIFAQU_API_KEY=TEST_API_KEY)
    done = kaifaqu("extract", PAGE_PATH, "-o", tmp_path / "out", "--backend", "llm", "--model", "fake", "--base-url",
                   fake_server.url, "--no-cache", "--concurrency", "1", "-q", env=env)
    assert done.returncode == 0, done.stderr
    assert "segmenter model: 1 page(s), 0 from the cache, 0 fell back to the layout" in done.stderr
    first = fake_server.requests[0].body
    assert first["response_format"]["json_schema"]["name"] == "PageSegmentation" and len(fake_server.requests) == 4
    assert "requests 4," in done.stderr  # the segmentation request counts in the run's usage


CUT_IN_FOUR = {"articles": [GOOD["articles"][0], span(4, 9, l4="kicker", l5="title", l6="subtitle", l7="byline"),
                            span(10, 11, l10="caption"), GOOD["articles"][2]]}


@pytest.mark.parametrize("engine", ["inline", "local"])
def test_every_engine_extracts_the_models_articles_even_with_the_rules_backend(fake_server, make_config, tmp_path,
                                                                               engine) -> None:
    fake_server.push(answer(CUT_IN_FOUR))
    result = extract([str(PAGE_PATH)], tmp_path / "out", config=make_config(), backend="rules", engine=engine,
                     cache_dir=str(tmp_path / "cache"), segmenter="model")
    assert result.ok and result.backend == "rules" and len(fake_server.requests) == 1  # only the page is asked
    assert [r["article_index"] for r in result.records] == [0, 1, 2, 3] and result.usage.requests == 1
    assert result.records[2]["authors"] == ["赵刚"]


def test_shards_cut_by_one_segmenter_are_not_resumed_by_the_other(fake_server, make_config, tmp_path) -> None:
    fake_server.push(answer(CUT_IN_FOUR))
    out, cache = tmp_path / "out", str(tmp_path / "cache")
    first = extract([str(PAGE_PATH)], out, config=make_config(), backend="rules", cache_dir=cache, segmenter="model")
    assert len(first.records) == 4 and first.shards_skipped == 0
    by_layout = extract([str(PAGE_PATH)], out, backend="rules", segmenter="layout")
    assert by_layout.shards_skipped == 0 and len(by_layout.records) == len(segment(PAGE)) == 3
    again = extract([str(PAGE_PATH)], out, backend="rules", segmenter="layout")
    assert again.shards_skipped == again.shards and again.articles_run == 0
    by_model = extract([str(PAGE_PATH)], out, config=make_config(), backend="rules", cache_dir=cache, segmenter="model")
    assert by_model.shards_skipped == 0 and len(by_model.records) == 4  # re-cut from the cache, re-run
    assert len(fake_server.requests) == 1


def test_an_unreachable_server_fails_before_segmenting_unless_the_cache_has_every_cut(make_config, tmp_path) -> None:
    cache = str(tmp_path / "cache")
    with FakeOpenAIServer() as server:
        config = make_config(base_url=server.url)
        server.push(answer(CUT_IN_FOUR))
        first = extract([str(PAGE_PATH)], tmp_path / "one", config=config, backend="rules", cache_dir=cache,
                        segmenter="model")
    assert len(first.records) == 4  # the server is gone now: its port refuses connections
    again = extract([str(PAGE_PATH)], tmp_path / "two", config=config, backend="rules", cache_dir=cache,
                    segmenter="model")
    assert [(r["article_start"], r["article_end"]) for r in again.records] == [(r["article_start"], r["article_end"]) for r in first.records]
    assert again.usage.requests == 0 and "1 from the cache" in again.notes[-1]
    with pytest.raises(TransportError):
        extract([str(PAGE_PATH)], tmp_path / "three", config=config, backend="rules", segmenter="model",
                use_cache=False)
    assert not (tmp_path / "three").exists()
