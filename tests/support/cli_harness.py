"""Running the real ``kaifaqu`` command in a subprocess against the fake server, and checking what it left.

Shared by the robustness tests (faults, interruption, two processes, bad input,
secrets). The subprocess gets a clean environment: no KAIFAQU_* / OPENAI_*
variable of the developer leaks in, retries are fast (KAIFAQU_RETRY_MAX_WAIT),
and the cache lives where the test says.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from kaifaqu_llm.core.schema import FACT_LISTS
from kaifaqu_llm.pages.segment import segment_paths
from tests.support.fake_openai_server import FakeOpenAIServer, RecordedRequest, Reply

__all__ = [
    "cli_env",
    "kaifaqu",
    "start_kaifaqu",
    "llm_args",
    "read_jsonl_strictly",
    "article_texts",
    "PerArticleScript",
    "wait_until",
    "files_under",
    "CONTRACT_KEYS",
]

CONTRACT_KEYS = frozenset({
    "source", "article_index", "title", "zone_header", *FACT_LISTS, "summary", "backend", "model",
    "prompt_version", "usage", "error", "article_start", "article_end",
})


def cli_env(**extra: str) -> dict[str, str]:
    """Return an environment for the subprocess: the parent's minus model settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAIFAQU_", "OPENAI_"))}
    env.update({"PYTHONUNBUFFERED": "1", "NO_COLOR": "1", "KAIFAQU_RETRY_MAX_WAIT": "0.05",
                "KAIFAQU_RETRY_ATTEMPTS": "3"})
    env.update(extra)
    return env


def _command(args: Sequence[str], setup: str | None = None) -> list[str]:
    if setup is None:
        return [sys.executable, "-m", "kaifaqu_llm", *map(str, args)]
    # ``setup`` runs first in the child (e.g. to checkpoint after every article), then the real CLI
    code = f"{setup}\nimport sys\nfrom kaifaqu_llm._cli import main\nsys.exit(main(sys.argv[1:]))"
    return [sys.executable, "-c", code, *map(str, args)]


def kaifaqu(*args: object, env: Mapping[str, str] | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    """Run ``kaifaqu ARGS`` to completion and return the finished process (stdout/stderr as text)."""
    return subprocess.run(_command(args), env=dict(env or cli_env()), capture_output=True, text=True,
                          encoding="utf-8", timeout=timeout)


def start_kaifaqu(*args: object, env: Mapping[str, str] | None = None, setup: str | None = None) -> subprocess.Popen:
    """Start ``kaifaqu ARGS`` (after the Python code ``setup``) and return the running process (output piped)."""
    return subprocess.Popen(_command(args, setup), env=dict(env or cli_env()), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, encoding="utf-8")


def llm_args(server: FakeOpenAIServer, *, concurrency: int = 4, mode: str | None = None) -> list[str]:
    """Return the ``extract`` flags that aim the llm backend at ``server``."""
    args = ["--backend", "llm", "--base-url", server.url, "--model", "fake", "--concurrency", str(concurrency), "-q",
            "--segmenter", "layout"]  # these tests count extraction requests; tests/test_model_segmenter.py asks the model
    return args + (["--mode", mode] if mode else [])


def read_jsonl_strictly(path: Path) -> list[dict]:
    """Return the records of a JSONL file, asserting it ends in a newline and every line is one JSON object."""
    data = path.read_bytes()
    if not data:
        return []
    assert data.endswith(b"\n"), f"{path}: last line is truncated"
    records = []
    for number, line in enumerate(data.decode("utf-8").split("\n")[:-1], 1):
        record = json.loads(line)
        assert isinstance(record, dict), f"{path}:{number} is not an object"
        records.append(record)
    return records


def article_texts(pages: Sequence[Path], *, stitch: bool = False) -> dict[tuple[str, int], str]:
    """Return the text of every article ``kaifaqu extract`` makes of ``pages``, keyed by (source, article_index)."""
    results, errors = segment_paths(pages, stitch=stitch)
    assert not errors, errors
    return {(a.source, a.index): a.text for _page, articles in results for a in articles}


class PerArticleScript:
    """A fake-server script giving each article its own sequence of replies.

    ``plan`` maps an article's text to the replies of its first, second, ...
    request; once a sequence is used up (or for an article not in the plan) the
    server's default answer, a grounded profile, is sent. Keyed by text, not by
    arrival order, so the plan holds whatever the concurrency.
    """

    def __init__(self, plan: Mapping[str, Sequence[Callable[[], Reply]]]) -> None:
        self._plan = {text.strip(): list(replies) for text, replies in plan.items()}
        self.seen: dict[str, int] = {}
        self._lock = threading.Lock()  # the server answers from several threads

    def __call__(self, request: RecordedRequest) -> Reply | None:
        text = request.article.strip()
        with self._lock:
            count = self.seen.get(text, 0)
            self.seen[text] = count + 1
        replies = self._plan.get(text, [])
        return replies[count]() if count < len(replies) else None


def wait_until(predicate: Callable[[], bool], timeout: float = 60.0, what: str = "condition") -> None:
    """Poll ``predicate`` every 20 ms until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def files_under(root: Path) -> set[Path]:
    """Return every file below ``root`` (resolved, symlinks not followed)."""
    return {p.resolve() for p in root.rglob("*") if p.is_file()}
