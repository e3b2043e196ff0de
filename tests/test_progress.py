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
