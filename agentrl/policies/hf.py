"""``hf`` policy: a transformers causal LM on CPU or one GPU.

Generation is a small explicit sampling loop over the model's KV cache rather than
``model.generate``: ``generate`` merges the checkpoint's ``generation_config`` (for example
``top_k=20`` or a repetition penalty) into sampling, so the tokens would come from a
distribution other than the one the trainer's log-probs describe. Here the sampled distribution
is exactly ``softmax(logits / temperature)``, restricted by ``top_k``/``top_p`` only when asked,
and the recorded log-probs and entropies are those of ``softmax(logits / temperature)``.

Prompts are left-padded into one batch with explicit position ids, so a batched generation gives
the same tokens and log-probs as generating each prompt alone (up to float rounding).

Inputs with ``choices`` (``rollout.constrain``) are decoded under a mask: only tokens that
continue one of the choices are allowed (:mod:`agentrl.policies.constrain`), the distribution is
renormalised over them, and the allowed ids of every position are returned with the generation.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Mapping
from typing import Any

import torch

from agentrl.errors import UserError
from agentrl.policies.base import Generation, PolicyInput, SamplingParams
from agentrl.policies.constrain import ActionTrie, blocked_mask, sparse_allowed

__all__ = ["HFPolicy", "chat_ids", "check_model_path", "pick_device", "sequence_logprobs"]


def chat_ids(tokenizer: Any, messages: list[dict[str, Any]],
             tools: list[dict[str, Any]] | None = None, *,
             add_generation_prompt: bool = True) -> list[int]:
    """Token ids of ``messages`` rendered by the tokenizer's own chat template."""
    if getattr(tokenizer, "chat_template", None) is None:
        raise UserError("the tokenizer has no chat template; use an instruct/chat checkpoint or "
                        "set tokenizer.chat_template")
    kwargs: dict[str, Any] = {"add_generation_prompt": add_generation_prompt, "tokenize": True}
    if tools:
        kwargs["tools"] = tools
    out = tokenizer.apply_chat_template(messages, **kwargs)
    if isinstance(out, Mapping):
        out = out["input_ids"]
    return [int(i) for i in out]


def check_model_path(path: str) -> None:
    """A path that looks local must exist (otherwise transformers reports a confusing hub error)."""
    parts = path.split(os.sep)
    looks_local = (path.startswith((".", os.sep, "~")) or len(parts) > 2
                   or (len(parts) == 2 and os.path.isdir(parts[0])))
    if looks_local and not os.path.exists(os.path.expanduser(path)):
        raise UserError(f"no checkpoint at {path!r}: give a run/checkpoint directory or a Hugging "
                        "Face model id such as Qwen/Qwen2.5-1.5B-Instruct")


