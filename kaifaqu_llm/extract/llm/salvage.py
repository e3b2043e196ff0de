"""Salvage: keep the valid facts of an answer, record the invalid ones, reask only for what was lost.

A model answer is validated fact by fact, not as a whole: one indicator with a
null value must not throw away the twenty good facts beside it. The valid facts
are kept; each invalid one is recorded (``rejected`` on the record: which list,
the item as the model wrote it, the reason). Two slips are mended first: a missing
evidence where the item quotes the text in another field, and a number where text
is expected. A reask is sent only when the
answer could not be read at all, or when at least as many facts were lost as
kept; it carries the errors and the invalid items (never the whole answer a
second time, CJK unescaped), asks for those facts only, and is never
byte-identical to the request before it (its note is numbered and its
temperature raised).
"""

from __future__ import annotations

import functools
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from ...core.schema import FACT_LISTS, ArticleProfile
from ...core.text import squash
from ..chunking import estimate_tokens

__all__ = ["lenient_profile_model", "salvage", "needs_reask", "reask_message", "reask_temperature", "fact_count",
           "reask_overflow"]

_ITEMS_SHOWN = 12
_ITEM_CHARS = 400


@functools.cache
def lenient_profile_model() -> type[BaseModel]:
    """Return a model named ``ArticleProfile`` accepting any JSON object: it only parses, :func:`salvage` validates."""
    fields: dict[str, Any] = {name: (Any, None) for name in ArticleProfile.model_fields}
    return create_model(  # type: ignore[call-overload, no-any-return]
        "ArticleProfile", __config__=ConfigDict(extra="ignore"), __doc__=ArticleProfile.__doc__, **fields
    )


def _reason(exc: ValidationError | ValueError) -> str:
    if isinstance(exc, ValidationError) and exc.errors():
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        message = str(first.get("msg", "")).removeprefix("Value error, ")
        return f"{where}: {message}" if where else message
    return str(exc)


_QUOTABLE = ("what", "name", "mention", "title")  # fields a model often copies from the text word for word


def _repaired(item: Any, text: str | None) -> Any:
    """Return ``item`` with two slips of small models mended: a missing ``evidence`` when one of its own fields
    is a verbatim quote of ``text`` (that quote is the evidence; grounding checks it), and numbers given
    where text is expected (投资 10.5 → "10.5")."""
    if not isinstance(item, dict):
        return item
    fixed = dict(item)
    if not fixed.get("evidence") and text:
        quote = next((v for k in _QUOTABLE if isinstance(v := fixed.get(k), str)
                      and len(bare := squash(v) or "") >= 4 and bare in text), None)
        if quote is not None:
            fixed["evidence"] = quote
    return fixed


def _validated(model: type[BaseModel], item: Any) -> tuple[BaseModel | None, str]:
    """Return ``(the validated fact, "")``, or ``(None, why not)`` once numbers given as text are retried."""
    try:
        return model.model_validate(item), ""
    except ValidationError as exc:
        again = _numbers_as_text(item, exc)
        error: ValidationError | ValueError = exc
    except ValueError as exc:
        return None, _reason(exc)
    if again is not None:
        try:
            return model.model_validate(again), ""
        except (ValidationError, ValueError) as exc:
            error = exc
    return None, _reason(error)


def _numbers_as_text(item: Any, exc: ValidationError) -> dict | None:
    """Return ``item`` with the numbers pydantic wanted as strings turned into strings, None when none were."""
    paths = [e["loc"] for e in exc.errors()
             if e.get("type") == "string_type" and isinstance(e.get("input"), (int, float)) and len(e["loc"]) == 1]
    if not paths or not isinstance(item, dict):
        return None
    return {k: (str(v) if (k,) in paths else v) for k, v in item.items()}


