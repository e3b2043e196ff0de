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
"""

from __future__ import annotations

from typing import Any

__all__ = ["CUT_OFF", "NEAR_CAP", "unterminated_json", "reply_text", "cut_off_reason"]

CUT_OFF = "the reply was cut off ({why}); raise --max-tokens"
NEAR_CAP = 0.98  # completion tokens at or over this share of max_tokens: the cap ended the answer


def unterminated_json(text: str) -> bool:
    """Return True when ``text`` (after an optional ```json fence) opens a JSON object or array it never closes."""
    body = text.strip()
    if body.startswith("```"):
        body = body.split("\n", 1)[1] if "\n" in body else ""
    if not body.startswith(("{", "[")):
        return False
    depth, in_string, escaped = 0, False, False
    for char in body:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
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
