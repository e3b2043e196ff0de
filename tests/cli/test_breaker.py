"""The circuit breaker: a server that stops answering costs a few requests, not the whole batch.

The fake server passes the preflight (it answers GET) but fails every chat
request; the run must stop after a handful of requests, say so in one line,
exit 1, and a re-run against a healthy server must resume the articles left.
"""

from __future__ import annotations

import pytest

from kaifaqu_llm.extract.llm.breaker import NOT_SENT, CircuitBreaker
from tests.support import fake_openai_server as fake
from tests.support.cli_harness import article_texts, kaifaqu, llm_args, read_jsonl_strictly
from tests.conftest import REPO

PAGES = sorted((REPO / "seeds").glob("*.txt"))
CONCURRENCY = 4


def _run(tmp_path, server, out):
    return kaifaqu("extract", *PAGES, "-o", out, *llm_args(server, concurrency=CONCURRENCY, mode="tools"),
                   "--cache-dir", tmp_path / "cache", "--timeout", "5")


@pytest.mark.parametrize("reply, says", [(fake.drop, "could not connect"),
                                         (lambda: fake.status_reply(401), "HTTP 401"),
                                         (lambda: fake.status_reply(404), "HTTP 404")])
def test_failing_server_stops_the_batch_and_a_rerun_resumes(tmp_path, reply, says):
    articles = len(article_texts(PAGES))
    assert articles >= 12
    out = tmp_path / "out"
    with fake.FakeOpenAIServer(lambda request: reply()) as server:
        proc = _run(tmp_path, server, out)
        sent = len(server.requests)
    # Without the breaker: every article, each with its retries (3 attempts for a lost connection).
    assert sent <= CONCURRENCY + 3, sent
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if "not sent" in line]
    assert len(lines) == 1 and says in lines[0] and "re-run" in lines[0], proc.stderr
    records = read_jsonl_strictly(out / "profiles.jsonl")
    assert len(records) == articles and all(r["error"] for r in records)
    assert sum(NOT_SENT in r["error"] for r in records) >= articles - sent
    with fake.FakeOpenAIServer() as healthy:
        again = _run(tmp_path, healthy, out)
    assert again.returncode == 0, again.stderr
    records = read_jsonl_strictly(out / "profiles.jsonl")
    assert len(records) == articles and not any(r["error"] for r in records)


def test_isolated_failures_do_not_open_it():
    breaker = CircuitBreaker(3)
    for _ in range(5):  # one article failing again and again while others succeed
        breaker.failure("connect", "a", "could not connect")
    assert not breaker.is_open  # one article alone never opens it
    breaker.success()
    breaker.failure("HTTP 404", "b", "HTTP 404")
    breaker.failure("HTTP 404", "c", "HTTP 404")
    breaker.failure("HTTP 404", "d", "HTTP 404")
    assert not breaker.is_open  # after a success, a permanent answer is that article's own problem
    breaker.failure("connect", "b", "x")
    breaker.failure(None, "c", "")  # a timeout or a 5xx: the server is there, the run of failures ends
    breaker.failure("connect", "d", "x")
    breaker.failure("connect", "e", "x")
    assert not breaker.is_open
    breaker.failure("connect", "f", "could not connect")
    assert breaker.is_open
    with pytest.raises(Exception, match="not sent: 3 requests in a row failed"):
        breaker.check()
