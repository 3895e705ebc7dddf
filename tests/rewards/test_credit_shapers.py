"""Shapers (gated, milestone, toolrl, invalid_penalty) by hand, plus property tests. SPA has its
own file."""

from __future__ import annotations

import numpy as np
import pytest
from _credit_builders import make_episode
from hypothesis import given, settings
from hypothesis import strategies as st

from agentrl.errors import ConfigError, EpisodeFormatError
from agentrl.rewards import build_credit


def shaped(episodes, shapers, estimator=None):
    build_credit(shapers, estimator).apply(episodes)
    return [[s.shaped_reward for s in ep.steps] for ep in episodes]


# ----------------------------------------------------------------------------------- gated

GATED = {"name": "gated", "priority": ["outcome", "format", "exec"],
         "thresholds": {"outcome": 1.0, "format": 1.0}}


def _gated_episodes():
    a = make_episode("a", "g", [0.0, 0.0], reward_components=[
        {"format": 1.0, "exec": 0.5}, {"format": 0.0, "exec": 0.5, "outcome": 1.0}])
    b = make_episode("b", "g", [0.0, 0.0], reward_components=[
        {"format": 1.0, "exec": 1.0}, {"outcome": 0.0}])
    c = make_episode("c", "g", [0.0, 0.0], reward_components=[
        {"exec": 1.0, "format": 0.0}, {"outcome": 1.0, "exec": 1.0, "other": 5.0}])
    return [a, b, c]


def test_gated_hand_computed():
    # a: outcome 1 >= 1 opens format; format total 1 >= 1 opens exec -> every component counts
    # b: outcome 0 < 1 -> format and exec count 0
    # c: outcome opens format (total 0 < 1) -> exec closed; "other" is not listed
    assert shaped(_gated_episodes(), [GATED]) == [[1.5, 1.5], [0.0, 0.0], [0.0, 1.0]]


def test_ungated_is_the_plain_sum_of_listed_components():
    assert shaped(_gated_episodes(), [{**GATED, "ungated": True}]) == [
        [1.5, 1.5], [2.0, 0.0], [1.0, 2.0]]


def test_gated_then_estimator_reads_shaped_rewards():
    eps = _gated_episodes()
    build_credit([GATED], {"name": "rloo"}).apply(eps)
    # returns 3, 0, 1 -> 3 - .5, 0 - 2, 1 - 1.5
    assert [ep.steps[0].advantage for ep in eps] == pytest.approx([2.5, -2.0, -0.5])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.tuples(st.floats(0, 1), st.floats(-2, 2), st.floats(-2, 2)),
                         min_size=1, max_size=4), min_size=1, max_size=6),
       st.floats(-2, 2), st.floats(0, 2), st.data())
def test_a_gated_component_never_counts_when_its_gate_is_closed(spec, noise1, noise2, data):
    params = {"name": "gated", "priority": ["hi", "mid", "lo"],
              "thresholds": {"hi": 0.5, "mid": 0.0}}

    def episodes(rows):
        return [make_episode(f"e{i}", "g", [0.0] * len(r), reward_components=[
            {"hi": h, "mid": m, "lo": lo} for h, m, lo in r]) for i, r in enumerate(rows)]

    base = shaped(episodes(spec), [params])
    # change every component below a closed gate: the shaped rewards must not move
    changed = []
    for rows in spec:
        hi_open = sum(h for h, _, _ in rows) >= 0.5
        mid_open = hi_open and sum(m for _, m, _ in rows) >= 0.0
        changed.append([(h, m if hi_open else m + noise1, lo if mid_open else lo + noise2)
                        for h, m, lo in rows])
    assert np.allclose(np.concatenate(shaped(episodes(changed), [params])),
                       np.concatenate(base))


def test_gated_validates_its_params():
    with pytest.raises(ConfigError, match="thresholds names 'exce'"):
        build_credit([{**GATED, "thresholds": {"exce": 1.0}}])
    with pytest.raises(ConfigError, match=r"unknown parameter 'threshold'.*did you mean "
                                          "'thresholds'"):
        build_credit([{"name": "gated", "priority": ["a"], "threshold": {}}])
    with pytest.raises(ConfigError, match=r"credit.shapers\[0\] \(gated\).priority"):
        build_credit([{"name": "gated", "priority": "outcome"}])


# ----------------------------------------------------------------------------------- milestone


def test_milestone_hand_computed():
    ep = make_episode("e", "g", [0.0, 0.0, 1.0], milestones=[[], ["a"], ["a", "b", "a"]],
                      info=[{}, {}, {"milestones_total": 4}])
    # Phi = 0, 0, .25, .5 ; r' = r + .5 (.9 Phi' - Phi)
    got = shaped([ep], [{"name": "milestone", "weight": 0.5, "gamma": 0.9}])
    assert got[0] == pytest.approx([0.0, 0.1125, 1.1])


