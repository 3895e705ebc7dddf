"""WebShop-style shopping environment, ``agentrl/WebShop-v0``.

An offline re-creation of WebShop (Yao et al., 2022, arXiv 2207.01206): a generated product
catalog (or the original release's files via ``data_dir``), a BM25 search engine on SQLite FTS5,
WebShop's pages and actions in its simple text mode, and WebShop's purchase reward. Registered
through the ``agentrl.environments`` entry point, exactly as a third-party plugin would be.
"""

from __future__ import annotations

__all__ = ["register"]


def register() -> None:
    """Register ``agentrl/WebShop-v0`` (called once through the entry point)."""
    from agentrl.envs import register as register_env

    register_env(
        id="agentrl/WebShop-v0",
        entry_point="agentrl.environments.webshop.env:WebShopEnv",
        max_turns=15,
        kwargs={},
        description="WebShop-style shopping: BM25 product search, options, WebShop's reward "
                    "(Yao et al., 2022)",
    )
