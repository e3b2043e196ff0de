"""A scripted OpenAI-compatible chat server on 127.0.0.1, for tests and benchmarks.

It is a real HTTP server (stdlib ``ThreadingHTTPServer``) implementing
``POST /v1/chat/completions``, so the real openai SDK, instructor and vcrpy run
unmodified against it. Each request gets the next scripted :class:`Reply`
(``push()``), else the answer of a ``script`` callable, else the default: a
profile built from the article in the request, quoting a real sentence of it
as evidence (or an invented one with ``invent=True``). Replies come in the
shape the request's mode expects: a tool call when the request has ``tools``,
message content otherwise. Every request is recorded, with the peak number
in flight, and every answer reports ``usage``.

    with FakeOpenAIServer(latency=0.05) as server:
        server.push(rate_limited(retry_after=1), server_error(500))
        config = ModelConfig.resolve(model="fake", base_url=server.url)
        ...
        assert server.max_in_flight <= 4
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = [
    "FakeOpenAIServer",
    "RecordedRequest",
    "Reply",
    "build_profile",
    "profile_reply",
    "content_reply",
    "invalid_json",
    "schema_breaking",
    "status_reply",
    "rate_limited",
    "quota_exceeded",
    "server_error",
    "hang",
    "drop",
    "empty_choices",
    "no_tool_call",
    "mode_rejected",
    "cut_off",
    "rejecting",
    "INVENTED_QUOTE",
]

INVENTED_QUOTE = "该开发区去年引进了一座并不存在的月球工厂"
_ARTICLE = re.compile(r"<article>\n(.*?)\n</article>", re.S)
_ZONE = re.compile(
    r"[\u4e00-\u9fff]{2,8}?(?:经济技术开发区|高新技术产业开发区|经济开发区|综合保税区|经开区|高新区|开发区|示范区|综保区)"
)
_NUMBER = re.compile(r"(\d+(?:\.\d+)?)(亿元|万元|万平方米|平方米|家|个|亩|%|人|项)")
_ZONE_TYPES = (
    ("高新", "高新技术产业开发区"),
    ("经济技术", "经济技术开发区"),
    ("经开", "经济技术开发区"),
    ("经济开发", "经济开发区"),
    ("综合保税", "综合保税区"),
    ("综保", "综合保税区"),
)


@dataclass
class Reply:
    """One scripted answer; build it with the functions below rather than by hand."""

    kind: str = "profile"  # profile | content | status | hang | drop | empty_choices | no_tool_call
    profile: dict | None = None
    content: str | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: dict | None = None
    delay: float = 0.0
    invent: bool = False
    finish_reason: str | None = None  # overrides the one the reply's kind implies
    completion_tokens: int | None = None  # overrides the count estimated from the answer's text


def profile_reply(profile: dict | None = None, *, invent: bool = False) -> Reply:
    """A valid answer: ``profile`` as given, else one built from the request's article."""
    return Reply("profile", profile=profile, invent=invent)


def content_reply(text: str) -> Reply:
    """An answer whose content (or tool-call arguments) is exactly ``text``."""
    return Reply("content", content=text)


def invalid_json() -> Reply:
    """An answer that is not JSON: a value missing, the brackets closed (an unclosed one reads as cut off)."""
    return content_reply('{"zones": [{"mention": "某某开发区", "evidence": }]}')


def schema_breaking() -> Reply:
    """Well-formed JSON that fails ArticleProfile validation (a value that is not a number)."""
    return content_reply(
        json.dumps(
            {"indicators": [{"name": "企业数量", "value": "很多", "unit": "家", "evidence": "很多企业"}]},
            ensure_ascii=False,
        )
    )


def status_reply(status: int, *, body: dict | None = None, headers: dict[str, str] | None = None) -> Reply:
    """An HTTP error answer with an OpenAI-style error body."""
    body = body or {"error": {"message": f"scripted HTTP {status}", "type": "server_error", "code": None}}
    return Reply("status", status=status, body=body, headers=dict(headers or {}))


