"""Versioned prompt templates: what the model is told, per article.

A version is a folder ``prompts/<version>/`` with ``system.md`` (the task, the
evidence rule, the annotation conventions, ``${fields}`` where the field guide
generated from the schema's Field descriptions goes (:func:`.request_schema.field_guide`;
v1 wrote its own), and ``${example_input}`` / ``${example_output}`` where the worked
example goes), ``user.md`` (one article:
``${zone_header}``, ``${title}``, ``${subtitle}``, ``${part_note}``, ``${text}``)
and ``example.json`` (``{"input": {...}, "output": <an ArticleProfile>}``).

The schema itself is not in these templates: TOOLS and JSON_SCHEMA modes send it
as a tool / ``response_format``, and in JSON / MD_JSON modes instructor appends it
to the system message with ``ensure_ascii=False`` (escaped CJK would multiply the
prompt's tokens). Everything embedded here is serialised with ``ensure_ascii=False`` too.

The sentence evidence form (:mod:`kaifaqu_llm.ground.sentences`) uses the version's ``system.sentence.md``
instead of ``system.md`` (the same template, its evidence rule asking for sentence numbers),
shows the example and each article one numbered sentence a line, and turns the
example's quotes into the numbers of the sentences holding them.

Everything before the article is the same for every article (system message,
schema, the user message's first line), so providers' prompt caches can serve it.

The cache key carries the version *and* :attr:`PromptSet.fingerprint` (a digest of
the rendered templates), so editing a template or a Field description in place
still invalidates cached answers.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from string import Template

from ...core.document import Article
from ...core.errors import ConfigError
from .request_schema import field_guide
from ...ground.sentences import EVIDENCE_FORMS, numbered_text, split_sentences

__all__ = ["DEFAULT_PROMPT_VERSION", "PromptSet", "prompts_dir", "available_versions", "load_prompts"]

DEFAULT_PROMPT_VERSION = "v2"
_FILES = ("system.md", "user.md", "example.json")


def prompts_dir() -> Path:
    """Return the folder holding prompt versions: ``$KAIFAQU_PROMPTS_DIR``, the wheel's copy, or the repo's."""
    if os.environ.get("KAIFAQU_PROMPTS_DIR"):
        return Path(os.environ["KAIFAQU_PROMPTS_DIR"])
    package = Path(__file__).resolve().parents[2]
    packaged = package / "_resources" / "prompts"
    return packaged if packaged.is_dir() else package.parent / "prompts"


def available_versions() -> list[str]:
    """Return the prompt versions found in :func:`prompts_dir`, sorted."""
    root = prompts_dir()
    return sorted(p.name for p in root.iterdir() if p.is_dir() and (p / "system.md").is_file()) if root.is_dir() else []


@dataclass(frozen=True)
class PromptSet:
    """One prompt version, loaded: the rendered system message and the user template."""

    version: str
    system: str
    user_template: str
    example: dict
    fingerprint: str
    evidence: str = "quote"

    def messages(self, article: Article, text: str | None = None, part: tuple[int, int] | None = None) -> list[dict]:
        """Return the chat messages asking for ``article``'s profile.

        ``text`` replaces the article body (a chunk of it); ``part`` is
        ``(i, n)`` for chunk ``i`` of ``n`` (1-based), which the prompt mentions.
        In the sentence form the body is shown numbered (:func:`~kaifaqu_llm.ground.sentences.numbered_text`).
        """
        body = article.text if text is None else text
        note = f"（长文分段抽取：这是第 {part[0]}/{part[1]} 段，只抽取本段中的事实）\n" if part and part[1] > 1 else ""
        user = Template(self.user_template).substitute(
            zone_header=article.zone_header or "无",
            title=article.title or "无",
            subtitle=article.subtitle or "无",
            part_note=note,
            text=numbered_text(body) if self.evidence == "sentence" else body,
        )
        return [{"role": "system", "content": self.system}, {"role": "user", "content": user}]


@functools.lru_cache(maxsize=8)
def _load(directory: str, version: str, evidence: str = "quote") -> PromptSet:
    folder = Path(directory) / version
    files = _FILES if evidence == "quote" else ("system.sentence.md", *_FILES[1:])
    missing = [name for name in files if not (folder / name).is_file()]
    if missing:
        known = ", ".join(available_versions()) or "none"
        raise ConfigError(f"prompt version {version!r}: missing {', '.join(missing)} in {folder} (known: {known})")
    raw = {name: (folder / name).read_text(encoding="utf-8") for name in files}
    raw["system.md"] = raw.pop(files[0])
    try:
        example = json.loads(raw["example.json"])
        example_input, example_output = example["input"], example["output"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ConfigError(f"{folder / 'example.json'}: not an {{input, output}} JSON object ({exc})") from None
    try:
        if evidence == "sentence":
            example_output = _cited_example(example_input, example_output)
        system = Template(raw["system.md"]).substitute(
            fields=field_guide(),
            example_input=_example_input_text(example_input, sentences=evidence == "sentence"),
            example_output=json.dumps(example_output, ensure_ascii=False, separators=(",", ":")),
        )
        Template(raw["user.md"]).substitute(zone_header="", title="", subtitle="", part_note="", text="")
    except (KeyError, ValueError) as exc:
        raise ConfigError(f"prompt version {version!r}: bad template placeholder {exc}") from None
    digest = hashlib.sha256("\0".join((system, raw["user.md"], raw["example.json"])).encode("utf-8")).hexdigest()
    return PromptSet(version, system.strip() + "\n", raw["user.md"], example, digest[:16], evidence)


def _cited_example(example_input: dict, example_output: dict) -> dict:
    """Return the example answer with each evidence quote replaced by the numbers of the sentences holding it."""
    text = str(example_input.get("text", ""))
    sentences = split_sentences(text)
    out = json.loads(json.dumps(example_output))
    for facts in out.values():
        for fact in facts if isinstance(facts, list) else ():
            start = text.find(fact.get("evidence") or "\0")
            if start < 0:
                raise ConfigError(f"example evidence {fact.get('evidence')!r} is not in the example text")
            end = start + len(fact["evidence"])
            fact["evidence"] = ",".join(f"S{s.number}" for s in sentences if s.start < end and start < s.end)
    return out


def _example_input_text(example_input: dict, *, sentences: bool = False) -> str:
    return "\n".join(
        [
            f"栏目：{example_input.get('zone_header') or '无'}",
            f"标题：{example_input.get('title') or '无'}",
            f"副标题：{example_input.get('subtitle') or '无'}",
            "<article>",
            numbered_text(str(example_input.get("text", ""))) if sentences else str(example_input.get("text", "")),
            "</article>",
        ]
    )


def load_prompts(version: str = DEFAULT_PROMPT_VERSION, evidence: str = "quote") -> PromptSet:
    """Return the prompt set ``version`` in the ``evidence`` form (``quote`` or ``sentence``); raises
    :class:`ConfigError` when it is missing or malformed."""
    if not version or "/" in version or "\\" in version or version.startswith("."):
        raise ConfigError(f"bad prompt version {version!r}")
    if evidence not in EVIDENCE_FORMS:
        raise ConfigError(f"unknown evidence form {evidence!r} (known: {', '.join(EVIDENCE_FORMS)})")
    return _load(str(prompts_dir()), version, evidence)