def salvage(raw: dict, text: str | None = None) -> tuple[ArticleProfile, list[dict]]:
    """Return ``(profile of the valid facts, rejected items)`` for one parsed answer.

    Each rejected item is ``{"list", "item", "reason"}``. With the article's ``text``, an item missing
    its evidence is mended from a field it quotes (:func:`_repaired`).
    """
    text = squash(text) if text else None
    fields = ArticleProfile.model_fields
    kept: dict[str, list] = {}
    rejected: list[dict] = []
    for name in FACT_LISTS:
        items = raw.get(name)
        if items is None:
            items = []
        elif isinstance(items, dict):
            items = [items]  # one fact given bare instead of in a list
        elif not isinstance(items, list):
            rejected.append({"list": name, "item": items, "reason": "not a list"})
            continue
        model = fields[name].annotation.__args__[0]  # type: ignore[union-attr]
        kept[name] = []
        for item in items:
            fact, error = _validated(model, _repaired(item, text))
            if fact is None:
                rejected.append({"list": name, "item": item, "reason": error})
            else:
                kept[name].append(fact)
    summary = raw.get("summary")
    profile = ArticleProfile(**kept, summary=str(summary).strip() or None if summary is not None else None)
    return profile, rejected


def fact_count(profile: ArticleProfile) -> int:
    """Return how many facts ``profile`` holds over all lists."""
    return sum(len(getattr(profile, name)) for name in FACT_LISTS)


def needs_reask(profile: ArticleProfile, rejected: list[dict]) -> bool:
    """Return True when the answer lost at least as many facts as it kept (so asking again is worth it)."""
    return bool(rejected) and len(rejected) >= fact_count(profile)


def _shown(item: Any) -> str:
    text = json.dumps(item, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= _ITEM_CHARS else text[: _ITEM_CHARS - 1] + "…"


def reask_message(attempt: int, *, unreadable: str | None = None, rejected: list[dict] = ()) -> dict:
    """Return the user message of reask number ``attempt`` (1-based).

    ``unreadable`` is why the last answer could not be parsed (then the whole
    profile is asked for again); otherwise ``rejected`` lists the invalid facts
    and only their corrected versions are asked for.
    """
    if unreadable is not None:
        text = (f"（第 {attempt} 次更正）上次回答无法解析：{unreadable}\n"
                "请按 schema 重新输出完整的 JSON 对象，只输出 JSON。")
    else:
        lines = [f"- {r['list']}：{_shown(r['item'])} —— 错误：{r['reason']}" for r in rejected[:_ITEMS_SHOWN]]
        if len(rejected) > _ITEMS_SHOWN:
            lines.append(f"……另有 {len(rejected) - _ITEMS_SHOWN} 条")
        text = (f"（第 {attempt} 次更正）上次回答中以下事实不符合 schema，已丢弃：\n" + "\n".join(lines) +
                "\n请只输出这些事实的更正版本（同一 schema，其余列表留空；无法依据原文更正的不要输出）。")
    return {"role": "user", "content": text}


def reask_temperature(base: float, attempt: int) -> float:
    """Return the temperature of reask ``attempt``: raised from ``base`` (lowered when it is already high)."""
    step = 0.2 * attempt
    return round(base + step if base + step <= 1.0 else max(base - step, 0.0), 2)


def reask_overflow(prompt_tokens: int, note: dict, answer_tokens: int, context: int | None) -> str | None:
    """Return why a reask must not be sent (it would not fit in the server's ``context``), None when it fits.

    The reask is the request before it (``prompt_tokens``: as the server counted
    it, else estimated) plus its ``note``, and needs room for an answer as long
    as the last one (``answer_tokens``) or at least as long as the note.
    """
    if context is None:
        return None
    added = estimate_tokens(str(note.get("content") or ""))
    need = prompt_tokens + added + max(answer_tokens, added)
    if need <= context:
        return None
    return (f"reask not sent: it would need about {need} tokens, over the endpoint's context of {context} "
            "(set KAIFAQU_CONTEXT to the server's real window)")
