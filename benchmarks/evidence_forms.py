"""Quote evidence against sentence evidence (``--evidence sentence``): prompt size and answer size.

Prompt: the requests the LLM backend sends for the seed pages in each form, captured
at the fake server and counted like :mod:`.tokens` (system + user message + schema).
Answer: the annotated facts of the gold pages (seed gold, and the real dev pages when
``../shared/dev_pages`` is present), written as a model would answer them: every fact's
non-empty fields and its ``evidence``, a verbatim quote in one form, the number(s) of the
sentence(s) of its article that hold the quote in the other; compact JSON, counted in
characters and tokens. Output is priced at several times input, so the answer side is
what the form is for. The model's real answers may differ: this counts the same facts.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from kaifaqu_llm.core.document import Article
from kaifaqu_llm.extract.llm.config import ModelConfig
from kaifaqu_llm.ground.evidence import fold_for_matching
from kaifaqu_llm.ground.sentences import split_sentences
from kaifaqu_llm.pages.reader import read_page
from kaifaqu_llm.pages.segment import segment
from kaifaqu_llm.run.pipeline import ExtractOptions, extract

from ._corpus import SEEDS
from ._harness import Row, Section, fmt
from .tokens import _seen_text, token_counter

__all__ = ["run"]

_FACT_LISTS = ("zones", "indicators", "projects", "organizations", "people", "events")
# the real dev pages beside the repo (``../shared``; KAIFAQU_SHARED names another place, e.g. from a worktree)
_DEV = Path(os.environ.get("KAIFAQU_SHARED") or SEEDS.parent.parent / "shared") / "dev_pages"


def _prompt_tokens(form: str, count) -> tuple[int, int, int, int]:  # type: ignore[no-untyped-def]
    """Return (requests, prompt tokens of all of them, system-message tokens, characters of the scripted
    answers) for the seeds in ``form``."""
    sys.path.insert(0, str(SEEDS.parent))
    from tests.support.fake_openai_server import FakeOpenAIServer, build_profile

    with FakeOpenAIServer() as server:
        config = ModelConfig.resolve(model="fake-model", base_url=server.url, env={}, evidence=form)
        extract([SEEDS], None, config=config, options=ExtractOptions(backend="llm", use_cache=False))
        bodies = [r.body for r in server.requests]
        answers = sum(len(json.dumps(build_profile(r.article), ensure_ascii=False, separators=(",", ":")))
                      for r in server.requests)
    total = sum(count(m) + count(s) for m, s in (_seen_text(b) for b in bodies))
    return len(bodies), total, count(bodies[0]["messages"][0]["content"]), answers


def _citation(quote: str, articles: list[Article]) -> str | None:
    """Return the ``S<n>[,S<m>…]`` citation of ``quote`` in the first article holding it, or None."""
    want = fold_for_matching(quote)
    for article in articles:
        sentences = split_sentences(article.text)
        folded, owner = "", []
        for s in sentences:
            piece = fold_for_matching(s.text)
            folded += piece
            owner += [s.number] * len(piece)
        at = folded.find(want) if want else -1
        if at >= 0:
            return ",".join(f"S{n}" for n in sorted(set(owner[at: at + len(want)])))
    return None


def _answers(gold_files: list[Path]) -> tuple[list[str], list[str], int, int]:
    """Return (quote-form answers, sentence-form answers, facts, facts whose quote no sentence holds)."""
    quotes, cited, facts, missed = [], [], 0, 0
    for gold_file in gold_files:
        gold = json.loads(gold_file.read_text(encoding="utf-8"))
        page_file = gold_file.with_suffix(".txt")
        if not page_file.is_file():
            page_file = SEEDS / gold["source"]
        articles = segment(read_page(page_file))
        for item in gold["articles"]:
            # as the prompt asks for them: keys without a value left out
            answer = {k: [{n: v for n, v in f.items() if v not in (None, "", [])} for f in item.get(k) or []
                          if isinstance(f, dict) and f.get("evidence")] for k in _FACT_LISTS}
            answer = {k: v for k, v in answer.items() if v}
            if not answer:
                continue
            quotes.append(json.dumps(answer, ensure_ascii=False, separators=(",", ":")))
            for fact in (f for v in answer.values() for f in v):
                facts += 1
                ids = _citation(fact["evidence"], articles)
                missed += ids is None
                fact["evidence"] = ids or fact["evidence"]
            cited.append(json.dumps(answer, ensure_ascii=False, separators=(",", ":")))
    return quotes, cited, facts, missed


def run(quick: bool = False) -> Section:
    """Return the evidence-form section: prompt tokens and answer size, quote against sentence."""
    count, counter_name = token_counter()
    section = Section("evidence_forms", "Evidence forms: verbatim quote against cited sentence number")
    (n_q, prompt_q, sys_q, ans_q), (_, prompt_s, sys_s, ans_s) = (_prompt_tokens(form, count)
                                                                  for form in ("quote", "sentence"))
    section.rows += [
        Row("scripted answers' characters (fake server: a zone and an indicator per article), quote → sentence",
            f"{ans_q} → {ans_s} ({fmt(100 * (ans_s - ans_q) / ans_q)}%)"),
        Row(f"prompt tokens, seed pages ({n_q} requests), quote → sentence",
            f"{prompt_q} → {prompt_s} ({fmt(100 * (prompt_s - prompt_q) / prompt_q)}%)"),
        Row("system message tokens (cached prefix), quote → sentence", f"{sys_q} → {sys_s}"),
    ]
    gold_files = sorted((SEEDS.parent / "tests" / "gold").glob("*.json"))
    if _DEV.is_dir() and not quick:
        gold_files += sorted(_DEV.glob("*.json"))
    quotes, cited, facts, missed = _answers(gold_files)
    chars = sum(map(len, quotes)), sum(map(len, cited))
    tokens = sum(map(count, quotes)), sum(map(count, cited))
    section.rows += [
        Row(f"answer characters (compact JSON), {facts} gold facts in {len(quotes)} articles, quote → sentence",
            f"{chars[0]} → {chars[1]} ({fmt(100 * (chars[1] - chars[0]) / chars[0])}%)"),
        Row("answer tokens, quote → sentence", f"{tokens[0]} → {tokens[1]} "
            f"({fmt(100 * (tokens[1] - tokens[0]) / tokens[0])}%)"),
        Row("gold quotes no sentence of the segmented page holds (left as quotes)", str(missed)),
    ]
    section.notes.append(f"Tokens: {counter_name}. Gold pages: {len(gold_files)} ({', '.join(p.stem for p in gold_files)}).")
    section.data = {"prompt": [prompt_q, prompt_s], "scripted_answer_chars": [ans_q, ans_s], "answer_chars": list(chars), "answer_tokens": list(tokens),
                    "facts": facts, "missed": missed}
    return section


if __name__ == "__main__":
    result = run()
    for row in result.rows:
        print(f"{row.metric}: {row.value}")
    print(*result.notes, sep="\n")
