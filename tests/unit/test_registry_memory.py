"""The streamed zone registry (issue #17): same bytes as the list-building one, memory flat as the batch grows."""

from __future__ import annotations

import gc
import json
import re
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

from kaifaqu_llm.core.facts import zone_fact_kinds
from kaifaqu_llm.outputs.files import read_profiles
from kaifaqu_llm.zones.registry import build_registry, write_registry, write_zones

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "zones_out" / "profiles.jsonl"
_NUMBER = re.compile(r"\d+")


def _copy(record: dict, k: int) -> dict:
    """Copy ``k`` of a record: another page, the same zones, its facts' numbers raised by ``k`` (new facts)."""
    def shift(value: object) -> object:
        if isinstance(value, str):
            return _NUMBER.sub(lambda m: str(int(m.group(0)) + k), value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value + k
        return value

    copy = {**record, "source": f"copy{k:05d}_{record['source']}"}
    for kind in zone_fact_kinds():
        facts = record.get(kind.name) or []
        copy[kind.name] = [{f: shift(v) if f not in ("start", "end", "subject") else v for f, v in fact.items()}
                           for fact in facts]
    return copy


def _write_copies(path: Path, copies: int) -> Path:
    records = read_profiles(FIXTURE)
    with path.open("w", encoding="utf-8") as handle:
        for k in range(copies):
            for record in records:
                handle.write(json.dumps(_copy(record, k), ensure_ascii=False) + "\n")
    return path


class _Lines:
    """The records of a JSONL file, read again on every iteration (as the engine passes them)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __iter__(self) -> Iterator[dict]:
        with self.path.open(encoding="utf-8") as handle:
            for line in handle:
                yield json.loads(line)


def _peak_while_writing(tmp_path: Path, copies: int) -> tuple[int, Path]:
    out = tmp_path / f"out{copies}"
    out.mkdir()
    profiles = _write_copies(out / "profiles.jsonl", copies)
    gc.collect()  # start both sizes with empty free lists
    tracemalloc.start()
    try:
        path = write_registry(out, _Lines(profiles))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, path


def test_streamed_registry_writes_what_the_list_registry_writes(tmp_path):
    profiles = _write_copies(tmp_path / "profiles.jsonl", 3)
    streamed = write_registry(tmp_path / "streamed", _Lines(profiles))
    listed = write_zones(tmp_path / "listed", build_registry(read_profiles(profiles)))
    assert streamed.read_bytes() == listed.read_bytes()
    zones = [json.loads(line) for line in streamed.read_text(encoding="utf-8").splitlines()]
    top, one = zones[0], build_registry(read_profiles(FIXTURE))[0]
    assert top["zone_id"] == one["zone_id"] and len(top["sources"]) == 3 * len(one["sources"])
    # the copies' facts differ by their numbers, so they are kept apart; the temp store is gone
    assert any(len(f["occurrences"]) == 1 for f in top["indicators"])
    assert sorted(p.name for p in (tmp_path / "streamed").iterdir()) == ["zones.jsonl"]


def test_one_shot_iterator_and_empty_input(tmp_path):
    records = read_profiles(FIXTURE)
    once = write_registry(tmp_path / "once", iter(records)).read_bytes()
    assert once == write_zones(tmp_path / "list", build_registry(records)).read_bytes()
    assert write_registry(tmp_path / "empty", []).read_bytes() == b""


def test_registry_memory_stays_flat_when_the_batch_grows(tmp_path):
    small, small_path = _peak_while_writing(tmp_path, 64)
    large, large_path = _peak_while_writing(tmp_path, 512)
    # the output grows 8×: every copy adds sources, mentions and new facts to the same few zones...
    grown = large_path.stat().st_size - small_path.stat().st_size
    assert grown > 6 * small_path.stat().st_size
    top = json.loads(large_path.read_text(encoding="utf-8").splitlines()[0])
    assert len(top["sources"]) >= 512
    # ...but what the registry holds in Python does not: the zone grouping and one record at a time. A
    # registry held in memory grows by more than its JSON (7× the output's growth); what grows here is
    # CPython's free lists of small objects filling up to their fixed size (~5% of the output's growth).
    assert large - small < grown / 10, (small, large, grown)


def test_a_killed_runs_scratch_file_is_cleared(tmp_path):
    (tmp_path / ".kaifaqu.abc123.spill").write_bytes(b"left by a killed run")
    write_registry(tmp_path, read_profiles(FIXTURE))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["zones.jsonl"]