def test_milestone_total_parameter_and_missing_total():
    ep = make_episode("e", "g", [0.0, 0.0], milestones=[["a"], ["a", "b"]])
    assert shaped([ep], [{"name": "milestone", "total": 2}])[0] == pytest.approx([0.5, 0.5])
    with pytest.raises(EpisodeFormatError, match="milestones_total"):
        shaped([ep], [{"name": "milestone"}])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-2, 2), st.integers(0, 5)), min_size=1, max_size=8),
       st.floats(0.1, 3), st.integers(5, 9))
def test_milestone_with_gamma_one_telescopes_to_weight_times_final_phi(rows, weight, total):
    rewards = [r for r, _ in rows]
    # milestones reached so far: any (not necessarily monotone) count per step
    ms = [[f"m{k}" for k in range(n)] for _, n in rows]
    ep = make_episode("e", "g", rewards, milestones=ms)
    got = shaped([ep], [{"name": "milestone", "weight": weight, "total": total}])[0]
    assert sum(got) - sum(rewards) == pytest.approx(weight * rows[-1][1] / total, abs=1e-9)


def test_milestone_critic_learns_a_useful_potential():
    eps = []
    for i in range(12):
        good = i % 2 == 0
        obs = ["you hold the key near the door" if good else "you are lost in the hall"] * 3
        ep = make_episode(f"e{i}", f"g{i % 3}", [0.0, 0.0, float(good)])
        for s, o in zip(ep.steps, obs, strict=True):
            s.observation = o
        ep.outcome = float(good)
        eps.append(ep)
    got = shaped(eps, [{"name": "milestone", "potential": "critic", "critic_l2": 0.1}])
    # with gamma 1 the shaping telescopes to weight * (Phi_T - Phi_0) = -Phi(s_0)
    phi0_good = -(sum(got[0]) - 1.0)
    phi0_bad = -(sum(got[1]) - 0.0)
    assert phi0_good > 0.7 and phi0_bad < 0.3


# ----------------------------------------------------------------------------------- toolrl


def test_toolrl_hand_computed():
    ep = make_episode("e", "g", [9.0, 9.0, 9.0], reward_components=[
        {"format": 1.0, "correct": 1.5}, {"format": 0.0, "correct": -3.0},
        {"format": 1.0, "correct": 3.0, "outcome": 1.0}])
    assert shaped([ep], [{"name": "toolrl"}])[0] == [2.5, -3.0, 5.0]
    got = shaped([ep], [{"name": "toolrl", "w_format": 0.5, "w_outcome": 2.0}])[0]
    assert got == [2.0, -3.0, 5.5]


# ----------------------------------------------------------------------------------- penalty


def test_invalid_penalty_stacks_on_the_previous_shaper():
    ep = make_episode("e", "g", [1.0, 0.0, 0.5], valid=[True, False, False])
    assert shaped([ep], [{"name": "invalid_penalty"}])[0] == pytest.approx([1.0, -0.1, 0.4])
    ep.steps[2].reward_components = {"format": 1.0, "correct": 0.0}
    got = shaped([ep], [{"name": "toolrl"}, {"name": "invalid_penalty", "coef": 0.25}])[0]
    assert got == pytest.approx([0.0, -0.25, 0.75])


def test_invalid_penalty_can_count_projected_actions_as_invalid():
    ep = make_episode("e", "g", [0.0, 0.0, 1.0], valid=[True, False, True])
    ep.steps[0].extra["projected"] = True  # accepted by the env only after projection
    assert shaped([ep], [{"name": "invalid_penalty"}])[0] == pytest.approx([0.0, -0.1, 1.0])
    got = shaped([ep], [{"name": "invalid_penalty", "projected": True}])[0]
    assert got == pytest.approx([-0.1, -0.1, 1.0])


def test_no_shapers_means_shaped_reward_is_the_reward():
    ep = make_episode("e", "g", [0.25, 1.0])
    assert shaped([ep], []) == [[0.25, 1.0]]


# ----------------------------------------------------------------------------------- outcome


def test_outcome_shaper_pays_the_outcome_on_the_last_step():
    a = make_episode("a", "g", [0.5, 0.5, 0.0])
    a.outcome = 1.0
    b = make_episode("b", "g", [1.0])
    assert shaped([a, b], [{"name": "outcome", "scale": 10}]) == [[0.0, 0.0, 10.0], [0.0]]
    assert shaped([a, b], [{"name": "outcome", "keep_step_rewards": True}]) == [
        [0.5, 0.5, 1.0], [1.0]]
