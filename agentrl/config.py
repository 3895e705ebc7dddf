"""Run configuration: one YAML file per run, validated before anything starts (DESIGN.md 3.7).

::

    cfg = load_config("configs/quickstart.yaml", ["trainer.lr=3e-4", "rollout.group_size=4"])

Unknown keys, wrong types, missing required keys and impossible combinations raise
:class:`~agentrl.errors.ConfigError` with one line naming the file, the key path and a hint
(did-you-mean for typos). Overrides ``key.sub=value`` take YAML values (``3e-4``, ``true``,
``[a, b]``) and are validated like the file.

Sections owned by components (``credit.shapers`` / ``credit.estimator`` parameters) are checked by
those components' registries; here they only need a ``name``.
"""

from __future__ import annotations

import difflib
import types
import typing
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from agentrl.errors import ConfigError

__all__ = [
    "ComponentConfig",
    "CreditConfig",
    "EnvConfig",
    "EvalConfig",
    "ModelConfig",
    "OutputConfig",
    "PolicyConfig",
    "PromptConfig",
    "RolloutConfig",
    "RunConfig",
    "SFTConfig",
    "TrainerConfig",
    "apply_overrides",
    "load_config",
    "parse_config",
]


class Section(BaseModel):
    """Base of every config section: unknown keys are errors, assignments are validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class SplitsConfig(Section):
    """Which of the environment's task splits each stage uses."""

    train: str = Field("train", description="Split that training samples tasks from.")
    valid: str = Field("valid", description="Split used for evaluation during training.")
    test: str = Field("test", description="Held-out split for the final evaluation.")


class EnvConfig(Section):
    """The environment to train or evaluate on."""

    id: str = Field(description="Registered environment id, e.g. 'agentrl/Household-v0' "
                                "(list them with `agentrl envs`).")
    kwargs: dict[str, Any] = Field(default_factory=dict,
                                   description="Constructor overrides passed to agentrl.make.")
    splits: SplitsConfig = Field(default_factory=SplitsConfig)  # type: ignore[arg-type]


class LoraSection(Section):
    """LoRA adapters (Hu et al., 2021, arXiv:2106.09685) through peft, for the RL stage."""

    r: int = Field(0, ge=0, description="Adapter rank; 0 turns LoRA off (full fine-tuning).")
    alpha: float = Field(32.0, gt=0, description="Scaling numerator (the update is "
                                                 "alpha / r * B A).")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="Dropout on the adapter input.")
    target_modules: str | list[str] = Field(
        "all-linear", description="Modules that get adapters: 'all-linear' or a list of names "
                                  "such as [q_proj, v_proj].")


class ModelConfig(Section):
    """The policy model: a Hugging Face checkpoint (`path`) or a built-in preset."""

    path: str | None = Field(None, description="HF checkpoint name or directory "
                                               "(e.g. Qwen/Qwen2.5-1.5B-Instruct or a run dir).")
    preset: str | None = Field("tiny", description="Built-in model preset, e.g. 'tiny' (a small "
                                                   "transformer built from configs/models/); "
                                                   "ignored when `path` is set.")
    tokenizer: str | None = Field(None, description="Tokenizer path if it differs from `path`.")
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        "auto", description="Compute dtype; 'auto' is float32 on CPU and bfloat16 on GPU. The "
                            "local trainer keeps float32 weights and runs forward passes under "
                            "autocast in this dtype (mixed precision).")
    lora: LoraSection = Field(default_factory=LoraSection,  # type: ignore[arg-type]
                              description="LoRA adapters for RL (peft); off when r is 0.")

    @model_validator(mode="after")
    def _path_replaces_default_preset(self) -> ModelConfig:
        if self.path and "preset" not in self.model_fields_set:
            object.__setattr__(self, "preset", None)
        return self


class PolicyConfig(Section):
    """How actions are generated."""

    backend: str = Field("hf", description="Policy backend: hf, vllm, openai, expert or random.")
    max_new_tokens: int = Field(64, ge=1, description="Token budget of one action.")
    top_p: float = Field(1.0, gt=0.0, le=1.0, description="Nucleus sampling threshold.")
    top_k: int = Field(0, ge=0, description="Top-k sampling; 0 disables it (the trainer's "
                                            "log-probs then describe the full distribution).")
    stop: list[str] = Field(default_factory=list, description="Stop strings ending an action.")
    options: dict[str, Any] = Field(
        default_factory=dict, description="vLLM engine arguments for policy.backend=vllm (e.g. "
        "max_model_len, enforce_eager, kv_cache_memory_bytes, gpu_memory_utilization).")


