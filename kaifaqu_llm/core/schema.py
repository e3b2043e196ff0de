"""The zone profile: what one article says about development zones.

These Pydantic models are both the response model the LLM fills (their JSON
Schema is what the model sees, exported to ``schemas/``) and the shape the rules
backend fills. Grounding (``grounded``, ``start``, ``end``) is added to each fact
by the grounding stage when records are built; it is not part of what a model is
asked for.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator, model_validator

from .numbers import normalize_unit, parse_number

__all__ = [
    "ZONE_TYPES",
    "ZoneType",
    "Fact",
    "Zone",
    "Industry",
    "Indicator",
    "Project",
    "Organization",
    "Person",
    "Event",
    "ArticleProfile",
    "FACT_LISTS",
    "export_json_schemas",
]

ZONE_TYPES = (
    "经济技术开发区",
    "高新技术产业开发区",
    "经济开发区",
    "生态文化旅游示范区",
    "综合改革示范区",
    "综合保税区",
    "工业园区",
    "其他",
)
ZoneType = Literal[
    "经济技术开发区",
    "高新技术产业开发区",
    "经济开发区",
    "生态文化旅游示范区",
    "综合改革示范区",
    "综合保税区",
    "工业园区",
    "其他",
]

_EVIDENCE_DESCRIPTION = (
    "原文逐字引用：能证明该事实的最短原文片段，必须与文章原文一字不差（可省略空白）"
)


class Fact(BaseModel):
    """Base of every fact: it carries a verbatim ``evidence`` quote from the article."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    evidence: str = Field(description=_EVIDENCE_DESCRIPTION)

    @field_validator("evidence", mode="before")
    @classmethod
    def _evidence_text(cls, value: Any) -> str:
        if value is None:
            return ""
        return str(value).strip()


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and value.strip() in ("", "null", "None", "无", "未提及"):
        return None
    return value


class Zone(Fact):
    """A development zone the article is about (``primary``) or names in passing."""

    mention: str = Field(description="文中写法，如 晋城经开区")
    canonical: str | None = Field(default=None, description="完整规范名称，如 晋城经济技术开发区；文中无法确定则为 null")
    type: ZoneType = Field(default="其他", description="开发区类型")
    level: str | None = Field(default=None, description="级别（国家级/省级），文中明确写出时填写")
    province: str | None = Field(default=None, description="所在省份，文中明确时填写")
    city: str | None = Field(default=None, description="所在城市（不带“市”），文中明确时填写")
    primary: bool = Field(default=False, description="文章主要报道的开发区为 true，顺带提及为 false")

    _clean = field_validator("canonical", "level", "province", "city", mode="before")(
        classmethod(lambda cls, v: _blank_to_none(v))
    )

    @field_validator("type", mode="before")
    @classmethod
    def _known_type(cls, value: Any) -> str:
        return value if value in ZONE_TYPES else "其他"


class Industry(Fact):
    """A leading or key industry of the zone."""

    name: str = Field(description="产业名称，如 光机电、现代医药")


