"""Prompt builder: (task, bounded history, observation) -> chat messages -> prompt token ids.

Two modes:

- ``window`` (default, as verl-agent): every step gets a fresh prompt with the system message and
  one user message rendered from a Jinja template: the task, the last ``history_window``
  (observation, action) pairs, the current observation and optionally the admissible actions.
  Long episodes do not grow the context.
- ``chat``: one growing conversation, token-in/token-out. The prompt of step t is the exact ids of
  step t-1 (prompt + generated response) followed by the ids of the new user turn; nothing the
  model generated is ever re-tokenised. The token-exact check compares this with a fresh render
  of the conversation by the tokenizer's chat template and fails loudly, with the first differing
  token position, when the template is not append-only (e.g. it rewrites earlier turns).

Templates are Jinja strings from config (``prompt.system``, ``prompt.user``); an environment can
ship defaults as a ``prompt_templates`` dict attribute; the tokenizer's own chat template then
renders the messages (with ``tools=`` for tool-calling environments).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import jinja2

from agentrl.errors import UserError

__all__ = ["DEFAULT_SYSTEM", "DEFAULT_USER", "PromptBuilder", "TokenMismatchError",
           "action_pattern_problem", "compile_action_pattern"]

DEFAULT_SYSTEM = ("You are an agent in a text environment. Read the task and the observation, "
                  "then reply with exactly one action.")

DEFAULT_USER = (
    "{% if task and task != observation %}Task: {{ task }}\n{% endif %}"
    "{% if history %}Your last {{ history | length }} step(s):\n"
    "{% for h in history %}Observation: {{ h.observation }}\nAction: {{ h.action }}\n"
    "{% endfor %}{% endif %}"
    "Observation: {{ observation }}\n"
    "{% if admissible_actions %}Admissible actions: {{ admissible_actions | join(', ') }}\n"
    "{% endif %}Action:"
)


class TokenMismatchError(RuntimeError):
    """The ids a policy consumed differ from the rendered prompt (a bug or a bad template)."""


@dataclass
class Turn:
    observation: str
    action: str


@dataclass
class Conversation:
    """Per-episode prompt state."""

    task: str
    turns: list[Turn] = field(default_factory=list)
    # chat mode: exact ids so far (prompt of the last step + its response)
    messages: list[dict[str, Any]] = field(default_factory=list)
    ids: list[int] | None = None
    #: tool schemas from the environment's reset info, passed to the chat template every step
    tools: list[dict[str, Any]] | None = None


class PromptBuilder:
    """Builds the messages (and, in chat mode, the exact prompt ids) for each agent step."""

    def __init__(self, *, system: str | None = None, user: str | None = None,
                 history_window: int = 2, mode: str = "window",
                 show_admissible: bool = True, tokenizer: Any | None = None,
                 check_tokens: bool = True, task_from: str = "instruction",
                 action_pattern: str | None = None) -> None:
        if mode not in ("window", "chat"):
            raise UserError(f"prompt mode {mode!r} is unknown; use 'window' or 'chat'")
        if task_from not in ("instruction", "observation"):
            raise UserError(f"prompt task_from {task_from!r} is unknown; use 'instruction' or "
                            "'observation'")
        if mode == "chat" and tokenizer is None:
            raise UserError("prompt mode 'chat' needs the policy's tokenizer (a model policy)")
        env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False,
                                 keep_trailing_newline=True)
        try:
            self.system_template = env.from_string(system if system is not None
                                                   else DEFAULT_SYSTEM)
            self.user_template = env.from_string(user if user is not None else DEFAULT_USER)
        except jinja2.TemplateSyntaxError as exc:
            raise UserError(f"prompt template syntax error at line {exc.lineno}: "
                            f"{exc.message}") from None
        self.history_window = history_window
        self.mode = mode
        self.show_admissible = show_admissible
        self.tokenizer = tokenizer
        self.check_tokens = check_tokens
        self.task_from = task_from
        self.action_pattern = compile_action_pattern(action_pattern)

    def parse_action(self, text: str) -> str:
        """The action in a model's reply: the first group of ``action_pattern`` where the reply
        follows the format (e.g. the text after ``<think>...</think>``), else the whole reply,
        which the environment then judges (usually an invalid action)."""
        if self.action_pattern is None:
            return text
        match = self.action_pattern.search(text)
        return text if match is None else match.group(1).strip()

    # -- episode lifecycle --------------------------------------------------------------------
    def start(self, instruction: str | None, observation: str = "") -> Conversation:
        """A new episode. Its task text is the task's instruction (the first observation when
        there is none), or, with ``task_from="observation"``, the first observation, so that
        what it says (a room's furniture, say) stays in every prompt."""
        if self.task_from == "observation" or not instruction:
            return Conversation(task=observation)
        return Conversation(task=instruction)

    def render(self, conv: Conversation, observation: str,
               info: dict[str, Any]) -> tuple[list[dict[str, Any]], list[int] | None]:
        """Messages for the next step, and (chat mode) the exact prompt ids to consume."""
        admissible = info.get("admissible_actions") if self.show_admissible else None
        window = conv.turns[-self.history_window:] if self.history_window > 0 else []
        context = {"task": conv.task, "observation": observation,
                   "history": window if self.mode == "window" else [],
                   "admissible_actions": admissible, "step": len(conv.turns)}
        try:
            system = self.system_template.render(**context)
            user = self.user_template.render(**context)
        except jinja2.UndefinedError as exc:
            raise UserError(f"prompt template uses an unknown variable: {exc.message}; "
                            "available: task, observation, history, admissible_actions, "
                            "step") from None
        if self.mode == "window":
            return [{"role": "system", "content": system}, {"role": "user", "content": user}], None
        if not conv.messages:
            conv.messages = [{"role": "system", "content": system}]
        conv.messages.append({"role": "user", "content": user})
        return list(conv.messages), self._chat_ids(conv, info.get("tools"))

    def record(self, conv: Conversation, observation: str, action: str,
               prompt_ids: list[int] | None = None,
               response_ids: list[int] | None = None) -> None:
        """Remember the step (and, in chat mode, the exact ids consumed and generated)."""
        conv.turns.append(Turn(observation, action))
        if self.mode == "chat":
            conv.messages.append({"role": "assistant", "content": action})
            if prompt_ids is not None and response_ids is not None:
                conv.ids = list(prompt_ids) + list(response_ids)

    # -- chat mode ----------------------------------------------------------------------------
    def _chat_ids(self, conv: Conversation, tools: list[dict[str, Any]] | None) -> list[int]:
        from agentrl.policies.hf import chat_ids

        full = chat_ids(self.tokenizer, conv.messages, tools)
        if conv.ids is None:
            return full
        # ids of the new user turn: the difference of two renders of a fixed conversation
        prefix = chat_ids(self.tokenizer, conv.messages[:-1], tools, add_generation_prompt=False)
        if full[: len(prefix)] != prefix:
            self._mismatch(full, prefix, "rendering the conversation with one more turn changes "
                                         "earlier tokens: the chat template is not append-only")
        ids = conv.ids + _new_turn_ids(self.tokenizer, prefix, full, conv.ids)
        if self.check_tokens:
            self.check(ids, full)
        return ids

    def check(self, consumed: list[int], rendered: list[int]) -> None:
        """Fail loudly when the consumed prompt and the rendered one differ as text."""
        tok = self.tokenizer
        a = tok.decode(consumed, skip_special_tokens=False)
        b = tok.decode(rendered, skip_special_tokens=False)
        if a != b:
            self._mismatch(consumed, rendered, "the prompt the policy consumed differs from the "
                                               "rendered conversation")

    def _mismatch(self, consumed: list[int], rendered: list[int], why: str) -> None:
        pos = next((i for i, (x, y) in enumerate(zip(consumed, rendered, strict=False))
                    if x != y), min(len(consumed), len(rendered)))
        tok = self.tokenizer
        got = tok.decode(consumed[pos: pos + 8], skip_special_tokens=False)
        want = tok.decode(rendered[pos: pos + 8], skip_special_tokens=False)
        raise TokenMismatchError(f"token-exact check failed at token {pos}: {why} "
                                 f"(consumed {got!r}, rendered {want!r})")


def action_pattern_problem(pattern: str) -> str | None:
    """What is wrong with an ``action_pattern`` (None when it is a regular expression with a
    group for the action); shared by the config's validation and the prompt builder."""
    try:
        groups = re.compile(pattern, re.DOTALL).groups
    except re.error as exc:
        return f"not a regular expression: {exc}"
    if groups < 1:
        return "needs a group around the action, e.g. '<action>(.*?)</action>'"
    return None


def compile_action_pattern(pattern: str | None) -> re.Pattern[str] | None:
    """``prompt.action_pattern`` compiled (dot matches newlines), or a one-line error."""
    if pattern is None:
        return None
    problem = action_pattern_problem(pattern)
    if problem:
        raise UserError(f"prompt.action_pattern {pattern!r}: {problem}")
    return re.compile(pattern, re.DOTALL)


def _new_turn_ids(tokenizer: Any, prefix: list[int], full: list[int],
                  generated: list[int]) -> list[int]:
    """Ids to append after the generated response so the prompt continues the conversation.

    ``prefix`` renders the conversation up to and including the last assistant turn; ``full``
    adds the new user turn and the generation prompt. What the template writes after an
    assistant message (its end-of-turn token and separator) is appended, except the end-of-turn
    token when the model generated it itself.
    """
    eos = tokenizer.eos_token_id
    tail: list[int] = []
    if eos is not None and eos in prefix:
        last = len(prefix) - 1 - prefix[::-1].index(eos)
        tail = prefix[last + 1:] if generated and generated[-1] == eos else prefix[last:]
    return tail + full[len(prefix):]
