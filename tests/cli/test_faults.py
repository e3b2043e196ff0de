"""Server faults, end to end: the real ``kaifaqu extract`` against the fault-injecting fake server.

Every article of the batch is given its own fault (one kind per article). A
transient fault must end in a profile after retry; a permanent one in a record
with ``error`` set. Either way the article is in ``profiles.jsonl`` exactly
once, the counts add up, and the exit code says whether anything failed.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.support import fake_openai_server as fake
from tests.support.cli_harness import (
    CONTRACT_KEYS,
    PerArticleScript,
    article_texts,
    kaifaqu,
    llm_args,
    read_jsonl_strictly,
)
from tests.conftest import REPO

PAGES = sorted((REPO / "seeds").glob("*.txt"))
TIMEOUT = 1.0  # client timeout (--timeout); a hang lasts longer
ATTEMPTS = 3  # KAIFAQU_RETRY_ATTEMPTS set by cli_env
REASK = 2

# kind → the replies of the article's first requests. Each ends, after retry, in a profile.
TRANSIENT = {
    "429 with Retry-After": [lambda: fake.rate_limited(retry_after=0.03)],
    "429 without Retry-After": [fake.rate_limited, fake.rate_limited],
    "500": [fake.server_error],
    "502": [lambda: fake.server_error(502)],
    "503 with Retry-After": [lambda: fake.status_reply(503, headers={"Retry-After": "0"})],
    "hang past the client timeout": [lambda: fake.hang(TIMEOUT * 2.5)],
    "dropped connection": [fake.drop],
    "invalid JSON": [fake.invalid_json],
    "JSON breaking the schema": [fake.schema_breaking],
    "missing tool call": [fake.no_tool_call],
}
# kind → (replies, what the error says). Each ends in an error record.
PERMANENT = {
    "429 insufficient_quota": ([fake.quota_exceeded], "QuotaExceededError: insufficient_quota"),
    "500 on every attempt": ([fake.server_error] * ATTEMPTS, "HTTP 500 from"),
    "503 on every attempt": ([lambda: fake.server_error(503)] * ATTEMPTS, "HTTP 503 from"),
    "dropped connection on every attempt": ([fake.drop] * ATTEMPTS, "could not connect"),
    "invalid JSON beyond the reasks": ([fake.invalid_json] * (REASK + 1), "no valid profile after 3 attempt(s)"),
    "schema-breaking JSON beyond the reasks": ([fake.schema_breaking] * (REASK + 1), "no valid profile after 3"),
    "empty choices": ([fake.empty_choices], "No choices"),  # not reasked: there is no reply to correct
    "missing tool call beyond the reasks": ([fake.no_tool_call] * (REASK + 1), "no valid profile after 3"),
}
FAULT_KINDS = len(TRANSIENT) + len(PERMANENT)


def _run(tmp_path, plan_by_key, texts):
    script = PerArticleScript({texts[key]: replies for key, replies in plan_by_key.items()})
    out = tmp_path / "out"
    with fake.FakeOpenAIServer(script) as server:
        proc = kaifaqu("extract", *PAGES, "-o", out, *llm_args(server, mode="tools"), "--timeout", TIMEOUT,
                       "--reask", REASK, "--cache-dir", tmp_path / "cache")
        requests = list(server.requests)
    records = read_jsonl_strictly(out / "profiles.jsonl")
    return proc, records, requests


def _assign(kinds, texts):
    """Give each fault kind its own article, in a fixed order."""
    keys = sorted(texts)
    assert len(keys) >= len(kinds), "need one article per fault kind"
    return dict(zip(keys, kinds))


def _check_every_article_once(records, texts):
    keys = Counter((r["source"], r["article_index"]) for r in records)
    assert set(keys) == set(texts) and max(keys.values()) == 1
    for record in records:
        assert CONTRACT_KEYS <= set(record)


def test_transient_faults_end_in_profiles_and_exit_0(tmp_path) -> None:
    texts = article_texts(PAGES)
    kind_of = _assign(list(TRANSIENT), texts)
    proc, records, requests = _run(tmp_path, {k: TRANSIENT[kind] for k, kind in kind_of.items()}, texts)

    assert proc.returncode == 0, proc.stderr
    _check_every_article_once(records, texts)
    assert all(r["error"] is None for r in records)
    by_key = {(r["source"], r["article_index"]): r for r in records}
    for key, kind in kind_of.items():
        usage = by_key[key]["usage"]
        # the faulty requests plus the one that succeeded, every one counted
        assert usage["requests"] == len(TRANSIENT[kind]) + 1, (kind, usage)
        assert usage["retries"] == len(TRANSIENT[kind]), (kind, usage)
    assert sum(r["usage"]["requests"] for r in records) == len(requests)
    assert f"{len(texts)} article(s), 0 failed" in proc.stderr


def test_permanent_faults_end_in_error_records_and_exit_1(tmp_path) -> None:
    texts = article_texts(PAGES)
    kind_of = _assign(list(PERMANENT), texts)
    proc, records, requests = _run(tmp_path, {k: PERMANENT[kind][0] for k, kind in kind_of.items()}, texts)

    assert proc.returncode == 1, proc.stderr
    _check_every_article_once(records, texts)
    failed = {(r["source"], r["article_index"]): r["error"] for r in records if r["error"]}
    assert set(failed) == set(kind_of), "exactly the articles given a permanent fault failed"
    for key, kind in kind_of.items():
        error = failed[key]
        assert PERMANENT[kind][1] in error, (kind, error)
        assert "\n" not in error and "\r" not in error
        assert f"{key[0]} article {key[1]}: {error}" in proc.stderr.splitlines()
    profiles = [r for r in records if r["error"] is None]
    assert len(profiles) + len(failed) == len(texts) == len(records)
    assert f"{len(texts)} article(s), {len(failed)} failed" in proc.stderr
    assert sum(r["usage"]["requests"] for r in records) == len(requests)
    # quota is never retried; the other transport faults used every attempt
    by_key = {(r["source"], r["article_index"]): r for r in records}
    for key, kind in kind_of.items():
        assert by_key[key]["usage"]["requests"] == len(PERMANENT[kind][0]), kind


def test_failed_articles_are_retried_by_the_next_run_not_cached(tmp_path) -> None:
    texts = article_texts(PAGES[:1])
    (key, text), *_ = sorted(texts.items())
    out, cache = tmp_path / "out", tmp_path / "cache"
    cache_args = ["--cache-dir", cache]
    with fake.FakeOpenAIServer(PerArticleScript({text: [fake.quota_exceeded]})) as server:
        first = kaifaqu("extract", PAGES[0], "-o", out, *llm_args(server), *cache_args)
        second = kaifaqu("extract", PAGES[0], "-o", out, *llm_args(server), *cache_args)
        requests = len(server.requests)
    assert (first.returncode, second.returncode) == (1, 0), second.stderr
    records = read_jsonl_strictly(out / "profiles.jsonl")
    assert len(records) == len(texts) and all(r["error"] is None for r in records)
    # the second run asks only for the article that failed: the others come from the cache
    assert requests == len(texts) + 1


def test_retry_policy_from_the_environment() -> None:
    from kaifaqu_llm.extract.llm.config import ModelConfig, RetryPolicy
    from kaifaqu_llm.core.errors import ConfigError

    env = {"KAIFAQU_RETRY_ATTEMPTS": "2", "KAIFAQU_RETRY_MAX_WAIT": "0.05"}
    policy = ModelConfig.resolve(model="m", env=env).retry
    assert (policy.attempts, policy.max_delay) == (2, 0.05)
    assert policy.delay(5) <= 0.05 and policy.delay(1, retry_after=30.0) == 0.05
    explicit = RetryPolicy(attempts=7)
    assert ModelConfig.resolve(model="m", env=env, retry=explicit).retry == explicit  # a caller's policy wins
    assert ModelConfig.resolve(model="m", env={}).retry == RetryPolicy()
    for bad in ({"KAIFAQU_RETRY_ATTEMPTS": "many"}, {"KAIFAQU_RETRY_ATTEMPTS": "0"}, {"KAIFAQU_RETRY_MAX_WAIT": "-1"}):
        with pytest.raises(ConfigError):
            ModelConfig.resolve(model="m", env=bad)


class _HalfBrokenBackend:
    """A custom backend with bugs: it raises for one article and returns a broken profile for another."""

    name, model, prompt_version = "custom", None, None

    async def extract(self, article):  # type: ignore[no-untyped-def]
        from kaifaqu_llm.extract.backend import BackendResult
        from kaifaqu_llm.extract.rules.backend import extract_rules

        if article.index == 1:
            raise RuntimeError("backend bug")
        if article.index == 2:
            return BackendResult(profile=object())  # type: ignore[arg-type] - not a profile: no record can be built
        return BackendResult(extract_rules(article))

    async def aclose(self) -> None:
        pass


def test_a_backend_or_record_bug_costs_one_article_not_the_batch(tmp_path) -> None:
    from kaifaqu_llm.run.pipeline import extract

    page = PAGES[2]
    texts = article_texts([page])
    result = extract([page], tmp_path / "out", backend=_HalfBrokenBackend())
    records = read_jsonl_strictly(tmp_path / "out" / "profiles.jsonl")
    assert len(result.records) == len(records) == len(texts) and result.failed == 2
    errors = {r["article_index"]: r["error"] for r in records if r["error"]}
    assert errors[1] == "RuntimeError: backend bug"
    assert errors[2].startswith("could not build the record: AttributeError")
