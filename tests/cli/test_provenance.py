"""Provenance: manifest.json lists every page in OUT and how each run was made; --version; -v logs reasons."""

from __future__ import annotations

import json

from tests.support import fake_openai_server as fake
from tests.support.cli_harness import cli_env, kaifaqu
from tests.conftest import REPO

PAGES = sorted((REPO / "seeds").glob("*.txt"))
RUN_KEYS = {"tool_version", "backend", "model", "base_urls", "prompt_version", "schema_digest", "started", "ended",
            "totals", "usage"}
KEY = "sk-provenance-test-0123456789abcdef"


def _manifest(out):
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def test_manifest_lists_every_page_in_out_and_every_run(tmp_path):
    out = tmp_path / "out"
    first = kaifaqu("extract", *PAGES[:2], "-o", out, "--backend", "rules", "-q")
    second = kaifaqu("extract", *PAGES[2:], "-o", out, "--backend", "rules", "-q")
    assert first.returncode == second.returncode == 0, second.stderr
    manifest = _manifest(out)
    assert sorted(p["source"] for p in manifest["pages"]) == sorted(p.name for p in PAGES)
    in_profiles = {json.loads(line)["source"] for line in (out / "profiles.jsonl").read_text("utf-8").splitlines()}
    assert in_profiles == {p["source"] for p in manifest["pages"]}
    assert len(manifest["runs"]) == 2 and all(RUN_KEYS <= set(run) for run in manifest["runs"])
    assert [run["totals"]["pages"] for run in manifest["runs"]] == [2, len(PAGES) - 2]
    assert manifest["runs"][0]["started"] <= manifest["runs"][0]["ended"] <= manifest["runs"][1]["started"]
    assert {"backend", "pages", "input_errors", "usage"} <= set(manifest)  # the older keys stay


def test_model_run_records_mode_and_why_without_the_key(tmp_path):
    out = tmp_path / "out"
    env = cli_env(KAIFAQU_API_KEY=KEY)
    with fake.FakeOpenAIServer(fake.rejecting("json_schema"), prompt_cache="openai") as server:
        url = server.url.replace("http://", "http://user:pw-secret-9876@")
        proc = kaifaqu("extract", *PAGES[:2], "-o", out, "--backend", "llm", "--model", "fake", "--base-url", url,
                       "--endpoint", "vllm", "--concurrency", "1", "--cache-dir", tmp_path / "cache", "-q",
                       "--segmenter", "layout", env=env)  # the articles' requests negotiate the mode here
    assert proc.returncode == 0, proc.stderr
    text = (out / "manifest.json").read_text(encoding="utf-8")
    assert KEY not in text and "pw-secret-9876" not in text
    run = _manifest(out)["runs"][-1]
    assert run["model"] == "fake" and run["base_urls"] == [url.replace("pw-secret-9876", "***")]
    assert run["mode"]["mode"] == "TOOLS" and "negotiated" in run["mode"]["why"] and "json_schema" in run["mode"]["why"]
    assert run["mode"]["endpoint_profile"] == "vllm" and run["prompt_version"]
    assert run["usage"]["requests"] >= 2 and run["usage"]["cached_prompt_tokens"] > 0
    assert "mode TOOLS (negotiated" in proc.stderr and "endpoint profile vllm" in proc.stderr


def test_version_and_verbose_retries(tmp_path):
    version = kaifaqu("--version")
    from kaifaqu_llm import __version__

    assert version.returncode == 0 and version.stdout.strip() == f"kaifaqu {__version__}"
    runs = {}
    for flag in ("-v", None):
        with fake.FakeOpenAIServer() as server:
            server.push(fake.server_error(503))
            args = ["extract", PAGES[0], "-o", tmp_path / f"out{flag}", "--backend", "llm", "--model", "fake",
                    "--base-url", server.url, "--concurrency", "1", "--no-cache", "-q"]
            runs[flag] = kaifaqu(*args, *([flag] if flag else []), env=cli_env(KAIFAQU_API_KEY=KEY))
    assert runs["-v"].returncode == runs[None].returncode == 0
    assert "retrying in" in runs["-v"].stderr and "HTTP 503" in runs["-v"].stderr
    assert "mode TOOLS" in runs["-v"].stderr or "mode JSON" in runs["-v"].stderr
    assert "retrying" not in runs[None].stderr
    assert KEY not in runs["-v"].stderr