class RolloutConfig(Section):
    """The batched multi-turn rollout."""

    group_size: int = Field(8, ge=1, description="Episodes per task (G); GRPO/GiGPO compare "
                                                 "episodes inside a group.")
    groups_per_batch: int = Field(8, ge=1, description="Tasks per training batch.")
    max_turns: int | None = Field(None, ge=1, description="Turn limit; default: the env's.")
    history_window: int = Field(2, ge=0, description="Past (observation, action) pairs in the "
                                                     "prompt (verl-agent uses 2).")
    temperature: float = Field(1.0, ge=0.0, description="Sampling temperature for training "
                                                        "rollouts.")
    projection: bool = Field(False, description="Map inadmissible actions onto the nearest "
                                                "admissible one (helps tiny models).")
    projection_keep_names: bool = Field(
        False, description="Project only onto admissible actions that name the same kinds of "
                           "objects as the model's action ('bowl' in 'take bowl 1 from "
                           "sinkbasin 1'); otherwise the action goes to the environment "
                           "unchanged instead of turning into an action on another object.")
    constrain: bool = Field(
        False, description="Decode only admissible actions: at each token the hf policy "
                           "samples from its softmax renormalised over the tokens that continue "
                           "some admissible action; the trainer recomputes the same "
                           "distribution. Steps whose list has templates decode freely.")
    vary_hidden: bool = Field(
        False, description="Training groups share the task but not what it leaves hidden: "
                           "episode k resets with seed + k and options['vary_hidden'], and an "
                           "environment that supports it (household: where the objects are) "
                           "draws the hidden part from that seed. Evaluation never varies.")
    step_timeout_s: float = Field(60.0, gt=0, description="Limit on one environment step.")
    episode_timeout_s: float = Field(1800.0, gt=0, description="Limit on one episode.")


class PromptConfig(Section):
    """How prompts are built (Jinja templates; see agentrl/prompting.py for the variables)."""

    system: str | None = Field(None, description="System message template (default: a generic "
                                                 "instruction, or the environment's own).")
    user: str | None = Field(None, description="User message template; variables: task, "
                                               "observation, history, admissible_actions, step.")
    mode: Literal["window", "chat"] = Field(
        "window", description="window: fresh prompt per step with the last history_window "
                              "steps; chat: one growing conversation, token-in/token-out.")
    show_admissible: bool = Field(True, description="List the admissible actions in the prompt.")
    task_from: Literal["instruction", "observation"] = Field(
        "instruction", description="The prompt's task text: the task's instruction, or the "
                                   "episode's first observation (keeps e.g. a room's furniture "
                                   "in every prompt).")
    check_tokens: bool = Field(True, description="Fail loudly when the ids a policy consumed "
                                                 "differ from the rendered prompt.")
    action_pattern: str | None = Field(
        None, description="Action format: a regular expression whose first group is the action "
                          "in the model's reply (e.g. '(?:<think>.*?</think>)?\\s*(.*)'); a "
                          "reply that does not match goes to the environment as it is. Unset: "
                          "the whole reply is the action.")

    @field_validator("action_pattern")
    @classmethod
    def _action_pattern(cls, value: str | None) -> str | None:
        from agentrl.prompting import action_pattern_problem

        problem = None if value is None else action_pattern_problem(value)
        if problem:
            raise ValueError(problem)
        return value


class ComponentConfig(BaseModel):
    """A registered component (shaper or estimator): its `name` plus its own parameters."""

    model_config = ConfigDict(extra="allow")

    name: str = Field(description="Registered name, e.g. 'gigpo' or 'gated'.")

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class CreditConfig(Section):
    """Credit assignment: reward shapers in order, then one advantage estimator."""

    shapers: list[ComponentConfig] = Field(default_factory=list,
                                           description="Reward shapers, applied in order.")
    estimator: ComponentConfig = Field(default_factory=lambda: ComponentConfig(name="grpo"),
                                       description="Advantage estimator.")


