"""Model construction: the tiny from-scratch preset (tokenizer + transformer)."""

from agentrl.models.tiny import CHAT_TEMPLATE, build_tiny_model, build_tokenizer

__all__ = ["CHAT_TEMPLATE", "build_tiny_model", "build_tokenizer"]
