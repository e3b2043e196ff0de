"""The cost guard: ``--dry-run`` sizes a run without sending or writing; ``--max-chunks`` refuses runaway articles."""

from __future__ import annotations

import re

from kaifaqu_llm.extract.chunking import split_text
from tests.support import fake_openai_server as fake
from tests.support.cli_harness import article_texts, kaifaqu, llm_args, read_jsonl_strictly
from tests.conftest import REPO

PAGES = sorted((REPO / "seeds").glob("*.txt"))
BUDGET, LIMIT = 200, 2  # --token-budget (the smallest allowed) and --max-chunks: long articles go over


def _chunks(texts):
    return {key: len(split_text(text, BUDGET)) for key, text in texts.items()}


def test_dry_run_counts_without_sending_or_writing(tmp_path):
    texts = article_texts(PAGES)
    chunks = _chunks(texts)
    out = tmp_path / "out"
    with fake.FakeOpenAIServer() as server:
        proc = kaifaqu("extract", *PAGES, "-o", out, *llm_args(server), "--dry-run", "--token-budget", BUDGET,
                       "--max-chunks", 1000, "--price", "1,2")
        assert server.requests == []
    assert proc.returncode == 0, proc.stderr
    assert not out.exists()
    first = proc.stdout.splitlines()[0]
    numbers = dict((name, int(n.replace(",", ""))) for n, name in
                   re.findall(r"~?([\d,]+) (page|article|chunk|request|prompt tokens)", first))
    assert numbers["page"] == len(PAGES) and numbers["article"] == len(texts)
    assert numbers["chunk"] == numbers["request"] == sum(chunks.values()) > len(texts)
    # every chunk carries at least its own text (about a token per character of Chinese) and the system prompt
    assert numbers["prompt tokens"] > sum(len(t) for t in texts.values()) * 0.5
    cost = float(re.search(r"estimated cost ([\d.]+)", proc.stdout).group(1))
    assert abs(cost - numbers["prompt tokens"] / 1e6) < 1e-3


def test_articles_over_the_chunk_limit_are_errors_not_requests(tmp_path):
    texts = article_texts(PAGES)
    chunks = _chunks(texts)
    over = {key for key, n in chunks.items() if n > LIMIT}
    assert over and len(over) < len(texts)
    out = tmp_path / "out"
    with fake.FakeOpenAIServer() as server:
        dry = kaifaqu("extract", *PAGES, "-o", out, *llm_args(server), "--dry-run", "--token-budget", BUDGET,
                      "--max-chunks", LIMIT)
        proc = kaifaqu("extract", *PAGES, "-o", out, *llm_args(server), "--token-budget", BUDGET,
                       "--max-chunks", LIMIT, "--cache-dir", tmp_path / "cache")
        asked = {r.article.strip() for r in server.requests}
    assert dry.returncode == 1 and dry.stdout.count("over the --max-chunks limit") == len(over)
    assert proc.returncode == 1
    records = {(r["source"], r["article_index"]): r for r in read_jsonl_strictly(out / "profiles.jsonl")}
    for key in over:
        assert "over the limit of 2 (--max-chunks): not sent" in records[key]["error"]
        assert not any(chunk.strip() in asked for chunk in split_text(texts[key], BUDGET) if chunk.strip())
    assert all(not records[key]["error"] for key in set(texts) - over)
    assert proc.stderr.count("over the limit of 2") == len(over)  # one line each, naming the article


def test_prompt_version_picks_the_prompt_set_sent_and_recorded(tmp_path):
    page = PAGES[0]
    prompts = REPO / "prompts"
    with fake.FakeOpenAIServer() as server:
        proc = kaifaqu("extract", page, "-o", tmp_path / "v1", *llm_args(server), "--prompt-version", "v1",
                       "--no-cache")
        v1_system = server.requests[0].body["messages"][0]["content"]
        server.requests.clear()
        default = kaifaqu("extract", page, "-o", tmp_path / "v2", *llm_args(server), "--no-cache")
        v2_system = server.requests[0].body["messages"][0]["content"]
        bad = kaifaqu("extract", page, "-o", tmp_path / "v9", *llm_args(server), "--prompt-version", "v9")
    assert proc.returncode == 0 and default.returncode == 0, (proc.stderr, default.stderr)
    assert (prompts / "v1" / "system.md").read_text(encoding="utf-8").strip()[:40] in v1_system
    assert len(v1_system) > len(v2_system)
    assert {r["prompt_version"] for r in read_jsonl_strictly(tmp_path / "v1" / "profiles.jsonl")} == {"v1"}
    assert {r["prompt_version"] for r in read_jsonl_strictly(tmp_path / "v2" / "profiles.jsonl")} == {"v2"}
    assert bad.returncode == 2 and "prompt version 'v9'" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