class SFTConfig(Section):
    """Supervised warm-up on expert demonstrations before RL."""

    enabled: bool = Field(False, description="Run SFT before RL.")
    episodes: int = Field(300, ge=0, description="Expert demonstration episodes.")
    recovery_fraction: float = Field(0.3, ge=0.0, le=1.0,
                                     description="Share of episodes with random detours whose "
                                                 "states are labelled with the expert's action.")
    epochs: int = Field(3, ge=0, description="Passes over the demonstrations.")
    lr: float = Field(1e-3, gt=0, description="SFT learning rate.")
    batch_size: int = Field(32, ge=1, description="Samples per SFT step.")
    prompt_loss_weight: float = Field(0.0, ge=0.0, description="Weight of next-token loss on "
                                                               "the prompt's tokens, per token "
                                                               "relative to a target token (0: "
                                                               "targets only).")
    target: str = Field("{{ action }}", description="SFT target template (Jinja): action (the "
                                                    "expert's) and thought (the environment's "
                                                    "info['expert_thought'], '' if none); pair "
                                                    "it with prompt.action_pattern.")
    label_noise: float = Field(0.0, ge=0.0, lt=1.0,
                               description="Share of demonstration steps where the demonstrator "
                                           "takes a random admissible action and that action is "
                                           "the label (an imperfect demonstrator; 0: none).")
    relabel: int = Field(0, ge=0, description="Goal-relabelled copies per state (0: none): the "
                                              "same state with another goal object, labelled "
                                              "by the expert (an environment with "
                                              "relabel_goals(), e.g. the household world).")


class VerlConfig(Section):
    """How ``trainer.backend: verl`` runs on verl (Ray, FSDP, vLLM/SGLang); see
    agentrl/trainer/verl/. The PPO settings (lr, clip, epochs, KL, entropy, batch sizes) come
    from the trainer, rollout and policy sections; this section holds what only a cluster has."""

    n_gpus_per_node: int = Field(8, ge=1, description="GPUs per node (verl "
                                                      "trainer.n_gpus_per_node).")
    nnodes: int = Field(1, ge=1, description="Nodes of the Ray cluster (verl trainer.nnodes); "
                                             "start the cluster first with `ray start`.")
    rollout_engine: Literal["vllm", "sglang"] = Field(
        "vllm", description="Inference engine serving the policy during rollouts.")
    tensor_parallel_size: int = Field(1, ge=1, description="Tensor-parallel GPUs per rollout "
                                                           "replica (2 for 7B on 80 GB GPUs "
                                                           "leaves room for longer prompts).")
    gpu_memory_utilization: float = Field(0.6, gt=0, le=1, description="Share of GPU memory "
                                          "the rollout engine may take for weights and KV "
                                          "cache; the rest is the trainer's.")
    max_prompt_length: int = Field(2048, ge=16, description="Longest prompt in tokens (one step: "
                                   "system + task + history window + observation); longer "
                                   "prompts are cut from the left and counted in metrics.")
    micro_batch_size_per_gpu: int = Field(8, ge=1, description="Step samples per forward pass "
                                          "on one GPU (memory vs. speed); also used for "
                                          "log-prob passes.")
    param_offload: bool = Field(False, description="Offload actor parameters to CPU between "
                                                   "phases (saves GPU memory, costs time).")
    ref_param_offload: bool = Field(True, description="Offload the frozen reference model "
                                                      "(used for the KL loss) to CPU.")
    gradient_checkpointing: bool = Field(True, description="Recompute activations in the "
                                                           "backward pass (memory vs. speed).")
    agent_workers: int = Field(8, ge=1, description="Agent-loop worker processes stepping "
                                                    "environments concurrently.")
    loggers: list[str] = Field(default_factory=lambda: ["console", "tensorboard"],
                               description="verl trainer.logger backends (console, "
                                           "tensorboard, wandb, ...).")
    project_name: str = Field("agentrl", description="Experiment-tracking project name.")
    overrides: list[str] = Field(default_factory=list, description="Extra hydra overrides "
                                 "appended to verl's command line, e.g. "
                                 "'actor_rollout_ref.actor.fsdp_config.optimizer_offload=true'; "
                                 "they win over everything agentrl sets.")


