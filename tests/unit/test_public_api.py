"""The public API is exactly what ``__all__`` says, and every public name documents itself."""

import inspect

import kaifaqu_llm


def test_all_names_exist_and_nothing_public_is_unlisted():
    exported = {name for name in dir(kaifaqu_llm)
                if not name.startswith("_") and not inspect.ismodule(getattr(kaifaqu_llm, name))}
    assert set(kaifaqu_llm.__all__) - {"__version__"} == exported
    assert len(kaifaqu_llm.__all__) == len(set(kaifaqu_llm.__all__))


def test_every_public_object_has_a_docstring():
    for name in kaifaqu_llm.__all__:
        obj = getattr(kaifaqu_llm, name)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            assert inspect.getdoc(obj), f"{name} has no docstring"


def test_public_names_are_defined_in_stage_subpackages():
    for name in set(kaifaqu_llm.__all__) - {"__version__"}:
        obj = getattr(kaifaqu_llm, name)
        module = getattr(obj, "__module__", "kaifaqu_llm")
        assert module.count(".") >= 2, f"{name} comes from {module}, not from a stage module"


def test_library_round_trip_on_a_page_in_memory(tmp_path):
    page = kaifaqu_llm.page_from_text(
        "甲经济技术开发区\n\n## 甲经开区上半年工业投资增长\n\n科学导报讯 今年上半年，甲经开区完成工业投资15.6亿元，同比增长12.3%。 张三\n",
        source="mem.txt",
    )
    articles = kaifaqu_llm.segment(page)
    assert [a.title for a in articles] == ["甲经开区上半年工业投资增长"]
    result = kaifaqu_llm.extract([page], tmp_path, backend="rules")
    assert result.ok and result.backend == "rules"
    record = result.records[0]
    assert any(i["value"] == 15.6 and i["unit"] == "亿元" and i["grounded"] for i in record["indicators"])
    assert kaifaqu_llm.read_profiles(tmp_path) == result.records
    assert kaifaqu_llm.ProfileRecord.model_validate(record).model_dump(mode="json") == record
