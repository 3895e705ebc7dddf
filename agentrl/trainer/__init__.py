"""Trainers: the local PyTorch trainer (CPU or one GPU); the verl bridge for multi-GPU."""

from agentrl.trainer.local import LocalTrainer

__all__ = ["LocalTrainer"]