class TrainerConfig(Section):
    """The RL trainer."""

    backend: Literal["local", "verl"] = Field("local", description="local (PyTorch, CPU or one "
                                                                   "GPU) or verl (Ray, multi-GPU).")
    iterations: int = Field(50, ge=0, description="RL iterations (rollout -> update).")
    lr: float = Field(1e-4, gt=0, description="Learning rate (AdamW).")
    ppo_epochs: int = Field(2, ge=1, description="Passes over each batch.")
    minibatch_size: int = Field(64, ge=1, description="Step samples per optimiser step.")
    clip_ratio: float = Field(0.2, gt=0, description="PPO clip range epsilon.")
    clip_ratio_c: float | None = Field(
        3.0, gt=1, description="Dual-clip bound (Ye et al., 2020): where the advantage is "
                               "negative, the loss stops growing once the probability ratio "
                               "passes it (verl's clip_ratio_c, same default); null turns it "
                               "off.")
    negative_advantage_weight: float = Field(
        1.0, ge=0, le=1, description="Factor on negative advantages in the policy loss (1: "
                                     "plain PPO; 0: learn from better-than-average actions "
                                     "only; local backend).")
    kl_coef: float = Field(0.0, ge=0, description="KL penalty to the frozen reference.")
    kl_type: Literal["k1", "low_var_kl"] = Field("low_var_kl", description="KL estimator.")
    entropy_coef: float = Field(0.001, ge=0, description="Entropy bonus coefficient.")
    max_grad_norm: float = Field(1.0, gt=0, description="Gradient clipping norm.")
    loss_agg: Literal["token-mean", "seq-mean-token-mean", "episode-mean"] = Field(
        "episode-mean", description="How token losses are averaged: over all tokens, per step "
                                    "sample, or per episode (long failed episodes then do not "
                                    "dominate the gradient).")
    grad_accum_steps: int = Field(1, ge=1, description="Micro-batches per optimiser step "
                                                       "(memory vs. speed).")
    skip_zero_advantage: bool = Field(
        False, description="Leave out step samples whose advantage is exactly 0 when nothing "
                           "else acts on them (entropy_coef = 0, no KL, no value head): their "
                           "policy gradient is 0, so they only cost time and dilute the "
                           "minibatch mean (like DAPO's dynamic sampling, per step).")
    group_by_length: bool = Field(
        True, description="Minibatches of step samples of similar length (shuffled, then sorted "
                          "within windows of 8 minibatches, the minibatch order shuffled): less "
                          "padding, the same samples per epoch.")
    lr_schedule: Literal["constant", "cosine"] = Field("constant", description="LR schedule "
                                                                                "over iterations.")
    warmup_iterations: int = Field(0, ge=0, description="Linear LR warm-up iterations.")
    value_coef: float = Field(0.5, ge=0, description="Value loss weight (gae estimator only).")
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="Where the model runs.")
    checkpoint_every: int = Field(10, ge=1, description="Iterations between checkpoints.")
    keep_checkpoints: int = Field(2, ge=1, description="Checkpoints kept (the last N).")
    sft: SFTConfig = Field(default_factory=SFTConfig)  # type: ignore[arg-type]
    verl: VerlConfig = Field(default_factory=VerlConfig)  # type: ignore[arg-type]


class EvalConfig(Section):
    """Evaluation during and after training."""

    splits: list[str] = Field(default_factory=lambda: ["test"],
                              description="Splits evaluated at the end.")
    episodes: int = Field(100, ge=1, description="Tasks per evaluated split (the first N).")
    samples: int = Field(1, ge=1, description="Episodes per task in sampled (temperature > 0) "
                                              "evaluations: success is their mean, with pass@k "
                                              "and an interval over tasks; greedy plays one.")
    every: int = Field(10, ge=0, description="Iterations between evaluations (0: only at end).")
    temperature: float = Field(0.0, ge=0, description="Sampling temperature (0: greedy).")
    final: bool = Field(True, description="At the end of training, evaluate the SFT-only and "
                                          "the final model on eval.splits, sampled and greedy.")


class OutputConfig(Section):
    """Where a run writes its files."""

    dir: str = Field("runs/run", description="Run directory: config, metrics, checkpoints, "
                                             "episodes, report.")


class RunConfig(Section):
    """One agentrl run."""

    name: str | None = Field(None, description="Run name (default: the config file's stem).")
    seed: int = Field(0, description="Global random seed.")
    env: EnvConfig
    model: ModelConfig = Field(default_factory=ModelConfig)  # type: ignore[arg-type]
    policy: PolicyConfig = Field(default_factory=PolicyConfig)  # type: ignore[arg-type]
    prompt: PromptConfig = Field(default_factory=PromptConfig)  # type: ignore[arg-type]
    rollout: RolloutConfig = Field(default_factory=RolloutConfig)  # type: ignore[arg-type]
    credit: CreditConfig = Field(default_factory=CreditConfig)  # type: ignore[arg-type]
    trainer: TrainerConfig = Field(default_factory=TrainerConfig)  # type: ignore[arg-type]
    eval: EvalConfig = Field(default_factory=EvalConfig)  # type: ignore[arg-type]
    output: OutputConfig = Field(default_factory=OutputConfig)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# cross-field checks (one place, messages that say how to fix the config)
# ---------------------------------------------------------------------------------------------