def rate_limited(retry_after: float | None = None) -> Reply:
    """429 rate limit, with a ``Retry-After`` header (seconds) when given."""
    headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
    body = {"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}}
    return status_reply(429, body=body, headers=headers)


def quota_exceeded() -> Reply:
    """429 with OpenAI's ``insufficient_quota`` body: must not be retried."""
    body = {"error": {"message": "You exceeded your current quota", "type": "insufficient_quota", "code": "insufficient_quota"}}
    return status_reply(429, body=body)


def server_error(status: int = 500) -> Reply:
    """A 5xx answer (500, 502, 503...)."""
    return status_reply(status)


def hang(seconds: float) -> Reply:
    """Hold the request ``seconds`` before answering (past the client's timeout)."""
    return Reply("hang", delay=seconds)


def drop() -> Reply:
    """Close the connection without answering."""
    return Reply("drop")


def empty_choices() -> Reply:
    """A 200 answer with ``choices: []``."""
    return Reply("empty_choices")


def no_tool_call() -> Reply:
    """A 200 answer with plain text and no tool call (what a model ignoring ``tool_choice`` sends)."""
    return Reply("no_tool_call")


CUT_NOTHING_WHOLE = '{"zones": [{"mention": "某某开发区", "evidence": "某某'


def cut_off(finish_reason: str = "length", completion_tokens: int | None = None,
            content: str = CUT_NOTHING_WHOLE) -> Reply:
    """An answer stopped by ``max_tokens``: half a JSON object, ``finish_reason: length``.

    ``finish_reason="tool_calls"`` is what llama-cpp-python reports for a tool call cut at the cap;
    ``completion_tokens`` sets the usage the server reports (e.g. the whole ``max_tokens``);
    ``content`` is the cut text (by default it is cut inside its first fact: nothing whole).
    """
    return Reply("cut_off", content=content, finish_reason=finish_reason, completion_tokens=completion_tokens)


def mode_rejected() -> Reply:
    """What llama-cpp-python's server answers a ``json_schema`` response_format: HTTP 500, not a transient error."""
    message = "response_format.type: Input should be 'text' or 'json_object'"
    return status_reply(500, body={"error": {"message": message, "type": "internal_server_error", "code": 500}})


def rejecting(*shapes: str) -> Callable[[RecordedRequest], Reply | None]:
    """A ``script`` answering :func:`mode_rejected` to every request in one of ``shapes`` (``json_schema``, ``tools``...)."""

    def script(request: RecordedRequest) -> Reply | None:
        return mode_rejected() if request.mode in shapes else None

    return script


@dataclass
class RecordedRequest:
    """One request the server received."""

    path: str
    headers: dict[str, str]
    body: dict
    usage: dict | None = None  # what the server reported for this request (None: no 200 answer)

    @property
    def mode(self) -> str:
        """``tools``, ``json_schema``, ``json_object`` or ``text``: the structured-output shape asked for."""
        if self.body.get("tools"):
            return "tools"
        return (self.body.get("response_format") or {}).get("type", "text")

    @property
    def article(self) -> str:
        """The article text inside ``<article>`` of the last user message ('' when absent)."""
        return _article_text(self.body)


def _article_text(body: dict) -> str:
    for message in reversed(body.get("messages") or []):
        content = message.get("content")
        if message.get("role") == "user" and isinstance(content, str):
            match = _ARTICLE.search(content)
            if match:
                return match.group(1)
    return ""


def _clause(text: str, start: int, end: int) -> str:
    """The clause (between ，。；！？ or line ends) around text[start:end]."""
    left = max(text.rfind(p, 0, start) for p in "，。；！？\n") + 1
    rights = [i for i in (text.find(p, end) for p in "，。；！？\n") if i != -1]
    return text[left : min(rights) if rights else len(text)].strip()


_NUMBERED = re.compile(r"^\[S(\d+)\] ", re.M)


def build_profile(text: str, *, invent: bool = False) -> dict:
    """Return a plausible profile of ``text`` whose evidence is verbatim (or invented with ``invent``).

    When ``text`` is shown one numbered sentence a line (``[S1] …``, the sentence evidence form),
    each evidence is the number of the sentence holding the quote instead (``S2``).
    """
    if _NUMBERED.match(text):
        marks = list(_NUMBERED.finditer(text))
        plain = _NUMBERED.sub("", text)
        profile = build_profile(plain, invent=invent)
        starts = [m.start() - sum(len(p.group()) for p in marks[:k]) for k, m in enumerate(marks)]
        for facts in (profile["zones"], profile["indicators"]):
            for fact in facts:
                at = plain.find(fact["evidence"])
                if at >= 0:
                    fact["evidence"] = f"S{marks[max(k for k, s in enumerate(starts) if s <= at)].group(1)}"
        return profile
    profile: dict[str, Any] = {"zones": [], "indicators": [], "summary": None}
    first = re.split(r"[。！？\n]", text.strip(), maxsplit=1)[0] if text.strip() else ""
    profile["summary"] = first[:60] or None
    zone = _ZONE.search(text)
    if zone:
        mention = zone.group(0)
        kind = next((t for key, t in _ZONE_TYPES if key in mention), "其他")
        evidence = INVENTED_QUOTE if invent else _clause(text, zone.start(), zone.end())
        profile["zones"].append({"mention": mention, "type": kind, "primary": True, "evidence": evidence})
    number = _NUMBER.search(text)
    if number:
        profile["indicators"].append(
            {
                "subject": zone.group(0) if zone else None,
                "name": "数量",
                "value": float(number.group(1)),
                "unit": number.group(2),
                "value_text": number.group(1),
                "evidence": _clause(text, number.start(), number.end()),
            }
        )
    return profile


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def _tokens(text: str) -> int:
    return max(1, sum(1 for ch in text if not ch.isspace()) // 2)


class FakeOpenAIServer:
    """The server; use it as a context manager (it serves from a daemon thread)."""

    def __init__(
        self,
        script: Iterable[Reply] | Callable[[RecordedRequest], Reply | None] | None = None,
        *,
        latency: float = 0.0,
        invent: bool = False,
        model: str = "fake-model",
        max_concurrency: int | None = None,
        prompt_cache: str | None = None,
    ) -> None:
        # A provider prompt cache: "openai" reports the prompt prefix seen before as
        # usage.prompt_tokens_details.cached_tokens, "deepseek" as usage.prompt_cache_hit_tokens.
        self.prompt_cache = prompt_cache
        self._prompts_seen: list[str] = []
        self._queue: deque[Reply] = deque()
        self._script = script if callable(script) else None
        if script is not None and not callable(script):
            self._queue.extend(script)
        self.latency = latency
        # A server's limit (vLLM's max_num_seqs, llama.cpp's --parallel): requests beyond it wait for a slot.
        self.max_concurrency = max_concurrency
        self._slots = threading.BoundedSemaphore(max_concurrency) if max_concurrency else None
        self.max_served = 0  # peak number of requests holding a slot at once
        self._served = 0
        self.invent = invent
        self.model = model
        self.requests: list[RecordedRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- scripting --------------------------------------------------------
    def push(self, *replies: Reply) -> FakeOpenAIServer:
        """Queue ``replies`` for the next requests, in order; returns the server."""
        with self._lock:
            self._queue.extend(replies)
        return self

    def _next_reply(self, request: RecordedRequest) -> Reply:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        reply = self._script(request) if self._script else None
        return reply or profile_reply(invent=self.invent)

    # -- lifecycle ----------------------------------------------------------
    @property
    def port(self) -> int:
        """The port the server listens on (chosen by the OS)."""
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        """The base URL to give the OpenAI client: ``http://127.0.0.1:PORT/v1``."""
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> FakeOpenAIServer:
        """Start serving in a daemon thread; returns the server."""
        self._httpd = _Server(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-openai", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release hung requests."""
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- answering ------------------------------------------------------------
    def _completion(self, request: RecordedRequest, reply: Reply) -> dict:
        tool = ((request.body.get("tools") or [{}])[0].get("function") or {}).get("name")
        if reply.kind in ("content", "cut_off"):
            text = reply.content or ""
        else:
            profile = reply.profile if reply.profile is not None else build_profile(request.article, invent=reply.invent)
            text = json.dumps(profile, ensure_ascii=False)
        message: dict[str, Any] = {"role": "assistant", "content": text}
        if reply.kind == "no_tool_call":
            message["content"] = "抱歉，我无法调用工具。"
        elif tool:
            message = {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"id": "call_0", "type": "function", "function": {"name": tool, "arguments": text}}],
            }
        prompt = "".join(str(m.get("content") or "") for m in request.body.get("messages") or [])
        choices = [] if reply.kind == "empty_choices" else [
            {"index": 0, "message": message,
             "finish_reason": reply.finish_reason or (
                 "length" if reply.kind == "cut_off" else "tool_calls" if "tool_calls" in message else "stop")}
        ]
        completion = _tokens(text) if reply.completion_tokens is None else reply.completion_tokens
        usage: dict[str, Any] = {"prompt_tokens": _tokens(prompt), "completion_tokens": completion}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        if self.prompt_cache:
            with self._lock:
                shared = max((_common_prefix(prompt, seen) for seen in self._prompts_seen), default=0)
                self._prompts_seen.append(prompt)
            cached = _tokens(prompt[:shared]) if shared else 0
            if self.prompt_cache == "deepseek":
                usage["prompt_cache_hit_tokens"] = cached
            else:
                usage["prompt_tokens_details"] = {"cached_tokens": cached}
        request.usage = usage
        return {
            "id": f"chatcmpl-fake-{len(self.requests)}",
            "object": "chat.completion",
            "created": 1700000000,
            "model": request.body.get("model") or self.model,
            "choices": choices,
            "usage": usage,
        }


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # listen backlog: a burst of 32+ new connections must not see SYN drops


def _handler_for(server: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like real servers: the client pools connections
        # TCP_NODELAY, like uvicorn / vLLM: otherwise Nagle holds the body behind the headers for a delayed ACK (~40 ms).
        disable_nagle_algorithm = True
        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

        def _send_json(self, status: int, payload: dict, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                body = {}
            request = RecordedRequest(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            with server._lock:
                server.requests.append(request)
                server.in_flight += 1
                server.max_in_flight = max(server.max_in_flight, server.in_flight)
            try:
                self._answer(request)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout): nothing to answer
            finally:
                with server._lock:
                    server.in_flight -= 1

        def _answer(self, request: RecordedRequest) -> None:
            if not request.path.rstrip("/").endswith("/chat/completions"):
                self._send_json(404, {"error": {"message": f"no route {request.path}", "type": "invalid_request_error"}})
                return
            if server._slots is None:
                self._reply(request)
                return
            with server._slots:
                with server._lock:
                    server._served += 1
                    server.max_served = max(server.max_served, server._served)
                try:
                    self._reply(request)
                finally:
                    with server._lock:
                        server._served -= 1

        def _reply(self, request: RecordedRequest) -> None:
            reply = server._next_reply(request)
            if server.latency:
                server._stopping.wait(server.latency)
            if reply.kind == "hang":
                server._stopping.wait(reply.delay)
            if reply.kind == "drop":
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if reply.kind == "status":
                self._send_json(reply.status, reply.body or {}, reply.headers)
                return
            self._send_json(200, server._completion(request, reply))

    return Handler
