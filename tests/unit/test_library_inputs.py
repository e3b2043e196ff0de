"""Library footguns: one path is one input, the sync call works inside an event loop, backend names work
in extract_async, and directories are read with their subfolders."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import kaifaqu_llm
from kaifaqu_llm import extract, extract_async, read_page
from tests.conftest import REPO

SEEDS = REPO / "seeds"
PAGES = sorted(SEEDS.glob("*.txt"))


def _keys(result):
    return [(r["source"], r["article_index"]) for r in result.records]


def test_one_path_is_one_input_not_its_characters():
    expected = extract([SEEDS], backend="rules")
    assert expected.ok and expected.pages == len(PAGES)
    for single in (str(SEEDS), str(SEEDS) + "/", SEEDS, read_page(PAGES[0])):
        result = extract(single, backend="rules")
        assert result.ok, result.input_errors
        if isinstance(single, kaifaqu_llm.Page):
            assert result.pages == 1 and {s for s, _ in _keys(result)} == {PAGES[0].name}
        else:
            assert _keys(result) == _keys(expected)


def test_sync_extract_inside_a_running_event_loop():
    async def notebook_cell():
        return extract([PAGES[0]], backend="rules")

    result = asyncio.run(notebook_cell())
    assert result.ok and result.articles > 0 and result.records


def test_extract_async_takes_backend_names():
    async def main():
        return await extract_async([PAGES[0]], backend="rules")

    result = asyncio.run(main())
    assert result.ok and result.backend == "rules" and all(r["backend"] == "rules" for r in result.records)


def test_directories_are_read_with_their_subfolders(tmp_path):
    root = tmp_path / "pages"
    (root / "2024" / "03").mkdir(parents=True)
    (root / ".snapshots").mkdir()
    shutil.copy(PAGES[0], root / PAGES[0].name)
    shutil.copy(PAGES[1], root / "2024" / "03" / PAGES[1].name)
    shutil.copy(PAGES[2], root / ".snapshots" / PAGES[2].name)  # a hidden folder is not input
    result = extract(root, backend="rules")
    assert result.ok and result.pages == 2
    assert {s for s, _ in _keys(result)} == {PAGES[0].name, PAGES[1].name}
    # sorted by relative path, deterministic: "000_....txt" before "2024/03/001_....txt"
    assert kaifaqu_llm.iter_page_paths(root) == [root / PAGES[0].name, root / "2024" / "03" / PAGES[1].name]
