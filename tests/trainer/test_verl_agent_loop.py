"""The ``agentrl`` verl agent loop on CPU, over the real ``agentrl/Household-v0`` environment.

verl's generation server is the one stand-in: a scripted server that answers with the expert
action's token ids (it replays the same task and seed on a shadow environment), or one that
samples from a real tiny transformers model. Everything else is real: agentrl's prompt builder
and the tokenizer's chat template, the environment, verl's ``AgentLoopOutput`` and verl's own
TransferQueue post-processing (``AgentLoopWorkerTQ._agent_loop_postprocess``), which copies the
final reward onto every output of a session.
"""

from __future__ import annotations

import asyncio
import copy
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import tests.trainer.verl_guard  # noqa: F401  (skips or fails this module without verl)

with warnings.catch_warnings():  # verl announces each optional engine it cannot import
    warnings.simplefilter("ignore")
    import transfer_queue
    from omegaconf import OmegaConf
    from tensordict import TensorDict
    from verl import DataProto
    from verl.experimental.agent_loop.agent_loop import DictConfigWrap
    from verl.trainer.ppo.v1.agent_loop_tq import AgentLoopWorkerTQ
    from verl.utils.dataset.rl_dataset import RLHFDataset
    from verl.workers.rollout.replica import TokenOutput

    from agentrl.trainer.verl.agent_loop import AgentrlAgentLoop
    from agentrl.trainer.verl.trainer import credit_of, rows_from_extra_fields

import agentrl
from agentrl.config import RunConfig, load_config
from agentrl.models import build_tiny_model, build_tokenizer
from agentrl.policies.base import SamplingParams
from agentrl.policies.hf import HFPolicy, chat_ids
from agentrl.prompting import PromptBuilder
from agentrl.rewards import build_credit
from agentrl.trainer.verl.credit import (
    EPISODE_KEY,
    INDEX_KEY,
    STEP_KEY,
    assign_step_credit,
    rows_to_episodes,
)
from agentrl.trainer.verl.translate import build_verl_config

pytestmark = pytest.mark.filterwarnings("ignore:.*engine is not available:UserWarning")
RECIPE = Path(__file__).resolve().parents[2] / "configs" / "recipes" / "household-gigpo.yaml"
ENV_ID = "agentrl/Household-v0"
SAMPLING = {"temperature": 1.0, "top_p": 1.0, "top_k": -1, "repetition_penalty": 1.0,
            "logprobs": True}
VERSIONS = {"global_steps": 3, "min_global_steps": 3, "max_global_steps": 3}


# ---------------------------------------------------------------------------------------------
# fixtures: config, tokenizer, stand-ins for verl's generation server
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def run_config() -> RunConfig:
    return load_config(RECIPE, ["rollout.max_turns=12", "policy.max_new_tokens=12",
                                "rollout.group_size=3"])


@pytest.fixture(scope="module")
def tokenizer() -> Any:
    """A byte-level BPE tokenizer trained on expert household episodes (real transformers)."""
    env = agentrl.make(ENV_ID)
    texts = []
    for task in env.tasks("train")[:12]:
        obs, info = env.reset(seed=0, options={"task_id": task.task_id})
        texts.append(obs)
        for _ in range(30):
            action = info["expert_action"]
            obs, _, term, trunc, info = env.step(action)
            texts += [action, obs, ", ".join(info["admissible_actions"])]
            if term or trunc:
                break
    env.close()
    return build_tokenizer(texts + ["Task: Observation: Action: Admissible actions:"] * 5,
                           vocab_size=800)


def trainer_config(run_config: RunConfig) -> Any:
    """The parts of verl's config an agent loop reads, with agentrl's section as written."""
    section = build_verl_config(run_config)["agentrl"]
    return OmegaConf.create({"actor_rollout_ref": {"rollout": {"prompt_length": 4096,
                                                               "response_length": 12}},
                             "data": {}, "agentrl": section})


