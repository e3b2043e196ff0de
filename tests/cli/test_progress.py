"""The progress bar: counts, drawn on the given stream only, off when not a terminal or --quiet."""

from __future__ import annotations

import io
import re

from kaifaqu_llm.outputs.progress import Progress, progress_enabled


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_enabled_only_on_a_terminal_and_not_quiet():
    assert progress_enabled(False, _Terminal()) is True
    assert progress_enabled(True, _Terminal()) is False
    assert progress_enabled(False, io.StringIO()) is False
    closed = io.StringIO()
    closed.close()
    assert progress_enabled(False, closed) is False


def test_default_stream_is_stderr_which_is_not_a_tty_under_pytest(capsys):
    assert progress_enabled(False) is False


def test_bar_counts_articles_cache_hits_retries_tokens(capsys):
    stream = _Terminal()
    with Progress(3, enabled=True, stream=stream) as progress:
        progress.advance(cache_hit=True, retries=0, tokens=0)
        progress.advance(cache_hit=False, retries=2, tokens=1200)
        progress.advance(cache_hit=False, retries=1, tokens=800)
    assert (progress.done, progress.cache_hits, progress.retries, progress.tokens) == (3, 1, 3, 2000)
    drawn = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", stream.getvalue())
    assert "3/3" in drawn
    assert "cache 1 · retries 3 · tokens 2,000" in drawn
    # nothing on the real stdout / stderr: machine-readable output stays clean
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_disabled_bar_draws_nothing_but_still_counts(capsys):
    progress = Progress(2, enabled=False)
    progress.advance(cache_hit=True, retries=1, tokens=5)
    progress.close()
    progress.close()
    assert (progress.done, progress.cache_hits, progress.retries, progress.tokens) == (1, 1, 1, 5)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_enabled_bar_writes_to_stderr_never_stdout(capsys):
    with Progress(1, enabled=True) as progress:
        progress.advance(tokens=10)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "1/1" in captured.err


# --- without a terminal: a line every N articles or T seconds ------------------------------------------

def test_line_progress_every_n_articles_with_failures_requests_and_eta():
    from kaifaqu_llm.outputs.progress import LineProgress

    stream = io.StringIO()
    progress = LineProgress(7, stream=stream, every=3, seconds=3600)
    for i in range(7):
        progress.advance(tokens=100, requests=2, failed=(i == 1))
    lines = stream.getvalue().splitlines()
    assert [line.split(" articles")[0] for line in lines] == ["kaifaqu: progress 3/7", "kaifaqu: progress 6/7"]
    assert "1 failed, 6 requests, 300 tokens" in lines[0] and "ETA" in lines[0]


def test_line_progress_by_time():
    from kaifaqu_llm.outputs.progress import LineProgress

    stream = io.StringIO()
    progress = LineProgress(3, stream=stream, every=1000, seconds=0)
    for _ in range(3):
        progress.advance()
    assert len(stream.getvalue().splitlines()) == 2  # the last article's line is the summary's job


def test_cli_prints_progress_lines_when_not_a_terminal_unless_quiet(tmp_path):
    from tests.support.cli_harness import cli_env, kaifaqu
    from tests.conftest import REPO

    seeds = REPO / "seeds"
    env = cli_env(KAIFAQU_PROGRESS_EVERY="5")
    shown = kaifaqu("extract", seeds, "-o", tmp_path / "a", "--backend", "rules", env=env)
    quiet = kaifaqu("extract", seeds, "-o", tmp_path / "b", "--backend", "rules", "-q", env=env)
    assert shown.returncode == quiet.returncode == 0
    lines = [line for line in shown.stderr.splitlines() if line.startswith("kaifaqu: progress ")]
    assert [line.split(" articles")[0].rsplit(" ", 1)[1] for line in lines] == ["5/25", "10/25", "15/25", "20/25"]
    assert "kaifaqu: progress " not in quiet.stderr + shown.stdout + quiet.stdout