class Indicator(Fact):
    """A quantitative fact: a number with its unit, what it measures, when, and its change."""

    subject: str | None = Field(default=None, description="指标主体（开发区、企业或项目名）")
    name: str = Field(description="指标名称，说明测量的是什么，如 规模以上工业增加值")
    value: float = Field(description="数值，按原文单位，如 114.0（“两”写作 2）")
    unit: str = Field(description="原文紧跟数字的单位，如 亿元、%、家、余家、万平方米")
    period: str | None = Field(default=None, description="时期，如 2024年上半年、1-9月份")
    change: str | None = Field(default=None, description="变化，如 同比增长5.0%")
    value_text: str | None = Field(default=None, description="原文中数字的写法，如 114.0、两、20余")
    approx: str | None = Field(default=None, description="约数修饰词：余、多、近、约、以上、左右")

    _clean = field_validator("subject", "period", "change", "value_text", "approx", mode="before")(
        classmethod(lambda cls, v: _blank_to_none(v))
    )

    @model_validator(mode="before")
    @classmethod
    def _parse_value(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        value = data.get("value")
        if isinstance(value, str):
            quantity = parse_number(value)
            if quantity is None:
                raise ValueError(f"value {value!r} is not a number")
            data = {**data, "value": quantity.value}
            data.setdefault("value_text", value.strip())
            if quantity.approx and not data.get("approx"):
                data["approx"] = quantity.approx
        return data

    @computed_field  # type: ignore[prop-decorator]
    @property
    def normalized_value(self) -> float | None:
        """The value in base units (元, m², 人次, W...), or None for an unknown unit."""
        normal = normalize_unit(self.value, self.unit)
        return normal[0] if normal else None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def normalized_unit(self) -> str | None:
        """The base unit of ``normalized_value``, or None for an unknown unit."""
        normal = normalize_unit(self.value, self.unit)
        return normal[1] if normal else None


class Project(Fact):
    """A named or clearly identifiable investment / construction project."""

    name: str = Field(description="项目名称，如 火山云太行算力中心项目")
    company: str | None = Field(default=None, description="建设或投资企业")
    investment: str | None = Field(default=None, description="投资额，原文写法，如 13.95亿元")
    status: str | None = Field(default=None, description="状态：签约、开工、在建、试生产、投产、竣工、达产等")
    capacity: str | None = Field(default=None, description="产能，原文写法，如 年产56GW")
    figures: list[str] = Field(default_factory=list, description="项目的其他数字（占地、产值、就业等），原文写法")

    _clean = field_validator("company", "investment", "status", "capacity", mode="before")(
        classmethod(lambda cls, v: _blank_to_none(v))
    )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def investment_yuan(self) -> float | None:
        """The investment in 元, when ``investment`` is a number with a money unit."""
        if not self.investment:
            return None
        import re

        match = re.search(r"([0-9.]+|[" + "零一二两三四五六七八九十百千万亿" + r"]+)\s*(万亿元|亿元|万元|元)", self.investment)
        if not match:
            return None
        quantity = parse_number(match.group(1))
        normal = normalize_unit(quantity.value, match.group(2)) if quantity else None
        return normal[0] if normal else None


class Organization(Fact):
    """A company, bank, university or institute named in the article."""

    name: str = Field(description="机构名称，按原文写法（简称也按原文）")
    kind: str | None = Field(default=None, description="类别：企业、银行、高校、科研机构、其他")

    _clean = field_validator("kind", mode="before")(classmethod(lambda cls, v: _blank_to_none(v)))


class Person(Fact):
    """A named person with the role the article gives (not bylines)."""

    name: str = Field(description="姓名")
    title: str | None = Field(default=None, description="职务，如 盐湖高新区招商投资局局长")

    _clean = field_validator("title", mode="before")(classmethod(lambda cls, v: _blank_to_none(v)))


class Event(Fact):
    """A dated happening."""

    date: str = Field(description="日期，原文写法，如 5月28日、10月28日下午")
    what: str = Field(description="发生了什么")


class ArticleProfile(BaseModel):
    """Everything one article says about development zones."""

    model_config = ConfigDict(extra="ignore")

    zones: list[Zone] = Field(default_factory=list, description="文章涉及的开发区")
    industries: list[Industry] = Field(default_factory=list, description="主要开发区的主导/重点产业")
    indicators: list[Indicator] = Field(default_factory=list, description="数量指标")
    projects: list[Project] = Field(default_factory=list, description="投资/建设项目")
    organizations: list[Organization] = Field(default_factory=list, description="企业、银行、高校、科研院所")
    people: list[Person] = Field(default_factory=list, description="有职务的人物（不含作者署名）")
    events: list[Event] = Field(default_factory=list, description="有日期的事件")
    summary: str | None = Field(default=None, description="一句话摘要")

    @model_validator(mode="before")
    @classmethod
    def _nulls_to_empty(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = {k: ([] if v is None and k in FACT_LISTS else v) for k, v in data.items()}
        return data


FACT_LISTS = ("zones", "industries", "indicators", "projects", "organizations", "people", "events")


_GROUNDING_PROPERTIES = {
    "grounded": {"type": "boolean", "description": "evidence found in the page (and, for indicators, the value in it)"},
    "start": {"anyOf": [{"type": "integer"}, {"type": "null"}], "description": "evidence start offset in the page text"},
    "end": {"anyOf": [{"type": "integer"}, {"type": "null"}], "description": "evidence end offset in the page text"},
}
_RECORD_PROPERTIES = {
    "source": {"type": "string"},
    "article_index": {"type": "integer"},
    "title": {"anyOf": [{"type": "string"}, {"type": "null"}]},
    "zone_header": {"anyOf": [{"type": "string"}, {"type": "null"}]},
    "backend": {},  # filled from the backend registry when the schema is exported
    "model": {"anyOf": [{"type": "string"}, {"type": "null"}]},
    "prompt_version": {"anyOf": [{"type": "string"}, {"type": "null"}]},
    "usage": {"type": "object", "properties": {k: {"type": "integer"} for k in
                                               ("prompt_tokens", "completion_tokens", "requests", "retries")}},
    "error": {"anyOf": [{"type": "string"}, {"type": "null"}]},
    "article_start": {"type": "integer"},
    "article_end": {"type": "integer"},
}


def export_json_schemas() -> dict[str, dict]:
    """Return the JSON Schemas kept in ``schemas/``, keyed by file name.

    ``article_profile.json`` is what a model is asked to fill (validation mode);
    ``profile_record.json`` is one line of ``OUT/profiles.jsonl``: the profile as
    serialised (computed fields included) with grounding on every fact and the
    record envelope.
    """
    asked = ArticleProfile.model_json_schema(mode="validation")
    record = ArticleProfile.model_json_schema(mode="serialization")
    for name, definition in record.get("$defs", {}).items():
        if "evidence" in definition.get("properties", {}):
            definition["properties"].update(_GROUNDING_PROPERTIES)
            definition.setdefault("required", []).extend(["grounded", "start", "end"])
    record["title"] = "ProfileRecord"
    record["description"] = "One line of OUT/profiles.jsonl: an article's grounded zone profile."
    from ..extract.registry import record_backends  # the registry sits above core: imported when asked

    backend = {"enum": list(record_backends()),
               "description": "the backend that made the record: a registered backend (the built-in ones when the "
                              "schema was exported), or 'custom' for an unnamed backend object"}
    record["properties"] = {**_RECORD_PROPERTIES, "backend": backend, **record["properties"]}
    record["required"] = ["source", "article_index", "title", *FACT_LISTS, "backend", "usage", "error"]
    return {"article_profile.json": asked, "profile_record.json": record}
