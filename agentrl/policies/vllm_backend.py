"""``vllm`` policy: a vLLM engine on GPU (``vllm:PATH``), same interface as ``hf``.

vLLM is imported only when this backend is used. Prompts are rendered with the tokenizer's chat
template here and passed to vLLM as token ids, so the ids recorded are exactly the ids consumed.
Sampling uses ``top_k=-1`` (disabled) unless asked, and ``logprobs=0`` returns the log-prob of
each sampled token. :meth:`VLLMPolicy.load_weights` pushes the trainer's current weights into
the engine so rollouts stay on-policy.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from agentrl.errors import MissingDependencyError, UserError
from agentrl.policies.base import Generation, PolicyInput, SamplingParams
from agentrl.policies.hf import chat_ids

__all__ = ["VLLMPolicy"]


class VLLMPolicy:
    """A vLLM ``LLM`` engine used as a policy."""

    name = "vllm"
    #: it samples without ``PolicyInput.choices``: a rollout with ``constrain`` refuses it
    ignores_choices = True

    def __init__(self, arg: str | None = None, *, gpu_memory_utilization: float = 0.5,
                 dtype: str = "auto", **options: Any) -> None:
        if not arg:
            raise UserError("the vllm policy needs a model: vllm:PATH")
        try:
            import vllm
        except ModuleNotFoundError:
            raise MissingDependencyError("the vllm policy needs vLLM and a GPU: "
                                         "pip install 'agentrl[vllm]'") from None
        self._vllm = vllm
        self.llm = vllm.LLM(model=arg, dtype=dtype, gpu_memory_utilization=gpu_memory_utilization)
        self.tokenizer = self.llm.get_tokenizer()

    def act(self, inputs: list[PolicyInput], sampling: SamplingParams) -> list[Generation]:
        prompts = [item.prompt_ids if item.prompt_ids is not None
                   else chat_ids(self.tokenizer, item.messages, item.tools) for item in inputs]
        params = self._vllm.SamplingParams(
            temperature=sampling.temperature, top_p=sampling.top_p,
            top_k=sampling.top_k if sampling.top_k > 0 else -1,
            max_tokens=sampling.max_new_tokens, stop=sampling.stop or None, logprobs=0,
            seed=sampling.seed)
        outputs = self.llm.generate([{"prompt_token_ids": p} for p in prompts], params,
                                    use_tqdm=False)
        gens = []
        for prompt, out in zip(prompts, outputs, strict=True):
            completion = out.outputs[0]
            ids = list(completion.token_ids)
            logprobs = [float(step[tok].logprob) for tok, step in zip(
                ids, completion.logprobs or [], strict=False)]
            gens.append(Generation(text=completion.text, prompt_ids=list(prompt),
                                   response_ids=ids, logprobs=logprobs or None))
        return gens

    def load_weights(self, named_tensors: Iterable[tuple[str, Any]]) -> None:
        """Load new weights (``model.named_parameters()`` of the trainer) into the engine."""
        weights = list(named_tensors)

        def _load(worker: Any) -> None:
            worker.model_runner.model.load_weights(weights=weights)

        self.llm.collective_rpc(_load)
