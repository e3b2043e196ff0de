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