class ExpertServer:
    """Answers with the expert action's token ids (+ eos), tracking the episode on a shadow
    environment reset with the same task and seed; records every request."""

    def __init__(self, tokenizer: Any, task_id: str, seed: int) -> None:
        self.tokenizer = tokenizer
        self.env = agentrl.make(ENV_ID, max_turns=12, reward_scale=10.0)
        _, self.info = self.env.reset(seed=seed, options={"task_id": task_id})
        self.requests: list[tuple[list[int], list[int]]] = []

    async def generate(self, request_id: str, *, prompt_ids: list[int],
                       sampling_params: dict[str, Any], **kwargs: Any) -> TokenOutput:
        action = self.info["expert_action"]
        ids = self.tokenizer.encode(action, add_special_tokens=False)
        ids.append(self.tokenizer.eos_token_id)
        _, _, _, _, self.info = self.env.step(action)
        self.requests.append((list(prompt_ids), ids))
        return TokenOutput(token_ids=ids, log_probs=[-0.5] * len(ids),
                           extra_fields=dict(VERSIONS))


class TinyModelServer:
    """Samples from a real tiny transformers model (agentrl's hf sampling loop)."""

    def __init__(self, tokenizer: Any, seed: int) -> None:
        model = build_tiny_model(tokenizer, hidden_size=32, num_layers=2, num_heads=4,
                                 num_kv_heads=2, intermediate_size=64, seed=0)
        self.policy = HFPolicy(model, tokenizer, device="cpu", num_threads=1)
        self.seed = seed
        self.requests: list[tuple[list[int], list[int]]] = []

    async def generate(self, request_id: str, *, prompt_ids: list[int],
                       sampling_params: dict[str, Any], **kwargs: Any) -> TokenOutput:
        sampling = SamplingParams(temperature=sampling_params["temperature"],
                                  max_new_tokens=sampling_params["max_tokens"],
                                  seed=self.seed + len(self.requests))
        ids, logprobs, _ = self.policy.generate_ids([list(prompt_ids)], sampling)
        self.requests.append((list(prompt_ids), ids[0]))
        return TokenOutput(token_ids=ids[0], log_probs=logprobs[0], extra_fields=dict(VERSIONS))


def task_kwargs(task_id: str, seed: int, uid: str, session: int) -> dict[str, Any]:
    """What verl hands an agent loop for one dataset row (validation rows keep their seed)."""
    return {"uid": uid, "session_id": session, "global_steps": 3, "index": 0,
            "data_source": ENV_ID, "raw_prompt": [{"role": "user", "content": task_id}],
            "extra_info": {"index": 0, "task_id": task_id, "split": "valid", "seed": seed,
                           "instruction": "", "task_type": ""}}


def play(run_config: RunConfig, tokenizer: Any, server: Any, kwargs: dict[str, Any]) -> list:
    config = trainer_config(run_config)
    loop = AgentrlAgentLoop(trainer_config=DictConfigWrap(config), server_manager=server,
                            tokenizer=tokenizer, processor=None, dataset_cls=RLHFDataset,
                            data_config=DictConfigWrap(config.data))
    return asyncio.run(loop.run(dict(SAMPLING), **kwargs))


# ---------------------------------------------------------------------------------------------
# one output per agent step
# ---------------------------------------------------------------------------------------------


def test_expert_episode_gives_one_output_per_step(run_config: RunConfig, tokenizer: Any) -> None:
    task_id = "household/valid/4"
    server = ExpertServer(tokenizer, task_id, seed=7)
    outputs = play(run_config, tokenizer, server, task_kwargs(task_id, 7, "uid-a", 2))

    assert len(outputs) == len(server.requests) >= 2
    # replay the episode: what agentrl's builder must have rendered at every step
    env = agentrl.make(ENV_ID, max_turns=12, **run_config.env.kwargs)
    obs, info = env.reset(seed=7, options={"task_id": task_id})
    builder = PromptBuilder(history_window=2, show_admissible=True, tokenizer=tokenizer)
    conv = builder.start(obs)
    rewards = []
    for t, out in enumerate(outputs):
        prompt, response = server.requests[t]
        messages, _ = builder.render(conv, obs, info)
        assert out.prompt_ids == prompt == chat_ids(tokenizer, messages)  # token-exact prompt
        assert out.response_ids == response  # the server's ids, not re-tokenised text
        assert out.response_mask == [1] * len(response)
        assert out.response_logprobs == [-0.5] * len(response)
        step = out.extra_fields[STEP_KEY]
        record = out.extra_fields[EPISODE_KEY]
        assert out.extra_fields[INDEX_KEY] == t
        assert record["episode_id"] == "uid-a_2" and record["group_id"] == "uid-a"
        assert record["task_id"] == task_id and record["seed"] == 7
        assert record["num_steps"] == len(outputs) and record["success"] is True
        action = info["expert_action"]
        assert step["action"] == action and step["observation"] == obs
        assert step["state_key"] == info["state_key"]
        obs, reward, _, _, info = env.step(action)
        assert step["reward"] == reward and step["valid"] is True
        assert step["milestones"] == info["milestones"]
        assert out.extra_fields["max_global_steps"] == 3  # the server's weight version survives
        rewards.append(reward)
        builder.record(conv, step["observation"], action)
    env.close()
    assert rewards[-1] == 10.0 and sum(rewards) == 10.0  # the recipe's 10 x won, last step
    assert [o.reward_score for o in outputs] == [None] * (len(outputs) - 1) + [1.0]


