"""The OpenAI-compatible backend against a fake chat server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from surveys.model import Sentiment, SentimentLabel
from surveys.sentiment import SentimentAnalyser
from surveys.sentiment.llm import OpenAIAnalyser

FALLBACK = Sentiment(SentimentLabel.NEUTRAL, 0.5, [], "stub/1")


class StubAnalyser:
    name, version = "stub", "1"

    def __init__(self) -> None:
        self.calls = 0

    def analyse(self, text: str, question: str | None = None) -> Sentiment:
        self.calls += 1
        return FALLBACK


@dataclass
class FakeChat:
    """Answers POST /v1/chat/completions with whatever ``reply`` returns."""

    reply: Callable[[dict[str, Any]], tuple[int, bytes]]
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    url: str = ""


def completion(content: str) -> tuple[int, bytes]:
    body = {"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]}
    return 200, json.dumps(body).encode()


@pytest.fixture
def chat() -> Iterator[FakeChat]:
    fake = FakeChat(lambda _req: completion("{}"))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            fake.requests.append(body)
            fake.headers.append(dict(self.headers))
            if self.path != "/v1/chat/completions":
                status, payload = 404, b"not found"
            else:
                status, payload = fake.reply(body)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    yield fake
    fake.release.set()
    server.shutdown()
    server.server_close()


def make(chat: FakeChat, **kw: Any) -> tuple[OpenAIAnalyser, StubAnalyser]:
    stub = StubAnalyser()
    kw.setdefault("timeout", 5.0)
    return OpenAIAnalyser(chat.url, "test-model", stub, **kw), stub


def test_verdict_from_the_endpoint(chat: FakeChat) -> None:
    chat.reply = lambda _req: completion(
        json.dumps({"label": "negative", "score": 0.83, "evidence": ["ДОЛГО", "not in text"]})
    )
    analyser, stub = make(chat, api_key="sk-test")
    result = analyser.analyse("Отвечали долго, неделю", "speed")
    assert result == Sentiment(SentimentLabel.NEGATIVE, 0.83, ["долго"], "openai/1:test-model")
    assert stub.calls == 0
    request = chat.requests[0]
    assert request["model"] == "test-model" and request["temperature"] == 0
    user = json.loads(request["messages"][1]["content"])
    assert user["answer"] == "Отвечали долго, неделю" and "speed" in user["question_topic"]
    assert chat.headers[0]["Authorization"] == "Bearer sk-test"
    assert isinstance(analyser, SentimentAnalyser)


def test_code_fenced_json_is_accepted_and_missing_evidence_comes_from_rules(
    chat: FakeChat,
) -> None:
    chat.reply = lambda _req: completion('```json\n{"label": "negative", "score": 0.9}\n```')
    analyser, _ = make(chat)
    result = analyser.analyse("ответы сухие и формальные", "politeness")
    assert result.label is SentimentLabel.NEGATIVE
    assert result.evidence == ["сухие", "формальные"]


@pytest.mark.parametrize(
    "reply",
    [
        completion("this is not json"),
        completion('{"label": "awful", "score": 0.9}'),
        completion('{"label": "negative", "score": 7}'),
        completion('["negative"]'),
        (200, b"<html>gateway</html>"),
        (200, b'{"choices": []}'),
        (500, b'{"error": "boom"}'),
        (429, b'{"error": "rate limited"}'),
    ],
)
def test_garbage_or_errors_fall_back(chat: FakeChat, reply: tuple[int, bytes]) -> None:
    chat.reply = lambda _req: reply
    analyser, stub = make(chat)
    assert analyser.analyse("долго", "speed") == FALLBACK
    assert stub.calls == 1


def test_timeout_falls_back(chat: FakeChat) -> None:
    def stall(_req: dict[str, Any]) -> tuple[int, bytes]:
        chat.release.wait(10)  # released when the test ends; the client gives up first
        return completion("{}")

    chat.reply = stall
    analyser, stub = make(chat, timeout=0.2)
    assert analyser.analyse("долго", "speed") == FALLBACK
    assert stub.calls == 1


def test_unreachable_endpoint_falls_back() -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    stub = StubAnalyser()
    analyser = OpenAIAnalyser(f"http://127.0.0.1:{port}/v1", "m", stub, timeout=1.0)
    assert analyser.analyse("долго") == FALLBACK


def test_repeated_failures_skip_the_endpoint_for_a_while(chat: FakeChat) -> None:
    chat.reply = lambda _req: (500, b"{}")
    now = [1000.0]
    analyser, stub = make(chat, max_failures=2, cooldown=60.0, clock=lambda: now[0])
    for _ in range(5):
        assert analyser.analyse("долго") == FALLBACK
    assert len(chat.requests) == 2  # the rest went straight to the fallback
    assert stub.calls == 5
    now[0] += 61
    chat.reply = lambda _req: completion('{"label": "positive", "score": 0.7}')
    assert analyser.analyse("отлично").label is SentimentLabel.POSITIVE
    assert len(chat.requests) == 3


def test_url_forms(chat: FakeChat) -> None:
    chat.reply = lambda _req: completion('{"label": "neutral", "score": 0.6}')
    full = OpenAIAnalyser(chat.url + "/chat/completions", "m", StubAnalyser())
    assert full.analyse("ok").label is SentimentLabel.NEUTRAL
    with pytest.raises(ValueError, match="http"):
        OpenAIAnalyser("ftp://example.org", "m", StubAnalyser())


def test_make_analyser_wires_settings_options(chat: FakeChat) -> None:
    from surveys.sentiment import make_analyser

    with pytest.raises(ValueError, match="OPENAI_URL"):
        make_analyser("openai")
    analyser = make_analyser("openai", url=chat.url, model="m2", api_key="k", timeout=3.0)
    assert isinstance(analyser, OpenAIAnalyser)
    assert (analyser.model, analyser.timeout, analyser.fallback.name) == ("m2", 3.0, "default")
