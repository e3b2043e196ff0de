"""What a request tells the model about the profile: a compact schema and a field guide, from one source.

The Field descriptions of :mod:`kaifaqu_llm.core.schema` are the only place field
guidance is written. :func:`field_guide` renders them as the prompt's field
section (every mode shows it to the model, grammar-only servers included), so
:func:`compact_schema` leaves them out of the schema the request carries: no
titles, no descriptions, no defaults, optional values as plain types (a missing
key reads as null), one ``$defs`` entry per fact kind shared by reference. It is
the structure only, sent once per request in the form the mode needs (a tool,
a ``response_format``, or appended to the system message).
"""

from __future__ import annotations

import copy
import functools
import json
from typing import Any

import instructor
from pydantic import BaseModel

from ...core.schema import ArticleProfile, Fact
from .salvage import lenient_profile_model

__all__ = ["compact_schema", "field_guide", "response_model", "tighten_schema_text"]

_DROPPED = ("title", "description", "default")


def _compact(node: Any, *, names: bool = False) -> Any:
    """Return ``node`` without titles, descriptions and defaults; ``names``: node maps names to schemas."""
    if isinstance(node, list):
        return [_compact(item) for item in node]
    if not isinstance(node, dict):
        return node
    if names:
        return {key: _compact(value) for key, value in node.items()}
    out = {key: _compact(value, names=key in ("properties", "$defs")) for key, value in node.items()
           if key not in _DROPPED}
    options = out.get("anyOf")
    if options and {"type": "null"} in options and len(options) == 2:
        out.pop("anyOf")  # optional: the non-null branch; leaving the key out means null
        out.update(next(o for o in options if o != {"type": "null"}))
    return out


@functools.cache
def _compact_schema(model: type[BaseModel]) -> dict:
    schema = _compact(model.model_json_schema(mode="validation"))
    schema["title"] = model.__name__  # instructor names the tool after it
    return schema


def compact_schema(model: type[BaseModel] = ArticleProfile) -> dict:
    """Return the compact JSON schema of ``model`` (a fresh copy: callers may mutate it)."""
    return copy.deepcopy(_compact_schema(model))


def _fact_model(annotation: Any) -> type[BaseModel] | None:
    for arg in getattr(annotation, "__args__", ()):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


@functools.cache
def field_guide(model: type[BaseModel] = ArticleProfile) -> str:
    """Return the prompt's field section: one line per list of ``model``, built from the Field descriptions.

    ``evidence`` (common to every fact) is left to the prompt's rules; a field
    without a description is listed by name only.
    """
    lines = []
    for name, info in model.model_fields.items():
        item = _fact_model(info.annotation)
        head = f"- {name}：{info.description or ''}"
        if item is None:
            lines.append(head)
            continue
        parts = [f"{field} {sub.description}" if sub.description else field
                 for field, sub in item.model_fields.items() if field not in Fact.model_fields]
        lines.append(f"{head}。{'；'.join(parts)}")
    return "\n".join(lines)


@functools.cache
def response_model(model: type[BaseModel] | None = None) -> type[Any]:
    """Return the model instructor is given: it parses any JSON object, its request schema the compact one.

    ``model`` (another task's answer, e.g. a page segmentation) is validated by instructor itself and
    requested with its own compact schema.

    Every mode builds its request from ``model_json_schema()``, so answering it with
    :func:`compact_schema` of :class:`ArticleProfile` sends the compact schema in every mode;
    the answer is validated fact by fact afterwards (:func:`.salvage.salvage`). Wrapped
    for instructor once: given a plain model, instructor wraps it anew and regenerates
    its schema on every request (~3 ms of CPU each; benchmarks/results.md, section 2).
    """
    wrapped = instructor.openai_schema(model or lenient_profile_model())
    schema = compact_schema(model or ArticleProfile)
    generate = wrapped.model_json_schema

    def model_json_schema(cls: type, *args: Any, **kwargs: Any) -> dict:
        return generate(*args, **kwargs) if args or kwargs else copy.deepcopy(schema)  # callers may mutate it

    wrapped.model_json_schema = classmethod(model_json_schema)  # type: ignore[method-assign, assignment]
    return wrapped


@functools.cache
def _schema_texts() -> tuple[str, str]:
    schema = compact_schema(ArticleProfile)
    return (json.dumps(schema, indent=2, ensure_ascii=False),
            json.dumps(schema, ensure_ascii=False, separators=(",", ":")))


def tighten_schema_text(*_: Any, messages: list[dict] | None = None, **__: Any) -> None:
    """Rewrite, in place, the schema instructor's JSON / MD_JSON modes append to the system message as compact JSON.

    instructor dumps it with ``indent=2``, which costs about 600 tokens of whitespace
    per request. Used as an instructor ``completion:kwargs`` hook (it sees the
    request's own message dicts); when the text is not found, nothing changes.
    """
    indented, compact = _schema_texts()
    for message in (messages or [])[:1]:
        content = message.get("content")
        if message.get("role") == "system" and isinstance(content, str) and indented in content:
            message["content"] = content.replace(indented, compact)
