"""A reply cut at the token cap, told by the reply itself and not only by its ``finish_reason``.

OpenAI-compatible servers say ``finish_reason: "length"`` when an answer hits
``max_tokens``, and instructor turns that into ``IncompleteOutputException``.
Not all of them do: llama-cpp-python reports ``"tool_calls"`` for a tool call
cut at the cap. Such an answer is half a JSON object; asking again would cut it
at the same place, so it is an error naming ``--max-tokens``, not a reask. A
reply that could not be parsed is taken as cut off when it used (nearly) all
of ``max_tokens``, or when its JSON is unterminated (an open string, object or
array at its end) and the server did not say the model stopped on its own
(``finish_reason: "stop"``: a model that ends with broken JSON may do better
when asked again).

A cut reply is not thrown away: :func:`complete_part` closes the JSON after the last
fact written in full, so those facts are kept; the one being written when the cap
hit is recorded as rejected with the reason, and the answer is not asked for again
(it would be cut at the same place).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ...core.errors import ResponseError
from ...core.schema import FACT_LISTS

__all__ = ["CUT_OFF", "CUT_KEY", "NEAR_CAP", "unterminated_json", "reply_text", "cut_off_reason", "complete_part",
           "CutOff", "salvage_cut_off", "cut_answer"]

CUT_OFF = "the reply was cut off ({why}); raise --max-tokens"
NEAR_CAP = 0.98  # completion tokens at or over this share of max_tokens: the cap ended the answer


def _structure(body: str):
    """Yield ``(index, character)`` for each bracket of ``body`` outside JSON strings."""
    in_string = escaped = False
    for i, char in enumerate(body):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[]}":
            yield i, char


def _fence_free(text: str) -> str:
    body = text.strip()
    if body.startswith("```"):
        body = body.split("\n", 1)[1] if "\n" in body else ""
    return body


def unterminated_json(text: str) -> bool:
    """Return True when ``text`` (after an optional ```json fence) opens a JSON object or array it never closes."""
    body = _fence_free(text)
    if not body.startswith(("{", "[")):
        return False
    depth = 0
    for _, char in _structure(body):
        depth += 1 if char in "{[" else -1
        if depth <= 0:
            return False  # closed (perhaps with junk after it): not a cut
    return True


def reply_text(completion: Any) -> tuple[str, str | None]:
    """Return ``(the answer's text: tool-call arguments or content, finish_reason)`` of a chat completion."""
    choices = getattr(completion, "choices", None) or []
    if not choices:
        return "", None
    choice = choices[0]
    message = getattr(choice, "message", None)
    calls = getattr(message, "tool_calls", None) or []
    function = getattr(calls[0], "function", None) if calls else None
    text = getattr(function, "arguments", None) if function is not None else getattr(message, "content", None)
    return str(text or ""), getattr(choice, "finish_reason", None)


def cut_off_reason(completion: Any, max_tokens: int | None) -> str | None:
    """Return the error for an unparsable ``completion`` that was cut at the token cap, None when it was not."""
    if completion is None:
        return None
    text, finish = reply_text(completion)
    used = getattr(getattr(completion, "usage", None), "completion_tokens", None)
    if max_tokens and isinstance(used, int) and used >= NEAR_CAP * max_tokens:
        return CUT_OFF.format(why=f"{used} of max_tokens {max_tokens} tokens used, finish_reason={finish}")
    if finish != "stop" and unterminated_json(text):
        return CUT_OFF.format(why=f"unterminated JSON, finish_reason={finish}")
    return None


_CLOSERS = {"{": "}", "[": "]"}
_TOP_KEY = re.compile('"(' + "|".join((*FACT_LISTS, "summary")) + ')"\\s*:')  # the answer's own fields
_TAIL_CHARS = 200


def complete_part(text: str) -> tuple[dict, int] | None:
    """Return ``(the object, where the kept part ends)`` for a reply cut off inside a JSON object: the text up
    to the last value written in full inside a list or object, with the open brackets closed; None when no
    such prefix parses as an object."""
    body = _fence_free(text)
    if not body.startswith("{"):
        return None
    stack: list[str] = []
    cuts: list[tuple[int, str]] = []  # (end of a complete value inside a container, the closers it needs)
    for i, char in _structure(body):
        if char in _CLOSERS:
            stack.append(char)
        elif stack:
            stack.pop()
            if stack:
                cuts.append((i + 1, "".join(_CLOSERS[c] for c in reversed(stack))))
    for end, closers in reversed(cuts[-20:]):  # the latest cut that parses
        try:
            value = json.loads(body[:end] + closers)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value, end + (len(text) - len(text.lstrip())) + (len(text.strip()) - len(body))
    return None


@dataclass(frozen=True)
class CutOff:
    """What a cut reply left: the facts written in full (``raw``) and the rejected entry for the rest."""

    raw: dict
    rejected: dict


def salvage_cut_off(completion: Any, reason: str) -> CutOff | None:
    """Return the complete part of a cut-off ``completion`` and a rejected entry naming the list the cut fell
    in, the text lost (its first characters) and ``reason``; None when nothing complete was written."""
    text, _ = reply_text(completion)
    found = complete_part(text)
    if found is None:
        return None
    raw, end = found
    fields = _TOP_KEY.findall(text[:end] + text[end:end + 40])  # the field the cut fell in, if its key came after
    tail = text[end:].strip(" ,\n")
    lost = tail[:_TAIL_CHARS] + ("…" if len(tail) > _TAIL_CHARS else "")
    rejected = {"list": fields[-1] if fields else "answer", "item": lost,
                "reason": reason + "; the facts written in full before the cut are kept"}
    return CutOff(raw, rejected)


CUT_KEY = "__cut_off__"  # in a parsed answer: the rejected entry of its cut-off part (popped before use)


def cut_answer(completion: Any, reason: str, keep_part: bool = True) -> dict:
    """Return the complete part of a cut-off answer, its rejected entry under :data:`CUT_KEY`; raises
    :class:`ResponseError` (``reason``) when nothing was written in full, or without ``keep_part`` (an answer
    that is one whole, a page's segmentation, is no answer when cut short)."""
    part = salvage_cut_off(completion, reason) if keep_part else None
    if part is None:
        raise ResponseError(reason)
    return {**part.raw, CUT_KEY: part.rejected}
