"""``openai`` policy: any OpenAI-compatible chat endpoint (``openai:MODEL@URL``).

For evaluating served or API models (vLLM, SGLang, ``agentrl serve``, hosted APIs). Tool
schemas are passed natively (``tools=``); tool calls the server returns natively are written
back as Hermes ``<tool_call>{...}</tool_call>`` blocks so environments parse one format. Token
ids and log-probs are recorded when the server returns them (``prompt_token_ids`` /
``token_ids`` as vLLM does with ``return_token_ids``; ``logprobs.content``). Transient errors
(connection, timeouts, 429, 5xx) are retried with exponential backoff by the client; an auth
failure or an unreachable server is a one-line error.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import os
from typing import Any

from agentrl.errors import MissingDependencyError, UserError
from agentrl.policies.base import Generation, PolicyInput, SamplingParams

__all__ = ["OpenAIPolicy"]


class OpenAIPolicy:
    """Chat completions from ``URL`` with model ``MODEL`` (spec ``MODEL@URL``).

    The API key comes from ``api_key`` or ``$OPENAI_API_KEY`` (``EMPTY`` when unset, as local
    servers expect).
    """

    name = "openai"
    #: it samples without ``PolicyInput.choices``: a rollout with ``constrain`` refuses it
    ignores_choices = True

    def __init__(self, arg: str | None = None, *, api_key: str | None = None,
                 max_retries: int = 4, timeout_s: float = 120.0, concurrency: int = 8,
                 **options: Any) -> None:
        if not arg or "@" not in arg:
            raise UserError("the openai policy needs MODEL@URL, e.g. "
                            "openai:Qwen2.5-7B-Instruct@http://127.0.0.1:8000/v1")
        try:
            import openai
        except ModuleNotFoundError:
            raise MissingDependencyError("the openai policy needs the openai client: "
                                         "pip install openai") from None
        self.model, _, self.url = arg.partition("@")
        self._openai = openai
        self.client = openai.OpenAI(base_url=self.url,
                                    api_key=api_key or os.environ.get("OPENAI_API_KEY", "EMPTY"),
                                    max_retries=max_retries, timeout=timeout_s)
        self.concurrency = concurrency

    def act(self, inputs: list[PolicyInput], sampling: SamplingParams) -> list[Generation]:
        if len(inputs) <= 1:
            return [self._one(item, sampling) for item in inputs]
        with cf.ThreadPoolExecutor(max_workers=min(self.concurrency, len(inputs))) as pool:
            return list(pool.map(lambda item: self._one(item, sampling), inputs))

    def _one(self, item: PolicyInput, sampling: SamplingParams) -> Generation:
        kwargs: dict[str, Any] = {
            "model": self.model, "messages": item.messages, "temperature": sampling.temperature,
            "top_p": sampling.top_p, "max_tokens": sampling.max_new_tokens, "logprobs": True,
            "extra_body": {"return_token_ids": True},
        }
        if sampling.stop:
            kwargs["stop"] = sampling.stop
        if sampling.seed is not None:
            kwargs["seed"] = sampling.seed
        if item.tools:
            kwargs["tools"] = item.tools
        try:
            response = self.client.chat.completions.create(**kwargs)
        except self._openai.AuthenticationError:
            raise UserError(f"{self.url} rejected the API key: set OPENAI_API_KEY") from None
        except self._openai.NotFoundError as exc:
            raise UserError(f"{self.url}: {_message(exc)} (check the model name "
                            f"{self.model!r})") from None
        except self._openai.APIConnectionError:
            raise UserError(f"cannot reach {self.url}: is the server running?") from None
        return _generation(response)


def _generation(response: Any) -> Generation:
    choice = response.choices[0]
    message = choice.message
    text = message.content or ""
    for call in message.tool_calls or []:
        try:
            arguments = json.loads(call.function.arguments or "{}")
        except json.JSONDecodeError:
            arguments = call.function.arguments
        text += ("<tool_call>" + json.dumps({"name": call.function.name, "arguments": arguments})
                 + "</tool_call>")
    extra = response.model_extra or {}
    choice_extra = choice.model_extra or {}
    logprobs = None
    if choice.logprobs is not None and choice.logprobs.content is not None:
        logprobs = [float(t.logprob) for t in choice.logprobs.content]
    return Generation(text=text, prompt_ids=extra.get("prompt_token_ids"),
                      response_ids=choice_extra.get("token_ids"), logprobs=logprobs)


def _message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and "message" in inner:
            return str(inner["message"])
    return str(exc).splitlines()[0]
