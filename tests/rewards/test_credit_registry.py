"""build_credit: parameter validation, unknown names, third-party components and entry points."""

from __future__ import annotations

import importlib.metadata as metadata
import sys

import numpy as np
import pytest
from _credit_builders import make_episode

from agentrl.errors import ConfigError
from agentrl.rewards import (
    CreditParams,
    build_credit,
    register_estimator,
    registered_estimators,
    registered_shapers,
)
from agentrl.rewards import registry as reg


def test_builtins_are_registered():
    assert {"grpo", "rloo", "gigpo", "gae", "empg"} <= set(registered_estimators())
    assert {"gated", "milestone", "spa", "toolrl", "invalid_penalty"} <= set(registered_shapers())


def test_defaults_to_grpo_and_validates_values():
    credit = build_credit()
    assert credit.estimator[0] == "grpo"
    with pytest.raises(ConfigError, match=r"credit.estimator \(gigpo\).gamma: .*number"):
        build_credit(None, {"name": "gigpo", "gamma": "high"})
    with pytest.raises(ConfigError, match=r"gamma: .*less than or equal to 1"):
        build_credit(None, {"name": "gigpo", "gamma": 1.5})
    with pytest.raises(ConfigError, match=r"episode_stats"):
        build_credit(None, {"name": "gigpo", "episode_stats": "rows"})
    with pytest.raises(ConfigError, match=r"unknown estimator 'gipgo'; did you mean 'gigpo'"):
        build_credit(None, {"name": "gipgo"})
    with pytest.raises(ConfigError, match=r"credit.shapers\[1\] has no 'name'"):
        build_credit([{"name": "toolrl"}, {"coef": 1}])
    with pytest.raises(ConfigError, match=r"credit\.shapers must be a list"):
        build_credit({"name": "toolrl"})  # type: ignore[arg-type]


def test_third_party_estimator_registers_and_validates():
    class HalfParams(CreditParams):
        scale: float = 0.5

    @register_estimator("test_half_reward", HalfParams, source="tests")
    def half(batch, rewards, params):
        return params.scale * rewards

    try:
        ep = make_episode("e", "g", [1.0, 4.0])
        build_credit(None, {"name": "test_half_reward", "scale": 0.25}).apply([ep])
        assert [s.advantage for s in ep.steps] == [0.25, 1.0]
        with pytest.raises(ConfigError, match="did you mean 'scale'"):
            build_credit(None, {"name": "test_half_reward", "scal": 1})
    finally:
        reg._specs["estimator"].pop("test_half_reward")


def test_entry_point_plugins_load_and_broken_ones_are_reported(monkeypatch, tmp_path):
    # a real plugin module on sys.path, named by real entry points of group agentrl.shapers
    (tmp_path / "agentrl_test_credit_plugin.py").write_text(
        "from agentrl.rewards import CreditParams, register_shaper\n"
        "class P(CreditParams):\n    bonus: float = 1.0\n"
        "@register_shaper('test_bonus', P, source='plugin')\n"
        "def bonus(batch, rewards, params):\n    return rewards + params.bonus\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    points = {"agentrl.shapers": [
        metadata.EntryPoint("bonus", "agentrl_test_credit_plugin:bonus", "agentrl.shapers"),
        metadata.EntryPoint("broken", "agentrl_no_such_module_xyz:thing", "agentrl.shapers")]}
    monkeypatch.setattr(reg.metadata, "entry_points", lambda group: points.get(group, []))
    monkeypatch.setattr(reg, "_plugins_loaded", False)
    monkeypatch.setattr(reg, "_plugin_errors", {})
    try:
        assert "test_bonus" in registered_shapers()
        assert "ModuleNotFoundError" in reg.plugin_errors()["shaper broken"]
        with pytest.raises(ConfigError, match="plugin 'broken' failed to load"):
            build_credit([{"name": "broken"}])
        ep = make_episode("e", "g", [1.0])
        result = build_credit([{"name": "test_bonus", "bonus": 2.0}]).apply([ep])
        assert np.allclose(result.shaped_rewards, [3.0])
    finally:
        reg._specs["shaper"].pop("test_bonus", None)
        sys.modules.pop("agentrl_test_credit_plugin", None)


def test_check_credit_validates_without_building_models():
    from agentrl.rewards import check_credit

    # spa would need a backbone to build, but checking needs none
    check_credit([{"name": "spa", "alpha": 0.3}], {"name": "empg", "base": {"name": "gigpo"}})
    with pytest.raises(ConfigError, match=r"credit\.estimator\.base \(gigpo\)\.gamma"):
        check_credit(None, {"name": "empg", "base": {"name": "gigpo", "gamma": "x"}})
    with pytest.raises(ConfigError, match=r"credit\.shapers\[0\] \(spa\): unknown parameter"):
        check_credit([{"name": "spa", "alhpa": 0.3}])


def test_non_finite_numbers_are_named():
    from agentrl.errors import EpisodeFormatError

    ep = make_episode("e", "g", [1.0, float("nan")])
    with pytest.raises(EpisodeFormatError, match=r"episode 'e' steps\[1\]: the step's reward"):
        build_credit().apply([ep])
    ep = make_episode("e", "g", [1.0], extra=[{"value": float("inf")}])
    with pytest.raises(EpisodeFormatError, match=r"steps\[0\]: the gae advantage is -inf"):
        build_credit(None, {"name": "gae"}).apply([ep])
