"""Policies: the contract, scripted policies, and model backends (loaded lazily)."""

from agentrl.policies.base import Generation, Policy, PolicyInput, SamplingParams
from agentrl.policies.registry import make_policy, register_policy
from agentrl.policies.scripted import ExpertPolicy, RandomPolicy

__all__ = [
    "ExpertPolicy",
    "Generation",
    "Policy",
    "PolicyInput",
    "RandomPolicy",
    "SamplingParams",
    "make_policy",
    "register_policy",
]
