"""Estimators (grpo, rloo, gigpo, gae, empg) on groups small enough to check on paper, plus
property tests."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _credit_builders import make_episode
from hypothesis import given, settings
from hypothesis import strategies as st

from agentrl.errors import EpisodeFormatError
from agentrl.rewards import StepBatch, build_credit
from agentrl.rewards.estimators.gigpo import gigpo_advantages
from agentrl.rewards.groupstats import discounted_returns

EPS = 1e-6
S2 = math.sqrt(0.5)  # std of {1, 0}


def advantages(episodes, estimator, shapers=None):
    build_credit(shapers, estimator).apply(episodes)
    return [[s.advantage for s in ep.steps] for ep in episodes]


# ----------------------------------------------------------------------------------- grpo


def test_grpo_hand_computed():
    # group a: returns 1, 0, 0 -> mean 1/3, unbiased std sqrt(1/3); group b: one episode, R = 2
    eps = [make_episode("e0", "a", [0.0, 1.0]), make_episode("e1", "a", [0.0]),
           make_episode("e2", "a", [0.0, 0.0, 0.0]), make_episode("e3", "b", [2.0])]
    adv = advantages(eps, {"name": "grpo"})
    s = math.sqrt(1 / 3)
    assert adv[0] == pytest.approx([(2 / 3) / (s + EPS)] * 2, abs=1e-9)
    assert adv[1] == pytest.approx([(-1 / 3) / (s + EPS)], abs=1e-9)
    assert adv[2] == pytest.approx([(-1 / 3) / (s + EPS)] * 3, abs=1e-9)
    assert adv[0][0] == pytest.approx(1.154699, abs=1e-5)
    assert adv[3] == pytest.approx([2.0 / (1.0 + EPS)])  # lone episode: mean 0, std 1


def test_grpo_without_std_is_mean_centred():
    eps = [make_episode("e0", "a", [1.0]), make_episode("e1", "a", [0.0]),
           make_episode("e2", "a", [0.0])]
    adv = advantages(eps, {"name": "grpo", "norm_std": False})
    assert adv == [[pytest.approx(2 / 3)], [pytest.approx(-1 / 3)], [pytest.approx(-1 / 3)]]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.lists(st.floats(-5, 5), min_size=1, max_size=4)),
                min_size=1, max_size=12))
def test_grpo_advantages_sum_to_zero_in_each_group(spec):
    eps = [make_episode(f"e{i}", f"g{g}", r) for i, (g, r) in enumerate(spec)]
    adv = advantages(eps, {"name": "grpo"})
    per_group: dict[str, list[float]] = {}
    for ep, a in zip(eps, adv, strict=True):
        per_group.setdefault(ep.group_id, []).append(a[0])
    for vals in per_group.values():
        if len(vals) > 1:
            assert sum(vals) == pytest.approx(0.0, abs=1e-6)


# ----------------------------------------------------------------------------------- rloo


def test_rloo_hand_computed():
    eps = [make_episode("e0", "a", [1.0, 2.0]), make_episode("e1", "a", [0.0]),
           make_episode("e2", "a", [0.0]), make_episode("e3", "b", [4.0])]
    adv = advantages(eps, {"name": "rloo"})
    assert adv == [[3.0, 3.0], [-1.5], [-1.5], [4.0]]  # 3 - 0, 0 - 1.5, 0 - 1.5; lone: R


# ----------------------------------------------------------------------------------- gigpo


def _gigpo_group():
    # ep0: states s0 -> s1, rewards 0, 1 ; ep1: s0 -> s2 -> s1, rewards 0, 0, 0
    return [make_episode("e0", "a", [0.0, 1.0], ["s0", "s1"]),
            make_episode("e1", "a", [0.0, 0.0, 0.0], ["s0", "s2", "s1"])]


def test_gigpo_hand_computed():
    adv = advantages(_gigpo_group(), {"name": "gigpo", "gamma": 0.5, "omega": 1.0})
    ae = 0.5 / (S2 + EPS)  # returns 1, 0 -> +-0.5 / sqrt(.5)
    # step returns (gamma .5): ep0 [0.5, 1], ep1 [0, 0, 0]
    # s0: {0.5, 0} -> +-0.25 / sqrt(0.125); s1: {1, 0} -> +-0.5 / sqrt(.5); s2: lone -> 0
    as0 = 0.25 / (math.sqrt(0.125) + EPS)
    as1 = 0.5 / (S2 + EPS)
    assert adv[0] == pytest.approx([ae + as0, ae + as1], abs=1e-9)
    assert adv[1] == pytest.approx([-ae - as0, -ae, -ae - as1], abs=1e-9)
    assert adv[0][0] == pytest.approx(1.414208, abs=1e-5)


def test_gigpo_omega_and_no_std():
    adv = advantages(_gigpo_group(), {"name": "gigpo", "gamma": 0.5, "omega": 2.0,
                                      "norm_std": False})
    # A^E = +-0.5; A^S: s0 +-0.25, s1 +-0.5, s2 0
    assert adv[0] == pytest.approx([0.5 + 2 * 0.25, 0.5 + 2 * 0.5])
    assert adv[1] == pytest.approx([-0.5 - 0.5, -0.5, -0.5 - 1.0])


def test_gigpo_episode_stats_over_steps():
    # rows: ep0 twice with R = 1, ep1 three times with R = 0: mean .4, unbiased var .3
    adv = advantages(_gigpo_group(), {"name": "gigpo", "gamma": 0.5, "omega": 0.0,
                                      "episode_stats": "steps"})
    s = math.sqrt(0.3)
    assert adv[0] == pytest.approx([0.6 / (s + EPS)] * 2)
    assert adv[1] == pytest.approx([-0.4 / (s + EPS)] * 3)
    assert adv[0][0] == pytest.approx(1.095443, abs=1e-5)


def test_gigpo_step_groups_do_not_cross_episode_groups():
    eps = [make_episode("e0", "a", [1.0], ["s"]), make_episode("e1", "b", [0.0], ["s"])]
    adv = advantages(eps, {"name": "gigpo"})
    assert adv == [[pytest.approx(1 / (1 + EPS))], [0.0]]  # lone groups, lone step groups


def test_gigpo_similarity_clusters_near_identical_states():
    a = "you are in the kitchen. you see a red apple on the table"
    b = a + "."  # ratio > 0.95
    c = "you are in the garden"
    eps = [make_episode("e0", "g", [1.0], [a]), make_episode("e1", "g", [0.0], [b]),
           make_episode("e2", "g", [0.0], [c])]
    exact = advantages(eps, {"name": "gigpo", "omega": 1.0, "episode_stats": "episodes"})
    sim = advantages(eps, {"name": "gigpo", "similarity_threshold": 0.95})
    grpo = advantages(eps, {"name": "grpo"})
    assert [x[0] for x in exact] == pytest.approx([x[0] for x in grpo])  # nothing repeats
    # a and b now form a step group with returns {1, 0}: +-0.5 / sqrt(.5)
    step = 0.5 / (S2 + EPS)
    assert sim[0][0] == pytest.approx(grpo[0][0] + step)
    assert sim[1][0] == pytest.approx(grpo[1][0] - step)
    assert sim[2][0] == pytest.approx(grpo[2][0])


def test_gigpo_default_key_is_the_observation():
    eps = [make_episode("e0", "g", [1.0]), make_episode("e1", "g", [0.0])]
    for ep in eps:
        ep.steps[0].state_key = None
        ep.steps[0].observation = "same room"
    adv = advantages(eps, {"name": "gigpo"})
    e = 0.5 / (S2 + EPS)
    assert adv == [[pytest.approx(2 * e)], [pytest.approx(-2 * e)]]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.lists(st.floats(-3, 3), min_size=1, max_size=5)),
                min_size=1, max_size=10), st.floats(0, 1), st.booleans())
def test_gigpo_equals_grpo_when_no_state_repeats(spec, gamma, norm_std):
    eps = [make_episode(f"e{i}", f"g{g}", r) for i, (g, r) in enumerate(spec)]  # unique keys
    gi = advantages(eps, {"name": "gigpo", "gamma": gamma, "norm_std": norm_std})
    gr = advantages(eps, {"name": "grpo", "norm_std": norm_std})
    assert np.allclose(np.concatenate(gi), np.concatenate(gr), atol=1e-9)


def test_discounted_returns_handles_ragged_and_long_episodes():
    lengths = np.array([3, 1, 2000, 0, 2])
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    x = np.random.default_rng(0).normal(size=int(lengths.sum()))
    got = discounted_returns(x, starts, lengths, 0.9)
    want = []
    for s, n in zip(starts, lengths, strict=True):
        run, seg = 0.0, []
        for v in x[s:s + n][::-1]:
            run = v + 0.9 * run
            seg.append(run)
        want.extend(seg[::-1])
    assert np.allclose(got, want)


def test_gigpo_arrays_api_matches_episode_api():
    eps = _gigpo_group()
    batch = StepBatch.from_episodes(eps)
    arr = StepBatch.from_arrays(batch.episode_length, batch.episode_group, batch.rewards,
                                state_index=batch.state_index)
    a1 = gigpo_advantages(batch, batch.rewards, gamma=0.5)[0]
    a2 = gigpo_advantages(arr, arr.rewards, gamma=0.5)[0]
    assert np.array_equal(a1, a2)


# ----------------------------------------------------------------------------------- gae


def test_gae_hand_computed_terminated_and_truncated():
    ep = make_episode("e0", "a", [0.0, 1.0], extra=[{"value": 0.5}, {"value": 0.8}])
    ep.terminated = True
    adv = advantages([ep], {"name": "gae", "gamma": 0.9, "lam": 0.8})
    # delta1 = 1 - 0.8 = 0.2; delta0 = 0.9 * 0.8 - 0.5 = 0.22; A0 = 0.22 + 0.72 * 0.2
    assert adv[0] == pytest.approx([0.364, 0.2])
    ep.terminated, ep.truncated = False, True
    ep.extra["bootstrap_value"] = 0.5
    adv = advantages([ep], {"name": "gae", "gamma": 0.9, "lam": 0.8})
    # delta1 = 1 + 0.9 * 0.5 - 0.8 = 0.65; A0 = 0.22 + 0.72 * 0.65
    assert adv[0] == pytest.approx([0.688, 0.65])


def test_gae_without_values_says_to_enable_the_value_head():
    with pytest.raises(EpisodeFormatError, match=r"steps\[0\].*value head"):
        advantages([make_episode("e0", "a", [1.0])], {"name": "gae"})


# ----------------------------------------------------------------------------------- empg


def test_empg_hand_computed():
    ep0 = make_episode("e0", "a", [0.0, 1.0], extra=[{"entropies": [0.0, 0.0]},
                                                      {"entropies": [0.5, 1.5]}])
    ep1 = make_episode("e1", "a", [0.0], extra=[{"entropy": 0.5}])
    adv = advantages([ep0, ep1], {"name": "empg", "base": {"name": "grpo"}})
    # H = [0, 1, .5] -> Hn = H / (1 + eps); g = exp(-Hn) / mean; A = +-0.5/sqrt(.5) (grpo);
    # bonus on ep0 step 0 = 0.1 * exp(-Hn_1); then minus the batch mean
    assert adv[0] == pytest.approx([0.826265, 0.110324], abs=1e-5)
    assert adv[1] == pytest.approx([-0.936588], abs=1e-5)
    assert sum(adv[0]) + sum(adv[1]) == pytest.approx(0.0, abs=1e-9)


def test_empg_rejects_a_bad_base_estimator():
    from agentrl.errors import ConfigError

    with pytest.raises(ConfigError, match=r"credit\.estimator\.base.*did you mean 'gigpo'"):
        build_credit(None, {"name": "empg", "base": {"name": "gigpoo"}})


# ----------------------------------------------------------------------------------- edges


@pytest.mark.parametrize("name", ["grpo", "rloo", "gigpo", "empg"])
def test_empty_batches_and_empty_episodes(name):
    est = {"name": name}
    assert build_credit(None, est).apply([]).advantages.shape == (0,)
    eps = [make_episode("a", "g", [1.0], extra=[{"entropy": 0.2}]),
           make_episode("b", "g", []),  # a crashed episode: return 0, still in the group stats
           make_episode("c", "h", [0.5], extra=[{"entropy": 0.4}])]
    result = build_credit(None, est).apply(eps)
    assert result.advantages.shape == (2,) and np.isfinite(result.advantages).all()
    if name == "grpo":  # group g: returns {1, 0}
        assert eps[0].steps[0].advantage == pytest.approx(0.5 / (S2 + EPS))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2),
                          st.lists(st.tuples(st.floats(-3, 3), st.integers(0, 3)),
                                   min_size=1, max_size=5)), min_size=1, max_size=10),
       st.floats(0, 1), st.floats(0, 2), st.booleans())
def test_gigpo_matches_the_loop_reference_with_repeated_states(spec, gamma, omega, norm_std):
    from _credit_reference import gigpo as ref_gigpo

    eps = [make_episode(f"e{i}", f"g{g}", [r for r, _ in steps], [f"s{k}" for _, k in steps])
           for i, (g, steps) in enumerate(spec)]
    got = advantages(eps, {"name": "gigpo", "gamma": gamma, "omega": omega,
                           "norm_std": norm_std})
    want = ref_gigpo([[s.reward for s in ep.steps] for ep in eps], [ep.group_id for ep in eps],
                     [[s.state_key for s in ep.steps] for ep in eps], gamma=gamma, omega=omega,
                     norm_std=norm_std)
    assert np.allclose(np.concatenate(got), np.concatenate(want), atol=1e-6, rtol=1e-6)
