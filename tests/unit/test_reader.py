"""Page reader: encodings, line ends kept, clear one-line errors, batches that carry on."""

from __future__ import annotations

from pathlib import Path

import pytest

from kaifaqu_llm.core.errors import InputError, PageDecodeError
from kaifaqu_llm.pages.reader import decode_page_bytes, iter_page_paths, page_from_text, read_page, read_pages

TEXT = "晋城经济技术开发区\n\n# 打好“组合拳” 赋能经济高质量发展\n\n科学导报讯 2024年上半年，全区规模以上工业增加值114.0亿元。王波\n"
SEED = Path(__file__).resolve().parents[2] / "seeds" / "000_286ba06e5f1ed683.txt"


@pytest.mark.parametrize("data, encoding", [
    (TEXT.encode("utf-8"), "utf-8"),
    (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8-sig"),
    (TEXT.encode("utf-16"), "utf-16"),                       # BOM + native order
    (b"\xfe\xff" + TEXT.encode("utf-16-be"), "utf-16"),
    (TEXT.encode("gbk"), "gbk"),
])
def test_encodings_decode_to_the_same_text(tmp_path, data, encoding):
    path = tmp_path / "page.txt"
    path.write_bytes(data)
    page = read_page(path)
    assert page.text == TEXT
    assert page.encoding == encoding
    assert page.source == "page.txt" and page.path == str(path)


def test_gb18030_only_characters(tmp_path):
    text = "开发区𠀀项目（扩展汉字）投产\n"                    # U+20000 needs GB18030's four-byte form
    path = tmp_path / "p.txt"
    path.write_bytes(text.encode("gb18030"))
    page = read_page(path)
    assert page.text == text and page.encoding == "gb18030"


def test_utf8_with_a_damaged_tail_stays_utf8(tmp_path):
    data = (TEXT * 3).encode("utf-8")[:-2]                 # cut in the middle of the last character
    path = tmp_path / "cut.txt"
    path.write_bytes(data)
    page = read_page(path)
    assert page.encoding == "utf-8"
    assert page.text.startswith(TEXT) and page.text.endswith("\ufffd")


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\n"])
def test_line_ends_are_kept_verbatim(tmp_path, newline):
    text = TEXT.replace("\n", newline)
    path = tmp_path / "p.txt"
    path.write_bytes(text.encode("utf-8"))
    assert read_page(path).text == text


def test_seed_reads_as_utf8():
    page = read_page(SEED)
    assert page.encoding == "utf-8" and "盘活存量提增量" in page.text


def test_empty_and_whitespace_files_are_pages(tmp_path):
    empty, blank = tmp_path / "e.txt", tmp_path / "w.txt"
    empty.write_bytes(b"")
    blank.write_bytes(b" \r\n\t\r\n")
    assert read_page(empty).text == ""
    assert read_page(blank).text == " \r\n\t\r\n"


@pytest.mark.parametrize("data, problem", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "PNG image"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF document"),
    (b"abc\x00def\x00", "NUL bytes"),
    (bytes([0x81, 0x20, 0xff, 0xfe, 0x80]) * 10, "cannot decode"),
    (("开发区" + "\x01\x02\x03\x04" * 5).encode("utf-8"), "control characters"),
])
def test_binary_or_undecodable_files_raise_one_line_naming_the_file(tmp_path, data, problem):
    path = tmp_path / "bad.bin"
    path.write_bytes(data)
    with pytest.raises(PageDecodeError) as info:
        read_page(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and problem in message and "\n" not in message


def test_bad_bom_is_reported():
    with pytest.raises(PageDecodeError, match="byte-order mark"):
        decode_page_bytes(b"\xff\xfe\x00\xd8", "odd.txt")      # lone surrogate after a UTF-16 BOM


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_page(tmp_path / "nope.txt")
    with pytest.raises(InputError, match="is a directory"):
        read_page(tmp_path)


def test_iter_page_paths_expands_directories_sorted(tmp_path):
    (tmp_path / "b.txt").write_text("乙", encoding="utf-8")
    (tmp_path / "a.txt").write_text("甲", encoding="utf-8")
    (tmp_path / "notes.md").write_text("x", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.txt").write_text("丙", encoding="utf-8")
    single = tmp_path / "sub" / "c.txt"
    # subfolders are read too (sorted by relative path); a file named twice comes once
    assert iter_page_paths([tmp_path, single]) == [tmp_path / "a.txt", tmp_path / "b.txt", single]
    assert iter_page_paths([single, tmp_path]) == [single, tmp_path / "a.txt", tmp_path / "b.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="no \\*.txt"):
        iter_page_paths([empty])


def test_read_pages_yields_errors_and_carries_on(tmp_path):
    good, bad = tmp_path / "good.txt", tmp_path / "bad.bin"
    good.write_text(TEXT, encoding="utf-8")
    bad.write_bytes(b"\x89PNG\r\n\x1a\n")
    results = list(read_pages([good, bad, tmp_path / "missing.txt", good]))
    assert [type(r).__name__ for r in results] == ["Page", "PageDecodeError", "InputError", "Page"]
    assert str(results[1]).startswith(str(bad))


def test_page_from_text():
    page = page_from_text("正文", "mem.txt")
    assert (page.source, page.text, page.path) == ("mem.txt", "正文", None)
