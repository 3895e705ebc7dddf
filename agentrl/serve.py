"""A small OpenAI-compatible chat endpoint serving an ``hf`` policy (``agentrl serve``).

It answers ``POST /v1/chat/completions`` and ``GET /v1/models`` on a local address, so any
OpenAI-compatible client (including agentrl's ``openai`` policy) can evaluate a trained
checkpoint. Like vLLM with ``return_token_ids``, responses carry the exact ``prompt_token_ids``
and per-choice ``token_ids`` next to the standard ``logprobs``. One request is generated at a
time; this is an evaluation and test server, not a production one.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from agentrl.policies.base import PolicyInput, SamplingParams
from agentrl.policies.hf import HFPolicy

__all__ = ["ChatServer"]


class ChatServer:
    """Serve ``policy`` as model ``model_name`` on ``host:port`` (port 0: any free port)."""

    def __init__(self, policy: HFPolicy, model_name: str = "agentrl", *,
                 host: str = "127.0.0.1", port: int = 0, api_key: str | None = None) -> None:
        self.policy = policy
        self.model_name = model_name
        self.api_key = api_key
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((host, port), self._handler())
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> ChatServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> ChatServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- request handling -----------------------------------------------------------------------
    def complete(self, body: dict[str, Any]) -> dict[str, Any]:
        """Answer one chat completion request body."""
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise ValueError("'messages' must be a non-empty list")
        sampling = SamplingParams(
            temperature=float(body.get("temperature", 1.0)), top_p=float(body.get("top_p", 1.0)),
            max_new_tokens=int(body.get("max_completion_tokens") or body.get("max_tokens") or 64),
            stop=_as_list(body.get("stop")), seed=body.get("seed"))
        item = PolicyInput(messages=messages, tools=body.get("tools") or None)
        with self._lock:
            gen = self.policy.act([item], sampling)[0]
        assert gen.response_ids is not None and gen.logprobs is not None
        finish = "stop" if (gen.response_ids and gen.response_ids[-1] in self.policy.eos_ids) \
            or len(gen.response_ids) < sampling.max_new_tokens else "length"
        tok = self.policy.tokenizer
        choice: dict[str, Any] = {
            "index": 0, "message": {"role": "assistant", "content": gen.text},
            "finish_reason": finish, "token_ids": gen.response_ids,
        }
        if body.get("logprobs"):
            choice["logprobs"] = {"content": [
                {"token": tok.convert_ids_to_tokens(t), "logprob": lp, "bytes": None,
                 "top_logprobs": []} for t, lp in zip(gen.response_ids, gen.logprobs,
                                                      strict=True)]}
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:12]}", "object": "chat.completion",
            "created": int(time.time()), "model": self.model_name, "choices": [choice],
            "prompt_token_ids": gen.prompt_ids,
            "usage": {"prompt_tokens": len(gen.prompt_ids or []),
                      "completion_tokens": len(gen.response_ids),
                      "total_tokens": len(gen.prompt_ids or []) + len(gen.response_ids)},
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _send(self, code: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _authorised(self) -> bool:
                if server.api_key is None:
                    return True
                if self.headers.get("Authorization") == f"Bearer {server.api_key}":
                    return True
                self._send(401, {"error": {"message": "invalid API key",
                                           "type": "invalid_request_error"}})
                return False

            def do_GET(self) -> None:
                if not self._authorised():
                    return
                if self.path.rstrip("/") == "/v1/models":
                    self._send(200, {"object": "list", "data": [
                        {"id": server.model_name, "object": "model", "owned_by": "agentrl"}]})
                else:
                    self._send(404, {"error": {"message": f"no route {self.path}"}})

            def do_POST(self) -> None:
                if not self._authorised():
                    return
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self._send(404, {"error": {"message": f"no route {self.path}"}})
                    return
                try:
                    body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                    if body.get("model") not in (None, server.model_name):
                        self._send(404, {"error": {"message": f"model {body.get('model')!r} "
                                                              "not found", "code": "not_found"}})
                        return
                    self._send(200, server.complete(body))
                except (ValueError, TypeError, KeyError) as exc:
                    self._send(400, {"error": {"message": str(exc),
                                               "type": "invalid_request_error"}})

        return Handler


def _as_list(stop: Any) -> list[str]:
    if stop is None:
        return []
    return [stop] if isinstance(stop, str) else [str(s) for s in stop]