def pick_device(device: str) -> torch.device:
    """``auto`` -> cuda when visible, else cpu; asking for cuda without a GPU is a user error."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise UserError("device 'cuda' requested but no GPU is visible; use device=cpu")
    return torch.device(device)


class HFPolicy:
    """A Hugging Face causal LM used as a policy.

    Args:
        model: a loaded ``PreTrainedModel`` or a checkpoint path/name.
        tokenizer: the tokenizer (loaded from ``model``'s path when omitted).
        device: ``auto``, ``cpu`` or ``cuda``.
        dtype: ``auto`` (float32 on CPU, bfloat16 on GPU), ``float32``, ``bfloat16``, ``float16``.
        num_threads: torch CPU threads (default: all cores).
    """

    name = "hf"

    def __init__(self, model: Any, tokenizer: Any | None = None, *, device: str = "auto",
                 dtype: str = "auto", num_threads: int | None = None) -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if model is None:
            raise UserError("the hf policy needs a model: hf:PATH (a checkpoint or run dir)")
        self.device = pick_device(device)
        if self.device.type == "cpu":
            torch.set_num_threads(num_threads or max(1, os.cpu_count() or 1))
        if isinstance(model, (str, os.PathLike)):
            path = str(model)
            check_model_path(path)
            torch_dtype = _dtype(dtype, self.device)
            try:
                tokenizer = tokenizer or AutoTokenizer.from_pretrained(path)
                model = AutoModelForCausalLM.from_pretrained(path, dtype=torch_dtype)
            except OSError as exc:
                raise UserError(f"cannot load model {path!r}: {str(exc).splitlines()[0]}") from None
        if tokenizer is None:
            raise UserError("HFPolicy needs a tokenizer when given a model object")
        self.model = model.to(self.device)
        self.model.eval()
        self.tokenizer = tokenizer
        pad = tokenizer.pad_token_id
        self.pad_id = int(pad if pad is not None else tokenizer.eos_token_id)
        self.eos_ids = _eos_ids(model, tokenizer)
        self._prefill_kwargs = _last_logits_only(self.model)  # read once, not every turn
        self._generator: torch.Generator | None = None
        self._seed: int | None = None

    def _generator_for(self, seed: int | None) -> torch.Generator:
        """One generator per seed value: reseeded only when the seed changes, so successive
        turns of a rollout draw fresh noise while a rerun with the same seed repeats exactly."""
        if self._generator is None or seed != self._seed:
            self._generator = torch.Generator(device=self.device)
            if seed is None:
                self._generator.seed()
            else:
                self._generator.manual_seed(seed)
            self._seed = seed
        return self._generator

    # -- prompts ------------------------------------------------------------------------------
    def encode(self, item: PolicyInput) -> list[int]:
        """The prompt ids for one input (explicit ``prompt_ids`` win over rendering)."""
        if item.prompt_ids is not None:
            return list(item.prompt_ids)
        return chat_ids(self.tokenizer, item.messages, item.tools)

    # -- generation ---------------------------------------------------------------------------
    @torch.no_grad()
    def act(self, inputs: list[PolicyInput], sampling: SamplingParams) -> list[Generation]:
        if not inputs:
            return []
        prompts = [self.encode(item) for item in inputs]
        tries = [self.trie(item.choices) if item.choices else None for item in inputs]
        allowed: list[list[list[int]]] = [[] for _ in inputs]
        responses, logprobs, entropies = self.generate_ids(
            prompts, sampling, tries=tries if any(tries) else None, allowed_out=allowed)
        out = []
        for prompt, resp, lps, ents, trie, allow in zip(prompts, responses, logprobs, entropies,
                                                        tries, allowed, strict=True):
            chosen = trie.action(resp) if trie else None
            if chosen is not None:  # the exact action text, whatever decode would make of it
                text = chosen
            else:
                text_ids = [t for t in resp if t not in self.eos_ids]
                text = self.tokenizer.decode(text_ids, skip_special_tokens=True)
                text = _cut_at_stop(text, sampling.stop)
            out.append(Generation(text=text, prompt_ids=prompt, response_ids=resp, logprobs=lps,
                                  entropies=ents, allowed=allow if trie else None))
        return out

    def trie(self, choices: list[str]) -> ActionTrie | None:
        """The prefix tree of ``choices`` as this tokenizer's SFT targets (text + end of turn)."""
        end = self.tokenizer.eos_token_id
        if end is None:
            raise UserError("constrained decoding (rollout.constrain) needs a tokenizer with an "
                            "eos token (the end-of-turn token of the chat template)")
        trie = ActionTrie.build(self.tokenizer, choices, int(end))
        return trie or None

    def generate_ids(self, prompts: list[list[int]], sampling: SamplingParams, *,
                     tries: list[ActionTrie | None] | None = None,
                     allowed_out: list[list[list[int]]] | None = None
                     ) -> tuple[list[list[int]], list[list[float]], list[list[float]]]:
        """Sample a response for each prompt; returns ids, log-probs and entropies per token.

        With ``tries``, row i only samples tokens allowed by ``tries[i]`` (when not None) and
        stops once its action is complete; the allowed ids of each of its positions are
        appended to ``allowed_out[i]``."""
        batch = len(prompts)
        width = max(len(p) for p in prompts)
        input_ids = torch.full((batch, width), self.pad_id, dtype=torch.long)
        attention = torch.zeros((batch, width), dtype=torch.long)
        for i, prompt in enumerate(prompts):
            input_ids[i, width - len(prompt):] = torch.tensor(prompt, dtype=torch.long)
            attention[i, width - len(prompt):] = 1
        input_ids, attention = input_ids.to(self.device), attention.to(self.device)
        positions = (attention.cumsum(-1) - 1).clamp(min=0)  # (B, T)
        generator = self._generator_for(sampling.seed)

        # only the last position's logits are needed: the output projection of every other
        # prompt position is wasted work (about a fifth of the tiny model's prefill time)
        out = self.model(input_ids=input_ids, attention_mask=attention, position_ids=positions,
                         use_cache=True, **self._prefill_kwargs)
        cache = out.past_key_values
        logits = out.logits[:, -1, :].float()  # (B, V)
        next_pos = positions[:, -1] + 1  # (B,)
        done = [False] * batch
        ids: list[list[int]] = [[] for _ in range(batch)]
        lps: list[list[float]] = [[] for _ in range(batch)]
        ents: list[list[float]] = [[] for _ in range(batch)]
        # constrained rows walk their action tree one node per sampled token
        nodes: list[Any] = [t.root if t is not None else None for t in tries or [None] * batch]
        for _ in range(sampling.max_new_tokens):
            blocked = None
            if tries is not None:
                step_allowed = [ActionTrie.next_tokens(nodes[i])
                                if nodes[i] is not None and not done[i] else None
                                for i in range(batch)]
                for i, allow in enumerate(step_allowed):
                    if allow is not None and allowed_out is not None:
                        allowed_out[i].append(allow)
                flags, pairs = sparse_allowed(step_allowed)
                blocked = blocked_mask(flags.to(self.device), pairs.to(self.device),
                                       logits.shape[-1])
            tokens, logp, entropy = _sample(logits, sampling, generator, blocked)  # (B,) each
            tok_list, lp_list, ent_list = tokens.tolist(), logp.tolist(), entropy.tolist()
            for i in range(batch):
                if done[i]:
                    continue
                ids[i].append(tok_list[i])
                lps[i].append(lp_list[i])
                ents[i].append(ent_list[i])
                if nodes[i] is not None:
                    nodes[i] = nodes[i][tok_list[i]]
                if tok_list[i] in self.eos_ids or (
                        sampling.stop and _hits_stop(self.tokenizer, ids[i], sampling.stop)):
                    done[i] = True
                elif nodes[i] is not None and not ActionTrie.next_tokens(nodes[i]):
                    done[i] = True  # the action is complete (its end token is not an eos id)
            if all(done):
                break
            feed = tokens[:, None]  # (B, 1); finished rows keep decoding, their output is unused
            attention = torch.cat([attention, torch.ones((batch, 1), dtype=attention.dtype,
                                                         device=self.device)], dim=1)
            out = self.model(input_ids=feed, attention_mask=attention,
                             position_ids=next_pos[:, None], past_key_values=cache, use_cache=True)
            cache = out.past_key_values
            logits = out.logits[:, -1, :].float()
            next_pos = next_pos + 1
        return ids, lps, ents


def _sample(logits: torch.Tensor, sampling: SamplingParams, generator: torch.Generator,
            blocked: torch.Tensor | None = None
            ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Sample one token per row; log-prob and entropy under softmax(logits / T), renormalised
    over the tokens not ``blocked`` (B, V) where given."""
    temperature = sampling.temperature if sampling.temperature > 0 else 1.0
    scaled = logits / temperature  # (B, V)
    if blocked is not None:
        scaled = scaled.masked_fill(blocked, float("-inf"))
    logp_all = torch.log_softmax(scaled, dim=-1)
    entropy = -masked_plogp(logp_all).sum(-1)  # (B,)
    if sampling.temperature <= 0:
        tokens = scaled.argmax(-1)
    else:
        filtered = scaled
        if sampling.top_k > 0:
            kth = torch.topk(filtered, min(sampling.top_k, filtered.shape[-1]), dim=-1).values
            filtered = filtered.masked_fill(filtered < kth[:, -1:], float("-inf"))
        if sampling.top_p < 1.0:
            sorted_logits, order = torch.sort(filtered, descending=True, dim=-1)
            cum = torch.softmax(sorted_logits, dim=-1).cumsum(-1)
            drop = cum - torch.softmax(sorted_logits, dim=-1) > sampling.top_p
            sorted_logits = sorted_logits.masked_fill(drop, float("-inf"))
            filtered = torch.full_like(filtered, float("-inf")).scatter(-1, order, sorted_logits)
        probs = torch.softmax(filtered, dim=-1)
        tokens = torch.multinomial(probs, 1, generator=generator).squeeze(-1)
    logp = logp_all.gather(-1, tokens[:, None]).squeeze(-1)
    return tokens, logp, entropy


def masked_plogp(logp: torch.Tensor) -> torch.Tensor:
    """p * log p elementwise, 0 where a token is masked out (log p = -inf), with a gradient
    that stays finite there (no ``where`` over a NaN branch)."""
    return logp.exp() * logp.masked_fill(torch.isneginf(logp), 0.0)


def _last_logits_only(model: Any) -> dict[str, int]:
    """``{"logits_to_keep": 1}`` where the model's forward takes it (transformers' causal LMs
    do), else nothing: the full logits are then computed and all but the last ignored."""
    try:
        params = inspect.signature(model.forward).parameters
    except (TypeError, ValueError):
        return {}
    return {"logits_to_keep": 1} if "logits_to_keep" in params else {}


def _hits_stop(tokenizer: Any, ids: list[int], stop: list[str]) -> bool:
    tail = tokenizer.decode(ids[-16:], skip_special_tokens=True)
    return any(s in tail for s in stop)


def _cut_at_stop(text: str, stop: list[str]) -> str:
    cut = len(text)
    for s in stop:
        idx = text.find(s)
        if idx >= 0:
            cut = min(cut, idx + len(s))
    return text[:cut]


def _eos_ids(model: Any, tokenizer: Any) -> set[int]:
    ids: set[int] = set()
    if tokenizer.eos_token_id is not None:
        ids.add(int(tokenizer.eos_token_id))
    gen_eos = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    if isinstance(gen_eos, int):
        ids.add(gen_eos)
    elif isinstance(gen_eos, list):
        ids.update(int(i) for i in gen_eos)
    return ids


def _dtype(name: str, device: torch.device) -> torch.dtype:
    if name == "auto":
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    return {"float32": torch.float32, "bfloat16": torch.bfloat16,
            "float16": torch.float16}[name]


def sequence_logprobs(model: Any, prompts: list[list[int]], responses: list[list[int]], *,
                      temperature: float = 1.0, pad_id: int = 0) -> list[list[float]]:
    """Teacher-forced log-probs of each response token under ``softmax(logits / T)``.

    This is what the trainer recomputes; for ids produced by :meth:`HFPolicy.act` with the same
    temperature it equals the recorded ``logprobs`` up to float rounding.
    """
    temperature = temperature if temperature > 0 else 1.0
    device = next(model.parameters()).device
    seqs = [p + r for p, r in zip(prompts, responses, strict=True)]
    width = max(len(s) for s in seqs)
    input_ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    attention = torch.zeros((len(seqs), width), dtype=torch.long)
    for i, seq in enumerate(seqs):  # left padding, as in generation
        input_ids[i, width - len(seq):] = torch.tensor(seq, dtype=torch.long)
        attention[i, width - len(seq):] = 1
    input_ids, attention = input_ids.to(device), attention.to(device)
    positions = (attention.cumsum(-1) - 1).clamp(min=0)
    with torch.no_grad():
        logits = model(input_ids=input_ids, attention_mask=attention,
                       position_ids=positions).logits.float()  # (B, T, V)
    logp = torch.log_softmax(logits[:, :-1] / temperature, dim=-1)  # predicts tokens 1..T-1
    target = logp.gather(-1, input_ids[:, 1:, None]).squeeze(-1)  # (B, T-1)
    out = []
    for i, resp in enumerate(responses):
        n = len(resp)
        out.append(target[i, width - 1 - n:].tolist() if n else [])
    return out