def _check_combinations(cfg: RunConfig) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if cfg.model.path and cfg.model.preset:
        problems.append(("model", "set either model.path or model.preset, not both"))
    if not cfg.model.path and not cfg.model.preset and cfg.policy.backend in ("hf", "vllm"):
        problems.append(("model", f"policy.backend={cfg.policy.backend} needs a model: set "
                                  "model.path (a Hugging Face checkpoint) or model.preset: tiny"))
    if cfg.policy.backend == "vllm" and cfg.model.lora.r > 0 and cfg.trainer.backend == "local":
        problems.append(("policy.backend", "the vllm rollout engine takes full weights, not LoRA "
                                           "adapters; set model.lora.r=0 or policy.backend=hf"))
    if cfg.rollout.constrain and cfg.policy.backend in ("vllm", "openai"):
        problems.append(("rollout.constrain", f"policy.backend={cfg.policy.backend} cannot "
                                              "constrain decoding; use policy.backend=hf or set "
                                              "rollout.constrain=false"))
    if cfg.rollout.constrain and cfg.trainer.backend == "verl":
        problems.append(("rollout.constrain", "the verl bridge samples with verl's own rollout "
                                              "and cannot constrain it; set "
                                              "rollout.constrain=false"))
    if cfg.trainer.sft.enabled and cfg.trainer.sft.episodes == 0:
        problems.append(("trainer.sft.episodes", "SFT is enabled with 0 demonstration episodes; "
                                                 "set trainer.sft.episodes > 0 or disable SFT"))
    return problems


# ---------------------------------------------------------------------------------------------
# loading
# ---------------------------------------------------------------------------------------------


def _model_at(loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The config class found by following ``loc`` from RunConfig (None if not a section)."""
    model: Any = RunConfig
    for key in loc:
        if isinstance(key, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        field = model.model_fields.get(key)
        if field is None:
            return None
        model = _unwrap(field.annotation)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """The model class inside ``X | None`` or ``list[X]`` annotations."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, list):
        for arg in typing.get_args(annotation):
            inner = _unwrap(arg)
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                return inner
    return annotation


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _format_error(err: dict[str, Any]) -> str:
    loc = tuple(err["loc"])
    path = ".".join(str(p) for p in loc) or "(top level)"
    kind = err["type"]
    if kind == "extra_forbidden":
        parent = _model_at(loc[:-1])
        hint = ""
        if parent is not None:
            close = difflib.get_close_matches(str(loc[-1]), list(parent.model_fields), n=1)
            if close:
                fixed = ".".join([*(str(p) for p in loc[:-1]), close[0]])
                hint = f" (did you mean '{fixed}'?)"
            else:
                hint = f" (valid keys: {', '.join(parent.model_fields)})"
        return f"unknown key '{path}'{hint}"
    if kind == "missing":
        return f"missing required key '{path}'"
    msg = err["msg"]
    msg = msg[0].lower() + msg[1:] if msg else msg
    return f"'{path}': {msg}, got {_describe(err.get('input'))}"


def parse_config(data: Any, source: str = "config") -> RunConfig:
    """Validate a config mapping into a :class:`RunConfig` (errors name the key path)."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping of sections "
                          f"(env, model, rollout, ...), got {type(data).__name__}")
    try:
        cfg = RunConfig.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ConfigError(f"{source}: {_format_error(dict(errors[0]))}{more}") from None
    problems = _check_combinations(cfg)
    if problems:
        key, msg = problems[0]
        raise ConfigError(f"{source}: '{key}': {msg}")
    return cfg


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``key.sub=value`` overrides (values parsed as YAML) to a config mapping in place."""
    for item in overrides:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"override {item!r} must look like key.sub=value, "
                              "e.g. trainer.lr=3e-4")
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            value = raw
        parts = key.split(".")
        node: Any = data
        for i, part in enumerate(parts[:-1]):
            if isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
                continue
            if not isinstance(node, dict):
                raise ConfigError(f"override {item!r}: '{'.'.join(parts[:i])}' is not a section")
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            node = child
        last = parts[-1]
        if isinstance(node, list) and last.isdigit() and int(last) < len(node):
            node[int(last)] = value
        elif isinstance(node, dict):
            node[last] = value
        else:
            raise ConfigError(f"override {item!r}: '{'.'.join(parts[:-1])}' is not a section")
    return data


def read_yaml(path: str | Path) -> Any:
    """Read a YAML file; a missing file or a syntax error is a one-line ConfigError."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {str(path)!r} not found")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}{where}: invalid YAML: {problem}") from None


def load_config(path: str | Path, overrides: list[str] | None = None) -> RunConfig:
    """Load, override and validate a run config file."""
    data = read_yaml(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections "
                          f"(env, model, rollout, ...), got {type(data).__name__}")
    apply_overrides(data, list(overrides or []))
    cfg = parse_config(data, str(path))
    if cfg.name is None:
        cfg.name = Path(path).stem
    return cfg


def dump_config(cfg: RunConfig) -> str:
    """The resolved config as YAML (all defaults filled in)."""
    return yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