def test_tiny_model_episode_runs_to_the_turn_limit(run_config: RunConfig,
                                                   tokenizer: Any) -> None:
    server = TinyModelServer(tokenizer, seed=1)
    outputs = play(run_config, tokenizer, server, task_kwargs("household/valid/1", 3, "u", 0))
    assert len(outputs) == 12 == len(server.requests)  # random text never solves the task
    for t, out in enumerate(outputs):
        assert 1 <= len(out.response_ids) <= 12
        assert out.response_ids == server.requests[t][1]
        assert len(out.response_logprobs) == len(out.response_ids)
        assert all(lp <= 0 for lp in out.response_logprobs)
        assert out.extra_fields[INDEX_KEY] == t
    record = outputs[-1].extra_fields[EPISODE_KEY]
    assert record["truncated"] is True and record["success"] is False
    assert outputs[-1].reward_score == 0.0
    assert not all(o.extra_fields[STEP_KEY]["valid"] for o in outputs)


# ---------------------------------------------------------------------------------------------
# verl's own post-processing: the final reward is copied, per-step rewards survive
# ---------------------------------------------------------------------------------------------


def verl_postprocess(outputs: list, tokenizer: Any, kwargs: dict[str, Any],
                     monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], TensorDict]:
    """Run verl's ``AgentLoopWorkerTQ._agent_loop_postprocess`` and capture what it puts into
    the TransferQueue (keys and fields)."""
    captured: dict[str, Any] = {}

    async def put(keys: list[str], fields: TensorDict, tags: list[dict],
                  partition_id: str) -> None:
        captured.update(keys=keys, fields=fields, tags=tags)

    monkeypatch.setattr(transfer_queue, "async_kv_batch_put", put)
    worker_cls = AgentLoopWorkerTQ.__ray_metadata__.modified_class  # the class Ray wraps
    worker = worker_cls.__new__(worker_cls)
    worker.reward_loop_worker_handles = None  # the agent loop already set the final reward
    worker.distillation_enabled = False
    worker.processor = None
    worker.tokenizer = tokenizer
    asyncio.run(worker._agent_loop_postprocess(outputs, False, **kwargs))
    assert [tag["max_global_steps"] for tag in captured["tags"]] == [3] * len(outputs)
    return captured["keys"], captured["fields"]


