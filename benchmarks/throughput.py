"""Throughput: kaifaqu's pipeline at concurrency 1, 8 and 32 against a plain sequential instructor loop.

The fake server answers every request after a fixed latency and serves at most
``limit`` requests at once (its "server limit"; more wait in line). The baseline
is what a user would write by hand: a loop of
``instructor.from_openai(openai.OpenAI(...)).chat.completions.create(response_model=ArticleProfile, ...)``
with the same messages, schema and mode. Ideal speed-up at concurrency ``c`` is
``min(c, limit)`` times the baseline rate; the target is >= 90 % of it.
"""

from __future__ import annotations

import os
import tempfile
import time

from kaifaqu_llm.extract.llm.capabilities import instructor_mode
from kaifaqu_llm.extract.llm.config import ModelConfig
from kaifaqu_llm.run.pipeline import ExtractOptions, extract
from kaifaqu_llm.extract.llm.prompts import load_prompts
from kaifaqu_llm.core.schema import ArticleProfile

from ._corpus import articles_of, pages_for_articles
from ._harness import Row, Section, fmt
from ._server import ServerProcess

__all__ = ["run", "baseline_loop"]

TARGET = 0.90


def baseline_loop(config: ModelConfig, articles: list) -> int:
    """Extract ``articles`` one after another with bare instructor; returns how many profiles came back."""
    import instructor
    import openai

    prompts = load_prompts()
    client = instructor.from_openai(
        openai.OpenAI(base_url=config.effective_base_url, api_key="not-needed", max_retries=0, timeout=config.timeout),
        mode=instructor_mode(config.resolved_mode),
    )
    done = 0
    for article in articles:
        profile = client.chat.completions.create(
            model=config.model, messages=prompts.messages(article), response_model=ArticleProfile,
            temperature=config.temperature, max_retries=config.reask, strict=False,
        )
        done += isinstance(profile, ArticleProfile)
    return done


def run(quick: bool = False, *, articles: int | None = None, latency: float | None = None,
        limit: int = 32, levels: tuple[int, ...] = (1, 8, 32)) -> Section:
    """Return the throughput section: articles/s per concurrency level and the share of ideal speed-up."""
    n = articles or (16 if quick else 200)
    latency = latency if latency is not None else (0.05 if quick else 0.2)
    pages = pages_for_articles(n)
    items = articles_of(pages)
    section = Section("throughput", f"1. Throughput on {len(items)} articles")
    with ServerProcess(latency=latency, limit=limit) as server:
        config = ModelConfig.resolve(model="fake-model", base_url=server.url, env={})
        baseline_loop(config, items[:1])  # warm-up: lazy imports, schema caches, the first connection
        started, cpu = time.perf_counter(), time.process_time()
        done = baseline_loop(config, items)
        base_seconds = time.perf_counter() - started
        base_cpu = (time.process_time() - cpu) / done
        base_rate = done / base_seconds
        section.rows.append(Row("baseline: sequential instructor loop", f"{fmt(base_rate)} articles/s "
                                f"({fmt(base_seconds, 1)} s), client CPU {fmt(base_cpu * 1000, 1)} ms/article"))
        results = {}
        for level in levels:
            with tempfile.TemporaryDirectory(prefix="kaifaqu-bench-") as out:
                started, cpu = time.perf_counter(), time.process_time()
                result = extract(pages, out, config=config,
                                 options=ExtractOptions(backend="llm", concurrency=level, use_cache=False, stitch=False))
                seconds = time.perf_counter() - started
                cpu = time.process_time() - cpu
            ok = len(result.records) - len(result.article_errors)
            rate = ok / seconds
            ideal = min(level, limit)
            speedup = rate / base_rate
            share = speedup / ideal
            results[level] = {"seconds": seconds, "cpu_ms_per_article": cpu / max(ok, 1) * 1000, "rate": rate, "speedup": speedup, "share_of_ideal": share,
                              "records": len(result.records), "errors": len(result.article_errors)}
            section.rows.append(Row(
                f"kaifaqu, concurrency {level}",
                f"{fmt(rate)} articles/s ({fmt(seconds, 1)} s), {fmt(speedup)}× baseline = "
                f"{share:.0%} of ideal {ideal}×; client CPU {fmt(cpu / max(ok, 1) * 1000, 1)} ms/article" + (f", {len(result.article_errors)} errors" if result.article_errors else ""),
                f"≥ {TARGET:.0%} of ideal", share >= TARGET and not result.article_errors,
            ))
    section.data = {"articles": len(items), "latency": latency, "limit": limit, "baseline_rate": base_rate,
                    "baseline_cpu_ms": base_cpu * 1000,
                    "baseline_seconds": base_seconds, "levels": results, "server": server.stats}
    section.notes.append(
        f"Server: latency {latency * 1000:.0f} ms per request, at most {limit} served at once "
        f"(peak seen: {server.stats.get('max_served')} served, {server.stats.get('max_in_flight')} in flight; "
        f"{server.stats.get('requests')} requests in all). {len(items)} articles from {len(pages)} seed copies "
        "(numbers shifted per copy), mode "
        f"{config.resolved_mode}, cache off, output written to a temp dir. Ideal speed-up at concurrency c is "
        f"min(c, {limit}) × the baseline rate; the baseline pays latency plus its own client cost per article, "
        "so ideal is what perfect overlap of the same per-request cost would give."
    )
    client_ms = max(r["cpu_ms_per_article"] for r in results.values())
    server_ms = 1000 * server.stats.get("cpu_seconds", 0.0) / max(server.stats.get("requests", 1), 1)
    cores = os.cpu_count() or 1
    ceiling = min(1000 / client_ms, 1000 * cores / (client_ms + server_ms))
    section.notes.append(
        f"CPU is the limit at concurrency {max(levels)}, not the server: the client is one Python process (one "
        f"event loop) spending about {client_ms:.1f} ms of CPU per article, and the fake server (Python, a thread "
        f"per request) about {server_ms:.1f} ms per request, on {cores} cores shared with anything else running. "
        f"That caps this machine near {ceiling:.0f} articles/s, against an ideal of "
        f"{min(max(levels), limit) * base_rate:.0f}/s at {latency * 1000:.0f} ms per request. A real model takes "
        "seconds per article, where the same CPU cost is a rounding error: at 5 s per request, 32 in flight need "
        f"6.4 articles/s, {6.4 * client_ms / 10:.0f} % of one core."
    )
    section.data["client_cpu_ms"] = client_ms
    section.data["server_cpu_ms"] = server_ms
    return section
