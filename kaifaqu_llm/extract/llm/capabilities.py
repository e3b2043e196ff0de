"""Endpoint capability profiles: which structured-output mode each kind of server speaks.

One table (:data:`PROFILES`) says, per endpoint kind, how to recognise it from a
base URL, which instructor mode to use by default and whether it is a local
server that needs no real key. Nothing else in kaifaqu-llm branches on the
provider. The choices:

==============  ============================  ===========  ==========================================
name            recognised by                 mode         why
==============  ============================  ===========  ==========================================
openai          host api.openai.com           TOOLS        forced function calling, the most robust
deepseek        host api.deepseek.com         JSON         documented "JSON Output"; no json_schema
                                                           response_format, and the reasoner model
                                                           does not honour a forced tool_choice
qwen            host *dashscope*.aliyuncs     TOOLS        DashScope's compatible mode calls tools
ollama          port 11434 or path /ollama    JSON         Ollama's format=json via json_object
llamacpp        port 8080                     JSON_SCHEMA  llama.cpp's llama-server: grammar from
                                                           the schema
vllm            port 8000                     JSON_SCHEMA  guided decoding by the schema
lmstudio        port 1234                     JSON_SCHEMA  LM Studio accepts json_schema only
llamacpppython  --endpoint llama-cpp-python   TOOLS        the Python binding's server answers
                (its default port 8000 is                  json_schema with HTTP 500 ("text or
                taken by vllm)                             json_object"); a forced tool call is its
                                                           schema-grammar path
local           any other loopback host       JSON_SCHEMA  what most local servers speak
generic         any other host                TOOLS        the structured-output path most hosted
                                                           OpenAI-compatible APIs implement
==============  ============================  ===========  ==========================================

``--mode`` overrides the mode (and turns negotiation off); ``--endpoint NAME`` overrides detection.

Each profile also lists ``fallbacks``: the modes tried, in order, when the server
rejects the request's structured-output form (see :mod:`.negotiation`), and the
generation defaults of its kind of server: ``timeout`` (local servers often run
on a CPU: long), ``max_tokens`` (the answer's cap; a cut-off answer is a clear
per-article error) and ``context`` (the context window such a server runs with by
default; a reask that would not fit in it is not sent: ``KAIFAQU_CONTEXT`` sets the real one).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

import instructor

from ...core.errors import ConfigError

__all__ = ["EndpointProfile", "PROFILES", "MODES", "detect_profile", "mode_name", "instructor_mode"]

MODES: dict[str, instructor.Mode] = {
    "TOOLS": instructor.Mode.TOOLS,
    "JSON": instructor.Mode.JSON,
    "JSON_SCHEMA": instructor.Mode.JSON_SCHEMA,
    "MD_JSON": instructor.Mode.MD_JSON,
}
"""The instructor modes kaifaqu-llm supports, by the name ``--mode`` accepts."""


@dataclass(frozen=True)
class EndpointProfile:
    """What kaifaqu-llm knows about one kind of OpenAI-compatible endpoint."""

    name: str
    mode: str
    local: bool = False
    default_base_url: str = "https://api.openai.com/v1"
    hosts: tuple[str, ...] = ()
    ports: tuple[int, ...] = ()
    path_hint: str | None = None
    fallbacks: tuple[str, ...] = ("TOOLS", "JSON_SCHEMA", "JSON", "MD_JSON")
    timeout: float = 120.0
    max_tokens: int = 4096
    context: int | None = None  # tokens the server's context holds (prompt + answer); None: not known

    @property
    def modes(self) -> tuple[str, ...]:
        """The modes to try, in order: the default first, then the fallbacks."""
        return tuple(dict.fromkeys((self.mode, *self.fallbacks)))

    def matches(self, host: str, port: int | None, path: str) -> bool:
        """Return True when a URL with this host, port and path belongs to this endpoint kind."""
        if any(host == h or host.endswith("." + h) or (h.startswith("*") and h[1:] in host) for h in self.hosts):
            return True
        if self.ports and port in self.ports and _is_loopback(host):
            return True
        return bool(self.path_hint and self.path_hint in path)


_LOCAL = {"local": True, "timeout": 600.0, "fallbacks": ("JSON_SCHEMA", "TOOLS", "JSON", "MD_JSON")}

# context: the window each kind of server has by default (hosted: the smallest of its current chat models;
# llama-server -c 4096, llama-cpp-python n_ctx 2048, Ollama num_ctx 4096, LM Studio's 4096 load default;
# vLLM serves the model's own length: unknown here)
PROFILES: tuple[EndpointProfile, ...] = (
    EndpointProfile("openai", "TOOLS", hosts=("api.openai.com",), context=128000),
    EndpointProfile("deepseek", "JSON", default_base_url="https://api.deepseek.com/v1", hosts=("api.deepseek.com",),
                    fallbacks=("TOOLS", "MD_JSON"), context=64000),
    EndpointProfile(
        "qwen",
        "TOOLS",
        default_base_url="https://dashscope.aliyuncs.com/compatible-mode/v1",
        hosts=("*dashscope",),
        fallbacks=("JSON", "MD_JSON"),
        context=32768,
    ),
    EndpointProfile("ollama", "JSON", default_base_url="http://localhost:11434/v1", ports=(11434,),
                    path_hint="/ollama", context=4096, **_LOCAL),
    EndpointProfile("llamacpp", "JSON_SCHEMA", default_base_url="http://localhost:8080/v1", ports=(8080,),
                    context=4096, **_LOCAL),
    EndpointProfile("vllm", "JSON_SCHEMA", default_base_url="http://localhost:8000/v1", ports=(8000,), **_LOCAL),
    EndpointProfile("lmstudio", "JSON_SCHEMA", default_base_url="http://localhost:1234/v1", ports=(1234,),
                    context=4096, **_LOCAL),
    EndpointProfile("llamacpppython", "TOOLS", default_base_url="http://localhost:8000/v1", context=2048,
                    **{**_LOCAL, "fallbacks": ("JSON", "MD_JSON")}),
    EndpointProfile("local", "JSON_SCHEMA", default_base_url="http://localhost:8080/v1", **_LOCAL),
    EndpointProfile("generic", "TOOLS"),
)
_BY_NAME = {p.name: p for p in PROFILES}


def _is_loopback(host: str) -> bool:
    if host in ("localhost", "host.docker.internal") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback or ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


def detect_profile(base_url: str | None, endpoint: str | None = None) -> EndpointProfile:
    """Return the profile named ``endpoint``, else the first one whose pattern matches ``base_url``.

    No base URL means the OpenAI SDK default (api.openai.com). Raises
    :class:`ConfigError` for an unknown endpoint name or a URL that is not http(s).
    """
    if endpoint:
        try:
            return _BY_NAME[endpoint.strip().lower().replace(".", "").replace("-", "").replace("_", "")]
        except KeyError:
            raise ConfigError(f"unknown endpoint {endpoint!r}; known: {', '.join(_BY_NAME)}") from None
    if not base_url:
        return _BY_NAME["openai"]
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"base URL must be http(s)://host[:port]/..., got {base_url!r}")
    host = parts.hostname.lower()
    try:
        port = parts.port
    except ValueError:
        raise ConfigError(f"base URL has a bad port: {base_url!r}") from None
    for profile in PROFILES[:-2]:
        if profile.matches(host, port, parts.path):
            return profile
    return _BY_NAME["local" if _is_loopback(host) else "generic"]


def mode_name(mode: str) -> str:
    """Return the canonical mode name (``TOOLS``, ``JSON``, ``JSON_SCHEMA``, ``MD_JSON``) for a user's spelling.

    Accepts any case, ``-`` for ``_``, and instructor's own values (``tool_call``,
    ``json_schema_mode``...). Raises :class:`ConfigError` for anything else.
    """
    key = mode.strip().upper().replace("-", "_")
    if key in MODES:
        return key
    for name, member in MODES.items():
        if member.value.upper() == key:
            return name
    raise ConfigError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")


def instructor_mode(name: str) -> instructor.Mode:
    """Return the instructor ``Mode`` for a mode name accepted by :func:`mode_name`."""
    return MODES[mode_name(name)]
