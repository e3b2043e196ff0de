"""Preflight: a run that cannot finish stops before the first model request, in one line, with the right code.

Each case runs the real ``kaifaqu extract`` against the fake server and checks
the exit code, that stderr is one ``kaifaqu:`` line (no traceback) and that the
server received no request.
"""

from __future__ import annotations

import os
import socket
import time

import pytest

from kaifaqu_llm import ConfigError, TransportError, extract
from kaifaqu_llm.run.preflight import check_cache_dir, check_out_dir, check_server
from tests.support import fake_openai_server as fake
from tests.support.cli_harness import kaifaqu, llm_args, read_jsonl_strictly
from tests.conftest import REPO

PAGES = sorted((REPO / "seeds").glob("*.txt"))[:2]
EXIT_FAILED, EXIT_USAGE = 1, 2


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def _one_clear_line(proc, *words: str) -> str:
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert "Traceback" not in proc.stderr, proc.stderr
    assert len(lines) == 1 and lines[0].startswith("kaifaqu: "), proc.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("case", ["out is a file", "out under a file", "cache under a file"])
def test_unusable_out_or_cache_fails_before_any_request(tmp_path, case):
    blocker = tmp_path / "somefile"
    blocker.write_text("not a directory\n", encoding="utf-8")
    out, cache = tmp_path / "out", tmp_path / "cache"
    if case == "out is a file":
        out = blocker
    elif case == "out under a file":
        out = blocker / "sub"
    else:
        cache = blocker / "cache"
    with fake.FakeOpenAIServer() as server:
        proc = kaifaqu("extract", *PAGES, "-o", out, *llm_args(server), "--cache-dir", cache)
        assert server.requests == []
    assert proc.returncode == EXIT_USAGE
    line = _one_clear_line(proc, str(out if "out" in case else cache))
    if case == "cache under a file":
        assert "--no-cache" in line
    assert blocker.read_text(encoding="utf-8") == "not a directory\n"


def test_unreachable_server_fails_at_once_without_writing(tmp_path):
    out = tmp_path / "out"
    started = time.monotonic()
    proc = kaifaqu("extract", *PAGES, "-o", out, "--backend", "llm", "--model", "m", "--base-url",
                   _closed_port_url(), "--cache-dir", tmp_path / "cache", "-q")
    assert proc.returncode == EXIT_FAILED
    _one_clear_line(proc, "cannot reach the model server", "no request was sent")
    assert time.monotonic() - started < 30
    assert not out.exists()


def test_server_without_models_route_passes_the_preflight(tmp_path):
    # The fake server answers GET /models with an HTTP error (it only implements chat completions).
    with fake.FakeOpenAIServer() as server:
        check_server(server.url, timeout=2)
        proc = kaifaqu("extract", *PAGES, "-o", tmp_path / "out", *llm_args(server), "--cache-dir",
                       tmp_path / "cache")
        assert server.requests and all(r.path.endswith("/chat/completions") for r in server.requests)
    assert proc.returncode == 0, proc.stderr


def test_library_entry_runs_the_same_preflight(tmp_path):
    blocker = tmp_path / "somefile"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(ConfigError, match="not a directory"):
        extract(PAGES, blocker, backend="rules")
    with pytest.raises(ConfigError, match="cannot be created"):
        extract(PAGES, blocker / "sub", backend="rules")
    from kaifaqu_llm import ModelConfig

    config = ModelConfig(model="m", base_url=_closed_port_url())
    with pytest.raises(TransportError, match="cannot reach"):
        extract(PAGES, tmp_path / "out", config=config, backend="llm", cache_dir=str(tmp_path / "cache"))
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes through chmod")
def test_read_only_out_and_cache_are_clear_errors(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(ConfigError, match="not writable"):
            check_out_dir(locked)
        with pytest.raises(ConfigError, match="not writable"):
            check_out_dir(locked / "new")
        with pytest.raises(ConfigError, match="--no-cache"):
            check_cache_dir(locked / "cache")
    finally:
        locked.chmod(0o700)


def test_writable_places_pass(tmp_path):
    check_out_dir(tmp_path / "a" / "b")
    check_cache_dir(tmp_path)
    assert not (tmp_path / "a").exists()  # checking creates nothing


def test_a_rerun_answered_by_the_cache_needs_no_server(tmp_path):
    cache = tmp_path / "cache"
    with fake.FakeOpenAIServer() as server:
        first = kaifaqu("extract", *PAGES, "-o", tmp_path / "first", *llm_args(server), "--cache-dir", cache)
        args = llm_args(server)
    assert first.returncode == 0, first.stderr
    # the server is gone: a new OUT from the same cache still works, and nothing is asked
    again = kaifaqu("extract", *PAGES, "-o", tmp_path / "again", *args, "--cache-dir", cache)
    assert again.returncode == 0, again.stderr
    def facts(name):
        return [{k: v for k, v in r.items() if k != "usage"} for r in read_jsonl_strictly(tmp_path / name / "profiles.jsonl")]

    assert facts("again") == facts("first") and facts("first")
    # one more page, not in the cache: the server is needed, and its absence is one line, before any write
    extra = sorted((REPO / "seeds").glob("*.txt"))[2]
    missing = kaifaqu("extract", *PAGES, extra, "-o", tmp_path / "third", *args, "--cache-dir", cache)
    assert missing.returncode == EXIT_FAILED
    _one_clear_line(missing, "cannot reach the model server")
    assert not (tmp_path / "third").exists()
