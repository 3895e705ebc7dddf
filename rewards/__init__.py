"""Credit assignment (``agentrl.rewards``): reward shapers and advantage estimators over episodes.

DESIGN.md section 3.5; formulas and sources in REFERENCES.md and in each module's docstring.
A batch of :class:`~agentrl.types.Episode` is flattened once into a :class:`StepBatch`; zero or
more *shapers* map per-step rewards to shaped rewards, then one *estimator* maps them to per-step
advantages::

    from agentrl.rewards import build_credit
    credit = build_credit(shapers=[{"name": "invalid_penalty", "coef": 0.1}],
                          estimator={"name": "gigpo", "gamma": 0.95})
    credit.apply(episodes)   # fills step.shaped_reward and step.advantage

Built-in estimators: grpo, rloo, gigpo, gae, empg. Built-in shapers: gated, milestone, spa,
toolrl, invalid_penalty. Third-party ones register with :func:`register_shaper` /
:func:`register_estimator` and are found through the entry-point groups ``agentrl.shapers`` and
``agentrl.estimators``.
"""

# The built-ins register themselves when their subpackages are imported.
from . import estimators, shapers
from .batch import StepBatch
from .registry import (
    ComponentSpec,
    Credit,
    CreditContext,
    CreditParams,
    CreditResult,
    build_credit,
    check_credit,
    plugin_errors,
    register_estimator,
    register_shaper,
    registered_estimators,
    registered_shapers,
)

__all__ = [
    "ComponentSpec",
    "Credit",
    "CreditContext",
    "CreditParams",
    "CreditResult",
    "StepBatch",
    "build_credit",
    "check_credit",
    "estimators",
    "plugin_errors",
    "register_estimator",
    "register_shaper",
    "registered_estimators",
    "registered_shapers",
    "shapers",
]
