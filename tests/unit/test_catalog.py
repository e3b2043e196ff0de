"""The zone catalog: reading and checking catalog files, merging user catalogs, building from the notice."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

from kaifaqu_llm.zones import catalog as _catalog
from kaifaqu_llm.zones.catalog import COLUMNS, load_catalog, read_catalog_file, write_catalog
from kaifaqu_llm.core.errors import CatalogError

DATA = Path(__file__).resolve().parents[1] / "data"
TEST_CATALOG = DATA / "catalog_test.csv"
USER_CATALOG = DATA / "catalog_user.csv"
NOTICE_SAMPLE = DATA / "catalog_notice_synthetic.csv"
# ../shared next to the repository (a git worktree may sit one level deeper)
SHARED_NOTICE = next((p / "shared" / "catalog" / "china_development_zones_2018.csv"
                      for p in Path(__file__).resolve().parents[2:5] if (p / "shared" / "catalog").is_dir()),
                     Path("shared-not-found"))
REPO = Path(__file__).resolve().parents[2]
HEADER = ",".join(COLUMNS)


def _load_script():
    spec = importlib.util.spec_from_file_location("build_catalog", REPO / "scripts" / "build_catalog.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build_catalog = _load_script()


def _write(tmp_path: Path, text: str, name: str = "cat.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- reading one file -------------------------------------------------------------

def test_test_catalog_reads_with_cells_normalised():
    entries = read_catalog_file(TEST_CATALOG)
    by_code = {e.code: e for e in entries}
    assert len(entries) == 25 and len(by_code) == 25
    jincheng = by_code["G141061"]
    assert jincheng.official_name == "晋城经济技术开发区"
    assert (jincheng.province, jincheng.prefecture, jincheng.city) == ("山西省", "晋城市", "晋城")
    assert (jincheng.level, jincheng.approving_body, jincheng.type) == ("国家级", "国务院", "经济技术开发区")
    assert jincheng.approval_date == "2013-03"  # written 2013.03 as in the notice
    assert jincheng.area_ha == 400.0
    assert jincheng.industries == ("精密光电", "装备制造", "新能源")
    assert jincheng.line == 9 and jincheng.source == str(TEST_CATALOG)  # comment lines still count
    wusu = by_code["G143011"]
    assert (wusu.type, wusu.notice_type) == ("综合保税区", "海关特殊监管区域")
    assert by_code["S147015"].level == "省级" and by_code["S147015"].area_ha == 710.46


def test_empty_level_body_and_type_are_filled_from_code_and_name(tmp_path):
    path = _write(tmp_path, HEADER + "\nS147099,山西样例经济开发区,山西省,样例市,,,,,2001,,\n,样例高新区,,,,,,,,,\n")
    coded, user = read_catalog_file(path)
    assert (coded.level, coded.approving_body, coded.type, coded.approval_date) == ("省级", "省政府", "经济开发区", "2001")
    assert user.code == "USER:样例高新区" and user.synthetic
    assert user.level is None and user.type == "高新技术产业开发区"


def test_excel_style_file_with_bom_crlf_extra_columns_and_comments_reads(tmp_path):
    text = "\ufeff" + HEADER + ",备注\r\n# a comment\r\n\r\n G141061 , 晋城经济技术开发区 ,山西省,晋城市,,,,,2013年3月,400,,x\r\n"
    path = tmp_path / "excel.csv"
    path.write_bytes(text.encode("utf-8"))
    (entry,) = read_catalog_file(path)
    assert (entry.code, entry.official_name, entry.approval_date, entry.line) == ("G141061", "晋城经济技术开发区", "2013-03", 4)


def test_write_then_read_round_trips(tmp_path):
    entries = read_catalog_file(TEST_CATALOG)
    out = tmp_path / "copy.csv"
    assert write_catalog(entries, out) == len(entries)
    again = read_catalog_file(out)
    assert again == entries  # source/line are not compared
    assert out.read_text(encoding="utf-8").splitlines()[0] == HEADER + ",notice_type"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("code,official_name,province\nG141061,晋城经济技术开发区,山西省\n",
         r": line 1: missing column\(s\) prefecture, county, level, approving_body, type"),
        (HEADER + "\nG14106,晋城经济技术开发区,山西省,,,,,,,,\n", r": line 2: code 'G14106' is not a notice code"),
        (HEADER + "\nX141061,晋城经济技术开发区,山西省,,,,,,,,\n", r": line 2: code 'X141061' is not a notice code"),
        (HEADER + "\nG141061,晋城经济技术开发区,山西省,,,,,,,,\n# c\nG141061,晋城经开区,山西省,,,,,,,,\n",
         r": line 4: duplicate code G141061, first on line 2"),
        (HEADER + "\n,古县经济技术开发区,,,,,,,,,\n,古县经济技术开发区,,,,,,,,,\n",
         r": line 3: duplicate official_name \(no code\) 古县经济技术开发区, first on line 2"),
        (HEADER + "\nG141061,晋城经济技术开发区,山西省\n", r": line 2: 3 fields, the header has 11"),
        (HEADER + "\n,,山西省,,,,,,,,\n", r": line 2: official_name is empty"),
        (HEADER + "\nG141061,晋城经济技术开发区,山西省,,,市级,,,,,\n", r": line 2: level '市级' is not one of 国家级, 省级"),
        (HEADER + "\nG141061,晋城经济技术开发区,山西省,,,省级,,,,,\n", r": line 2: level '省级' contradicts code G141061"),
        (HEADER + "\nG141061,晋城经济技术开发区,山西省,,,,,经开区,,,\n", r": line 2: type '经开区' is not one of"),
        (HEADER + "\nG141061,晋城经济技术开发区,山西省,,,,,,2013-13,,\n", r": line 2: approval_date '2013-13' is not a date"),
        (HEADER + "\nG141061,晋城经济技术开发区,山西省,,,,,,三月,,\n", r": line 2: approval_date '三月' is not a date"),
        (HEADER + "\nG141061,晋城经济技术开发区,山西省,,,,,,,四百,\n", r": line 2: area_ha '四百' is not a number"),
        ("", r": empty catalog: no header row"),
        ("# only a comment\n\n", r": empty catalog: no header row"),
    ],
)
def test_malformed_catalog_is_rejected_naming_file_and_line(tmp_path, text, problem):
    path = _write(tmp_path, text)
    with pytest.raises(CatalogError) as info:
        read_catalog_file(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    assert re.search(problem, message), message


def test_non_utf8_catalog_is_rejected_with_its_line(tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes((HEADER + "\nG141061,晋城经济技术开发区,山西省,,,,,,,,\n").encode("gbk"))
    with pytest.raises(CatalogError, match=rf"^{re.escape(str(path))}: line 2: not UTF-8 \(byte 0x[0-9a-f]{{2}}\)"):
        read_catalog_file(path)


def test_missing_user_catalog_is_an_error(tmp_path):
    with pytest.raises(CatalogError, match="nope.csv: catalog file not found"):
        load_catalog([tmp_path / "nope.csv"], builtin=False)


# --- merging ----------------------------------------------------------------------

def test_no_builtin_catalog_means_user_files_only(monkeypatch, tmp_path):
    monkeypatch.setattr(_catalog, "builtin_catalog_path", lambda: tmp_path / "absent.csv")
    empty = load_catalog()
    assert not empty.has_builtin and len(empty) == 0 and empty.sources == ()
    user_only = load_catalog([TEST_CATALOG])
    assert not user_only.has_builtin and len(user_only) == 25


def test_user_catalog_overrides_and_extends_in_file_order():
    catalog = load_catalog([TEST_CATALOG, USER_CATALOG], builtin=False)
    assert len(catalog) == 26  # one row replaced, one added
    yuncheng = catalog.get("S147018")
    assert yuncheng.official_name == "运城经济技术开发区" and yuncheng.source == str(USER_CATALOG)
    assert yuncheng.type == "经济技术开发区" and yuncheng.county == "盐湖区"
    assert catalog.get("USER:古县经济技术开发区").prefecture == "临汾市"
    assert [s.kind for s in catalog.sources] == ["user", "user"]
    assert [s.rows for s in catalog.sources] == [25, 2]
    # the other way round, the test catalog wins back
    reverse = load_catalog([USER_CATALOG, TEST_CATALOG], builtin=False)
    assert reverse.get("S147018").official_name == "山西运城经济开发区"


def test_builtin_catalog_is_loaded_first_with_its_meta(monkeypatch, tmp_path):
    builtin = tmp_path / "data" / "zone_catalog.csv"
    assert build_catalog.main([str(NOTICE_SAMPLE), "--out", str(builtin)]) == 1  # 2 bad rows skipped
    monkeypatch.setattr(_catalog, "builtin_catalog_path", lambda: builtin)
    user = _write(tmp_path, HEADER + "\nG991001,测试新名经济技术开发区,测试省,测试市,,,,,2010-11,,\n")
    catalog = load_catalog([user])
    assert catalog.has_builtin
    source = catalog.sources[0]
    assert (source.kind, source.path, source.rows) == ("builtin", str(builtin), 10)
    assert source.source == "《中国开发区审核公告目录》(2018年版)" and source.date == "2018"
    assert catalog.get("G991001").official_name == "测试新名经济技术开发区"
    assert catalog.get("G992002").official_name == "测试高新技术产业开发区"
    assert load_catalog([user], builtin=False).has_builtin is False


def test_builtin_catalog_is_read_on_first_use_and_user_files_at_once(monkeypatch, tmp_path):
    reads = []
    real = _catalog._read_built
    monkeypatch.setattr(_catalog, "_read_built", lambda path: reads.append(path) or real(path))
    catalog = load_catalog()
    assert catalog.has_builtin and reads == []  # nothing read yet
    assert len(catalog) == 2543 and len(reads) == 1
    catalog.entries, catalog.get("G141061")
    assert len(reads) == 1  # read once
    with pytest.raises(CatalogError, match="line 2: code 'X1' is not a notice code"):
        load_catalog([_write(tmp_path, HEADER + "\nX1,坏,,,,,,,,,\n")])  # a bad user file fails at once


# --- the shipped built-in catalog ------------------------------------------------------

def test_shipped_catalog_is_the_2018_notice_and_reads_cleanly_the_checked_way():
    path = _catalog.builtin_catalog_path()
    entries = read_catalog_file(path)  # every cell checked, as for a user file
    assert entries == list(load_catalog().entries)  # the unchecked fast path reads the same entries
    assert len(entries) == 2543
    levels = [e.level for e in entries]
    assert (levels.count("国家级"), levels.count("省级")) == (552, 1991)
    by_code = {e.code: e for e in entries}
    assert by_code["G141061"].official_name == "晋城经济技术开发区"
    assert by_code["G141060"].official_name == "大同经济技术开发区"
    assert by_code["G142057"].official_name == "长治高新技术产业开发区"
    # S377018 is given to two zones by the source: the second is kept without a code
    assert by_code["S377018"].official_name == "山东淄川经济开发区"
    assert by_code["USER:山东临淄经济开发区"].synthetic
    assert by_code["G313031"].approval_date == "2000-04"  # written 2000.04/2002.12: the first date
    meta = json.loads(path.with_name("zone_catalog.meta.json").read_text(encoding="utf-8"))
    assert meta["rows"] == meta["source_rows"] == 2543 and meta["skipped"] == 0


@pytest.mark.skipif(not SHARED_NOTICE.is_file(), reason="the notice's ten-column copy is not next to the repository")
def test_shipped_catalog_rebuilds_from_the_shared_copy(tmp_path):
    out = tmp_path / "zone_catalog.csv"
    assert build_catalog.main([str(SHARED_NOTICE), "--out", str(out)]) == 0
    assert out.read_bytes() == _catalog.builtin_catalog_path().read_bytes()
    meta = json.loads((tmp_path / "zone_catalog.meta.json").read_text(encoding="utf-8"))
    shipped = json.loads(_catalog.builtin_catalog_path().with_name("zone_catalog.meta.json").read_text("utf-8"))
    assert meta["source_sha256"] == shipped["source_sha256"]


# --- building the built-in catalog ---------------------------------------------------

def test_build_script_converts_the_ten_column_notice_by_header_name(tmp_path, capsys):
    out = tmp_path / "zone_catalog.csv"
    code = build_catalog.main([str(NOTICE_SAMPLE), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert "line 9: 测试省庚县经济开发区 repeats code S997004 of line 5; kept without a code" in err
    assert "line 10: code 'X123' is not a notice code" in err
    assert "line 13: approval_date '2013.13' is not a date (skipped)" in err
    assert "line 7: S999006 has two approval dates '2000.04/2002.12'; the first is kept" in err
    assert "G991010 is approved by '省政府', but its code says 国务院 (kept)" in err
    assert "G991011 has type '高新技术产业开发区', but its type digit usually means '经济技术开发区'" in err
    entries = {e.code: e for e in read_catalog_file(out)}
    assert set(entries) == {"G991001", "G992002", "G993003", "S997004", "S997005", "S999006", "S119007",
                            "USER:测试省庚县经济开发区", "G991010", "G991011"}
    zone = entries["G992002"]
    assert (zone.official_name, zone.province, zone.prefecture, zone.county) == (
        "测试高新技术产业开发区", "测试省", None, None)  # 城市/区县 is the name's place part: not copied
    assert (zone.level, zone.approving_body, zone.type, zone.approval_date, zone.area_ha, zone.industries) == (
        "国家级", "国务院", "高新技术产业开发区", "1992-11", 800.5, ("电子信息",))
    bonded = entries["G993003"]
    assert (bonded.type, bonded.notice_type) == ("综合保税区", "海关特殊监管区域")
    assert entries["S997005"].type == "经济开发区"  # the notice's type, though the name says 经济技术开发区
    assert entries["S999006"].approval_date == "2000-04"
    meta = json.loads((tmp_path / "zone_catalog.meta.json").read_text(encoding="utf-8"))
    assert meta["source"] == "《中国开发区审核公告目录》(2018年版)" and meta["date"] == "2018"
    assert meta["source_rows"] == 12 and meta["rows"] == 10 and meta["skipped"] == 2
    assert re.fullmatch(r"[0-9a-f]{64}", meta["source_sha256"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", meta["built"])


def test_build_script_refuses_a_missing_or_foreign_source(tmp_path, capsys):
    assert build_catalog.main([str(tmp_path / "none.csv"), "--out", str(tmp_path / "o.csv")]) == 2
    assert "none.csv: not found" in capsys.readouterr().err
    foreign = _write(tmp_path, HEADER + "\n")
    assert build_catalog.main([str(foreign), "--out", str(tmp_path / "o.csv")]) == 2
    assert "missing column(s) 代码, 开发区名称" in capsys.readouterr().err
    assert not (tmp_path / "o.csv").exists()


def test_build_script_default_source_is_next_to_the_repository():
    assert build_catalog.DEFAULT_SOURCE == REPO.parent / "shared" / "catalog" / "china_development_zones_2018.csv"
    assert build_catalog.DEFAULT_OUT == REPO / "kaifaqu_llm" / "data" / "zone_catalog.csv"
