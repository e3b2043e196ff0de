"""The facts an article states: one Pydantic model per fact kind.

Each model is both what the LLM is asked to fill (its JSON Schema) and what the
rules backend fills. Every fact carries a verbatim ``evidence`` quote; grounding
(``grounded``, ``start``, ``end``) is added when records are built
(:mod:`kaifaqu_llm.core.record`). Which kinds exist, and everything else that
varies by kind, is declared once in :mod:`kaifaqu_llm.core.facts`.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator, model_validator

from .numbers import normalize_unit, parse_number

__all__ = ["ZONE_TYPES", "ZoneType", "Fact", "Zone", "Industry", "Indicator", "Project", "Organization", "Person",
           "Event"]

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
ZoneType = Literal[ZONE_TYPES]  # type: ignore[valid-type]  # the same names, one list

_EVIDENCE_DESCRIPTION = "原文逐字引用：能证明该事实的最短原文片段，与原文一字不差（可省略空白）"


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

    mention: str = Field(description="文中写法")
    canonical: str | None = Field(default=None, description="全称，仅据本文")
    type: ZoneType = "其他"
    level: str | None = Field(default=None, description="国家级/省级")
    province: str | None = None
    city: str | None = Field(default=None, description="不带“市”")
    primary: bool = Field(default=False, description="主要报道对象")

    _clean = field_validator("canonical", "level", "province", "city", mode="before")(
        classmethod(lambda cls, v: _blank_to_none(v))
    )

    @field_validator("type", mode="before")
    @classmethod
    def _known_type(cls, value: Any) -> str:
        return value if value in ZONE_TYPES else "其他"


class Industry(Fact):
    """A leading or key industry of the zone."""

    name: str


class Indicator(Fact):
    """A quantitative fact: a number with its unit, what it measures, when, and its change."""

    subject: str | None = Field(default=None, description="主体")
    name: str = Field(description="指标名")
    value: float
    unit: str
    period: str | None = Field(default=None, description="时期")
    change: str | None = Field(default=None, description="如 同比增长5%")
    value_text: str | None = Field(default=None, description="数字原写法")
    approx: str | None = None

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

    name: str
    company: str | None = Field(default=None, description="建设/投资企业")
    investment: str | None = Field(default=None, description="投资额")
    status: str | None = Field(default=None, description="签约/开工/投产等")
    capacity: str | None = Field(default=None, description="产能")
    figures: list[str] = Field(default_factory=list, description="其他数字")

    _clean = field_validator("company", "investment", "status", "capacity", mode="before")(
        classmethod(lambda cls, v: _blank_to_none(v))
    )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def investment_yuan(self) -> float | None:
        """The investment in 元, when ``investment`` is a number with a money unit."""
        if not self.investment:
            return None
        match = re.search(r"([0-9.]+|[" + "零一二两三四五六七八九十百千万亿" + r"]+)\s*(万亿元|亿元|万元|元)", self.investment)
        if not match:
            return None
        quantity = parse_number(match.group(1))
        normal = normalize_unit(quantity.value, match.group(2)) if quantity else None
        return normal[0] if normal else None


class Organization(Fact):
    """A company, bank, university or institute named in the article."""

    name: str = Field(description="名称（简称照录）")
    kind: str | None = Field(default=None, description="企业/银行/高校/科研机构/其他")

    _clean = field_validator("kind", mode="before")(classmethod(lambda cls, v: _blank_to_none(v)))


class Person(Fact):
    """A named person with the role the article gives (not bylines)."""

    name: str
    title: str | None = Field(default=None, description="职务")

    _clean = field_validator("title", mode="before")(classmethod(lambda cls, v: _blank_to_none(v)))


class Event(Fact):
    """A dated happening."""

    date: str = Field(description="日期")
    what: str
