"""SPA-RL's progress estimator on a real (tiny, randomly initialised) Qwen2 model with a word-level
tokenizer built here: it must learn, and the shaper must give c_t + alpha * valid_t."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _credit_builders import make_episode
from tokenizers import Tokenizer
from tokenizers.models import WordLevel
from tokenizers.pre_tokenizers import Whitespace
from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

from agentrl.errors import ConfigError
from agentrl.rewards import CreditContext, StepBatch, build_credit
from agentrl.rewards.shapers.spa import ProgressEstimator, step_token_ids

WORDS = ["[PAD]", "[UNK]", "you", "are", "in", "room", "step", "good", "bad", "go", "take",
         "0", "1", "2"]


@pytest.fixture(autouse=True)
def one_torch_thread():
    """The machine's cores are shared; tiny models run fastest single-threaded."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def tiny_lm_and_tokenizer(seed: int = 0):
    torch.manual_seed(seed)
    vocab = {w: i for i, w in enumerate(WORDS)}
    tok = Tokenizer(WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = Whitespace()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]",
                                        pad_token="[PAD]")
    config = Qwen2Config(vocab_size=len(WORDS), hidden_size=32, intermediate_size=64,
                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=64)
    return Qwen2ForCausalLM(config), tokenizer


def progress_episodes(n: int, seed: int, steps: int = 3):
    """Outcome = fraction of 'good' actions: each good step contributes 1/steps."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        good = rng.random(steps) < 0.5
        ep = make_episode(f"e{seed}-{i}", f"g{i // 4}", [0.0] * steps,
                          valid=[bool(g) for g in good])
        for t, (s, g) in enumerate(zip(ep.steps, good, strict=True)):
            s.observation = f"you are in room {t} step {t}"
            s.action = f"{'take good' if g else 'go bad'}"
        ep.outcome = float(good.mean())
        out.append(ep)
    return out


def test_progress_estimator_lowers_validation_mse_as_it_trains():
    model, tokenizer = tiny_lm_and_tokenizer()
    est = ProgressEstimator(model, seed=0)
    train, valid = StepBatch.from_episodes(progress_episodes(48, 1)), \
        StepBatch.from_episodes(progress_episodes(24, 2))
    ids_t, ids_v = step_token_ids(train, tokenizer, 64), step_token_ids(valid, tokenizer, 64)
    y_t = np.array([e.outcome for e in train.episodes])
    y_v = np.array([e.outcome for e in valid.episodes])
    curve = [est.mse(ids_v, valid.episode_index, y_v)]
    for _ in range(3):
        est.fit(ids_t, train.episode_index, y_t, epochs=4, lr=3e-3, batch_episodes=8)
        curve.append(est.mse(ids_v, valid.episode_index, y_v))
    assert curve[-1] < 0.25 * curve[0], curve
    assert curve[-1] < curve[1] < curve[0], curve
    c = est.contributions(ids_v)
    good = valid.valid  # good actions were marked valid
    assert c[good].mean() > c[~good].mean() + 0.15  # learned the good steps' share (1/3)


def test_spa_shaper_gives_contribution_plus_alpha_grounding():
    model, tokenizer = tiny_lm_and_tokenizer()
    credit = build_credit([{"name": "spa", "alpha": 0.5, "epochs": 1, "lr": 1e-3}],
                          {"name": "grpo"},
                          context=CreditContext(policy_model=model, tokenizer=tokenizer))
    eps = progress_episodes(8, 3)
    for s in eps[0].steps:  # recorded token ids are used as they are
        s.prompt_ids, s.response_ids = [2, 3, 4], [7]
    result = credit.apply(eps)
    spa = credit.shapers[0][2]
    ids = step_token_ids(result.batch, tokenizer, 512)
    assert ids[0] == [2, 3, 4, 7]
    c = spa.estimator.contributions(ids)
    want = c + 0.5 * result.batch.valid
    assert np.allclose(result.shaped_rewards, want, atol=1e-6)
    assert spa.calls == 1 and len(spa.history) == 1
    # the policy itself is not trained: the shaper works on a copy
    assert spa.estimator.backbone is not model


def test_spa_without_a_backbone_says_how_to_get_one():
    with pytest.raises(ConfigError, match="spa shaper needs a backbone"):
        build_credit([{"name": "spa"}])


def test_spa_loads_a_local_backbone_for_the_cli(tmp_path):
    model, tokenizer = tiny_lm_and_tokenizer()
    model.save_pretrained(tmp_path / "m")
    tokenizer.save_pretrained(tmp_path / "m")
    credit = build_credit([{"name": "spa", "model": str(tmp_path / "m"), "epochs": 1}])
    eps = progress_episodes(4, 5)
    result = credit.apply(eps)
    assert np.isfinite(result.shaped_rewards).all()
    with pytest.raises(ConfigError, match="cannot load model"):
        build_credit([{"name": "spa", "model": str(tmp_path / "missing")}])
