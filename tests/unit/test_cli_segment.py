"""``kaifaqu segment``: the JSON contract outside scripts rely on, the table, batches with bad files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from kaifaqu_llm._cli import main

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
KEYS = ["index", "zone_header", "title", "subtitle", "authors", "continued_from", "continues_to", "text",
        "start", "end"]


def _copy(tmp_path: Path, *prefixes: str) -> list[Path]:
    out = []
    for prefix in prefixes:
        src = next(SEEDS.glob(f"{prefix}_*.txt"))
        out.append(Path(shutil.copy(src, tmp_path / src.name)))
    return out


def test_json_contract(tmp_path, capsys):
    (page,) = _copy(tmp_path, "002")
    assert main(["segment", str(page), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert isinstance(data, list) and len(data) == 1
    assert data[0]["source"] == page.name and data[0]["encoding"] == "utf-8"
    articles = data[0]["articles"]
    assert len(articles) == 7
    for article in articles:
        assert list(article) == KEYS
        assert isinstance(article["authors"], list)
    assert articles[0]["authors"] == ["王波", "张伦", "王昱"]
    assert articles[6]["title"] is None and articles[6]["continued_from"] == "D1版"
    assert articles[6]["zone_header"] is None and articles[6]["subtitle"] is None
    text = page.read_text(encoding="utf-8")
    assert "召开第四次招商引资工作调度会" in text[articles[1]["start"]:articles[1]["end"]]


def test_batch_with_a_bad_file_keeps_going_and_exits_1(tmp_path, capsys):
    good, good2 = _copy(tmp_path, "000", "003")
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert main(["segment", str(good), str(bad), str(good2), "--json"]) == 1
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert [p["source"] for p in data] == [good.name, good2.name]
    assert captured.err.strip().splitlines() == [f"{bad}: not a text file (PNG image)"]


def test_directory_input_and_table(tmp_path, capsys):
    _copy(tmp_path, "003", "001")
    assert main(["segment", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.index("001_") < out.index("003_")          # directory pages in name order
    assert "打好“组合拳” 赋能经济高质量发展" in out and "下转D5版" in out and "阳城经济技术开发区" in out


def test_gbk_page_reports_its_encoding(tmp_path, capsys):
    page = tmp_path / "gbk.txt"
    page.write_bytes("运城经济技术开发区\r\n\r\n项目集中开工\r\n\r\n本刊讯 开发区8个项目集中开工。（吕强）\r\n".encode("gbk"))
    assert main(["segment", str(page), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data[0]["encoding"] == "gbk"
    assert data[0]["articles"][0]["authors"] == ["吕强"]
    assert data[0]["articles"][0]["zone_header"] == "运城经济技术开发区"


def test_empty_page_is_noted_not_failed(tmp_path, capsys):
    page = tmp_path / "empty.txt"
    page.write_bytes(b"")
    assert main(["segment", str(page), "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out) == [{"source": "empty.txt", "encoding": "utf-8", "articles": []}]
    assert "blank page (no articles)" in captured.err


def test_stitch_flag_joins_across_pages(tmp_path, capsys):
    head = tmp_path / "p_D1.txt"
    tail = tmp_path / "p_D5.txt"
    head.write_text("使命牵引 向光而行\n\n——综改示范区纪实\n\n杨晓\n\n综改示范区今年新引进重大项目24个，总投资1200亿元。（下转D5版）\n",
                    encoding="utf-8")
    tail.write_text("（上接D1版）\n\n项目建设跑出加速度，推动项目签约到开工由238天压缩至58天。\n", encoding="utf-8")
    assert main(["segment", str(head), str(tail), "--json", "--stitch"]) == 0
    data = json.loads(capsys.readouterr().out)
    (joined,) = data[0]["articles"]
    assert data[1]["articles"] == []
    assert joined["text"].endswith("压缩至58天。") and joined["continues_to"] is None
    assert [part[0] for part in joined["parts"]] == ["p_D1.txt", "p_D5.txt"]