def test_verl_copies_the_final_reward_but_credit_reads_step_rewards(
        run_config: RunConfig, tokenizer: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    task_id = "household/valid/2"
    sessions = [(ExpertServer(tokenizer, task_id, seed=5), 0),
                (TinyModelServer(tokenizer, seed=11), 1),
                (ExpertServer(tokenizer, task_id, seed=5), 2)]
    keys, masks, scores, extras, before = [], [], [], [], []
    for server, session in sessions:
        kwargs = task_kwargs(task_id, 5, "group-1", session)
        outputs = play(run_config, tokenizer, server, kwargs)
        before.append(copy.deepcopy([o.extra_fields for o in outputs]))
        k, fields = verl_postprocess(outputs, tokenizer, kwargs, monkeypatch)
        keys += k  # what TransferQueue stores per key, row by row
        masks += list(fields["response_mask"].unbind(0))
        scores += list(fields["rm_scores"].unbind(0))
        extras += list(fields["extra_fields"])
    assert keys[0] == "group-1_0_0" and len(keys) == len(masks)

    # verl wrote the final outcome into rm_scores of *every* row of a session ...
    extra = rows_from_extra_fields(extras)
    for row, rm in enumerate(scores):
        outcome = extra[EPISODE_KEY][row]["outcome"]
        assert float(rm[-1]) == outcome and torch.count_nonzero(rm[:-1]) == 0
    # ... while each row still carries its own step reward (0 before the expert's last step)
    step_rewards = [s["reward"] for s in extra[STEP_KEY]]
    assert step_rewards != [extra[EPISODE_KEY][r]["outcome"] for r in range(len(keys))]
    expert_rows = [r for r in range(len(keys)) if keys[r].startswith("group-1_0_")]
    assert [step_rewards[r] for r in expert_rows][-1] == 10.0
    assert sum(step_rewards[r] for r in expert_rows) == 10.0

    # the trainer hook's numbers equal agentrl's local credit on the episodes the loop played
    credit_cfg = run_config.credit
    mask = torch.nn.utils.rnn.pad_sequence(masks, batch_first=True)  # (B, L), as TQ pads
    data = DataProto(batch=TensorDict({"response_mask": mask}, batch_size=len(keys)),
                     non_tensor_batch=extra)
    result = assign_step_credit(data, credit_of(run_config))
    local = []
    for rows in before:
        steps = [r[STEP_KEY] for r in rows]
        recs = [r[EPISODE_KEY] for r in rows]
        idx = [r[INDEX_KEY] for r in rows]
        local += rows_to_episodes(steps, recs, idx, list(range(len(rows))))[0]
    build_credit([{"name": s.name, **s.params} for s in credit_cfg.shapers],
                 {"name": credit_cfg.estimator.name, **credit_cfg.estimator.params}).apply(local)
    want = np.array([s.advantage for ep in local for s in ep.steps])
    adv = data.batch["advantages"]
    got = np.array([float(adv[row, 0]) for row in range(len(keys))])
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    assert np.abs(want).max() > 0.5  # the expert's episode stands out in its group
    assert len(result.episodes) == 3 and result.metrics()["agentrl/success"] == pytest.approx(2 / 3)
    assert torch.count_nonzero(data.batch["advantages"] * (1 - data.batch["response_mask"])) == 0


# ---------------------------------------------------------------------------------------------
# the whole path on CPU: agent loop -> verl post-processing -> TransferQueue -> trainer hook
# ---------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_trainer_hook_through_transfer_queue(run_config: RunConfig, tokenizer: Any,
                                             tmp_path: Path) -> None:
    """Real Ray, real TransferQueue, verl's real post-processing and padding, and the
    ``agentrl`` trainer's ``_compute_advantage`` (verl's advantage stage, then agentrl's)."""
    import ray
    import transfer_queue as tq
    from transfer_queue import KVBatchMeta
    from verl.trainer.ppo.padding_utils import upsample_batch_to_divisible_size

    from agentrl.trainer.verl.trainer import AgentrlPPOTrainer

    cfg = run_config.model_copy(deep=True)
    cfg.output.dir = str(tmp_path)
    cfg.trainer.checkpoint_every = 1
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        tq.init(OmegaConf.create({"backend": {"SimpleStorage": {"num_data_storage_units": 1}}}))
        worker_cls = AgentLoopWorkerTQ.__ray_metadata__.modified_class
        worker = worker_cls.__new__(worker_cls)
        worker.reward_loop_worker_handles = None
        worker.distillation_enabled = False
        worker.processor, worker.tokenizer = None, tokenizer
        task_id = "household/valid/2"
        sessions = [(ExpertServer(tokenizer, task_id, seed=5), 0),
                    (TinyModelServer(tokenizer, seed=3), 1)]
        played = []
        for server, session in sessions:
            kwargs = task_kwargs(task_id, 5, "g", session)
            outputs = play(cfg, tokenizer, server, kwargs)
            played.append(copy.deepcopy([o.extra_fields for o in outputs]))
            asyncio.run(worker._agent_loop_postprocess(outputs, False, **kwargs))
        keys = [f"g_{s}_{t}" for s, rows in enumerate(played) for t in range(len(rows))]
        tags = [{"status": "success", "seq_len": 1} for _ in keys]
        batch = KVBatchMeta(keys=keys, tags=tags, partition_id="train")
        data = tq.kv_batch_get(keys=keys, partition_id="train", select_fields=["rollout_log_probs"])
        tq.kv_batch_put(keys=keys, partition_id="train",  # what verl's old-log-prob pass adds
                        fields=TensorDict({"old_log_probs": data["rollout_log_probs"]},
                                          batch_size=len(keys)))
        batch = upsample_batch_to_divisible_size(batch, len(keys) + 3, tokenizer.eos_token_id)
        assert len(batch) == 2 * len(keys) + 3 - len(keys)  # verl appended padding rows

        trainer = AgentrlPPOTrainer.__new__(AgentrlPPOTrainer)
        trainer.config = OmegaConf.create({
            "algorithm": {"adv_estimator": "agentrl_grpo", "gamma": 1.0, "lam": 1.0,
                          "norm_adv_by_std_in_grpo": True, "use_kl_in_reward": False},
            "actor_rollout_ref": {"rollout": {"n": 2}}})
        trainer.run_config, trainer.credit, trainer.global_steps = cfg, credit_of(cfg), 1
        metrics: dict[str, float] = {}
        trainer._compute_advantage(batch, metrics)

        out = tq.kv_batch_get(keys=batch.keys, partition_id="train",
                              select_fields=["advantages", "token_level_rewards"])
        adv = out["advantages"].to_padded_tensor(padding=0.0)
        rewards = out["token_level_rewards"].to_padded_tensor(padding=0.0)
    finally:
        tq.close()
        ray.shutdown()

    local = []
    for rows in played:
        local += rows_to_episodes([r[STEP_KEY] for r in rows], [r[EPISODE_KEY] for r in rows],
                                  [r[INDEX_KEY] for r in rows], list(range(len(rows))))[0]
    credit_of(cfg).apply(local)
    steps = [s for ep in local for s in ep.steps]
    np.testing.assert_allclose(adv[: len(keys), 0].numpy(), [s.advantage for s in steps],
                               rtol=1e-6, atol=1e-6)
    assert torch.count_nonzero(adv[len(keys):]) == 0  # verl's padding rows train nothing
    # every step row carries its own shaped reward (not verl's copied final reward)
    np.testing.assert_allclose(rewards[: len(keys)].sum(-1).numpy(),
                               [s.shaped_reward for s in steps], rtol=1e-6, atol=1e-6)
    assert metrics["agentrl/success"] == 0.5 and metrics["agentrl/episodes"] == 2
    dumped = list(agentrl.read_episodes(tmp_path / "episodes" / "iter_000001.jsonl"))
    assert [s.advantage for ep in dumped for s in ep.steps] == pytest.approx(
        [s.advantage for s in steps])


