"""Built-in environments (``agentrl.environments``).

Each subpackage is written exactly as a third-party plugin would be: it exposes a zero-argument
``register()`` named by an entry point of the group ``agentrl.environments`` in pyproject.toml,
and the core finds it only through that entry point.
"""
