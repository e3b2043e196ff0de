"""The profile schema: value parsing, normalisation, null handling, and schemas/ kept in step."""

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from kaifaqu_llm.core.schema import ArticleProfile, Indicator, Zone, export_json_schemas

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def test_schemas_folder_is_not_stale():
    generated = export_json_schemas()
    on_disk = {p.name for p in SCHEMAS.glob("*.json")}
    assert on_disk == set(generated), "run: kaifaqu schema --write schemas"
    for name, schema in generated.items():
        assert json.loads((SCHEMAS / name).read_text(encoding="utf-8")) == schema, (
            f"schemas/{name} is stale: run `kaifaqu schema --write schemas`"
        )


def test_asked_schema_keeps_chinese_and_hides_computed_fields():
    text = json.dumps(export_json_schemas()["article_profile.json"], ensure_ascii=False)
    assert "经济技术开发区" in text
    assert "normalized_value" not in text and "grounded" not in text


@pytest.mark.parametrize(
    ("value", "unit", "number", "normal", "base"),
    [
        ("114.0", "亿元", 114.0, 1.14e10, "元"),
        ("两", "个", 2.0, 2.0, "个"),
        ("20", "余家", 20.0, 20.0, "家"),
        ("1.3", "万余人", 1.3, 13000.0, "人"),
        ("14.86", "万人次", 14.86, 148600.0, "人次"),
        ("737.42", "公顷", 737.42, 7374200.0, "m²"),
        ("三千", "亩", 3000.0, 2_000_000.0, "m²"),
    ],
)
def test_indicator_value_parsed_and_normalised(value, unit, number, normal, base):
    indicator = Indicator(name="x", value=value, unit=unit, evidence="e")
    assert indicator.value == number
    assert indicator.value_text == value
    assert indicator.normalized_value == pytest.approx(normal)
    assert indicator.normalized_unit == base


def test_indicator_rejects_a_value_that_is_not_a_number():
    with pytest.raises(ValidationError):
        Indicator(name="x", value="若干", unit="家", evidence="e")


def test_indicator_keeps_approximation_word():
    indicator = Indicator(name="企业", value="近4000", unit="人", evidence="近4000人")
    assert (indicator.value, indicator.approx) == (4000.0, "近")


def test_unknown_zone_type_falls_back_and_blank_fields_become_null():
    zone = Zone(mention="某某园", type="产业新城", city="", evidence="某某园")
    assert zone.type == "其他" and zone.city is None


def test_profile_accepts_null_lists_from_a_model():
    profile = ArticleProfile.model_validate({"zones": None, "people": None, "summary": "一句话"})
    assert profile.zones == [] and profile.people == [] and profile.summary == "一句话"


def test_project_investment_in_yuan():
    profile = ArticleProfile.model_validate(
        {"projects": [{"name": "甲项目", "investment": "总投资13.95亿元", "evidence": "e"}]}
    )
    assert profile.projects[0].investment_yuan == pytest.approx(1.395e9)


def test_record_schema_backend_enum_reads_the_backend_registry(monkeypatch):
    from kaifaqu_llm.extract import registry

    enum = export_json_schemas()["profile_record.json"]["properties"]["backend"]["enum"]
    assert enum == [*registry.backend_names(), registry.CUSTOM] and {"rules", "llm", "hybrid"} <= set(enum)
    spec = registry.BackendSpec("echo", lambda context: None)
    monkeypatch.setitem(registry._REGISTRY, "echo", spec)
    assert "echo" in export_json_schemas()["profile_record.json"]["properties"]["backend"]["enum"]
