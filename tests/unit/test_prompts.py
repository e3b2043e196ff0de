"""Prompt templates: versioned, rendered with CJK unescaped, a worked example that obeys the rules."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from kaifaqu_llm.core.errors import ConfigError
from kaifaqu_llm.extract.llm.prompts import DEFAULT_PROMPT_VERSION, available_versions, load_prompts, prompts_dir
from kaifaqu_llm.core.schema import ArticleProfile
from tests.conftest import make_article


def test_default_version_is_available() -> None:
    assert DEFAULT_PROMPT_VERSION in available_versions()
    prompts = load_prompts()
    assert prompts.version == "v2" and len(prompts.fingerprint) == 16
    assert "v1" in available_versions() and load_prompts("v1").version == "v1"  # the previous version stays loadable


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_worked_example_is_a_valid_profile_quoting_its_text_verbatim(version: str) -> None:
    example = load_prompts(version).example
    profile = ArticleProfile.model_validate(example["output"])
    text = re.sub(r"\s+", "", example["input"]["text"])
    facts = [fact for name in ("zones", "industries", "indicators", "projects", "organizations", "people", "events")
             for fact in getattr(profile, name)]
    assert len(facts) >= 6
    for fact in facts:
        assert re.sub(r"\s+", "", fact.evidence) in text, fact.evidence
    # The conventions the example illustrates: approximate count in the unit, byline not a person.
    assert any(i.unit == "余家" and i.value == 30 and i.approx == "余" for i in profile.indicators)
    assert "李明" in example["input"]["text"] and all(p.name != "李明" for p in profile.people)
    assert all("管委会" not in o.name for o in profile.organizations)


def test_system_message_embeds_the_example_with_cjk_unescaped() -> None:
    system = load_prompts().system
    assert "${" not in system and "\\u" not in system
    output = json.dumps(load_prompts().example["output"], ensure_ascii=False, separators=(",", ":"))
    assert output in system


def test_messages_carry_the_article() -> None:
    article = make_article(zone_header="盐湖高新技术产业开发区", subtitle="——副标题")
    system, user = load_prompts().messages(article)
    assert system["role"] == "system" and user["role"] == "user"
    content = user["content"]
    assert f"<article>\n{article.text}\n</article>" in content
    assert "盐湖高新技术产业开发区" in content and article.title in content and "——副标题" in content
    assert "长文分段" not in content


def test_chunk_messages_say_which_part() -> None:
    _, user = load_prompts().messages(make_article(), text="第二段正文。", part=(2, 3))
    assert "第 2/3 段" in user["content"] and "<article>\n第二段正文。\n</article>" in user["content"]


def test_missing_or_bad_version_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="v999"):
        load_prompts("v999")
    with pytest.raises(ConfigError):
        load_prompts("../v1")


def test_editing_a_template_changes_the_fingerprint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = load_prompts("v1").fingerprint
    shutil.copytree(prompts_dir() / "v1", tmp_path / "v1")
    shutil.copytree(prompts_dir() / "v1", tmp_path / "v1-edited")
    user = tmp_path / "v1-edited" / "user.md"
    user.write_text(user.read_text(encoding="utf-8") + "\n请认真。\n", encoding="utf-8")
    monkeypatch.setenv("KAIFAQU_PROMPTS_DIR", str(tmp_path))
    # The fingerprint (part of every cache key) follows the content, not only the version name.
    assert load_prompts("v1").fingerprint == original  # a byte-identical copy elsewhere
    assert load_prompts("v1-edited").fingerprint != load_prompts("v1").fingerprint


def test_broken_template_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(prompts_dir() / "v1", tmp_path / "vbad")
    (tmp_path / "vbad" / "user.md").write_text("标题：${headline}\n", encoding="utf-8")
    monkeypatch.setenv("KAIFAQU_PROMPTS_DIR", str(tmp_path))
    with pytest.raises(ConfigError, match="placeholder"):
        load_prompts("vbad")