def test_action_pattern_parses_the_servers_reply(run_config: RunConfig, tokenizer: Any) -> None:
    """With ``prompt.action_pattern`` the environment gets the action inside the reply's format,
    as in the local rollout; the step keeps the whole reply, and the response ids are the
    server's (thought included)."""

    class ThinkingServer(ExpertServer):
        async def generate(self, request_id: str, *, prompt_ids: list[int],
                           sampling_params: dict[str, Any], **kwargs: Any) -> TokenOutput:
            action = self.info["expert_action"]
            ids = self.tokenizer.encode(f"<think>ok</think>{action}", add_special_tokens=False)
            ids.append(self.tokenizer.eos_token_id)
            _, _, _, _, self.info = self.env.step(action)
            self.requests.append((list(prompt_ids), ids))
            return TokenOutput(token_ids=ids, log_probs=[-0.5] * len(ids),
                               extra_fields=dict(VERSIONS))

    task_id = "household/valid/4"
    config = run_config.model_copy(deep=True)
    config.prompt.action_pattern = r"(?:<think>.*?</think>)?\s*(.*)"
    server = ThinkingServer(tokenizer, task_id, seed=7)
    verl_config = trainer_config(config)
    verl_config.actor_rollout_ref.rollout.response_length = 48  # room for the thought
    loop = AgentrlAgentLoop(trainer_config=DictConfigWrap(verl_config), server_manager=server,
                            tokenizer=tokenizer, processor=None, dataset_cls=RLHFDataset,
                            data_config=DictConfigWrap(verl_config.data))
    outputs = asyncio.run(loop.run(dict(SAMPLING), **task_kwargs(task_id, 7, "uid-t", 0)))
    record = outputs[-1].extra_fields[EPISODE_KEY]
    assert record["success"] is True and len(outputs) == len(server.requests) >= 2
    for out, (_, response) in zip(outputs, server.requests, strict=True):
        step = out.extra_fields[STEP_KEY]
        assert out.response_ids == response
        assert step["raw_action"] == f"<think>ok</think>{step['action']}"  # extra, flattened
        assert not step.get("projected")
